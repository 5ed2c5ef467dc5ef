"""Solve the constraints for the input dims: integer solutions, each with its equation.

Equations come from weights (``64*(H//4 - 1)**2 == 3136``); bounds from
outputs that must not vanish (``H//4 - 1 >= 1``). Floors make these
non-polynomial, but each dim is a positive integer below :data:`MAX_SIZE`, so
an equation with one unknown is solved exactly by evaluating it on every
candidate (compiled to exact integer Python: microseconds per value). The
equations are solved repeatedly, each solved dim put into the rest, so that
inputs that constrain each other (an image branch and a tabular branch
concatenated before one Linear) are solved jointly. An equation left with
several dims of one image (``H`` and ``W``) is solved for a square input;
one left with dims of different inputs is not guessed at.

Where several sizes satisfy everything (28..31 for SimpleCNN, since a stride-2
pool drops a remainder), the pick is the size the architecture was most
likely built for: a multiple of 1000 if any (audio), else the one with the
most factors of two, the smallest on a tie (28 of 28..31, 224 of 224..255).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import sympy

from tsinspect.ir.symbolic.constraints import Constraint
from tsinspect.ir.symbolic.evaluate import compile_dim
from tsinspect.ir.symbolic.inputs import InputShape

#: Dims are searched in 1..MAX_SIZE.
MAX_SIZE = 1 << 16


@dataclass(frozen=True)
class SolvedDim:
    """One input dim: its value (None: free), the sizes that fit, and the equations that decided.

    ``sizes`` is the range of values that satisfy every constraint when the
    dim was solved (``(28, 31)`` as first and last), ``minimum`` the smallest
    size a free dim may take, ``equations`` the constraints' text with where
    they came from, ``note`` an assumption made (``square input: W == H``).
    """

    name: str
    value: int | None
    sizes: tuple[int, int] | None = None
    minimum: int = 1
    equations: tuple[str, ...] = ()
    note: str = ""

    @property
    def free(self) -> bool:
        """True when nothing fixes the dim (any size from ``minimum`` up runs)."""
        return self.value is None

    def describe_value(self) -> str:
        """``28 (sizes 28..31 fit)`` or ``free (>= 8)``."""
        if self.value is None:
            return f"free (>= {self.minimum})"
        if self.sizes is not None and self.sizes[0] != self.sizes[1]:
            return f"{self.value} (sizes {self.sizes[0]}..{self.sizes[1]} fit)"
        return str(self.value)

    def describe(self) -> str:
        """``H = 28: fc1: aten::linear fc1.weight [128, 3136]: 64*(H//4)*(W//4) == 3136; ...``."""
        if self.value is None:
            return f"{self.name} free (>= {self.minimum})"
        parts = [f"{self.name} = {self.value}"]
        if self.equations:
            parts.append("from " + "; ".join(self.equations))
        if self.note:
            parts.append(self.note)
        if self.sizes is not None and self.sizes[0] != self.sizes[1]:
            parts.append(f"sizes {self.sizes[0]}..{self.sizes[1]} fit; picked {self.value}")
        return ", ".join(parts)


@dataclass
class Solution:
    """Every input dim's SolvedDim, and the constraints that no input can meet."""

    dims: dict[sympy.Symbol, SolvedDim] = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)

    @property
    def values(self) -> dict[sympy.Symbol, int]:
        """The solved dims' values (free dims left out)."""
        return {symbol: dim.value for symbol, dim in self.dims.items() if dim.value is not None}


def describe_dims(dims: Sequence[SolvedDim]) -> str:
    """Solved dims grouped by the equations that fixed them, for one line of provenance.

    ``C = 1 from C == 1 (conv1: ...); H = W = 28 (sizes 28..31 fit) from 64*(H//4)*(W//4) == 3136
    (fc1: ...), square input: W == H``.
    """
    groups: dict[tuple[tuple[str, ...], str], list[SolvedDim]] = {}
    for dim in dims:
        if dim.value is not None and dim.equations:
            groups.setdefault((dim.equations, dim.note), []).append(dim)
    parts = []
    for (equations, note), members in groups.items():
        names = " = ".join(member.name for member in members)
        text = f"{names} = {members[0].describe_value()} from {'; '.join(equations)}"
        parts.append(f"{text}, {note}" if note else text)
    return "; ".join(parts)


def aligned_pick(sizes: Sequence[int]) -> int:
    """The size most likely meant among sizes that all fit (see the module docstring)."""
    thousands = [size for size in sizes if size % 1000 == 0]
    if thousands:
        return thousands[0]
    return sorted(sizes, key=lambda size: (-(size & -size).bit_length(), size))[0]


def _satisfying(
    equations: Sequence[sympy.Expr], bounds: Sequence[sympy.Expr], symbol: sympy.Symbol
) -> list[int]:
    """Every size in 1..MAX_SIZE where the equations are 0 and the bounds non-negative."""
    checks = [(compile_dim(expr, symbol), True) for expr in equations]
    checks += [(compile_dim(expr, symbol), False) for expr in bounds]
    found = []
    for size in range(1, MAX_SIZE + 1):
        ok = True
        for check, is_equation in checks:
            try:
                value = check(size)
            except (ZeroDivisionError, ValueError, OverflowError, TypeError):
                ok = False
                break
            if (value != 0) if is_equation else (value < 0):
                ok = False
                break
        if ok:
            found.append(size)
            if not equations and len(found) >= 1:
                break  # only bounds: the smallest size is what is wanted
    return found


def solve(constraints: Sequence[Constraint], inputs: Sequence[InputShape]) -> Solution:
    """Values for the inputs' dims that satisfy every constraint (see the module docstring)."""
    solution = Solution()
    known: dict[sympy.Symbol, sympy.Integer] = {}
    equations = [c for c in constraints if c.kind == "equal"]
    # the same bound repeats at every layer that keeps the size: one of each is enough
    bounds = list({c.expr: c for c in constraints if c.kind == "at_least"}.values())
    groups: dict[sympy.Symbol, tuple[sympy.Symbol, ...]] = {}
    for item in inputs:
        for symbol in item.spatial:
            groups[symbol] = item.spatial
    # Each dim appears in many equivalent constraints (every conv after it repeats the same
    # channel count): dedupe by expression, and put solved values in as they come.
    pending = list(equations)
    progress = True
    while progress:
        progress = False
        remaining: list[Constraint] = []
        by_symbol: dict[sympy.Symbol, list[Constraint]] = {}
        for constraint in pending:
            expr = constraint.expr.xreplace(known) if known else constraint.expr
            symbols = expr.free_symbols
            if not symbols:
                if sympy.simplify(expr) != 0:
                    solution.conflicts.append(f"{constraint.where}: {constraint.text}")
                continue
            if len(symbols) == 1:
                by_symbol.setdefault(next(iter(symbols)), []).append(constraint)
            else:
                remaining.append(constraint)
        for symbol, found in by_symbol.items():
            if symbol in known:
                continue
            value = _solve_one(symbol, found, bounds, known, {}, solution)
            if value is not None:
                known[symbol] = sympy.Integer(value)
                progress = True
        if not progress:
            # several dims of one image left in one equation: solve it for a square input
            for constraint in remaining:
                expr = constraint.expr.xreplace(known)
                symbols = sorted(expr.free_symbols, key=str)
                group = groups.get(symbols[0])
                if group is None or not all(groups.get(s) == group for s in symbols):
                    continue
                lead = next(s for s in group if s in symbols)
                tie = {s: lead for s in group if s != lead}
                value = _solve_one(lead, [constraint], bounds, known, tie, solution)
                if value is not None:
                    for symbol in group:
                        if symbol == lead or symbol in expr.free_symbols:
                            known[symbol] = sympy.Integer(value)
                    progress = True
                    break
        pending = (
            [c for c in remaining if c.expr.xreplace(known).free_symbols] if progress else remaining
        )
    # dims no equation fixed: free, from the smallest size that keeps every output non-empty
    for item in inputs:
        for symbol in item.shape.dims:
            if not isinstance(symbol, sympy.Symbol) or symbol in solution.dims:
                continue
            tie = {s: symbol for s in groups.get(symbol, ()) if s != symbol and s not in known}
            substituted = (b.expr.xreplace(known).xreplace(tie) for b in bounds)
            relevant = [expr for expr in substituted if expr.free_symbols == {symbol}]
            smallest = _satisfying([], _dedupe(relevant), symbol) if relevant else [1]
            solution.dims[symbol] = SolvedDim(
                str(symbol), None, minimum=smallest[0] if smallest else 1
            )
    return solution


def _dedupe(exprs: Sequence[sympy.Expr]) -> list[sympy.Expr]:
    return list(dict.fromkeys(exprs))


def _linear_root(expr: sympy.Expr, symbol: sympy.Symbol) -> sympy.Expr:
    """The root of ``a*symbol + b`` (degree 1): ``-b/a``. What ``sympy.solve`` answers when
    the root is a positive integer, at a fraction of its cost (~30 ms its first call)."""
    expanded = sympy.expand(expr)
    result: sympy.Expr = -expanded.coeff(symbol, 0) / expanded.coeff(symbol, 1)
    return result


def _solve_one(
    symbol: sympy.Symbol,
    found: Sequence[Constraint],
    bounds: Sequence[Constraint],
    known: dict[sympy.Symbol, sympy.Integer],
    tie: dict[sympy.Symbol, sympy.Symbol],
    solution: Solution,
) -> int | None:
    exprs = _dedupe([c.expr.xreplace(known).xreplace(tie) for c in found])
    substituted = (b.expr.xreplace(known).xreplace(tie) for b in bounds)
    bound_exprs = _dedupe([expr for expr in substituted if expr.free_symbols == {symbol}])
    root = next(
        (
            _linear_root(expr, symbol)
            for expr in exprs
            if expr.is_polynomial(symbol) and sympy.degree(expr, symbol) == 1
        ),
        None,
    )
    if root is not None and root.is_Integer and int(root) >= 1:
        candidate = int(root)
        checks = [compile_dim(expr, symbol)(candidate) for expr in exprs]
        sizes = [candidate] if all(value == 0 for value in checks) else []
    else:
        sizes = _satisfying(exprs, bound_exprs, symbol)
    texts = tuple(dict.fromkeys(f"{c.text} ({c.where})" for c in found))
    if not sizes:
        solution.conflicts.extend(texts)
        return None
    value = aligned_pick(sizes)
    note = ""
    if tie:
        note = "square input: " + ", ".join(f"{other} == {symbol}" for other in tie)
    solution.dims[symbol] = SolvedDim(
        str(symbol), value, (sizes[0], sizes[-1]), equations=texts, note=note
    )
    for other in tie:
        solution.dims[other] = SolvedDim(
            str(other), value, (sizes[0], sizes[-1]), equations=texts, note=note
        )
    return value


__all__ = ["MAX_SIZE", "Solution", "SolvedDim", "aligned_pick", "describe_dims", "solve"]
