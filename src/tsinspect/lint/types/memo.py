"""Per-file memos of the type pass: results are kept while one file is linted (files are
linted one after the other) and dropped when the next file starts."""

from __future__ import annotations

from typing import Any

import libcst as cst

from tsinspect.lint.rule import LintContext

_MEMO: list[tuple[cst.Module, dict[str, dict[Any, Any]]]] = []


def file_memo(context: LintContext, table: str) -> dict[Any, Any]:
    """The memo ``table`` (``"signatures"``, ``"flows"``...) of the file ``context`` lints."""
    if not _MEMO or _MEMO[0][0] is not context.module:
        _MEMO[:] = [(context.module, {})]
    return _MEMO[0][1].setdefault(table, {})


def forget_file() -> None:
    """Drop the memos of the file just linted, so that its tree is freed with the file."""
    _MEMO.clear()
