"""JSON output: a stable, documented schema (docs/json.md). Field names are Diagnostic's."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from tsinspect.diagnostics import Diagnostic, Edit, Fix
from tsinspect.render.names import valid_document

SCHEMA_VERSION = 1


def edit_to_dict(edit: Edit) -> dict[str, Any]:
    """An Edit as JSON: its span's four fields, flattened, and the replacement."""
    return {
        "line": edit.span.line,
        "column": edit.span.column,
        "end_line": edit.span.end_line,
        "end_column": edit.span.end_column,
        "replacement": edit.replacement,
    }


def fix_to_dict(fix: Fix | None) -> dict[str, Any] | None:
    """A Fix as JSON (``null`` when the finding has none)."""
    if fix is None:
        return None
    return {
        "hint": fix.hint,
        "applicable": fix.applicable,
        "edits": [edit_to_dict(e) for e in fix.edits],
    }


def diagnostic_to_dict(diagnostic: Diagnostic) -> dict[str, Any]:
    """One Diagnostic as a JSON object, keys in the documented order."""
    return {
        "code": diagnostic.code,
        "name": diagnostic.name,
        "message": diagnostic.message,
        "path": diagnostic.path,
        "line": diagnostic.line,
        "column": diagnostic.column,
        "end_line": diagnostic.end_line,
        "end_column": diagnostic.end_column,
        "severity": diagnostic.severity.value,
        "fix": fix_to_dict(diagnostic.fix),
        "reach": list(diagnostic.reach),
        "origin": (
            None
            if diagnostic.origin is None
            else {
                "path": diagnostic.origin.path,
                "line": diagnostic.origin.line,
                "column": diagnostic.origin.column,
            }
        ),
    }


def render_json(
    diagnostics: Sequence[Diagnostic],
    files_checked: int | None = None,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """The whole report: ``{"version", "files_checked", "summary", "diagnostics", ...extra}``."""
    counts: dict[str, int] = {}
    for diagnostic in diagnostics:
        counts[diagnostic.severity.value] = counts.get(diagnostic.severity.value, 0) + 1
    document: dict[str, Any] = {
        "version": SCHEMA_VERSION,
        "tool": "tsinspect",
        "files_checked": files_checked,
        "summary": {"total": len(diagnostics), "by_severity": dict(sorted(counts.items()))},
        "diagnostics": [diagnostic_to_dict(d) for d in diagnostics],
    }
    if extra:
        document.update(extra)
    return json.dumps(valid_document(document), indent=2, ensure_ascii=False) + "\n"


def render_statistics_json(diagnostics: Sequence[Diagnostic]) -> str:
    """``check --statistics --format json``: ``[{"code", "name", "count", "fixable"}]``,
    most frequent first (ruff's field names)."""
    from tsinspect.render.text import statistics

    rows = [
        {"code": code, "name": name, "count": count, "fixable": fixable}
        for code, name, count, fixable in statistics(diagnostics)
    ]
    return json.dumps(rows, indent=2) + "\n"
