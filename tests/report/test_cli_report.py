"""``tsinspect report`` end to end: formats, -o and --force, exit codes, bad inputs, progress."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from tsinspect.cli import main
from tsinspect.progress import Progress

UNSCRIPTABLE = Path(__file__).resolve().parents[2] / "fixtures" / "unscriptable"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["report", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_html_file_for_a_ready_model(model_archive: Callable[..., Path], tmp_path: Path) -> None:
    pytest.importorskip("torch")
    out = tmp_path / "report.html"
    code, stdout, stderr = run(str(model_archive("simple_cnn")), "-o", str(out), "--no-picture")
    assert code == 0, stderr
    assert stdout == ""
    assert f"tsinspect: wrote {out}: Ready for Triton's libtorch backend" in stderr
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert "input__0" in html and "TYPE_FP32" in html
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"], (
        "no temporary file is left behind"
    )


def test_markdown_on_stdout_by_default(model_archive: Callable[..., Path]) -> None:
    pytest.importorskip("torch")
    code, stdout, stderr = run(
        str(model_archive("dict_output")), "--source", str(UNSCRIPTABLE), "--no-picture"
    )
    assert code == 1
    assert stdout.startswith("## tsinspect report: dict_output.pt\n")
    assert "TS606" in stdout and "TS101" in stdout
    assert stderr == "", "no progress when stderr is not a terminal"


@pytest.mark.parametrize(
    ("suffix", "flag", "start"),
    [
        (".md", (), "## tsinspect report"),
        (".htm", (), "<!DOCTYPE html>"),
        (".txt", ("--format", "markdown"), "## tsinspect report"),
        (".md", ("--format", "html"), "<!DOCTYPE html>"),
    ],
)
def test_format_from_suffix_or_option(
    model_archive: Callable[..., Path],
    tmp_path: Path,
    suffix: str,
    flag: tuple[str, ...],
    start: str,
) -> None:
    pytest.importorskip("torch")
    out = tmp_path / f"report{suffix}"
    code, _, stderr = run(
        str(model_archive("dict_output")), "-o", str(out), "--no-picture", "-q", *flag
    )
    assert code == 1, stderr
    assert stderr == "", "--quiet says nothing on stderr"
    assert out.read_text(encoding="utf-8").startswith(start)


def test_unknown_suffix_is_refused_before_any_work(tmp_path: Path) -> None:
    out = tmp_path / "report.pdf"
    code, _, stderr = run(str(tmp_path / "absent.pt"), "-o", str(out))
    assert code == 2
    assert "cannot tell the report format from" in stderr and "--format" in stderr
    assert not out.exists()


def test_existing_file_needs_force(model_archive: Callable[..., Path], tmp_path: Path) -> None:
    pytest.importorskip("torch")
    out = tmp_path / "report.md"
    out.write_text("my notes\n")
    code, _, stderr = run(str(model_archive("dict_output")), "-o", str(out), "--no-picture")
    assert code == 2
    assert stderr.strip() == f"tsinspect: error: {out} already exists; pass --force to overwrite it"
    assert out.read_text() == "my notes\n"
    code, _, _ = run(
        str(model_archive("dict_output")), "-o", str(out), "--no-picture", "--force", "-q"
    )
    assert code == 1
    assert out.read_text().startswith("## tsinspect report")


@pytest.mark.parametrize("kind", ["missing", "not-torchscript", "directory"])
def test_unusable_model_writes_a_report_that_says_so(tmp_path: Path, kind: str) -> None:
    model = tmp_path / "model.pt"
    if kind == "not-torchscript":
        model.write_text("not a model\n")
    elif kind == "directory":
        model.mkdir()
    out = tmp_path / "report.md"
    code, _, stderr = run(str(model), "-o", str(out), "-q")
    assert code == 2, stderr
    text = out.read_text(encoding="utf-8")
    assert "⛔ **Incomplete: 1 input could not be read**" in text
    assert "unreadable-model" in text


def test_unparsable_source_exits_2(model_archive: Callable[..., Path], tmp_path: Path) -> None:
    pytest.importorskip("torch")
    source = tmp_path / "model_def.py"
    source.write_text("class Net(nn.Module:\n    pass\n")
    code, stdout, _ = run(str(model_archive("simple_cnn")), "--source", str(source), "--no-picture")
    assert code == 2
    assert "TS001" in stdout and "model_def.py" in stdout


def test_failed_write_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tsinspect.api.report import write_report

    out = tmp_path / "report.html"

    def refuse(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        write_report("<html></html>\n", out)
    assert list(tmp_path.iterdir()) == []


def test_missing_output_folder_is_a_clear_error(tmp_path: Path) -> None:
    out = tmp_path / "no" / "such" / "report.md"
    code, _, stderr = run(str(tmp_path / "absent.pt"), "-o", str(out), "-q")
    assert code == 2
    assert "the folder for this output does not exist" in stderr
    assert not out.exists()


def test_bad_override_is_a_usage_error(model_archive: Callable[..., Path], tmp_path: Path) -> None:
    pytest.importorskip("torch")
    out = tmp_path / "report.md"
    code, _, stderr = run(
        str(model_archive("simple_cnn")), "--input-shape", "nope=1,2", "-o", str(out)
    )
    assert code == 2
    assert "--input-shape: the model has no input 'nope'" in stderr
    assert not out.exists()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_only() -> None:
    terminal = _Terminal()
    with Progress(terminal) as progress:
        progress("loading model.pt")
        progress("linting 3 files")
    shown = terminal.getvalue()
    assert "loading model.pt ..." in shown and "linting 3 files ..." in shown
    assert shown.endswith("\r\x1b[K"), "the line is erased at the end"

    quiet = _Terminal()
    with Progress(quiet, enabled=False) as progress:
        progress("loading model.pt")
    assert quiet.getvalue() == ""

    piped = io.StringIO()
    with Progress(piped) as progress:
        progress("loading model.pt")
    assert piped.getvalue() == "" and progress.steps == 1


def test_model_prints_never_reach_a_report_on_stdout(model_archive: Callable[..., Path]) -> None:
    """A model's print() runs while its shapes are probed; it goes to stderr, not into the Markdown."""
    import subprocess
    import sys

    pytest.importorskip("torch")
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "tsinspect",
            "report",
            str(model_archive("debug_hooks")),
            "--no-picture",
            "-q",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 1, completed.stderr
    assert completed.stdout.startswith("## tsinspect report: debug_hooks.pt\n")
    printed = [line for line in completed.stderr.splitlines() if line.startswith("[")]
    assert printed, "the model's prints are still visible, on stderr"
    assert not any(line in completed.stdout.splitlines() for line in printed)


def _stderr_on_a_terminal(args: list[str]) -> tuple[int, str, str]:
    """Run ``python -m tsinspect ARGS`` with stderr on a pseudo-terminal: (exit, stdout, stderr)."""
    import pty
    import subprocess
    import sys

    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "tsinspect", *args],
            stdout=subprocess.PIPE,
            stderr=follower,
            timeout=300,
            check=False,
        )
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed: everything was read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(leader)
    return done.returncode, done.stdout.decode(), shown.decode()


@pytest.mark.parametrize("command", ["graph", "config", "validate"])
def test_model_commands_show_progress_on_a_terminal_only(
    command: str, model_archive: Callable[..., Path], tmp_path: Path
) -> None:
    """Loading and probing a big model takes a while: graph, config and validate say what they
    are doing on a terminal (one line, erased at the end), and nothing when piped or -q."""
    import subprocess
    import sys

    pytest.importorskip("torch")
    archive = model_archive("simple_cnn")
    args = [command, str(archive)]
    if command == "validate":
        config = tmp_path / "config.pbtxt"
        written = CliRunner().invoke(main, ["config", str(archive), "-o", str(config), "-q"])
        assert written.exit_code == 0, written.stderr
        args.append(str(config))
    code, stdout, shown = _stderr_on_a_terminal(args)
    assert code == 0, shown
    assert "tsinspect: [" in shown and f"{archive}" in shown
    assert "\r\x1b[K" in shown, "the progress line is erased"
    assert "tsinspect: [" not in stdout
    piped = subprocess.run(
        [sys.executable, "-m", "tsinspect", *args], capture_output=True, timeout=300, check=False
    )
    assert b"tsinspect: [" not in piped.stderr
    _, _, quiet = _stderr_on_a_terminal([*args, "-q"])
    assert "tsinspect: [" not in quiet


def test_a_delayed_progress_line_stays_silent_on_short_runs() -> None:
    """check's line appears only once a run has lasted ``delay`` seconds."""
    terminal = _Terminal()
    with Progress(terminal, delay=60.0) as progress:
        progress("linting 1/1 files")
    assert terminal.getvalue() == "" and progress.steps == 1
    shown = _Terminal()
    with Progress(shown, delay=0.0) as progress:
        progress("linting 1/1 files")
    assert "linting 1/1 files ..." in shown.getvalue()
