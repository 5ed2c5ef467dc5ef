"""SARIF 2.1.0, as GitHub code scanning accepts it (``github/codeql-action/upload-sarif``).

Rule metadata arrives as plain records (:class:`SarifRule`), so this renderer imports neither
the lint registry nor the model side: both feed it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import quote

from tsinspect.diagnostics import Diagnostic, Severity
from tsinspect.render.names import valid_document
from tsinspect.render.rule_pages import rule_page_url

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
INFORMATION_URI = "https://github.com/tsinspect/tsinspect"
#: Our key in ``partialFingerprints``. Not ``primaryLocationLineHash``: GitHub's upload
#: action computes that one itself from the file and warns when a tool sent another value.
FINGERPRINT_KEY = "tsinspectLineHash/v1"
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
    help_uri: str | None = None


@dataclass(frozen=True)
class SarifInvocation:
    """How the run went, for SARIF's ``invocations``: the exit code, whether the tool could
    do its job (unreadable inputs make it unsuccessful; findings do not), and the notes it
    printed (a cache that could not be written)."""

    exit_code: int
    input_errors: int = 0
    notes: tuple[str, ...] = ()


def rule_help_uri(code: str) -> str:
    """The page of ``code`` in the documentation (``docs/rules/<code>.md``): code scanning
    links each alert to it."""
    return rule_page_url(code)


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
    # A URI reference: "my model.py" is "my%20model.py" and "a,b.py" is "a%2Cb.py"
    # (RFC 3986; only unreserved characters and the "/" separators stay as they are). The
    # path's own bytes are encoded, so a name that is not UTF-8 ("bad\xff.py") is bad%FF.py.
    return quote(os.fsencode(PurePath(relative).as_posix()), safe="/")


def _artifact(path: str, base: str | None) -> dict[str, str]:
    uri = artifact_uri(path, base)
    if uri.startswith("file:"):
        return {"uri": uri}
    return {"uri": uri, "uriBaseId": "%SRCROOT%"}


def _rule_entry(rule: SarifRule) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.short_description},
        "fullDescription": {"text": rule.short_description},
        "help": {"text": rule.help_text, "markdown": rule.help_markdown},
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {"tags": ["torchscript"]},
    }
    if rule.help_uri:
        entry["helpUri"] = rule.help_uri
    return entry


def line_hash(code: str, uri: str, line_text: str) -> str:
    """The stable part of a fingerprint: the code, the file and the reported line's text
    with its whitespace normalized, so moving the line (or re-indenting it) keeps it."""
    normalized = " ".join(line_text.split())
    digest = hashlib.sha256(f"{code}\0{uri}\0{normalized}".encode()).hexdigest()
    return digest[:16]


def _fingerprints(
    diagnostics: Sequence[Diagnostic],
    source_lines: Mapping[str, Mapping[int, str]],
    base: str | None,
) -> list[str]:
    """``hash:occurrence`` per diagnostic, as GitHub writes its own: the same code on two
    identical lines of a file gets :1 and :2 in file order."""
    seen: dict[str, int] = {}
    fingerprints = []
    for diagnostic in diagnostics:
        text = source_lines.get(diagnostic.path, {}).get(diagnostic.line)
        if text is None:  # no line (a file that cannot be read): the message stands in
            text = diagnostic.message
        digest = line_hash(diagnostic.code, artifact_uri(diagnostic.path, base), text)
        seen[digest] = seen.get(digest, 0) + 1
        fingerprints.append(f"{digest}:{seen[digest]}")
    return fingerprints


def _invocation(invocation: SarifInvocation) -> dict[str, Any]:
    record: dict[str, Any] = {
        "executionSuccessful": invocation.input_errors == 0 and invocation.exit_code in (0, 1),
        "exitCode": invocation.exit_code,
    }
    if invocation.notes:
        record["toolExecutionNotifications"] = [
            {"level": "warning", "message": {"text": note}} for note in invocation.notes
        ]
    return record


def _result(
    diagnostic: Diagnostic, index: int | None, base: str | None, fingerprint: str
) -> dict[str, Any]:
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
    result["partialFingerprints"] = {FINGERPRINT_KEY: fingerprint}
    if diagnostic.fix is not None and diagnostic.fix.hint:
        result["properties"] = {"fixHint": diagnostic.fix.hint}
    return result


def render_sarif(
    diagnostics: Sequence[Diagnostic],
    rules: Sequence[SarifRule],
    tool_version: str,
    base: str | None = None,
    *,
    source_lines: Mapping[str, Mapping[int, str]] | None = None,
    invocation: SarifInvocation | None = None,
) -> str:
    """One SARIF run: every rule in ``rules`` plus every diagnostic as a result.

    ``source_lines`` (path -> line -> text, as ``CheckResult`` holds them) feed each
    result's fingerprint; ``invocation``: the run's exit code and notes.
    """
    entries = sorted({rule.code: rule for rule in rules}.values(), key=lambda r: r.code)
    index = {rule.code: i for i, rule in enumerate(entries)}
    fingerprints = _fingerprints(diagnostics, source_lines or {}, base)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "tsinspect",
                "version": tool_version,
                "informationUri": INFORMATION_URI,
                "rules": [_rule_entry(rule) for rule in entries],
            }
        },
        "columnKind": "unicodeCodePoints",
        "results": [
            _result(d, index.get(d.code), base, fingerprint)
            for d, fingerprint in zip(diagnostics, fingerprints, strict=True)
        ],
    }
    if invocation is not None:
        run["invocations"] = [_invocation(invocation)]
    document = {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}
    return json.dumps(valid_document(document), indent=2, ensure_ascii=False) + "\n"
