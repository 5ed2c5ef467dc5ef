"""Where a report goes: its format (from ``--format`` or the ``-o`` suffix), its text, its file."""

from __future__ import annotations

import os
from pathlib import Path

from tsinspect.errors import InputError
from tsinspect.report import Report

#: ``-o`` suffix -> report format.
FORMAT_BY_SUFFIX: dict[str, str] = {
    ".html": "html",
    ".htm": "html",
    ".md": "markdown",
    ".markdown": "markdown",
}


FORMATS: tuple[str, ...] = ("html", "markdown")


def report_format(output: str | os.PathLike[str] | None, requested: str | None) -> str:
    """The format to write: ``requested`` if given, else from the ``-o`` suffix, else markdown.

    InputError when ``-o`` has a suffix that names no format and none was requested.
    """
    if requested is not None:
        if requested not in FORMATS:
            raise InputError(f"unknown report format {requested!r}: use html or markdown")
        return requested
    if output is None:
        return "markdown"
    suffix = Path(output).suffix.lower()
    if suffix not in FORMAT_BY_SUFFIX:
        raise InputError(
            f"cannot tell the report format from {os.fspath(output)!r}: name it .html, .htm or .md, "
            "or pass --format html|markdown"
        )
    return FORMAT_BY_SUFFIX[suffix]


def check_writable(output: str | os.PathLike[str], force: bool = False) -> Path:
    """Refuse (OverwriteError) an existing file unless ``force``; InputError for a folder or a missing parent."""
    from tsinspect.files import check_output

    return check_output(output, force)


def render_report(report: Report, output_format: str) -> str:
    """The report as ``html`` or ``markdown`` text."""
    if output_format == "html":
        from tsinspect.render.report_html import render_report_html

        return render_report_html(report)
    if output_format == "markdown":
        from tsinspect.render.report_markdown import render_report_markdown

        return render_report_markdown(report)
    raise InputError(f"unknown report format {output_format!r}: use html or markdown")


def write_report(text: str, output: str | os.PathLike[str], force: bool = False) -> Path:
    """Write the rendered report atomically (temporary file, then rename); never half a file.

    Refuses to replace an existing file unless ``force``, like ``tsinspect config -o``.
    """
    from tsinspect.files import write_output

    return write_output(output, text.encode("utf-8"), force=force)
