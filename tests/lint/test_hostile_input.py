"""Hostile and careless input to `tsinspect check` (issue 11): one line per bad file, exit 2,
nothing touched, and every other file still checked.

Inputs that used to kill the process run the CLI in a subprocess, so a regression fails
the test instead of taking pytest down with it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tsinspect.api import check as api_check
from tsinspect.cli import main
from tsinspect.files import read_regular
from tsinspect.lint import engine, guard
from tsinspect.lint.guard import MAX_BOOLEAN_OPERANDS

BAD = textwrap.dedent(
    """\
    import torch


    class Net(torch.nn.Module):
        def forward(self, x):
            f = lambda v: v * 2
            return f(x)
    """
)
GOOD = "x = 1\n"


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(old)


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def run_process(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real CLI in its own process (what a crash would kill is that process)."""
    source = Path(__file__).resolve().parents[2] / "src"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(source), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        [sys.executable, "-m", "tsinspect", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def lines_about(output: str, name: str) -> list[str]:
    return [line for line in output.splitlines() if name in line and ": TS" in line]


def deep_parentheses(depth: int) -> str:
    return "x = " + "(" * depth + "1" + ")" * depth + "\n"


def long_and(operands: int) -> str:
    return "x = " + " and ".join(["a"] * operands) + "\n"


# -- the parser guard ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "message"),
    [
        # Python refuses over 200; libcst 1.9 segfaults from about 1,500.
        (deep_parentheses(250), "too many nested parentheses"),
        (deep_parentheses(5_000), "too many nested parentheses"),
        # Python's compiler refuses ~2,800 terms; libcst segfaults between 5,000 and 10,000.
        ("x = " + " + ".join(["1"] * 10_000) + "\n", "too deeply nested for the parser"),
        # ast keeps `and` flat and accepts it; libcst nests it and segfaults from ~7,500.
        (long_and(10_000), "too deeply nested for the parser"),
        ("x = 1\0\n", "null bytes"),
    ],
    ids=["parens-250", "parens-5000", "terms-10000", "and-10000", "null-byte"],
)
def test_what_the_parser_cannot_take_is_one_ts001_line(
    tmp_path: Path, source: str, message: str
) -> None:
    (tmp_path / "deep.py").write_text(source)
    (tmp_path / "bad.py").write_text(BAD)
    before = (tmp_path / "deep.py").read_bytes()
    done = run_process("check", "--no-source", "--no-cache", ".", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    deep = lines_about(done.stdout, "deep.py")
    assert len(deep) == 1 and "TS001" in deep[0] and message in deep[0], done.stdout
    assert lines_about(done.stdout, "bad.py"), "the other file is still checked"
    assert (tmp_path / "deep.py").read_bytes() == before


def test_a_long_and_below_the_bound_is_not_refused_by_the_guard() -> None:
    assert guard.parser_refusal(long_and(MAX_BOOLEAN_OPERANDS), "m.py") is None
    refusal = guard.parser_refusal(long_and(MAX_BOOLEAN_OPERANDS + 1), "m.py")
    assert refusal is not None and "too deeply nested" in refusal[0]


def test_a_tree_too_deep_for_the_visitors_is_one_line(project: Path) -> None:
    """Python and libcst take a 1,000-term sum, the rules' recursion does not."""
    terms = " + ".join(["x"] * 1_000)
    (project / "deep.py").write_text(
        f"import torch\n\n\nclass M(torch.nn.Module):\n    def forward(self, x):\n        return {terms}\n"
    )
    (project / "bad.py").write_text(BAD)
    result = run("check", "--no-source", "--no-cache", ".")
    assert result.exit_code == 2
    deep = lines_about(result.output, "deep.py")
    assert len(deep) == 1 and "too deeply nested for the linter" in deep[0]
    assert lines_about(result.output, "bad.py")


def test_the_fixer_never_hands_libcst_what_python_refuses() -> None:
    from tsinspect.lint.fix import is_valid_python

    assert not is_valid_python(long_and(10_000))
    assert not is_valid_python(deep_parentheses(5_000))


# -- a worker that dies ----------------------------------------------------------------------


def _folder_with_a_bomb(root: Path, count: int = 12) -> None:
    for index in range(count):
        (root / f"m{index:02}.py").write_text(BAD)
    (root / "bomb.py").write_text(long_and(10_000))


def test_a_worker_killed_by_a_real_parser_crash_costs_that_file_only(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the guard libcst really segfaults on bomb.py; the workers fork this process."""
    monkeypatch.setattr(engine, "parser_refusal", lambda text, path, key=None: None)
    _folder_with_a_bomb(project)
    result = run("check", "--no-source", "--no-cache", "-j", "2", ".")
    assert result.exit_code == 2
    bomb = lines_about(result.output, "bomb.py")
    assert len(bomb) == 1 and "TS004 The linter crashed on this file" in bomb[0], result.output
    for index in range(12):
        assert len(lines_about(result.output, f"m{index:02}.py")) == 1, result.output
    assert "12 files" not in result.output and "13 files checked" in result.output


def test_a_worker_that_exits_costs_that_file_only(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = api_check._check_file

    def dying(path: str, *args: object) -> object:
        if path.endswith("bomb.py"):
            os._exit(139)
        return real(path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(api_check, "_check_file", dying)
    _folder_with_a_bomb(project)
    result = run("check", "--no-source", "--no-cache", "-j", "2", ".")
    assert result.exit_code == 2
    bomb = lines_about(result.output, "bomb.py")
    assert len(bomb) == 1 and "TS004" in bomb[0], result.output
    assert sum(len(lines_about(result.output, f"m{i:02}.py")) for i in range(12)) == 12


# -- --fix and file safety -------------------------------------------------------------------

FIXABLE = textwrap.dedent(
    """\
    import torch
    from torch import nn


    class Net(nn.Module):
        def forward(self, x, y=None):
            if y is None:
                return x
            return x + y
    """
)


def fixed(path: Path) -> bool:
    return "Optional" in path.read_text()


def test_fix_writes_nothing_when_the_run_stops_halfway(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tsinspect.api import fix as api_fix
    from tsinspect.lint.fix import fix_text

    (project / "a.py").write_text(FIXABLE)
    (project / "b.py").write_text(FIXABLE)
    real = fix_text

    def failing(text: str, path: str, *args: object) -> object:
        if path.endswith("b.py"):
            raise MemoryError
        return real(text, path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(api_fix, "fix_text", failing)
    with pytest.raises(MemoryError):
        api_fix.fix_paths(["a.py", "b.py"], write=True)
    assert (project / "a.py").read_text() == FIXABLE


def test_fix_writes_through_a_symlink_and_keeps_it(project: Path) -> None:
    (project / "real.py").write_text(FIXABLE)
    (project / "link.py").symlink_to("real.py")
    result = run("check", "--fix", "--no-cache", "--isolated", "link.py")
    assert result.exit_code == 0, result.output
    assert (project / "link.py").is_symlink()
    assert fixed(project / "real.py")


def test_fix_keeps_hard_links_owner_and_mode(project: Path) -> None:
    (project / "a.py").write_text(FIXABLE)
    os.link(project / "a.py", project / "b.py")
    (project / "c.py").write_text(FIXABLE)
    os.chmod(project / "c.py", 0o640)
    owner = (12345, 12345) if os.geteuid() == 0 else (os.geteuid(), os.getegid())
    os.chown(project / "c.py", *owner)
    inode = (project / "a.py").stat().st_ino
    result = run("check", "--fix", "--no-cache", "--isolated", "a.py", "c.py")
    assert result.exit_code == 0, result.output
    assert (project / "a.py").stat().st_ino == inode == (project / "b.py").stat().st_ino
    assert fixed(project / "b.py")
    status = (project / "c.py").stat()
    assert fixed(project / "c.py")
    assert (status.st_mode & 0o7777, status.st_uid, status.st_gid) == (0o640, *owner)


def test_fix_refuses_a_read_only_file_in_one_line(project: Path) -> None:
    (project / "ro.py").write_text(FIXABLE)
    os.chmod(project / "ro.py", 0o444)
    (project / "rw.py").write_text(FIXABLE)
    result = run("check", "--fix", "--no-cache", "--isolated", "--no-source", "ro.py", "rw.py")
    assert result.exit_code == 2
    about = lines_about(result.output, "ro.py")
    assert any("TS003" in line and "read-only" in line for line in about), result.output
    assert not any("\n" in line for line in about)
    assert (project / "ro.py").read_text() == FIXABLE
    assert fixed(project / "rw.py")
    assert "Fixed 1 finding." in result.output


def test_a_folder_that_takes_no_new_file_is_fixed_in_place_and_the_run_goes_on(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    for folder in ("a_locked", "z_open"):
        (project / folder).mkdir()
        (project / folder / "m.py").write_text(FIXABLE)
    real = tempfile.mkstemp

    def locked(*args: object, dir: str = "", **kwargs: object) -> tuple[int, str]:
        if "a_locked" in dir:
            raise PermissionError(13, "Permission denied", dir)
        return real(*args, dir=dir, **kwargs)  # type: ignore[call-overload,no-any-return]

    monkeypatch.setattr(tempfile, "mkstemp", locked)
    result = run("check", "--fix", "--no-cache", "--isolated", ".")
    assert result.exit_code == 0, result.output
    assert fixed(project / "a_locked" / "m.py") and fixed(project / "z_open" / "m.py")


def test_an_unlistable_folder_early_in_the_walk_costs_that_folder_only(project: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root lists every folder")
    (project / "a_hidden").mkdir()
    (project / "z.py").write_text(FIXABLE)
    os.chmod(project / "a_hidden", 0)
    try:
        result = run("check", "--fix", "--no-cache", "--isolated", "--no-source", ".")
    finally:
        os.chmod(project / "a_hidden", 0o755)
    assert result.exit_code == 2
    assert len(lines_about(result.output, "a_hidden")) == 1
    assert fixed(project / "z.py")


def test_two_imports_at_one_point_are_merged(project: Path) -> None:
    (project / "m.py").write_text(FIXABLE.replace("import torch\n", ""))
    result = run("check", "--fix", "--no-cache", "--isolated", "m.py")
    assert result.exit_code == 0, result.output
    text = (project / "m.py").read_text()
    assert "from torch import Tensor\n" in text and "from typing import Optional\n" in text
    compile(text, "m.py", "exec")


def test_an_import_never_shadows_a_name_the_module_binds(project: Path) -> None:
    source = FIXABLE.replace("from torch import nn\n", "from torch import nn\n\nOptional = None\n")
    (project / "m.py").write_text(source)
    result = run("check", "--fix", "--no-cache", "--isolated", "m.py")
    assert result.exit_code == 0, result.output
    text = (project / "m.py").read_text()
    assert "from typing import Optional" not in text
    assert "import typing\n" in text and "typing.Optional[torch.Tensor]" in text
    assert "Optional = None" in text
    compile(text, "m.py", "exec")


# -- names and output ------------------------------------------------------------------------


def test_json_and_sarif_stay_utf8_with_a_non_utf8_file_name(tmp_path: Path) -> None:
    import json

    name = os.fsdecode(b"bad\xff.py")
    (tmp_path / name).write_text(BAD)
    for output_format in ("json", "sarif"):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "tsinspect",
                "check",
                "--no-cache",
                "--format",
                output_format,
                ".",
            ],
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")},
            capture_output=True,
            check=False,
        )
        assert done.returncode == 1, done.stderr
        text = done.stdout.decode("utf-8")  # strict: raises on invalid UTF-8
        json.loads(text)
        if output_format == "sarif":  # a URI: the file name's bytes, percent-encoded
            assert '"uri": "bad%FF.py"' in text
        else:
            assert "bad\\\\xff.py" in text  # the byte, escaped, in a JSON string


def test_a_newline_in_a_file_name_does_not_split_a_diagnostic(project: Path) -> None:
    (project / "new\nline.py").write_text(BAD)
    result = run("check", "--no-cache", "--no-source", ".")
    assert result.exit_code == 1
    assert any(
        line.startswith("./new\\nline.py:") and "TS101" in line
        for line in result.output.splitlines()
    )


def test_a_fifo_and_dev_zero_are_refused_not_read(project: Path) -> None:
    os.mkfifo(project / "pipe.py")
    (project / "bad.py").write_text(BAD)
    done = run_process("check", "--no-cache", "--no-source", ".", "/dev/zero", cwd=project)
    assert done.returncode == 2
    pipe = lines_about(done.stdout, "pipe.py")
    assert len(pipe) == 1 and "TS003" in pipe[0] and "not a regular file (a FIFO)" in pipe[0]
    zero = lines_about(done.stdout, "/dev/zero")
    assert len(zero) == 1 and "a character device" in zero[0]
    assert lines_about(done.stdout, "bad.py")


def test_diff_of_a_missing_file_names_it(project: Path) -> None:
    result = run("check", "--diff", "--no-cache", "missing.py")
    assert result.exit_code == 2
    assert "missing.py: TS003 Cannot read file: no such file or directory" in result.output


def test_an_unreadable_file_on_the_command_line_is_ts003_and_the_rest_are_checked(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = read_regular

    def denied(path: str | os.PathLike[str]) -> bytes:
        if os.fspath(path).endswith("secret.py"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(api_check, "read_regular", denied)
    (project / "secret.py").write_text(BAD)
    (project / "bad.py").write_text(BAD)
    result = run("check", "--no-cache", "--no-source", "secret.py", "bad.py")
    assert result.exit_code == 2
    secret = lines_about(result.output, "secret.py")
    assert secret == ["secret.py: TS003 Cannot read file: Permission denied"]
    assert lines_about(result.output, "bad.py")


@pytest.mark.parametrize("args", [["check"], ["check", "--fix"], ["check", "--diff"]])
def test_a_symlink_loop_is_one_line_and_exit_2(project: Path, args: list[str]) -> None:
    (project / "loop.py").symlink_to("loop.py")
    done = run_process(*args, "--no-cache", "--no-source", "loop.py", cwd=project)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    output = done.stdout + done.stderr
    assert len(lines_about(output, "loop.py")) == 1
    assert "too many levels of symbolic links" in output


def test_valid_python_libcst_cannot_parse_is_not_called_invalid(project: Path) -> None:
    """A form feed before an indented line is valid Python (the tokenizer resets the column)
    that libcst's tokenizer refuses (found by the source fuzzer): the file is not checked,
    exit 2, and the one line says who refuses it instead of calling the file invalid."""
    source = "def f():\n    class A:\n\x0c         pass\n"
    compile(source, "ff.py", "exec")  # Python accepts it
    (project / "ff.py").write_text(source)
    result = run("check", "--no-source", "--no-cache", "ff.py")
    assert result.exit_code == 2
    [line] = lines_about(result.stdout, "ff.py")
    assert "TS001" in line and "Python accepts it, but libcst's parser refuses it" in line
    assert "not valid Python" not in line
