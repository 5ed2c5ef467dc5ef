"""SARIF 2.1.0, as GitHub code scanning accepts it (``github/codeql-action/upload-sarif``).

Rule metadata arrives as plain records (:class:`SarifRule`), so this renderer imports neither
the lint registry nor the model side: both feed it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from tsinspect.diagnostics import Diagnostic, Severity
from tsinspect.render.names import valid_document

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
INFORMATION_URI = "https://github.com/tsinspect/tsinspect"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


@dataclass(frozen=True)
class SarifRule:
    """What SARIF's ``tool.driver.rules`` needs to know about one rule."""

    code: str
    name: str
    short_description: str
    help_text: str
    help_markdown: str
    severity: Severity = Severity.ERROR


def artifact_uri(path: str, base: str | None = None) -> str:
    """A relative, forward-slash URI for ``path`` (relative to ``base``, default the cwd)."""
    base = base or os.getcwd()
    absolute = os.path.abspath(path)
    try:
        relative = os.path.relpath(absolute, os.path.abspath(base))
    except ValueError:
        relative = absolute
    if relative.startswith(".."):
        # Outside the base: an absolute file URI (SARIF wants a URI, not a bare path).
        return Path(absolute).as_uri()
    return PurePath(relative).as_posix()


def _artifact(path: str, base: str | None) -> dict[str, str]:
    uri = artifact_uri(path, base)
    if uri.startswith("file:"):
        return {"uri": uri}
    return {"uri": uri, "uriBaseId": "%SRCROOT%"}


def _rule_entry(rule: SarifRule) -> dict[str, Any]:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.short_description},
        "fullDescription": {"text": rule.short_description},
        "help": {"text": rule.help_text, "markdown": rule.help_markdown},
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {"tags": ["torchscript"]},
    }


def _result(diagnostic: Diagnostic, index: int | None, base: str | None) -> dict[str, Any]:
    # GitHub rejects regions with line 0: a finding about the whole file points at line 1.
    line = max(diagnostic.line, 1)
    column = max(diagnostic.column, 1)
    end_line = max(diagnostic.end_line, line)
    end_column = diagnostic.end_column if diagnostic.end_column >= 1 else column
    if end_line == line:
        end_column = max(end_column, column)
    # SARIF's endColumn is exclusive, like ours.
    region = {
        "startLine": line,
        "startColumn": column,
        "endLine": end_line,
        "endColumn": end_column,
    }
    result: dict[str, Any] = {
        "ruleId": diagnostic.code,
        "level": _LEVEL[diagnostic.severity],
        "message": {
            "text": diagnostic.message
            + (f" (reached from {diagnostic.reach_text})" if diagnostic.reach else "")
        },
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _artifact(diagnostic.path, base),
                    "region": region,
                }
            }
        ],
    }
    if diagnostic.origin is not None:
        # The construct itself, in code outside the checked paths (SARIF 2.1.0 3.27.22).
        result["relatedLocations"] = [
            {
                "id": 0,
                "message": {"text": "the construct TorchScript rejects"},
                "physicalLocation": {
                    "artifactLocation": _artifact(diagnostic.origin.path, base),
                    "region": {
                        "startLine": max(diagnostic.origin.line, 1),
                        "startColumn": max(diagnostic.origin.column, 1),
                    },
                },
            }
        ]
    if index is not None:
        result["ruleIndex"] = index
    if diagnostic.fix is not None and diagnostic.fix.hint:
        result["properties"] = {"fixHint": diagnostic.fix.hint}
    return result


def render_sarif(
    diagnostics: Sequence[Diagnostic],
    rules: Sequence[SarifRule],
    tool_version: str,
    base: str | None = None,
) -> str:
    """One SARIF run: every rule in ``rules`` plus every diagnostic as a result."""
    entries = sorted({rule.code: rule for rule in rules}.values(), key=lambda r: r.code)
    index = {rule.code: i for i, rule in enumerate(entries)}
    document = {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "tsinspect",
                        "version": tool_version,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule_entry(rule) for rule in entries],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": [_result(d, index.get(d.code), base) for d in diagnostics],
            }
        ],
    }
    return json.dumps(valid_document(document), indent=2, ensure_ascii=False) + "\n"
