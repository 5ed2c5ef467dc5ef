"""Conditions TorchScript may decide while compiling, so that only one branch is compiled."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import LintContext
from tsinspect.lint.traversal import walk
from tsinspect.lint.types.library import STATIC_CALLS


def is_static_test(context: LintContext, test: cst.BaseExpression, self_name: str | None) -> bool:
    """A condition TorchScript may fold at compile time, so that only one branch is compiled."""
    finder = _StaticFinder(context, self_name)
    walk(test, finder)
    return finder.static


class _StaticFinder(cst.CSTVisitor):
    def __init__(self, context: LintContext, self_name: str | None) -> None:
        super().__init__()
        self.context = context
        self.self_name = self_name
        self.static = False

    def visit_ComparisonTarget(self, node: cst.ComparisonTarget) -> None:
        if isinstance(node.operator, cst.Is | cst.IsNot):
            self.static = True

    def visit_Call(self, node: cst.Call) -> None:
        if self.context.matches(node.func, *STATIC_CALLS):
            self.static = True

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if (
            isinstance(node.value, cst.Name)
            and node.value.value == self.self_name
            and node.attr.value != "training"
        ):
            self.static = True


def in_static_branch(context: LintContext, node: cst.CSTNode, self_name: str | None) -> bool:
    """``node`` lies in a branch whose condition TorchScript may fold (``isinstance``, ``is
    None``, ``hasattr``, ``self`` attributes): that branch may never be compiled."""
    child: cst.CSTNode = node
    parent = context.parent(node)
    while parent is not None and not isinstance(parent, cst.FunctionDef | cst.Module):
        test: cst.BaseExpression | None = None
        if isinstance(parent, cst.If | cst.IfExp | cst.While) and child is not parent.test:
            test = parent.test
        elif isinstance(parent, cst.BooleanOperation) and child is parent.right:
            test = parent.left
        if test is not None and is_static_test(context, test, self_name):
            return True
        child, parent = parent, context.parent(parent)
    return False
