"""The generated pages under docs/ match the code they are generated from.

When this fails, run ``python scripts/gen_docs.py`` and commit the result.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "tsinspect_gen_docs", ROOT / "scripts" / "gen_docs.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def pages() -> dict[Path, str]:
    """Every generated page, generated once for the module (linting every example takes seconds)."""
    generated: dict[Path, str] = _generator().generate()
    return generated


def test_generated_pages_are_current(pages: dict[Path, str]) -> None:
    stale = _generator().stale_pages(pages)
    assert not stale, "stale generated docs (run `python scripts/gen_docs.py`): " + ", ".join(stale)


def test_every_rule_and_command_has_its_place(pages: dict[Path, str]) -> None:
    from tsinspect.cli import main
    from tsinspect.lint.registry import all_rules

    index = pages[ROOT / "docs" / "rules" / "index.md"]
    for rule in all_rules():
        page = pages[ROOT / "docs" / "rules" / f"{rule.code}.md"]
        assert page.startswith(f"# {rule.code} {rule.name}\n")
        assert "## Autofix" in page
        # ruff's sections: a rule that fixes says how safe the fix is; every family cites sources
        assert ("## Fix safety" in page) == rule.fixable, rule.code
        if not rule.file_level:  # TS0xx: the tool's own input errors rest on no torch source
            assert "## References\n\n- `pytorch@v2.13.0:" in page, rule.code
        assert f"[{rule.code}]({rule.code}.md)" in index
    cli = pages[ROOT / "docs" / "cli.md"]
    for name in main.all_commands:
        assert f"## `tsinspect {name}`" in cli


def test_tsinspect_rules_and_docs_rules_list_the_same_codes() -> None:
    """Every code `tsinspect rules` prints has a page under docs/rules/ and a row in its index,
    and every page there is a code it prints (lint rules, archive and config codes alike)."""
    from click.testing import CliRunner

    from tsinspect.cli import main

    result = CliRunner().invoke(main, ["rules"])
    assert result.exit_code == 0, result.output
    listed = {line.split()[0] for line in result.output.splitlines() if line.strip()}
    assert {"TS001", "TS101", "TS601", "TS723"} <= listed
    rules = ROOT / "docs" / "rules"
    pages = {path.stem for path in rules.glob("TS*.md")}
    assert pages == listed
    index = (rules / "index.md").read_text(encoding="utf-8")
    assert all(f"[{code}]({code}.md)" in index for code in listed)


def test_archive_and_config_pages_cite_public_sources(pages: dict[Path, str]) -> None:
    """A TS6xx/TS7xx page says what the finding means for a deployment, how to fix it, and the
    public source it rests on (repository@commit:path:line, or a link)."""
    from tsinspect.api.catalogue import all_codes
    from tsinspect.code_pages import PAGES
    from tsinspect.codes import CODES

    assert set(PAGES) == set(CODES), "every TS6xx/TS7xx code needs its page in code_pages.py"
    table_codes = [entry for entry in all_codes() if entry.source != "lint"]
    assert len(table_codes) >= 32  # TS601-TS613 and TS700-TS723
    for entry in table_codes:
        page = pages[ROOT / "docs" / "rules" / f"{entry.code}.md"]
        for heading in ("## Why is this bad?", "## How to fix", "## References"):
            assert heading in page, (entry.code, heading)
        references = page.split("## References\n", 1)[1].splitlines()
        assert references and all(
            (line.startswith("- `") and "@" in line.split("`")[1]) or line.startswith("- [")
            for line in references
        ), entry.code
