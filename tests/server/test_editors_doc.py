"""docs/editors.md stays runnable: every editor's set-up starts `tsinspect server`, its
snippets parse, its links resolve, and the command it starts is a real command."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from click.testing import CliRunner

from tsinspect.cli import main

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGE = DOCS / "editors.md"
FENCE = re.compile(r"^```(?P<language>[a-z]*)\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"\]\((?P<target>[^)#\s]+)(?:#[^)]*)?\)")


def _blocks(language: str) -> list[str]:
    text = PAGE.read_text(encoding="utf-8")
    return [m.group("body") for m in FENCE.finditer(text) if m.group("language") == language]


def test_vs_code_settings_start_the_server() -> None:
    (settings,) = [json.loads(block) for block in _blocks("json")]
    assert [settings["glspc.server.command"], *settings["glspc.server.commandArguments"]] == [
        "tsinspect",
        "server",
    ]
    assert settings["glspc.server.languageId"] == ["python"]


def test_helix_languages_toml_starts_the_server() -> None:
    (block,) = _blocks("toml")
    config = tomllib.loads(block)
    server = config["language-server"]["tsinspect"]
    assert [server["command"], *server["args"]] == ["tsinspect", "server"]
    (python,) = config["language"]
    assert python["name"] == "python" and "tsinspect" in python["language-servers"]


def test_neovim_configs_start_the_server() -> None:
    blocks = _blocks("lua")
    assert len(blocks) == 2  # 0.11+ (vim.lsp.config) and 0.10 (vim.lsp.start)
    for block in blocks:
        assert 'cmd = { "tsinspect", "server" }' in block
        assert block.count("(") == block.count(")") and block.count("{") == block.count("}")
    assert 'vim.lsp.enable("tsinspect")' in blocks[0]
    assert "vim.lsp.start(" in blocks[1]


def test_the_documented_command_exists() -> None:
    result = CliRunner().invoke(main, ["server", "--help"])
    assert result.exit_code == 0, result.output
    assert "language server" in result.output


def test_links_resolve() -> None:
    for match in LINK.finditer(PAGE.read_text(encoding="utf-8")):
        target = match.group("target")
        if "://" not in target:
            assert (PAGE.parent / target).resolve().is_file(), f"broken link {target}"
