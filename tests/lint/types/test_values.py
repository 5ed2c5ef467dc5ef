"""Expression types (tsinspect.lint.types.values and .library): what the flow pass and the TS22x
rules both read. Each expected type was measured with torch.jit.script (torch 2.13); no torch
here."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from tsinspect.lint.reach import Reach, analyze
from tsinspect.lint.rule import LintContext
from tsinspect.lint.types import library
from tsinspect.lint.types.lattice import (
    BOOL,
    FLOAT,
    INT,
    INT_LIST,
    NUMBER,
    STR,
    TENSOR,
    Type,
    list_of,
)
from tsinspect.lint.types.values import ValueTypes


def _types(body: str) -> dict[str, Type | None]:
    """The certain type of every `name = <expression>` in ``body`` (inside a def with
    ``x: Tensor``, ``f: float``, ``n: int``, ``u`` of no known type)."""
    source = (
        "import torch\n\n\ndef fn(x: torch.Tensor, f: float, n: int, u: torch.Size):\n"
        + textwrap.indent(textwrap.dedent(body), "    ")
    )
    module = cst.parse_module(source)
    wrapper = cst.MetadataWrapper(module, unsafe_skip_copy=True)
    context = LintContext(
        path="example.py", source=source, module=wrapper.module, wrapper=wrapper, reach=Reach()
    )
    context.reach = analyze(context)
    values = ValueTypes(context)
    function = cst.ensure_type(context.module.body[1], cst.FunctionDef)
    found: dict[str, Type | None] = {}
    for statement in cst.ensure_type(function.body, cst.IndentedBlock).body:
        small = cst.ensure_type(statement, cst.SimpleStatementLine).body[0]
        if isinstance(small, cst.Assign):
            target = cst.ensure_type(small.targets[0].target, cst.Name)
            found[target.value] = values.of(small.value)
    return found


def test_operators_as_measured() -> None:
    assert _types(
        """
        tensor_bool = x + True
        tensor_item = x + x.item()
        item_times = x.item() * 2
        power = x ** 2
        text = "a" + "b"
        ratio = n / 2
        floor = n // 2
        mixed = n * f
        raw = b"bytes"
        compared = x > 0
        member = n in [1, 2]
        """
    ) == {
        "tensor_bool": TENSOR,
        "tensor_item": TENSOR,
        "item_times": NUMBER,
        "power": TENSOR,
        "text": STR,
        "ratio": FLOAT,
        "floor": INT,
        "mixed": FLOAT,
        "raw": None,
        "compared": TENSOR,
        "member": BOOL,
    }


def test_tensor_members_follow_the_schema_data() -> None:
    assert _types(
        """
        dims = x.dim()
        count = x.numel()
        item = x.item()
        sizes = x.size()
        size = x.size(0)
        parts = x.chunk(2)
        flag = x.is_contiguous()
        shape = x.shape
        dtype = x.dtype
        cast = x.float()
        mask = x.bool()
        legacy_dims = x.ndimension()
        legacy_count = x.nelement()
        """
    ) == {
        "dims": INT,
        "count": INT,
        "item": NUMBER,
        "sizes": INT_LIST,
        "size": INT,
        "parts": list_of(TENSOR),
        "flag": BOOL,
        "shape": INT_LIST,
        "dtype": INT,
        "cast": TENSOR,
        # TorchScript's Tensor has no .bool(), .ndimension(), .nelement() (TS409)
        "mask": None,
        "legacy_dims": None,
        "legacy_count": None,
    }


def test_torch_functions_overloaded_on_their_input() -> None:
    assert _types(
        """
        zeros = torch.zeros(2, 3)
        floor_tensor = torch.floor(x)
        floor_float = torch.floor(f)
        floor_unknown = torch.floor(u)
        where_three = torch.where(x > 0, x, x)
        where_one = torch.where(x)
        total = torch.sum(x, 0)
        """
    ) == {
        "zeros": TENSOR,
        "floor_tensor": TENSOR,
        "floor_float": None,  # aten::floor.float -> int: not followed without the overload
        "floor_unknown": None,
        "where_three": TENSOR,
        "where_one": list_of(TENSOR),
        "total": TENSOR,
    }


@pytest.mark.parametrize("name", sorted(library.TYPED_METHODS))
def test_every_typed_method_is_typed_by_the_data(name: str) -> None:
    call = cst.ensure_type(cst.parse_expression("x.m()"), cst.Call)
    kind = library.tensor_method_type(name, call)
    assert kind is not None and kind.known


@pytest.mark.parametrize("name", sorted(library.TYPED_ATTRIBUTES))
def test_every_typed_attribute_is_typed_by_the_data(name: str) -> None:
    assert library.tensor_attribute_type(name) is not None
