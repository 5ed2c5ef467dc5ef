"""The report as one self-contained HTML page (jinja2, templates/report.html.j2).

Pure: a :class:`tsinspect.report.Report` in, text out. Autoescape is on for
every value; the only markup taken as-is is the picture's ``<svg>``, which
``build_report`` has already sanitized (``sanitize_svg``). No external
scripts, fonts or stylesheets: the page reads offline and prints.
"""

from __future__ import annotations

import re
from functools import lru_cache

import jinja2
from markupsafe import Markup, escape

from tsinspect.render.units import human_bytes
from tsinspect.report import Report

_CODE_SPAN = re.compile(r"`([^`\n]+)`")


def rich_text(value: object) -> Markup:
    """Escaped text whose backtick spans (`` `x.device` ``) become ``<code>`` elements.

    Escaping comes first, so the only markup in the result is the ``<code>``
    tags added here.
    """
    return Markup(_CODE_SPAN.sub(r"<code>\1</code>", str(escape(str(value)))))


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("tsinspect", "render/templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["thousands"] = lambda value: f"{int(value):,}"
    environment.filters["size"] = human_bytes
    environment.filters["rich"] = rich_text
    environment.globals["trusted_svg"] = Markup
    return environment


def render_report_html(report: Report) -> str:
    """The HTML document of ``report``, ending with one newline."""
    template = _environment().get_template("report.html.j2")
    return template.render(report=report).rstrip("\n") + "\n"
