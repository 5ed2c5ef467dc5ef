"""What the symbolic pass knows about one value of the graph, and how dims are written.

A tensor is a :class:`SymTensor` whose dims are sympy expressions over the
input dims (``N``, ``C``, ``H``...); an int is a sympy expression; lists,
tuples and dicts are Python containers of values; ``None``, bools, floats and
strings are themselves. :data:`UNKNOWN` is what the pass does not know (an op
it has no rule for, a data-dependent size): it is never guessed.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

import sympy

from tsinspect.ir.walk.flat import tensor_constant


class _Unknown:
    """The one value the pass does not know."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


#: A value whose shape or content the pass cannot know.
UNKNOWN = _Unknown()


@dataclass(frozen=True)
class SymTensor:
    """A tensor of known rank: one sympy expression per dim."""

    dims: tuple[sympy.Expr, ...]

    @property
    def rank(self) -> int:
        """The number of dims."""
        return len(self.dims)

    @property
    def concrete(self) -> tuple[int, ...] | None:
        """The dims as ints when none is symbolic, else None."""
        if all(dim.is_Integer for dim in self.dims):
            return tuple(int(dim) for dim in self.dims)
        return None

    def numel(self) -> sympy.Expr:
        """The number of elements, as an expression."""
        total: sympy.Expr = sympy.Integer(1)
        for dim in self.dims:
            total = total * dim
        return total

    def text(self) -> str:
        """``[N, 64, H//4, W//4]``."""
        return "[" + ", ".join(dim_text(dim) for dim in self.dims) + "]"


def integer_symbol(name: str) -> sympy.Symbol:
    """A dim symbol: a positive integer, so that sympy simplifies floors of it."""
    return sympy.Symbol(name, integer=True, positive=True)


def as_expr(value: Any) -> sympy.Expr | None:
    """An int-like value as a sympy expression (None for anything else, bools included)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return sympy.Integer(value)
    if isinstance(value, sympy.Expr):
        return value
    return None


_MUL_PRECEDENCE = int(sympy.printing.precedence.PRECEDENCE["Mul"])


class _DimPrinter(sympy.printing.str.StrPrinter):  # type: ignore[misc]
    """Writes ``floor(x/4)`` as Python's ``x//4``: what users read in shapes."""

    def parenthesize(self, item: Any, level: int, strict: bool = False) -> str:
        # ``a//b`` binds like ``*``: inside a product or a power it needs parentheses
        if isinstance(item, (sympy.floor, sympy.ceiling)) and level >= _MUL_PRECEDENCE:
            return f"({self._print(item)})"
        return str(super().parenthesize(item, level, strict))

    def _print_floor(self, expr: Any) -> str:
        numerator, denominator = over_common_denominator(expr.args[0])
        if denominator == 1:
            return f"floor({self._print(expr.args[0])})"
        inner = self._print(numerator)
        if not (numerator.is_Symbol or numerator.is_Integer):
            inner = f"({inner})"
        return f"{inner}//{self._print(denominator)}"

    def _print_ceiling(self, expr: Any) -> str:
        numerator, denominator = over_common_denominator(expr.args[0])
        if denominator == 1:
            return f"ceil({self._print(expr.args[0])})"
        return f"-(-({self._print(numerator)})//{self._print(denominator)})"


def over_common_denominator(expr: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr]:
    """``H/4 - 3/4`` -> ``(H - 3, 4)``: the terms' rational coefficients over their lcm.

    Much cheaper than ``sympy.together`` (which factors), and dims only ever
    have rational coefficients.
    """
    denominator = 1
    for term in sympy.Add.make_args(expr):
        coefficient, _ = term.as_coeff_Mul()
        if coefficient.is_Rational:
            denominator = sympy.ilcm(denominator, int(coefficient.q))
    if denominator == 1:
        return expr, sympy.Integer(1)
    return sympy.expand(expr * denominator), sympy.Integer(denominator)


_PRINTER = _DimPrinter()
# Printing is what costs (a ResNet-50 prints the same few dims thousands of times).
_TEXT_CACHE: dict[sympy.Expr, str] = {}


def dim_text(dim: sympy.Expr) -> str:
    """One dim as text: ``64``, ``N``, ``H//4 - 1`` (sympy's spacing around + and -)."""
    if dim.is_Integer:
        return str(int(dim))
    text = _TEXT_CACHE.get(dim)
    if text is None:
        if len(_TEXT_CACHE) > 100_000:
            _TEXT_CACHE.clear()
        text = str(_PRINTER.doprint(dim))
        _TEXT_CACHE[dim] = text
    return text


def value_text(value: Any) -> str | None:
    """A tensor's shape as text, a list or tuple of tensors as ``(a, b)``; None when unknown."""
    if isinstance(value, SymTensor):
        return value.text()
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, SymTensor) for v in value):
        return "(" + ", ".join(v.text() for v in value) + ")"
    if isinstance(value, dict) and value and all(isinstance(v, SymTensor) for v in value.values()):
        return "{" + ", ".join(f"{k}: {v.text()}" for k, v in value.items()) + "}"
    return None


_INT_TEXT = re.compile(r"^-?\d+$")
_WORDS = {"True": True, "False": False, "None": None}
_CONSTANT_CACHE: dict[str, Any] = {}


def parse_constant(text: str | None) -> Any:
    """A ``prim::Constant``'s value from the walk's constant text (UNKNOWN when it is not a literal)."""
    if text is None:
        return UNKNOWN
    if text in _WORDS:
        return _WORDS[text]
    if _INT_TEXT.match(text):
        return sympy.Integer(int(text))
    if text not in _CONSTANT_CACHE:
        if len(_CONSTANT_CACHE) > 10_000:
            _CONSTANT_CACHE.clear()
        _CONSTANT_CACHE[text] = _parse_constant(text)
    value = _CONSTANT_CACHE[text]
    return list(value) if isinstance(value, list) else value  # rules may build on a list


def _parse_constant(text: str) -> Any:
    tensor = tensor_constant(text)
    if tensor is not None:
        return SymTensor(tuple(sympy.Integer(d) for d in tensor[0]))
    if text.endswith("..."):
        return UNKNOWN  # cut short by the walk
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return UNKNOWN
    return _from_literal(value)


def _from_literal(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, (float, str)):
        return value
    if isinstance(value, int):
        return sympy.Integer(value)
    if isinstance(value, list):
        return [_from_literal(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_from_literal(item) for item in value)
    return UNKNOWN


__all__ = [
    "UNKNOWN",
    "SymTensor",
    "as_expr",
    "dim_text",
    "integer_symbol",
    "over_common_denominator",
    "parse_constant",
    "value_text",
]
