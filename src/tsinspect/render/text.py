"""Human-readable output in ruff's style: location, code, message, caret snippet, reach, hint."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from tsinspect.diagnostics import Diagnostic, Severity
from tsinspect.render.names import one_line


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def location(diagnostic: Diagnostic) -> str:
    """``path:line:col`` (just ``path`` for a finding about the whole file)."""
    path = one_line(diagnostic.path)
    if diagnostic.line <= 0:
        return path
    return f"{path}:{diagnostic.line}:{diagnostic.column}"


def _snippet(diagnostic: Diagnostic, text: str) -> list[str]:
    gutter = len(str(diagnostic.line))
    pad = " " * gutter
    start = max(diagnostic.column - 1, 0)
    if diagnostic.end_line == diagnostic.line and diagnostic.end_column > diagnostic.column:
        end = diagnostic.end_column - 1
    else:  # a multi-line node: underline to the end of its first line
        end = len(text.rstrip())
    carets = "^" * max(end - start, 1)
    return [
        f"{pad} |",
        f"{diagnostic.line} | {text.rstrip()}",
        f"{pad} | {' ' * start}{carets}",
        f"{pad} |",
    ]


def render_diagnostic(diagnostic: Diagnostic, source_line: str | None = None) -> str:
    """One finding: the header line, then the snippet, reach path and fix hint when known."""
    # `[*]` marks what `tsinspect check --fix` can rewrite, as ruff does.
    marker = " [*]" if diagnostic.fix is not None and diagnostic.fix.applicable else ""
    lines = [f"{location(diagnostic)}: {diagnostic.code}{marker} {one_line(diagnostic.message)}"]
    if source_line is not None and diagnostic.line > 0:
        lines.extend(_snippet(diagnostic, source_line))
    indent = " " * (len(str(diagnostic.line)) + 1) if diagnostic.line > 0 else "  "
    if diagnostic.reach:
        lines.append(f"{indent}= reached from: {diagnostic.reach_text}")
    if diagnostic.fix is not None and diagnostic.fix.hint:
        lines.append(f"{indent}= help: {diagnostic.fix.hint}")
    return "\n".join(lines)


def summary(diagnostics: Sequence[Diagnostic], files_checked: int | None = None) -> str:
    """The closing line: counts by severity and files, or "All checks passed!"."""
    checked = f" ({_plural(files_checked, 'file')} checked)" if files_checked is not None else ""
    if not diagnostics:
        return f"All checks passed!{checked}"
    by_severity = Counter(d.severity for d in diagnostics)
    parts = [
        _plural(by_severity[severity], severity.value)
        for severity in (Severity.ERROR, Severity.WARNING, Severity.INFO)
        if by_severity[severity]
    ]
    files = len({d.path for d in diagnostics})
    text = f"Found {', '.join(parts)} in {_plural(files, 'file')}{checked}."
    fixable = sum(1 for d in diagnostics if d.fix is not None and d.fix.applicable)
    if fixable:
        text += f"\n[*] {fixable} fixable with `tsinspect check --fix`."
    return text


def _fold_library_findings(diagnostics: Sequence[Diagnostic]) -> list[list[Diagnostic]]:
    """Findings in library code reached from one line, one group per rule: a subclass of a
    big library class can reach dozens of the same construct, and one of each is what a
    reader needs. The shortest compile path leads the group. Other findings stand alone."""
    groups: list[list[Diagnostic]] = []
    for diagnostic in diagnostics:
        previous = groups[-1][0] if groups else None
        if (
            diagnostic.origin is not None
            and previous is not None
            and previous.origin is not None
            and (previous.path, previous.line, previous.column, previous.code)
            == (diagnostic.path, diagnostic.line, diagnostic.column, diagnostic.code)
        ):
            groups[-1].append(diagnostic)
        else:
            groups.append([diagnostic])
    return [sorted(group, key=lambda d: len(d.reach)) for group in groups]


def render_text(
    diagnostics: Sequence[Diagnostic],
    source_lines: Mapping[str, Mapping[int, str]] | None = None,
    files_checked: int | None = None,
    show_source: bool = True,
    show_summary: bool = True,
) -> str:
    """Every finding in order, blank-line separated, then the summary line."""
    source_lines = source_lines or {}
    blocks = []
    for group in _fold_library_findings(diagnostics):
        diagnostic = group[0]
        line = source_lines.get(diagnostic.path, {}).get(diagnostic.line) if show_source else None
        block = render_diagnostic(diagnostic, line)
        if len(group) > 1:
            indent = " " * (len(str(diagnostic.line)) + 1) if diagnostic.line > 0 else "  "
            block += (
                f"\n{indent}= and {len(group) - 1} more like it in code outside the checked "
                "paths, reached from this line (--format json lists each)"
            )
        blocks.append(block)
    if show_summary:
        blocks.append(summary(diagnostics, files_checked))
    return "\n\n".join(blocks) + "\n" if blocks else ""


def statistics(diagnostics: Sequence[Diagnostic]) -> list[tuple[str, str, int, bool]]:
    """(code, name, count, fixable) per code, most frequent first, then by code."""
    counts = Counter(d.code for d in diagnostics)
    names = {d.code: d.name for d in diagnostics}
    fixable = {d.code for d in diagnostics if d.fix is not None and d.fix.applicable}
    return [
        (code, names[code], count, code in fixable)
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


def render_statistics(diagnostics: Sequence[Diagnostic]) -> str:
    """``check --statistics``, as ruff prints it: count, code, ``[*]`` when fixable, name."""
    rows = statistics(diagnostics)
    if not rows:
        return ""
    width = max(len(str(count)) for _, _, count, _ in rows)
    code_width = max(len(code) for code, _, _, _ in rows)
    return "".join(
        f"{count:>{width}}\t{code:<{code_width}}\t{'[*] ' if fixable else '[ ] '}{name}\n"
        for code, name, count, fixable in rows
    )


def render_fixes(applied: Mapping[str, Sequence[Diagnostic]]) -> str:
    """``check --fix --show-fixes``: what was fixed, per file and code, as ruff lists it."""
    total = sum(len(fixed) for fixed in applied.values())
    if not total:
        return ""
    lines = [f"Fixed {_plural(total, 'finding')}:"]
    for path in sorted(applied):
        if not applied[path]:
            continue
        lines.append(f"- {one_line(path)}:")
        for code, name, count, _ in sorted(statistics(applied[path])):
            lines.append(f"    {count} \u00d7 {code} ({name})")
    return "\n".join(lines) + "\n"
