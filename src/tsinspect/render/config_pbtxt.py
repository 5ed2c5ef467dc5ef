"""Render a ``triton.config.ModelConfig`` as config.pbtxt text (jinja2, templates/config.pbtxt.j2).

A pure function: records in, text out. Provenance of inferred values becomes
``#`` comments, which protobuf's text format and tritonserver both ignore.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from functools import lru_cache

import jinja2

from tsinspect.diagnostics import Diagnostic
from tsinspect.triton.config import ModelConfig


def pb_string(value: object) -> str:
    """A protobuf text-format string literal: double quotes, backslash escapes, ASCII only."""
    text = str(value)
    escaped = []
    for char in text:
        if char in ('"', "\\"):
            escaped.append("\\" + char)
        elif char == "\n":
            escaped.append("\\n")
        elif ord(char) < 0x20 or ord(char) > 0x7E:
            escaped.extend(f"\\{byte:03o}" for byte in char.encode("utf-8"))
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


def pb_list(values: tuple[int, ...] | list[int]) -> str:
    """A text-format list of numbers: ``[ 1, 28, 28 ]``, or ``[ ]`` when empty."""
    return (
        "[ "
        + "".join(f"{value}, " for value in values).removesuffix(", ")
        + (" ]" if values else "]")
    )


def _comment_safe(value: object) -> str:
    # A newline inside a provenance detail would end the comment and corrupt the file.
    return " ".join(str(value).split())


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("tsinspect", "render/templates"),
        autoescape=False,  # protobuf text, not HTML; strings are escaped by pb_string
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
    )
    environment.filters["pbstring"] = pb_string
    environment.filters["pblist"] = pb_list
    environment.finalize = _comment_safe
    return environment


def render_config(config: ModelConfig) -> str:
    """The config.pbtxt text for ``config``, ending with one newline."""
    template = _environment().get_template("config.pbtxt.j2")
    return template.render(config=config).strip("\n") + "\n"


def findings_text(diagnostics: Sequence[Diagnostic]) -> str:
    """TS7xx findings as text, one per line (``path:line: CODE name: message``) with the fix below."""
    lines = []
    for diagnostic in diagnostics:
        where = f"{diagnostic.path}:{diagnostic.line}" if diagnostic.line else diagnostic.path
        lines.append(
            f"{where}: {diagnostic.code} [{diagnostic.severity.value}] {diagnostic.name}: {diagnostic.message}"
        )
        if diagnostic.fix is not None:
            lines.append(f"  fix: {diagnostic.fix.hint}")
    return "".join(line + "\n" for line in lines)


def findings_json(diagnostics: Sequence[Diagnostic], schema_checked: bool) -> str:
    """Findings of ``validate`` as JSON: ``{"schema_checked": bool, "diagnostics": [...]}``."""
    records = []
    for diagnostic in diagnostics:
        record = asdict(diagnostic)
        record["severity"] = diagnostic.severity.value
        record["fix"] = {"hint": diagnostic.fix.hint} if diagnostic.fix is not None else None
        record["reach"] = list(diagnostic.reach)
        records.append(record)
    return json.dumps(
        {"schema_checked": schema_checked, "diagnostics": records}, indent=2, sort_keys=True
    )
