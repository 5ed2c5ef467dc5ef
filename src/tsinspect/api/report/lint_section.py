"""The lint section of a report: ``tsinspect check`` on the model's sources, grouped by
module and rule, and one verdict line per rule."""

from __future__ import annotations

from tsinspect.api.report.collected import Collected, ProgressCallback
from tsinspect.diagnostics import Diagnostic, Severity
from tsinspect.report import LintFinding, LintSection, ModuleGroup, Reason, RuleGroup, SnippetLine
from tsinspect.settings import Settings


def _snippet(diagnostic: Diagnostic, text: str | None) -> tuple[SnippetLine, ...]:
    if text is None or diagnostic.line <= 0:
        return ()
    line = text.rstrip("\r\n")
    start = max(diagnostic.column - 1, 0)
    if diagnostic.end_line == diagnostic.line and diagnostic.end_column > diagnostic.column:
        end = diagnostic.end_column - 1
    else:  # a multi-line node: mark to the end of its first line
        end = len(line.rstrip())
    return (SnippetLine(diagnostic.line, line, start, max(end, start + 1)),)


def lint_section(
    sources: list[str], settings: Settings | None, collected: Collected, step: ProgressCallback
) -> LintSection:
    """``tsinspect check`` on ``sources``, grouped by module and rule; one verdict reason per
    rule, and unreadable sources as input reasons. Not run when no source was given."""
    if not sources:
        return LintSection(ran=False)
    from tsinspect.api.check import check_paths

    step(f"linting {', '.join(sources)}")
    result = check_paths(sources, settings=settings)
    for error in result.input_errors:
        collected.add(
            Reason(
                Severity.ERROR,
                "input",
                error.code,
                error.name,
                error.message,
                error.path,
                error.fix.hint if error.fix else "",
            )
        )
    by_module: dict[str, dict[str, list[LintFinding]]] = {}
    for diagnostic in result.findings:
        lines = result.source_lines.get(diagnostic.path, {})
        entry = LintFinding(diagnostic, _snippet(diagnostic, lines.get(diagnostic.line)))
        by_module.setdefault(diagnostic.path, {}).setdefault(diagnostic.code, []).append(entry)
    modules = []
    for path in sorted(by_module):
        groups = []
        for code in sorted(by_module[path]):
            entries = by_module[path][code]
            first = entries[0].diagnostic
            groups.append(RuleGroup(code, first.name, first.severity, tuple(entries)))
        modules.append(ModuleGroup(path, tuple(groups)))
    # The verdict names each rule once: how many findings, where the first one is.
    by_code: dict[str, list[Diagnostic]] = {}
    for diagnostic in result.findings:
        by_code.setdefault(diagnostic.code, []).append(diagnostic)
    for code, diagnostics in sorted(by_code.items()):
        first = diagnostics[0]
        if first.severity is Severity.INFO:
            continue
        files = len({d.path for d in diagnostics})
        count = (
            f"{len(diagnostics)} findings in {files} file{'s' if files != 1 else ''}; first: "
            if len(diagnostics) > 1
            else ""
        )
        collected.add(
            Reason(
                first.severity,
                "lint",
                code,
                first.name,
                count + first.message,
                LintFinding(first).location,
                first.fix.hint if first.fix else "",
            )
        )
    return LintSection(
        ran=True,
        targets=tuple(sources),
        files_checked=result.files_checked,
        modules=tuple(modules),
        input_errors=result.input_errors,
    )
