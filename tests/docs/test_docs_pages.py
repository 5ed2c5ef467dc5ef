"""The page renderers behind scripts/gen_docs.py (scripts/docs_pages.py)."""

from __future__ import annotations

import click
from docs_pages import (
    ApiEntry,
    ExampleDoc,
    RuleDoc,
    api_reference,
    cli_reference,
    rule_page,
    rules_index,
)


def _rule(autofix: bool) -> RuleDoc:
    return RuleDoc(
        code="TS999",
        name="demo-rule",
        message="demo | message",
        severity="error",
        page="# TS999 demo-rule\n\nMessage: demo\n\n## What it does\nDemo.\n",
        autofix=autofix,
        fix_diff="--- a/example.py\n+++ b/example.py\n@@ -1 +1 @@\n-a\n+b\n" if autofix else "",
        invalid=(ExampleDoc("x = ```\n", "fenced", "script", 3),),
        valid=(ExampleDoc("y = 1\n"),),
        references=("`repo@v1:path.py`: what it holds",),
    )


def test_rule_page_states_whether_it_is_fixed_automatically() -> None:
    fixable = rule_page(_rule(True))
    assert fixable.startswith("# TS999 demo-rule\n\n<!-- Generated")
    assert (
        "Available: `tsinspect check --fix`" in fixable and "```diff\n--- a/example.py" in fixable
    )
    manual = rule_page(_rule(False))
    assert "None. The right rewrite depends on what the code means" in manual
    assert "```diff" not in manual
    assert manual.endswith("## References\n\n- `repo@v1:path.py`: what it holds\n")


def test_examples_are_fenced_safely_and_described() -> None:
    page = rule_page(_rule(False))
    # The example holds ``` itself: its fence must be longer.
    assert (
        "Invalid 1 (fenced): torch fails at `script`, flagged at line 3.\n\n````python\nx = ```\n````"
        in page
    )
    assert "Valid 1: scripts, saves, reloads and matches eager; not flagged." in page


def test_rules_index_escapes_table_cells_and_marks_fixable_rules() -> None:
    index = rules_index([_rule(True)])
    assert "| [TS999](TS999.md) | `demo-rule` | demo \\| message | error | yes |" in index


def test_cli_reference_lists_commands_options_and_defaults() -> None:
    @click.group(context_settings={"help_option_names": ["-h", "--help"]})
    def tool() -> None:
        """A tool."""

    @tool.command()
    @click.argument("paths", nargs=-1)
    @click.option(
        "--format",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help="Output format.",
    )
    def scan(paths: tuple[str, ...], format: str) -> None:
        """Scan PATHS.

        \b
        Exit codes: 0 clean.
        """

    page = cli_reference(tool, prog="tool")
    assert "| [`scan`](#tool-scan) | Scan PATHS. |" in page
    assert "## `tool scan`\n\nScan PATHS.\n\nExit codes: 0 clean.\n" in page
    assert "tool scan [OPTIONS] [PATHS]..." in page
    assert "| `--format [text\\|json]` | Output format. [default: text] |" in page
    assert "| `-h, --help` | Show this message and exit. |" in page


def test_api_reference_groups_names_and_turns_sphinx_roles_into_code() -> None:
    entries = [
        ApiEntry(
            "check_source",
            "function",
            "tsinspect.api.check",
            "check_source(source: str) -> list[Diagnostic]",
            "Lint one module; see :class:`~tsinspect.settings.Settings`.",
        ),
        ApiEntry("InputError", "exception", "tsinspect.errors", "", "Bad input."),
    ]
    page = api_reference(entries)
    assert page.index("## Lint source code") < page.index("## Errors")
    assert "see `tsinspect.settings.Settings`." in page
    assert "```python\ncheck_source(source: str) -> list[Diagnostic]\n```" in page
