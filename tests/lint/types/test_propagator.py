"""The type pass (tsinspect.lint.types): its lattice, its annotation parser, and
TorchScript's refinement rules as it applies them. No torch: the rule examples prove each fact
against the real torch.jit.script; these pin the propagator's own behaviour."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from tsinspect.api.check import check_source
from tsinspect.lint.reach import Reach, analyze
from tsinspect.lint.rule import LintContext
from tsinspect.lint.types.flow import flow
from tsinspect.lint.types.lattice import (
    BOOL,
    COMPLEX,
    FLOAT,
    INT,
    INT_LIST,
    NONE,
    STR,
    TENSOR,
    Type,
    dict_of,
    fits,
    list_of,
    optional,
    optional_mismatch,
    tuple_of,
    unify,
    union,
    without_none,
)
from tsinspect.lint.types.signatures import parameter_types, return_type


def _context(source: str) -> LintContext:
    text = textwrap.dedent(source)
    module = cst.parse_module(text)
    wrapper = cst.MetadataWrapper(module, unsafe_skip_copy=True)
    context = LintContext(
        path="example.py", source=text, module=wrapper.module, wrapper=wrapper, reach=Reach()
    )
    context.reach = analyze(context)
    return context


def _def(context: LintContext, name: str) -> cst.FunctionDef:
    for statement in context.module.body:
        if isinstance(statement, cst.FunctionDef) and statement.name.value == name:
            return statement
    raise LookupError(name)


def _codes(source: str) -> list[tuple[str, int]]:
    return [(d.code, d.line) for d in check_source(textwrap.dedent(source), path="example.py")]


def test_lattice() -> None:
    assert str(optional(TENSOR)) == "Optional[Tensor]"
    assert optional(optional(INT)) == optional(INT)
    assert union([INT, NONE]) == optional(INT)
    assert union([optional(INT), NONE]) == optional(INT)
    assert str(union([INT, TENSOR, NONE])) == "Union[int, Tensor, None]"
    assert without_none(optional(TENSOR)) == TENSOR
    assert without_none(union([INT, TENSOR, NONE])) == union([INT, TENSOR])
    assert str(tuple_of()) == "Tuple[()]"
    assert str(dict_of(STR, list_of(TENSOR))) == "Dict[str, List[Tensor]]"


def test_unify_is_torchscript_merge() -> None:
    assert unify(NONE, TENSOR) == optional(TENSOR)
    assert unify(optional(TENSOR), TENSOR) == optional(TENSOR)
    assert unify(optional(TENSOR), NONE) == optional(TENSOR)
    assert unify(INT, FLOAT) is None
    assert unify(tuple_of(TENSOR, NONE), tuple_of(TENSOR, INT)) == tuple_of(TENSOR, optional(INT))
    assert unify(None, INT) is None


def test_fits_and_optional_mismatch() -> None:
    assert fits(optional(TENSOR), TENSOR) and fits(optional(TENSOR), NONE)
    assert fits(INT, BOOL) and fits(INT, TENSOR) and fits(FLOAT, TENSOR)
    assert fits(FLOAT, INT) is False and fits(NONE, TENSOR) is False
    assert fits(list_of(INT), list_of(FLOAT)) is False
    assert fits(tuple_of(INT), tuple_of(FLOAT)) is None
    assert optional_mismatch(TENSOR, optional(TENSOR))
    assert optional_mismatch(tuple_of(TENSOR, TENSOR), tuple_of(TENSOR, optional(TENSOR)))
    assert optional_mismatch(list_of(TENSOR), list_of(optional(TENSOR)))
    assert not optional_mismatch(optional(TENSOR), optional(TENSOR))
    assert not optional_mismatch(None, optional(TENSOR))


def test_annotations_in_every_spelling() -> None:
    context = _context(
        """
        from __future__ import annotations

        import typing
        from typing import Dict, List, Optional, Tuple, Union

        import torch
        from torch import Tensor


        def fn(
            a: Optional[torch.Tensor],
            b: Tensor | None,
            c: list[int],
            d: "Optional[List[Tensor]]",
            e: typing.Dict[str, Tuple[int, float]],
            f: Union[int, None],
            g: torch.dtype,
            h: Tuple[int, ...],
            long: torch.LongTensor | None,
            half: "torch.HalfTensor",
            bfloat16: torch.BFloat16Tensor,
            z: complex,
            i,
            j=None,
            k=2,
        ) -> Dict[str, Tensor]:
            return {}
        """
    )
    node = _def(context, "fn")
    types = parameter_types(context, node)
    assert types == {
        "a": optional(TENSOR),
        "b": optional(TENSOR),
        "c": INT_LIST,
        "d": optional(list_of(TENSOR)),
        "e": dict_of(STR, tuple_of(INT, FLOAT)),
        "f": optional(INT),
        "g": INT,
        "h": None,
        "long": optional(TENSOR),
        "half": TENSOR,
        "bfloat16": None,
        "z": COMPLEX,
        "i": TENSOR,
        "j": TENSOR,
        "k": None,
    }
    assert return_type(context, node) == dict_of(STR, TENSOR)


def test_type_comment_signature() -> None:
    context = _context(
        """
        import torch


        def fn(x, k=None):
            # type: (Tensor, Optional[int]) -> Tensor
            return x


        def annotated(x: torch.Tensor, k: int = 1) -> int:
            # type: (Tensor, float) -> float
            return k


        @torch.jit.ignore
        def ignored(x: torch.Tensor, k=None):
            # type: (Tensor, Optional[int]) -> Tensor
            return x


        def per_argument(x,  # type: Tensor
                         k,  # type: List[int]
                         ):
            # type: (...) -> Tensor
            return x


        def unresolved(x, k):
            # type: (Tensor, typing.Optional[int]) -> Tensor
            return x


        def miscounted(x: torch.Tensor, k: int):
            # type: (Tensor) -> Tensor
            return x
        """
    )
    # TorchScript resolves `Tensor`, `Optional`, `List`... in a type comment with no import
    fn = _def(context, "fn")
    assert parameter_types(context, fn) == {"x": TENSOR, "k": optional(INT)}
    # a compiled function takes the comment over its annotations, the return too (measured)
    annotated = _def(context, "annotated")
    assert parameter_types(context, annotated) == {"x": TENSOR, "k": FLOAT}
    assert return_type(context, annotated) == FLOAT
    # an ignored function takes its annotations when it has any: unannotated is Tensor
    assert parameter_types(context, _def(context, "ignored"))["k"] == TENSOR
    assert parameter_types(context, _def(context, "per_argument")) == {
        "x": TENSOR,
        "k": INT_LIST,
    }
    # `typing` is not imported: "Unknown type constructor typing.Optional"
    assert parameter_types(context, _def(context, "unresolved"))["k"] is None
    assert parameter_types(context, _def(context, "miscounted")) == {"x": None, "k": None}


def _uses(source: str, name: str = "fn") -> list[tuple[str, str | None, str]]:
    context = _context(source)
    result = flow(context, _def(context, name))
    return [
        (use.use.value, use.check.value if use.check else None, str(use.kind))
        for use in result.optional_uses
    ]


REFINED = """
from typing import Optional

import torch


@torch.jit.script
def fn(x: Optional[torch.Tensor], y: Optional[torch.Tensor]) -> torch.Tensor:
    if x is None or y is None:
        return torch.zeros(1)
    z = x + y
    a = x if x is not None else z
    if not (x is None) and x.dim() > 0:
        z = z * x
    assert y is not None
    if isinstance(x, torch.Tensor):
        z = z + x.sum()
    return z + a + y
"""


def test_refinements_torchscript_sees() -> None:
    assert _uses(REFINED) == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "has = x is not None\nif has:\n    return x.relu()",
            [("attribute", "stored", "Optional[Tensor]")],
        ),
        ("if x:\n    return x.relu()", [("condition", "truthiness", "Optional[Tensor]")]),
        ("while x is not None:\n    return x.relu()", [("attribute", "while", "Optional[Tensor]")]),
        (
            "for i in range(2):\n    if x is None:\n        continue\n    y = x + 1",
            [("operator", "continue", "Optional[Tensor]")],
        ),
        ("if x is not None:\n    y = 1\nreturn x", [("return", None, "Optional[Tensor]")]),
    ],
)
def test_checks_torchscript_does_not_see(
    body: str, expected: list[tuple[str, str | None, str]]
) -> None:
    source = (
        "from typing import Optional\nimport torch\n\n@torch.jit.script\n"
        "def fn(x: Optional[torch.Tensor]) -> torch.Tensor:\n"
        + textwrap.indent(body, "    ")
        + "\n    return torch.zeros(1)\n"
    )
    assert _uses(source) == expected


def test_static_none_checks_compile_one_branch() -> None:
    source = """
    import torch


    @torch.jit.script
    def fn(x: torch.Tensor, mask=None) -> torch.Tensor:
        if x is None:
            return x.foo() + 1
        if mask is not None:
            return x * mask
        y = None
        if y is not None:
            y = x
        return x
    """
    assert _uses(source) == []
    context = _context(source)
    assert flow(context, _def(context, "fn")).type_changes == []


def test_loop_carried_and_nested_block_types() -> None:
    assert _codes(
        """
        from typing import Optional

        import torch


        @torch.jit.script
        def fn(x: torch.Tensor) -> torch.Tensor:
            h: Optional[torch.Tensor] = None
            for i in range(3):
                h = x * i
                h = h + 1
            scale = 1
            if x.sum() > 0:
                scale = 0.5
            return h
        """
    ) == [("TS216", 15), ("TS214", 16)]


def test_optional_attribute_needs_class_annotation() -> None:
    source = """
    from typing import Optional

    import torch
    from torch import nn


    class Model(nn.Module):
        bias: Optional[torch.Tensor]

        def __init__(self) -> None:
            super().__init__()
            self.bias = torch.zeros(4)
            self.scale = None

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if self.scale is not None:
                x = x * self.scale
            return x + self.bias
    """
    assert _codes(source) == [("TS214", 19)]


def test_types_are_values() -> None:
    assert Type("Tensor") == TENSOR and hash(Type("Tensor")) == hash(TENSOR)
