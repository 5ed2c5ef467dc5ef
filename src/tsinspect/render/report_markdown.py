"""The report as GitHub-flavoured Markdown for a pull-request comment (jinja2, templates/report.md.j2).

Pure: a :class:`tsinspect.report.Report` in, text out. Free text is
backslash-escaped so a message can never turn into a link, emphasis or HTML;
code goes in backtick spans or fenced blocks whose fence is longer than any
backtick run inside; long sections sit in ``<details>`` blocks.
"""

from __future__ import annotations

import re
from functools import lru_cache

import jinja2

from tsinspect.render.units import human_bytes
from tsinspect.report import Report

# Characters that mean something to CommonMark/GFM inline parsing, or to HTML.
# ``_`` is left out: a run of underscores between letters or digits (``input__0``) never
# starts emphasis in CommonMark, so only the other runs are escaped, keeping names readable.
_SPECIAL = re.compile(r"([\\`*\[\]<>|#~!&])")
_UNDERSCORES = re.compile(r"(?<![0-9A-Za-z_])_+|_+(?![0-9A-Za-z_])")


_CODE_SPAN = re.compile(r"(`[^`\n]+`)")


def _escape(text: str) -> str:
    escaped = _SPECIAL.sub(r"\\\1", text)
    return _UNDERSCORES.sub(lambda match: "\\_" * len(match.group(0)), escaped)


def md_text(value: object) -> str:
    """Free text safe in a paragraph or a table cell: one line, Markdown and HTML characters escaped.

    Backtick spans (`` `x.device` ``) stay code spans; only their ``|`` is
    escaped, which GFM tables need even inside code.
    """
    parts = _CODE_SPAN.split(" ".join(str(value).split()))
    return "".join(
        part.replace("|", "\\|") if index % 2 else _escape(part) for index, part in enumerate(parts)
    )


def md_code(value: object) -> str:
    """An inline code span for a table cell or a paragraph (``|`` escaped, as GFM tables need)."""
    text = " ".join(str(value).split())
    if not text:
        return ""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}".replace("|", "\\|")


def md_fence(text: str, language: str = "text") -> str:
    """A fenced code block holding ``text`` verbatim, with a fence no backtick run inside can close."""
    longest = max((len(run) for run in re.findall(r"`{3,}", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text.rstrip(chr(10))}\n{fence}"


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("tsinspect", "render/templates"),
        autoescape=False,  # Markdown: escaping is md_text/md_code's job
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["md"] = md_text
    environment.filters["code"] = md_code
    environment.filters["fence"] = md_fence
    environment.filters["thousands"] = lambda value: f"{int(value):,}"
    environment.filters["size"] = human_bytes
    return environment


def render_report_markdown(report: Report) -> str:
    """The Markdown document of ``report``, ending with one newline."""
    template = _environment().get_template("report.md.j2")
    text = template.render(report=report)
    # Blocks are separated by exactly one blank line, whatever the template's conditionals left.
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"
