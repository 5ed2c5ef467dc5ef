"""Code actions: the fixes of ``check --fix``, a ``# noqa`` for one finding, the rule's page.

Every edit is computed on the text the findings were made from; the protocol layer offers
them only while the editor's buffer is still that text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from lsprotocol import types
from pygls.workspace import TextDocument

from tsinspect.diagnostics import Diagnostic, Edit, Span
from tsinspect.lint.engine import NOQA, source_lines
from tsinspect.lint.fix import fix_text
from tsinspect.server.convert import diagnostic_span, to_lsp, to_range, to_text_edits

SHOW_RULE_PAGE = "tsinspect.showRulePage"
FIX_ALL_KIND = f"{types.CodeActionKind.SourceFixAll.value}.tsinspect"
# A noqa comment that ends the line, with or without codes (the codes group is NOQA's own).
_TRAILING_NOQA = re.compile(NOQA.pattern + r"\s*$", re.IGNORECASE)


def _overlaps(first: types.Range, second: types.Range) -> bool:
    start1, end1 = (first.start.line, first.start.character), (first.end.line, first.end.character)
    start2, end2 = (
        (second.start.line, second.start.character),
        (second.end.line, second.end.character),
    )
    return start1 <= end2 and start2 <= end1


def code_actions(
    document: TextDocument,
    diagnostics: Sequence[Diagnostic],
    wanted: types.Range,
    fix_all: Callable[[str], str] | None,
    only: Sequence[str] | None = None,
) -> list[types.CodeAction | types.Command]:
    """The actions for the findings under ``wanted``: each one's fix, a ``# noqa`` for it, its
    rule's page; and "fix all" (what ``check --fix`` does to the file) when ``fix_all`` is
    given and anything in the file is fixable."""
    actions: list[types.CodeAction | types.Command] = []
    quick = only is None or any(k.startswith(types.CodeActionKind.QuickFix.value) for k in only)
    for diagnostic in diagnostics:
        shown = to_lsp(document, diagnostic)
        if not quick or not _overlaps(shown.range, wanted):
            continue
        fix = diagnostic.fix
        if fix is not None and fix.edits and diagnostic.origin is None:
            actions.append(
                types.CodeAction(
                    title=f"Fix {diagnostic.code}: {fix.hint}",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[shown],
                    is_preferred=True,
                    edit=types.WorkspaceEdit(
                        changes={document.uri: to_text_edits(document, fix.edits)}
                    ),
                )
            )
        noqa = noqa_edit(document.source, diagnostic)
        if noqa is not None:
            actions.append(
                types.CodeAction(
                    title=f"Suppress {diagnostic.code} on this line (# noqa: {diagnostic.code})",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[shown],
                    edit=types.WorkspaceEdit(
                        changes={document.uri: to_text_edits(document, [noqa])}
                    ),
                )
            )
        # A bare Command, not a CodeAction carrying one: lsprotocol's converter reads a
        # CodeAction with a `command` as a Command (both have `title` and `command`).
        actions.append(
            types.Command(
                title=f"Show the page of {diagnostic.code} ({diagnostic.name})",
                command=SHOW_RULE_PAGE,
                arguments=[diagnostic.code],
            )
        )
    wants_fix_all = only is None or any(
        FIX_ALL_KIND.startswith(kind) or kind.startswith(FIX_ALL_KIND) for kind in only
    )
    fixable = any(d.fix is not None and d.fix.edits and d.origin is None for d in diagnostics)
    if fix_all is not None and fixable and wants_fix_all:
        fixed = fix_all(document.source)
        if fixed != document.source:
            actions.append(
                types.CodeAction(
                    title="Fix all tsinspect findings that have a fix",
                    kind=FIX_ALL_KIND,
                    edit=types.WorkspaceEdit(
                        changes={document.uri: [whole_text_edit(document, fixed)]}
                    ),
                )
            )
    return actions


def noqa_edit(text: str, diagnostic: Diagnostic) -> Edit | None:
    """The edit that adds ``diagnostic.code`` to a ``# noqa`` at the end of its line (the
    line the engine reads suppressions from); None where a comment cannot go (the line
    continues with a backslash)."""
    lines = source_lines(text)
    if not 0 < diagnostic.line <= len(lines):
        return None
    line = lines[diagnostic.line - 1]
    if line.rstrip().endswith("\\"):
        return None
    end = len(line)
    existing = _TRAILING_NOQA.search(line)
    if existing is not None:
        codes = existing.group("codes")
        if codes is None:
            return None  # a bare noqa suppresses everything already
        start = existing.start("codes") + 1
        span = Span(diagnostic.line, start, diagnostic.line, existing.end("codes") + 1)
        return Edit(span, f"{codes}, {diagnostic.code}")
    trimmed = len(line.rstrip())
    span = Span(diagnostic.line, trimmed + 1, diagnostic.line, end + 1)
    return Edit(span, f"  # noqa: {diagnostic.code}")


def whole_text_edit(document: TextDocument, text: str) -> types.TextEdit:
    """Replace the whole document by ``text``."""
    lines = source_lines(document.source)
    span = Span(1, 1, len(lines), len(lines[-1]) + 1)
    return types.TextEdit(range=to_range(document, span), new_text=text)


def fix_all_with(lint: Callable[[str], Sequence[Diagnostic]], path: str) -> Callable[[str], str]:
    """``check --fix`` on a text, linting with ``lint`` (the project's facts for ``path``)."""

    def apply(text: str) -> str:
        return fix_text(text, path, lint).fixed_source

    return apply


__all__ = [
    "FIX_ALL_KIND",
    "SHOW_RULE_PAGE",
    "code_actions",
    "diagnostic_span",
    "fix_all_with",
    "noqa_edit",
    "whole_text_edit",
]
