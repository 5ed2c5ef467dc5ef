"""The linter's own scope analysis: what names mean and where they are bound.

The rules were written against libcst's ScopeProvider; lint/scopes.py replaces it for speed.
These tests pin the Python semantics the rules rely on, and check that on every rule example
and model fixture it gives libcst's answers.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import (
    ClassScope,
    ComprehensionScope,
    FunctionScope,
    GlobalScope,
    ScopeProvider,
)

from tsinspect.lint.registry import all_rules
from tsinspect.lint.rule import Invalid, Valid
from tsinspect.lint.scopes import FileScopes, ScopeKind, analyze_scopes

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _scopes(source: str) -> tuple[cst.Module, FileScopes]:
    module = cst.parse_module(textwrap.dedent(source))
    return module, analyze_scopes(module)


class _Collect(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.nodes: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.nodes.append(node)
        return True


def _nodes(module: cst.Module) -> list[cst.CSTNode]:
    collector = _Collect()
    module.visit(collector)
    return collector.nodes


def _names(module: cst.Module, value: str) -> list[cst.Name]:
    return [n for n in _nodes(module) if isinstance(n, cst.Name) and n.value == value]


def _expression(module: cst.Module, code: str) -> cst.CSTNode:
    """The last Name/Attribute/Call whose code is exactly ``code`` (the use, not the import)."""
    found = [
        node
        for node in _nodes(module)
        if isinstance(node, cst.Name | cst.Attribute | cst.Call)
        and module.code_for_node(node) == code
    ]
    assert found, f"no expression {code!r}"
    return found[-1]


@pytest.mark.parametrize(
    ("imports", "expression", "expected"),
    [
        ("import torch", "torch.nn.Module", "torch.nn.Module"),
        ("import torch.nn as nn", "nn.Module", "torch.nn.Module"),
        ("from torch import nn", "nn.Module", "torch.nn.Module"),
        ("from torch.nn import Module as Base", "Base", "torch.nn.Module"),
        ("import torch.nn", "torch.nn.Module", "torch.nn.Module"),
        ("from . import layers", "layers.Mlp", ".layers.Mlp"),
        ("from .layers import Mlp", "Mlp", ".layers.Mlp"),
        ("from ..layers import Mlp", "Mlp", "..layers.Mlp"),
        ("import numpy as np", "np.zeros", "numpy.zeros"),
    ],
)
def test_imported_names_resolve_through_aliases(
    imports: str, expression: str, expected: str
) -> None:
    module, scopes = _scopes(f"{imports}\n\ndef f():\n    return {expression}\n")
    assert scopes.qualified_names(_expression(module, expression)) == {expected}


def test_builtins_module_names_and_locals() -> None:
    module, scopes = _scopes(
        """
        def helper(x):
            return x

        class Net:
            def forward(self, x):
                y = helper(x)
                print(y)
                return y
        """
    )
    assert scopes.qualified_names(_names(module, "helper")[1]) == {"helper"}
    assert scopes.qualified_names(_names(module, "print")[0]) == {"builtins.print"}
    assert scopes.qualified_names(_names(module, "y")[1]) == {"Net.forward.<locals>.y"}


def test_a_module_binding_shadows_the_builtin() -> None:
    module, scopes = _scopes(
        """
        def print(*args):
            pass

        def f():
            print(1)
        """
    )
    assert scopes.qualified_names(_names(module, "print")[1]) == {"print"}


def test_class_body_names_are_invisible_to_its_methods() -> None:
    module, scopes = _scopes(
        """
        scale = 2.0

        class Net:
            scale = 3.0

            def forward(self, x):
                return x * scale
        """
    )
    read = _names(module, "scale")[-1]
    scope = scopes.scope(read)
    assert scope is not None and scope.kind is ScopeKind.FUNCTION
    (binding,) = scope["scale"]
    assert binding.scope.kind is ScopeKind.MODULE
    assert scopes.qualified_names(read) == {"scale"}


def test_global_and_nonlocal_redirect_bindings() -> None:
    module, scopes = _scopes(
        """
        counter = 0

        def bump():
            global counter
            counter = counter + 1

        def outer():
            total = 0
            def inner():
                nonlocal total
                total = 1
            return total
        """
    )
    module_bindings = list(scopes.module_scope.bindings["counter"])
    assert len(module_bindings) == 2  # the module's and bump's (declared global)
    outer_read = _names(module, "total")[-1]
    scope = scopes.scope(outer_read)
    assert scope is not None
    assert len(scope["total"]) == 2  # outer's `total = 0` and inner's `total = 1`


def test_comprehension_variables_and_parameter_defaults() -> None:
    module, scopes = _scopes(
        """
        size = 3

        class Net:
            width = 4

            def forward(self, x, n=width):
                return [i * size for i in range(n)]
        """
    )
    i_read = _names(module, "i")[0]
    scope = scopes.scope(i_read)
    assert scope is not None and scope.kind is ScopeKind.COMPREHENSION
    # a default is evaluated in the enclosing (class) scope, where `width` is bound
    width_read = _names(module, "width")[-1]
    scope = scopes.scope(width_read)
    assert scope is not None and scope.kind is ScopeKind.CLASS
    assert scopes.qualified_names(width_read) == {"Net.width"}


def test_module_bindings_know_their_reads() -> None:
    module, scopes = _scopes(
        """
        from typing import List
        EPS = 1e-5

        def f(x: List[int]) -> float:
            return x[0] + EPS
        """
    )
    (eps,) = scopes.module_scope.bindings["EPS"]
    assert [access.node for access in eps.references] == [_names(module, "EPS")[-1]]
    (list_binding,) = scopes.module_scope.bindings["List"]
    assert list_binding.is_import
    assert all(access.is_annotation for access in list_binding.references)


def _corpus() -> list[tuple[str, str]]:
    sources = []
    for rule in all_rules():
        examples: list[Valid | Invalid] = [*rule.VALID, *rule.INVALID]
        sources += [(f"{rule.code}-{i}", example.source) for i, example in enumerate(examples)]
    sources += [(str(path), path.read_text()) for path in sorted(FIXTURES.rglob("*.py"))]
    return sources


LIBCST_KINDS = {
    GlobalScope: ScopeKind.MODULE,
    ClassScope: ScopeKind.CLASS,
    FunctionScope: ScopeKind.FUNCTION,
    ComprehensionScope: ScopeKind.COMPREHENSION,
}


def test_same_answers_as_libcst_on_every_example_and_fixture() -> None:
    mismatches: list[str] = []
    for label, source in _corpus():
        try:
            module = cst.parse_module(source)
        except cst.ParserSyntaxError:
            continue
        wrapper = cst.MetadataWrapper(module, unsafe_skip_copy=True)
        theirs = wrapper.resolve(ScopeProvider)
        ours = analyze_scopes(module)
        for node in _nodes(module):
            if not isinstance(node, cst.Name | cst.Attribute | cst.Call):
                continue
            their_scope = theirs.get(node)
            our_scope = ours.scope(node)
            expected = (
                {q.name for q in their_scope.get_qualified_names_for(node)}
                if their_scope is not None
                else set()
            )
            if ours.qualified_names(node) != expected:
                mismatches.append(f"{label}: {module.code_for_node(node)!r}")
            if (
                isinstance(node, cst.Name)
                and their_scope is not None
                and (our_scope is None or LIBCST_KINDS.get(type(their_scope)) is not our_scope.kind)
            ):
                mismatches.append(f"{label}: scope of {node.value!r}")
    assert mismatches == []


def test_sole_binding_is_the_one_a_read_refers_to() -> None:
    module, scopes = _scopes(
        """
        WIDTH = 4
        DEPTH = 1
        DEPTH = 2

        def f(x):
            return x * WIDTH + DEPTH + undefined
        """
    )
    width, depth, undefined = (_names(module, n)[-1] for n in ("WIDTH", "DEPTH", "undefined"))
    binding = scopes.sole_binding(width)
    assert binding is not None and binding.node is _names(module, "WIDTH")[0]
    assert scopes.sole_binding(depth) is None
    assert len(scopes.bindings_of(depth)) == 2
    assert scopes.bindings_of(undefined) == ()
