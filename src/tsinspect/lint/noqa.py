"""TS005: suppression comments that suppress nothing, and the edit that removes them.

The engine knows which codes its suppression comments hid on each line; every TS code a
``# noqa: ...`` or ``# tsinspect: ignore[...]`` comment names beyond those is unused, when
the rule is enabled for the file (another configuration may enable a disabled one) or when
no rule has the code (a typo). Another tool's codes (``E501``) and a bare ``# noqa`` belong
to other linters and are never reported. Comments are found with ``tokenize``, so text
inside strings never counts; only files that mention a directive pay for it.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from tsinspect.diagnostics import Diagnostic, Edit, Fix, Span, sorted_diagnostics
from tsinspect.lint.rule import Rule

if TYPE_CHECKING:
    from tsinspect.lint.engine import FileResult

UNUSED_NOQA = "TS005"
_OUR_CODE = re.compile(r"TS\d+", re.IGNORECASE)
_CANDIDATE = re.compile(r"noqa\s*:[^\n]*TS\d|tsinspect\s*:\s*ignore", re.IGNORECASE)
_SPLIT = re.compile(r"[\s,]+")


def _comments(text: str) -> Iterator[tuple[int, int, str]]:
    """(line, 0-based column, text) of every comment; nothing for text tokenize refuses."""
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                yield token.start[0], token.start[1], token.string
    except (tokenize.TokenError, SyntaxError):
        return


def unused_suppressions(
    text: str,
    path: str,
    used: Collection[tuple[int, str]],
    enabled: Mapping[str, type[Rule]],
    known: Collection[str],
) -> list[Diagnostic]:
    """TS005 for each directive of ``text`` naming codes that suppressed nothing.

    ``used``: (line, code) the file's comments suppressed; ``enabled``: the rules enabled
    for the file, by code; ``known``: every code a rule has.
    """
    from tsinspect.lint.engine import NOQA, TSINSPECT_IGNORE, is_suppressed, parse_suppressions

    rule = enabled.get(UNUSED_NOQA)
    if rule is None or not _CANDIDATE.search(text):
        return []
    lines_used: dict[int, set[str]] = {}
    for line, code in used:
        lines_used.setdefault(line, set()).add(code)
    lines = text.splitlines()
    found: list[Diagnostic] = []
    for line, column, comment in _comments(text):
        if UNUSED_NOQA in comment.upper() and is_suppressed(
            parse_suppressions([(line, comment)]), line, UNUSED_NOQA
        ):
            continue  # a comment that suppresses TS005 itself keeps the others as they are
        for pattern, bracketed in ((NOQA, False), (TSINSPECT_IGNORE, True)):
            for match in pattern.finditer(comment):
                codes_text = match.group("codes")
                hit = lines_used.get(line, set())
                if not codes_text or not codes_text.strip():
                    if bracketed and not hit:  # a bare "# tsinspect: ignore" that hid nothing
                        found.append(
                            _diagnostic(
                                rule,
                                path,
                                lines,
                                line,
                                column,
                                comment,
                                match,
                                [],
                                ["all codes"],
                                [],
                            )
                        )
                    continue  # a bare noqa comment may be for another linter
                codes = [code for code in _SPLIT.split(codes_text.strip()) if code]
                unused: list[str] = []
                unknown: list[str] = []
                for code in codes:
                    upper = code.upper()
                    if not _OUR_CODE.fullmatch(upper) or upper == UNUSED_NOQA or upper in hit:
                        continue
                    if upper not in known:
                        unknown.append(code)
                    elif upper in enabled:
                        unused.append(code)
                if unused or unknown:
                    kept = [code for code in codes if code not in unused and code not in unknown]
                    found.append(
                        _diagnostic(
                            rule,
                            path,
                            lines,
                            line,
                            column,
                            comment,
                            match,
                            kept,
                            unused,
                            unknown,
                            bracketed,
                        )
                    )
    return found


def with_uses_elsewhere(
    result: FileResult,
    text: str,
    uses: Collection[tuple[int, str]],
    rules: Sequence[type[Rule]],
) -> tuple[Diagnostic, ...]:
    """``result``'s diagnostics with TS005 recomputed on the lines of ``uses``: (line, code)
    that the file's comments hid in another file (a library finding reported at the line
    that reaches it), which the file's own lint could not know about."""
    from tsinspect.lint.registry import all_rules

    lines = {line for line, _ in uses}
    if not lines or not any(d.code == UNUSED_NOQA for d in result.diagnostics):
        return result.diagnostics
    fresh = unused_suppressions(
        text,
        result.path,
        [*result.suppressed, *uses],
        {rule.code: rule for rule in rules},
        {rule.code for rule in all_rules()},
    )
    kept = [d for d in result.diagnostics if d.code != UNUSED_NOQA or d.line not in lines]
    return tuple(sorted_diagnostics([*kept, *(d for d in fresh if d.line in lines)]))


def _diagnostic(
    rule: type[Rule],
    path: str,
    lines: list[str],
    line: int,
    column: int,
    comment: str,
    match: re.Match[str],
    kept: list[str],
    unused: list[str],
    unknown: list[str],
    bracketed: bool = True,
) -> Diagnostic:
    parts = []
    if unused:
        parts.append(f"unused: {', '.join(unused)}")
    if unknown:
        parts.append(f"unknown: {', '.join(unknown)}")
    directive = "`tsinspect: ignore`" if bracketed else "`noqa`"
    message = f"Unused {directive} directive ({'; '.join(parts)})"
    if kept:
        replacement = (
            f"# tsinspect: ignore[{', '.join(kept)}]" if bracketed else f"# noqa: {', '.join(kept)}"
        )
        new_comment = comment[: match.start()] + replacement + comment[match.end() :]
        start = column
    else:
        before, after = comment[: match.start()], comment[match.end() :].strip()
        start = column
        if (before + after).strip() in ("", "#"):
            # The whole comment goes, with the blanks before it.
            text = lines[line - 1] if 0 < line <= len(lines) else ""
            start = len(text[:column].rstrip())
            new_comment = ""
        elif before.strip():  # a "type: ignore" before the directive stays
            new_comment = before.rstrip() + (f"  {after}" if after else "")
        else:  # a remark after the directive stays
            new_comment = after if after.startswith("#") else f"# {after}"
    end = column + len(comment)
    span = Span(line, start + 1, line, end + 1)
    return Diagnostic(
        code=rule.code,
        name=rule.name,
        message=message,
        path=path,
        line=line,
        column=column + 1,
        end_line=line,
        end_column=end + 1,
        severity=rule.severity,
        fix=Fix(rule.fix_hint, (Edit(span, new_comment),)),
    )
