"""GitHub Actions workflow commands: one ``::error``/``::warning``/``::notice`` line per finding."""

from __future__ import annotations

from collections.abc import Sequence

from tsinspect.diagnostics import Diagnostic, Severity
from tsinspect.render.names import valid_unicode

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    """Escape a message as GitHub's toolkit does (``%``, CR, LF)."""
    return valid_unicode(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value (also ``:`` and ``,``, which separate properties)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(diagnostics: Sequence[Diagnostic]) -> str:
    """``::error file=PATH,line=L,col=C,endLine=..,endColumn=..,title=TS101::message`` per finding."""
    lines = []
    for d in diagnostics:
        properties = [f"file={escape_property(d.path)}"]
        if d.line > 0:
            properties += [f"line={d.line}", f"col={d.column}"]
            if d.end_line >= d.line:
                properties += [f"endLine={d.end_line}", f"endColumn={d.end_column}"]
        properties.append(f"title={escape_property(f'{d.code} {d.name}')}")
        message = d.message
        if d.reach:
            message += f" (reached from {d.reach_text})"
        lines.append(f"::{_COMMAND[d.severity]} {','.join(properties)}::{escape_data(message)}")
    return "".join(line + "\n" for line in lines)
