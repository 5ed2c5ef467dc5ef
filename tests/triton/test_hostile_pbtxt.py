"""Hostile config.pbtxt text: bad escapes and deep nesting are findings or one line, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tsinspect.cli import main
from tsinspect.errors import ConfigError
from tsinspect.triton.pbtxt import MAX_DEPTH, read_config

BAD_ESCAPE = 'name: "\\u12"\n'
DEEP = "input " + "{ input " * 5000 + "}" * 5000 + "\n"


def test_reader_names_the_line() -> None:
    with pytest.raises(ConfigError, match=r"line 1: bad escape in the string"):
        read_config(BAD_ESCAPE, "c.pbtxt")
    with pytest.raises(ConfigError, match=rf"nested deeper than {MAX_DEPTH} levels"):
        read_config(DEEP, "c.pbtxt")


@pytest.mark.parametrize("text", [BAD_ESCAPE, DEEP], ids=["bad-escape", "deep-braces"])
def test_validate_and_report(text: str, tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    model = tmp_path / "m.pt"
    torch.jit.script(torch.nn.Linear(2, 2).eval()).save(str(model))
    config = tmp_path / "config.pbtxt"
    config.write_text(text, encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["validate", str(model), str(config)], catch_exceptions=False)
    assert result.exit_code == 1
    assert "TS701" in result.stdout and "Traceback" not in result.output
    result = runner.invoke(
        main, ["report", str(model), "--config", str(config)], catch_exceptions=False
    )
    assert result.exit_code == 1
    assert "TS701" in result.stdout and "Traceback" not in result.output
