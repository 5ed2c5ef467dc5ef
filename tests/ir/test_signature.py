"""forward's signature read back from real archives: names, c10 types, defaults, returns."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tsinspect.ir.archive import load_scripted
from tsinspect.ir.signature import TorchType, read_signature

torch = pytest.importorskip("torch")


class Scalars(torch.nn.Module):
    """A forward with the non-tensor types Triton users meet: strings, flags, devices, lists."""

    def forward(
        self,
        tokens: list[str],
        flag: bool,
        name: str,
        device: torch.device,
        sizes: list[int] | None = None,
    ) -> list[str]:
        return tokens


def test_simple_cnn_scripted_and_traced(model_archive: Callable[..., Path]) -> None:
    for trace in (False, True):
        signature = read_signature(load_scripted(model_archive("simple_cnn", trace=trace)))
        assert signature.argument_names == ("x",)
        assert signature.arguments[0].type == TorchType("Tensor", (), "Tensor")
        assert signature.arguments[0].default is None
        assert signature.returns.is_tensor
        assert str(signature) == "forward(x: Tensor) -> Tensor"


def test_several_argument_types_and_defaults(model_archive: Callable[..., Path]) -> None:
    signature = read_signature(load_scripted(model_archive("multi_input_types")))
    kinds = {a.name: (a.type.kind, a.type.text, a.default) for a in signature.arguments}
    assert kinds == {
        "image": ("Tensor", "Tensor", None),
        "features": ("Tensor", "Tensor", None),
        "mask": ("Optional", "Optional[Tensor]", "None"),
        "scale": ("float", "float", "1.0"),
        "top_k": ("int", "int", "5"),
    }
    mask = signature.argument("mask").type
    assert mask.is_optional and mask.element is not None and mask.element.is_tensor
    assert signature.returns.kind == "Tuple"
    assert [arg.kind for arg in signature.returns.args] == ["Tensor", "Tensor"]
    assert signature.returns.tensor_count() == 2


def test_dict_input(model_archive: Callable[..., Path]) -> None:
    signature = read_signature(load_scripted(model_archive("dict_in_tuple_out")))
    (argument,) = signature.arguments
    assert argument.name == "inputs"
    assert argument.type.is_str_tensor_dict
    assert argument.type.text == "Dict[str, Tensor]"
    assert [a.kind for a in argument.type.args] == ["str", "Tensor"]


def test_nested_and_dict_returns(model_archive: Callable[..., Path]) -> None:
    nested = read_signature(load_scripted(model_archive("nested_outputs"))).returns
    assert nested.text == "Tuple[Tensor, Dict[str, List[Tensor]]]"
    features, maps = nested.args
    assert features.is_tensor
    assert maps.kind == "Dict" and maps.element is not None
    assert maps.element.kind == "List" and maps.element.element == TorchType("Tensor", (), "Tensor")
    assert nested.tensor_count() is None  # a list holds any number of tensors
    named = read_signature(load_scripted(model_archive("named_heads"))).returns
    assert named.is_str_tensor_dict


def test_scalar_types_device_and_lists() -> None:
    signature = read_signature(torch.jit.script(Scalars()))
    types = {a.name: a.type for a in signature.arguments}
    assert types["tokens"].is_str_list
    assert types["flag"].kind == "bool"
    assert types["name"].kind == "str"
    assert types["device"].kind == "Device"
    assert types["sizes"].text == "Optional[List[int]]"
    assert types["sizes"].element == TorchType("List", (TorchType("int", (), "int"),), "List[int]")
    assert signature.returns.is_str_list


class SelfNamedS(torch.nn.Module):
    """A forward whose module argument is not called ``self``: Triton skips it by type."""

    def forward(s, x: torch.Tensor) -> torch.Tensor:
        return x + 1


def test_module_argument_is_dropped_by_type_not_name() -> None:
    signature = read_signature(torch.jit.script(SelfNamedS()))
    assert signature.argument_names == ("x",)
