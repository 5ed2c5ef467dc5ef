"""Output configs from what forward returned, and the output checks ``validate`` borrows:
``output_mismatches`` compares a config's outputs with a forward's.
"""

from __future__ import annotations

from dataclasses import dataclass

from tsinspect.codes import finding
from tsinspect.diagnostics import Diagnostic
from tsinspect.errors import InferenceError
from tsinspect.ir import shapes
from tsinspect.triton import naming
from tsinspect.triton.config import (
    ModelConfig,
    Provenance,
    TensorConfig,
)
from tsinspect.triton.dtypes import (
    is_supported_by_libtorch,
    triton_type_for_torch,
)


def tensors_of(output: shapes.OutputValue) -> list[shapes.OutputValue]:
    return list(output.elements) if output.kind == "tuple" else [output]


def leading_dims(output: shapes.OutputValue) -> list[int | None]:
    leading: list[int | None] = []
    for item in tensors_of(output):
        if item.kind == "tensor" and item.tensor is not None and item.tensor.shape:
            leading.append(item.tensor.shape[0])
        else:
            leading.append(None)
    return leading


def output_configs(
    output: shapes.OutputValue, variable: list[set[int]], batching: bool, path: str
) -> tuple[list[Diagnostic], list[TensorConfig]]:
    blockers: list[Diagnostic] = []
    configs: list[TensorConfig] = []
    if output.kind not in ("tensor", "tuple", "str_list"):
        blockers.append(
            finding(
                "TS606",
                f"forward returned a {output.type_name or output.kind}, which the libtorch "
                "backend cannot read (only Tensor, List[str] or a tuple of those)",
                path,
                hint="return a Tensor or a tuple of tensors",
            )
        )
        return blockers, configs
    elements = tensors_of(output)
    for index, element in enumerate(elements):
        name = f"{naming.DEFAULT_OUTPUT_PREFIX}__{index}"
        dims: tuple[int, ...]
        reshape: tuple[int, ...] | None
        if element.kind == "str_list":
            configs.append(
                string_list_config(name, batching, Provenance("model", "returns List[str]"))
            )
            continue
        if element.kind != "tensor" or element.tensor is None:
            blockers.append(
                finding(
                    "TS606",
                    f"output {index} is a {element.type_name or element.kind}; tuple elements "
                    "must be Tensors or List[str]",
                    path,
                    hint="flatten the returned tuple",
                )
            )
            continue
        tensor = element.tensor
        if not tensor.shape:
            blockers.append(
                finding(
                    "TS721",
                    f"output {index} is a 0-d tensor (a scalar), which the backend refuses "
                    '("output ... is a scalar which is not supported")',
                    path,
                    hint="return it with at least one dim, e.g. value.reshape(1) or value.unsqueeze(0)",
                )
            )
            continue
        data_type = triton_type_for_torch(tensor.dtype)
        if data_type is None or not is_supported_by_libtorch(data_type):
            blockers.append(
                finding(
                    "TS709",
                    f"output {index} is {tensor.dtype}, which the libtorch backend cannot return",
                    path,
                    hint="convert it before returning, e.g. .float() or .half()",
                )
            )
            continue
        if 0 in tensor.shape:
            raise InferenceError(
                f"output {index} has shape {list(tensor.shape)} on zero-filled inputs: its size depends on the "
                "input values, so no dims can be inferred; write the config by hand and check it with "
                "tsinspect validate",
                path=path,
            )
        shape = list(tensor.shape)
        for axis in variable[index] if index < len(variable) else ():
            shape[axis] = -1
        reshape = None
        dims = tuple(shape[1:]) if batching else tuple(shape)
        if not dims:
            dims, reshape = (1,), ()
        detail = f"forward returns {tensor.dtype} {list(tensor.shape)}"
        detail += f" for a batch of {tensor.shape[0]}" if batching else " (full shape)"
        configs.append(
            TensorConfig(
                name,
                data_type,
                dims,
                reshape,
                (("data_type", Provenance("probe", detail)), ("dims", Provenance("probe", detail))),
            )
        )
    return blockers, configs


@dataclass(frozen=True)
class OutputMismatch:
    """One way a forward result differs from the config: ``kind`` dtype, dims, count or kind."""

    kind: str
    name: str
    message: str


def output_mismatches(
    config: ModelConfig, output: shapes.OutputValue, batch: int | None
) -> list[OutputMismatch]:
    """How a forward result differs from the config's outputs (dtype, dims); [] when it matches."""
    problems: list[OutputMismatch] = []
    mapping = naming.map_outputs([tensor.name for tensor in config.outputs])
    returned = tensors_of(output)
    for tensor, position in zip(config.outputs, mapping.positions, strict=True):
        if position >= len(returned):
            problems.append(
                OutputMismatch(
                    "count",
                    tensor.name,
                    f"output '{tensor.name}' reads element "
                    f"{position} but forward returns {len(returned)}",
                )
            )
            continue
        element = returned[position]
        if tensor.data_type == "TYPE_STRING":
            if element.kind != "str_list":
                problems.append(
                    OutputMismatch(
                        "dtype",
                        tensor.name,
                        f"output '{tensor.name}' is TYPE_STRING "
                        f"but forward returns a {element.kind}",
                    )
                )
            continue
        if element.tensor is None:
            problems.append(
                OutputMismatch(
                    "kind",
                    tensor.name,
                    f"output '{tensor.name}': forward returns a "
                    f"{element.type_name or element.kind}",
                )
            )
            continue
        got_type = triton_type_for_torch(element.tensor.dtype)
        if got_type != tensor.data_type:
            problems.append(
                OutputMismatch(
                    "dtype",
                    tensor.name,
                    f"output '{tensor.name}' is {tensor.data_type} "
                    f"in the config but the model returns {element.tensor.dtype} ({got_type})",
                )
            )
        expected = config.full_shape(tensor, batch=batch)
        got = element.tensor.shape
        if len(expected) != len(got) or any(
            e not in (-1, g) for e, g in zip(expected, got, strict=False)
        ):
            problems.append(
                OutputMismatch(
                    "dims",
                    tensor.name,
                    f"output '{tensor.name}' has shape {list(got)} but "
                    f"the config says {list(expected)}",
                )
            )
    return problems


def string_list_config(name: str, batching: bool, data_type_from: Provenance) -> TensorConfig:
    """A List[str] input or output: TYPE_STRING, one string per batch item ([1] reshaped to [])
    when batching, else a variable-length list ([-1])."""
    dims, reshape = ((1,), ()) if batching else ((-1,), None)
    return TensorConfig(name, "TYPE_STRING", dims, reshape, (("data_type", data_type_from),))
