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
    for name in main.commands:
        assert f"## `tsinspect {name}`" in cli
