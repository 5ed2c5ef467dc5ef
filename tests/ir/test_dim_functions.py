"""The solver's compiled dim expressions give sympy's exact value at every size."""

from __future__ import annotations

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from tsinspect.ir.symbolic.evaluate import compile_dim

H = sympy.Symbol("H", integer=True, positive=True)
W = sympy.Symbol("W", integer=True, positive=True)
HALF = sympy.Rational(1, 2)

# What the shape rules build: conv and pool sizes (floors of rational sums), their
# products against weights, ceil-mode pools, views' quotients, remainders.
EXPRESSIONS = [
    H - 3,
    sympy.floor(H / 2 - HALF),
    sympy.floor(H / 3 - sympy.Rational(1, 3)),  # not exact in floats
    64 * sympy.floor(H / 4) ** 2 - 9216,
    sympy.ceiling(H / 3 - sympy.Rational(2, 3)),
    sympy.floor(sympy.floor(H / 2 - HALF) / 2 - HALF),
    sympy.Mod(H, 4),
    sympy.Max(H - 2, 1),
    sympy.Min(sympy.floor(H / 5), 7),
    H / 6,
    sympy.floor(H / 7) * 3 - 5,
    1 / H,
    sympy.sqrt(H),  # not one of ours: lambdify's float answer
]


@pytest.mark.parametrize("expr", EXPRESSIONS, ids=str)
def test_compiled_expression_equals_sympy(expr: sympy.Expr) -> None:
    function = compile_dim(expr, H)
    for size in range(1, 200):
        assert function(size) == pytest.approx(float(expr.subs(H, size)), abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 9), st.integers(0, 4), st.integers(1, 4), st.integers(1, 3), st.integers(1, 300)
)
def test_conv_output_size_is_exact(
    kernel: int, padding: int, stride: int, dilation: int, size: int
) -> None:
    # the rule's own formula, floored twice as two convs in a row
    def out(dim: sympy.Expr) -> sympy.Expr:
        return sympy.floor((dim + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1

    expr = out(out(H))
    assert compile_dim(expr, H)(size) == int(expr.subs(H, size))


def test_other_symbols_are_refused() -> None:
    with pytest.raises(ValueError, match="other than"):
        compile_dim(H + W, H)


def test_division_by_zero_raises() -> None:
    with pytest.raises(ZeroDivisionError):
        compile_dim(sympy.Mod(7, H - 1) + H, H)(1)


@settings(max_examples=80, deadline=None)
@given(st.integers(-50, 50).filter(bool), st.integers(-5000, 5000), st.integers(1, 4))
def test_linear_root_agrees_with_sympy_solve(slope: int, offset: int, scale: int) -> None:
    """Where sympy.solve finds a size (a positive integer root), the solver's own root is it."""
    from tsinspect.ir.symbolic.solver import _linear_root

    expr = scale * (slope * H + offset)  # not expanded, as constraints come
    solved = sympy.solve(expr, H)
    root = _linear_root(expr, H)
    if solved:
        assert root == solved[0]
    else:
        assert not (root.is_Integer and int(root) >= 1)
