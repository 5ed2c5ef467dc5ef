"""tsinspect's records as LSP's: diagnostics, ranges, edits.

tsinspect's spans are 1-based lines and columns counted in characters (code points), end
exclusive; LSP's are 0-based lines and columns counted in the encoding the client chose
(UTF-16 unless it negotiated otherwise): pygls's position codec converts the columns.
"""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types
from pygls.uris import from_fs_path
from pygls.workspace import TextDocument

from tsinspect.diagnostics import Diagnostic, Edit, Severity, Span
from tsinspect.render.rule_pages import rule_page_url

SOURCE = "tsinspect"
_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}


def to_range(document: TextDocument, span: Span) -> types.Range:
    """A tsinspect span (1-based, in characters) as an LSP range in the client's units."""
    line = max(span.line - 1, 0)
    column = max(span.column - 1, 0)
    end_line = max(span.end_line - 1, line)
    end_column = max(span.end_column - 1, 0)
    if (end_line, end_column) < (line, column):
        end_line, end_column = line, column
    server_range = types.Range(
        start=types.Position(line=line, character=column),
        end=types.Position(line=end_line, character=end_column),
    )
    return document.position_codec.range_to_client_units(document.lines, server_range)


def diagnostic_span(diagnostic: Diagnostic, lines: Sequence[str]) -> Span:
    """Where the editor underlines a finding: its span; the rest of the line for a finding
    at a point (one reported at a checked line for code elsewhere); the first line for a
    finding about the file itself (no position)."""
    if diagnostic.line <= 0:
        return Span(1, 1, 1, 1)
    end_line = diagnostic.end_line or diagnostic.line
    end_column = diagnostic.end_column or diagnostic.column
    if (end_line, end_column) <= (diagnostic.line, diagnostic.column):
        # A point (a finding reported at a checked line for code elsewhere): the line's start.
        text = lines[diagnostic.line - 1] if diagnostic.line <= len(lines) else ""
        end = len(text.rstrip("\r\n")) + 1
        column = min(max(diagnostic.column, 1), end)
        return Span(diagnostic.line, column, diagnostic.line, end)
    return Span(diagnostic.line, max(diagnostic.column, 1), end_line, end_column)


def to_lsp(document: TextDocument, diagnostic: Diagnostic) -> types.Diagnostic:
    """One finding as the editor shows it: code, severity, link to the rule's page, and the
    compile path (and the library location) as related information."""
    span = diagnostic_span(diagnostic, document.lines)
    related: list[types.DiagnosticRelatedInformation] = []
    location = types.Location(uri=document.uri, range=to_range(document, span))
    if diagnostic.reach:
        related.append(
            types.DiagnosticRelatedInformation(
                location=location, message=f"compiled via {diagnostic.reach_text}"
            )
        )
    if diagnostic.origin is not None:
        origin = diagnostic.origin
        at = types.Position(line=max(origin.line - 1, 0), character=max(origin.column - 1, 0))
        related.append(
            types.DiagnosticRelatedInformation(
                location=types.Location(
                    uri=from_fs_path(origin.path) or origin.path, range=types.Range(at, at)
                ),
                message="the construct TorchScript rejects",
            )
        )
    message = diagnostic.message
    if diagnostic.fix is not None and diagnostic.fix.hint:
        message = f"{message}\nhelp: {diagnostic.fix.hint}"
    return types.Diagnostic(
        range=location.range,
        message=message,
        severity=_SEVERITY.get(diagnostic.severity, types.DiagnosticSeverity.Error),
        code=diagnostic.code,
        code_description=types.CodeDescription(href=rule_page_url(diagnostic.code)),
        source=SOURCE,
        related_information=related or None,
        data={"name": diagnostic.name},
    )


def to_text_edits(document: TextDocument, edits: Sequence[Edit]) -> list[types.TextEdit]:
    """A fix's edits as LSP text edits on ``document``."""
    return [
        types.TextEdit(range=to_range(document, edit.span), new_text=edit.replacement)
        for edit in edits
    ]


def from_position(document: TextDocument, position: types.Position) -> tuple[int, int]:
    """An LSP position as tsinspect's 1-based line and 0-based character column."""
    server = document.position_codec.position_from_client_units(document.lines, position)
    return server.line + 1, server.character
