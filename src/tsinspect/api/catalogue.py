"""One code space: every finding tsinspect can report, whichever side reports it.

Lint rules (TS0xx-TS5xx) are classes with full documentation pages; archive
findings (TS6xx, ``tsinspect graph``) and Triton config findings (TS7xx,
``tsinspect config``/``validate``) are rows of their packages' code tables.
``tsinspect rules`` lists them all and ``tsinspect rule CODE`` prints any of
them. Nothing here imports torch: the tables are plain data.
"""

from __future__ import annotations

from dataclasses import dataclass

from tsinspect.code_pages import PAGES
from tsinspect.codes import ARCHIVE_CODES, CONFIG_CODES
from tsinspect.diagnostics import Severity
from tsinspect.errors import InputError
from tsinspect.lint.registry import all_rules

#: Who reports each kind of code, for the pages of the table-defined codes.
_REPORTED_BY = {
    "archive": "`tsinspect graph` (and `tsinspect report`), from the TorchScript archive; see docs/graph.md",
    "config": "`tsinspect config` and `tsinspect validate` (and `tsinspect report`); see docs/triton.md",
}


@dataclass(frozen=True)
class CodeEntry:
    """One code of the catalogue. ``source`` is ``lint``, ``archive`` or ``config``."""

    code: str
    name: str
    severity: Severity
    summary: str
    source: str
    page: str


def all_codes() -> list[CodeEntry]:
    """Every code tsinspect reports, sorted by code."""
    entries = [
        CodeEntry(rule.code, rule.name, rule.severity, rule.message, "lint", rule.documentation())
        for rule in all_rules()
    ]
    for source, table in (("archive", ARCHIVE_CODES), ("config", CONFIG_CODES)):
        for code, (name, severity, summary) in table.items():
            entries.append(
                CodeEntry(
                    code,
                    name,
                    severity,
                    summary,
                    source,
                    _table_page(code, name, severity, summary, source),
                )
            )
    return sorted(entries, key=lambda entry: entry.code)


def code_entry(code_or_name: str) -> CodeEntry:
    """One entry by code (``TS601``, any case) or kebab-case name; InputError if unknown."""
    key = code_or_name.strip()
    for entry in all_codes():
        if entry.code == key.upper() or entry.name == key.lower():
            return entry
    raise InputError(f"unknown code {code_or_name!r}; run `tsinspect rules` to list them")


def _table_page(code: str, name: str, severity: Severity, summary: str, source: str) -> str:
    """A TS6xx/TS7xx page, in the shape of a lint rule's: what it means for a deployment, how
    to fix it, who reports it, and the public sources it rests on (:mod:`tsinspect.code_pages`)."""
    head = (
        f"# {code} {name}\n\n"
        f"Severity: {severity.value}\n\n"
        f"## What it means\n{summary[:1].upper()}{summary[1:]}.\n\n"
    )
    reported_by = f"## Reported by\n{_REPORTED_BY[source]}.\n"
    page = PAGES.get(code)
    if page is None:  # a code added without its page: tests/docs fails, users still get this
        return head + reported_by
    references = "".join(f"- {reference}\n" for reference in page.sources)
    return (
        f"{head}## Why is this bad?\n{page.deployment}\n\n## How to fix\n{page.fix}\n\n"
        f"{reported_by}\n## References\n{references}"
    )
