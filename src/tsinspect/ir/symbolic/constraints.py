"""The equations and bounds that weights and ops put on the input dims."""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from tsinspect.ir.symbolic.values import dim_text


@dataclass(frozen=True)
class Constraint:
    """``expr == 0`` (``kind`` "equal") or ``expr >= 0`` (``kind`` "at_least"), with where it came from.

    ``left`` and ``right`` are the two sides as found (``64*(H//4 - 1)**2`` and
    ``3136``); ``where`` names the op and the weight that imposed it
    (``fc1: aten::linear fc1.weight [128, 3136]``).
    """

    kind: str
    left: sympy.Expr
    right: sympy.Expr
    where: str

    @property
    def expr(self) -> sympy.Expr:
        """``left - right``: zero (equal) or non-negative (at_least) for a valid input."""
        return self.left - self.right

    @property
    def text(self) -> str:
        """``64*(H//4 - 1)**2 == 3136``."""
        relation = "==" if self.kind == "equal" else ">="
        return f"{dim_text(self.left)} {relation} {dim_text(self.right)}"

    @property
    def symbols(self) -> frozenset[sympy.Symbol]:
        """The input dims it mentions."""
        return frozenset(self.expr.free_symbols)


__all__ = ["Constraint"]
