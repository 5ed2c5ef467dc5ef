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
    monkeypatch.setattr(engine, "parser_refusal", lambda text, path: None)
    _folder_with_a_bomb(project)
    result = run("check", "--no-source", "--no-cache", "-j", "2", ".")
    assert result.exit_code == 2
    bomb = lines_about(result.output, "bomb.py")
    assert len(bomb) == 1 and "the parser crashed on this file" in bomb[0], result.output
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
    assert len(lines_about(result.output, "bomb.py")) == 1
    assert sum(len(lines_about(result.output, f"m{i:02}.py")) for i in range(12)) == 12
