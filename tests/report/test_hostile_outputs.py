"""-o writers: a dangling symlink is not replaced without --force; a FIFO never is."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tsinspect.cli import main

torch = pytest.importorskip("torch")


@pytest.fixture
def model(tmp_path: Path) -> Path:
    path = tmp_path / "m.pt"
    torch.jit.script(torch.nn.Linear(2, 2).eval()).save(str(path))
    return path


def _invoke(command: str, model: Path, out: Path, *extra: str) -> tuple[int, str]:
    args = [command, str(model), "-o", str(out), *extra]
    if command == "config":
        args += ["--input-shape", "2"]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    return result.exit_code, result.stderr


@pytest.mark.parametrize("command", ["config", "report"])
def test_dangling_symlink_needs_force(command: str, model: Path, tmp_path: Path) -> None:
    out = tmp_path / ("out.md" if command == "report" else "config.pbtxt")
    out.symlink_to(tmp_path / "nowhere")
    code, err = _invoke(command, model, out)
    assert code == 2 and err.count("\n") == 1
    assert "already exists (a symbolic link); pass --force" in err
    assert out.is_symlink()
    code, _ = _invoke(command, model, out, "--force")
    assert code in (0, 1)
    assert out.is_file() and not out.is_symlink()
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize("command", ["config", "report"])
def test_fifo_is_never_replaced(command: str, model: Path, tmp_path: Path) -> None:
    out = tmp_path / ("out.md" if command == "report" else "config.pbtxt")
    os.mkfifo(out)
    for extra in ((), ("--force",)):
        code, err = _invoke(command, model, out, *extra)
        assert code == 2 and err.count("\n") == 1
        assert "is not a regular file" in err
        assert not out.is_file() and out.exists()


@pytest.mark.parametrize("second", [False, True], ids=["alone", "before-a-good-file"])
def test_report_source_symlink_loop_first(
    second: bool, model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A symlink loop as the first --source: one line, exit 2; the report names it, and a
    readable source after it is still linted (the same TS003 path as ``check``)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "loop.py").symlink_to("loop.py")
    (tmp_path / "good.py").write_text(
        "import torch\n\n\nclass M(torch.nn.Module):\n    def forward(self, *args):\n"
        "        return args[0]\n"
    )
    out = tmp_path / "report.md"
    extra = ["--source", "loop.py"] + (["--source", "good.py"] if second else [])
    code, err = _invoke("report", model, out, *extra)
    assert code == 2
    assert err.count("\n") == 1 and "could not be read" in err and "Traceback" not in err
    written = out.read_text(encoding="utf-8")
    assert "loop.py" in written and "too many levels of symbolic links" in written.lower()
    assert ("TS115" in written) is second  # the file after the loop is still linted


# Each writer: the command line, the files it writes (relative to tmp_path), and the flag
# that names the output.
WRITERS = {
    "config -o": (
        ["config", "{model}", "--input-shape", "2", "-o", "{out}/config.pbtxt"],
        ["config.pbtxt"],
    ),
    "config --model-repository": (
        ["config", "{model}", "--input-shape", "2", "--model-repository", "{out}/repo"],
        ["repo/m/config.pbtxt", "repo/m/1/model.pt"],
    ),
    "report -o": (
        ["report", "{model}", "--no-picture", "-q", "-o", "{out}/report.md"],
        ["report.md"],
    ),
    "graph -o": (["graph", "{model}", "--dot", "-o", "{out}/graph.dot"], ["graph.dot"]),
}


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_every_written_file_has_the_umask_mode_and_is_not_replaced_without_force(
    writer: str, model: Path, tmp_path: Path, umask_022: None
) -> None:
    """Files come out 0644 under umask 022 (a Triton container running as another user
    reads them), and a second write without --force changes nothing: one line, exit 2."""
    template, written = WRITERS[writer]
    out = tmp_path / "out"
    out.mkdir()
    args = [arg.format(model=model, out=out) for arg in template]
    runner = CliRunner()
    first = runner.invoke(main, args, catch_exceptions=False)
    assert first.exit_code in (0, 1), first.stderr
    paths = [out / name for name in written]
    for path in paths:
        assert oct(path.stat().st_mode & 0o777) == oct(0o644), path
    before = {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in paths}
    listing = sorted(p.relative_to(out) for p in out.rglob("*"))

    second = runner.invoke(main, args, catch_exceptions=False)
    assert second.exit_code == 2
    assert second.stderr.count("\n") == 1 and "--force" in second.stderr
    assert second.stderr.startswith("tsinspect: error: ")
    assert {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in paths} == before
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == listing  # no temporary left

    forced = runner.invoke(main, [*args, "--force"], catch_exceptions=False)
    assert forced.exit_code in (0, 1), forced.stderr
    for path in paths:
        assert oct(path.stat().st_mode & 0o777) == oct(0o644), path
