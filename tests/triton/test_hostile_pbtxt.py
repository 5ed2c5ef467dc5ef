"""Hostile config.pbtxt text: bad escapes and deep nesting are unreadable input (one line, exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tsinspect.cli import main
from tsinspect.errors import ConfigError
from tsinspect.triton.pbtxt import MAX_DEPTH, check_readable, read_config

BAD_ESCAPE = 'name: "\\u12"\n'
DEEP = "input " + "{ input " * 5000 + "}" * 5000 + "\n"
DEEP_ANGLE = "input " + "< input " * 5000 + ">" * 5000 + "\n"


def test_reader_names_the_line() -> None:
    with pytest.raises(ConfigError, match=r"line 1: bad escape in the string"):
        read_config(BAD_ESCAPE, "c.pbtxt")
    with pytest.raises(ConfigError, match=rf"nested deeper than {MAX_DEPTH} levels"):
        read_config(DEEP, "c.pbtxt")


def test_check_readable_refuses_only_what_cannot_be_read() -> None:
    for text, problem in ((BAD_ESCAPE, "bad escape"), (DEEP, "nested"), (DEEP_ANGLE, "nested")):
        with pytest.raises(ConfigError, match=problem) as caught:
            check_readable(text, "c.pbtxt")
        assert str(caught.value).startswith("c.pbtxt: line 1: ")
    # Mistakes in a readable config stay findings at their line (TS701), not unreadable input.
    for text in ('name: "m"\nnot_a_field: 3\n', 'input { name: "x"\n', "name: $\n"):
        check_readable(text, "c.pbtxt")
    check_readable("a {" * MAX_DEPTH + "}" * MAX_DEPTH, "c.pbtxt")


@pytest.mark.parametrize(
    ("text", "problem"),
    [(BAD_ESCAPE, "bad escape in the string"), (DEEP, "nested deeper than")],
    ids=["bad-escape", "deep-braces"],
)
def test_validate_and_report(text: str, problem: str, tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    model = tmp_path / "m.pt"
    torch.jit.script(torch.nn.Linear(2, 2).eval()).save(str(model))
    config = tmp_path / "config.pbtxt"
    config.write_text(text, encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["validate", str(model), str(config)], catch_exceptions=False)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and str(config) in lines[0] and problem in lines[0], result.stderr
    out = tmp_path / "report.md"
    result = runner.invoke(
        main,
        ["report", str(model), "--config", str(config), "-o", str(out)],
        catch_exceptions=False,
    )
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "could not be read" in lines[0], result.stderr
    written = out.read_text(encoding="utf-8")
    assert "unreadable-config" in written and problem in written and str(config) in written
