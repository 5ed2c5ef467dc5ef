"""Dim expressions of one symbol as Python functions, for the solver's search over sizes.

The solver evaluates each equation and bound on up to 65,536 candidate sizes, so an
expression is turned into Python source once and compiled. ``sympy.lambdify`` does
this too, but it costs ~2.5 ms an expression (its printer and namespace set-up:
a fifth of the symbolic pass on a ResNet-50) and evaluates in floats. Dims only
ever hold integers, rational coefficients, floors and ceilings of such sums,
powers, ``Mod``, ``Max`` and ``Min``, which this module writes as exact integer
arithmetic: ``floor(H/4 - 3/4)`` is ``(H - 3)//4``. Anything else is left to
``lambdify``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import sympy

from tsinspect.ir.symbolic.values import over_common_denominator


class _Unsupported(Exception):
    """An expression this module does not write; lambdify does."""


def compile_dim(expr: sympy.Expr, symbol: sympy.Symbol) -> Callable[[int], Any]:
    """``expr`` as a function of ``symbol``'s value (exact: ints and Fractions, never floats).

    The function raises what Python's arithmetic raises (``ZeroDivisionError``...)
    where the expression is undefined.
    """
    if not expr.free_symbols <= {symbol}:
        raise ValueError(f"{expr} has symbols other than {symbol}")
    try:
        body = _source(expr, symbol)
    except _Unsupported:
        function: Callable[[int], Any] = sympy.lambdify([symbol], expr, modules=["math"])
        return function
    namespace: dict[str, Any] = {"Fraction": Fraction, "floor": math.floor, "ceil": math.ceil}
    # The source holds only numbers, ``x`` and the three names above: no text from the model.
    exec(compile(f"def dim(x):\n    return {body}\n", "<dim>", "exec"), namespace)
    compiled: Callable[[int], Any] = namespace["dim"]
    return compiled


def _source(expr: sympy.Expr, symbol: sympy.Symbol) -> str:
    if expr == symbol:
        return "x"
    if expr.is_Integer:
        return f"({int(expr)})"
    if expr.is_Rational:
        return f"Fraction({int(expr.p)}, {int(expr.q)})"
    if expr.is_Add:
        return "(" + " + ".join(_source(term, symbol) for term in expr.args) + ")"
    if expr.is_Mul:
        return "(" + "*".join(_source(factor, symbol) for factor in expr.args) + ")"
    if expr.is_Pow:
        base, exponent = expr.args
        if not exponent.is_Integer:
            raise _Unsupported(str(expr))
        if int(exponent) >= 0:
            return f"({_source(base, symbol)}**{int(exponent)})"
        return f"(Fraction(1)/({_source(base, symbol)}**{-int(exponent)}))"
    if isinstance(expr, (sympy.floor, sympy.ceiling)):
        numerator, denominator = over_common_denominator(expr.args[0])
        if denominator == 1:
            name = "floor" if isinstance(expr, sympy.floor) else "ceil"
            return f"{name}({_source(expr.args[0], symbol)})"
        top = _source(numerator, symbol)
        if isinstance(expr, sympy.floor):
            return f"(({top})//{int(denominator)})"
        return f"(-((-({top}))//{int(denominator)}))"
    if isinstance(expr, sympy.Mod):
        return f"({_source(expr.args[0], symbol)} % {_source(expr.args[1], symbol)})"
    if isinstance(expr, (sympy.Max, sympy.Min)):
        name = "max" if isinstance(expr, sympy.Max) else "min"
        return f"{name}(" + ", ".join(_source(arg, symbol) for arg in expr.args) + ")"
    raise _Unsupported(str(expr))


__all__ = ["compile_dim"]
