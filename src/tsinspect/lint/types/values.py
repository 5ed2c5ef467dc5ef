"""The certain TorchScript type of an expression."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.types.lattice import BOOL, FLOAT, INT, STR, Type, tuple_of


def literal_type(node: cst.BaseExpression) -> Type | None:
    """The Python type of a literal default: number, string, bool, or a tuple of those."""
    if isinstance(node, cst.Integer):
        return INT
    if isinstance(node, cst.Float):
        return FLOAT
    if isinstance(node, cst.SimpleString):
        return None if "b" in node.prefix.lower() else STR
    if isinstance(node, cst.ConcatenatedString):
        return STR
    if isinstance(node, cst.Name) and node.value in ("True", "False"):
        return BOOL
    if (
        isinstance(node, cst.UnaryOperation)
        and isinstance(node.operator, cst.Minus | cst.Plus)
        and isinstance(node.expression, cst.Integer | cst.Float)
    ):
        return literal_type(node.expression)
    if isinstance(node, cst.Tuple):
        elements: list[Type] = []
        for element in node.elements:
            if isinstance(element, cst.StarredElement):
                return None
            inner = literal_type(element.value)
            if inner is None:
                return None
            elements.append(inner)
        return tuple_of(*elements)
    return None
