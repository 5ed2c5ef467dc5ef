"""The base class of the semantic rules (TS2xx, TS3xx, TS4xx) that must stay silent where
TorchScript may not compile the code: branches it folds away for one instance."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from tsinspect.diagnostics import Edit
from tsinspect.lint.classes import in_constant_branch
from tsinspect.lint.rule import Rule


class ConservativeRule(Rule):
    """A semantic rule that stays silent inside branches TorchScript may fold away (see :func:`in_constant_branch`)."""

    def report(
        self,
        node: cst.CSTNode,
        message: str | None = None,
        *,
        fix_hint: str | None = None,
        edits: Sequence[Edit] = (),
        anchor: cst.CSTNode | None = None,
        reach: Sequence[str] = (),
    ) -> None:
        """Report, unless the anchor lies in a branch whose compilation depends on the instance."""
        if in_constant_branch(self.context, anchor if anchor is not None else node):
            return
        super().report(node, message, fix_hint=fix_hint, edits=edits, anchor=anchor, reach=reach)
