"""Shape templates and dtypes for an input, from the first op that consumes it (its weights)."""

from __future__ import annotations

from tsinspect.ir import shapes
from tsinspect.triton.config import (
    Provenance,
)
from tsinspect.triton.dtypes import (
    triton_type_for_torch,
)
from tsinspect.triton.infer.records import (
    FREE,
)

_GENERIC = [(FREE,), (FREE, FREE), (FREE, FREE, FREE)]


def templates_from_consumer(
    consumer: shapes.Consumer | None,
) -> tuple[list[tuple[int, ...]], list[str]]:
    """Per-request dims templates (FREE = to solve) and the reasons, from the first consumer.

    When the input reaches the consumer through a rank-changing op (``direct`` is
    False) the weight describes that op's input, so the generic templates follow.
    """
    if consumer is None:
        return list(_GENERIC), []
    templates, reasons = _consumer_templates(consumer)
    if not consumer.direct:
        templates += [template for template in _GENERIC if template not in templates]
    return templates, reasons


def _consumer_templates(consumer: shapes.Consumer) -> tuple[list[tuple[int, ...]], list[str]]:
    weight = consumer.weight_shape
    where = f"{consumer.op.removeprefix('aten::')} weight {consumer.weight_name} {list(weight)}"
    if consumer.role in ("conv", "conv_transpose") and len(weight) >= 3:
        channels = weight[1] * consumer.groups if consumer.role == "conv" else weight[0]
        spatial = len(weight) - 2
        reason = f"{where} takes rank {len(weight)} with {channels} channel(s)"
        return [(channels, *([FREE] * spatial))], [reason]
    if consumer.role == "linear" and len(weight) == 2:
        return [(weight[1],), (FREE, weight[1])], [f"{where} takes {weight[1]} features"]
    if consumer.role == "matmul" and len(weight) == 2:
        return [(weight[0],), (FREE, weight[0])], [f"{where} takes {weight[0]} features"]
    if consumer.role == "rnn" and len(weight) == 2:
        return [(FREE, weight[1])], [f"{where} takes {weight[1]} features per step (batch_first)"]
    if consumer.role == "layer_norm" and consumer.constant_list:
        normalized = consumer.constant_list
        return [(FREE, *normalized), normalized], [f"layer_norm over {list(normalized)}"]
    return list(_GENERIC), []


def dtype_from_consumer(consumer: shapes.Consumer | None) -> tuple[str, Provenance]:
    if consumer is None:
        return "TYPE_FP32", Provenance(
            "default", "no consuming op with weights found; assumed float32"
        )
    where = consumer.op.removeprefix("aten::")
    if consumer.role == "indices":
        return "TYPE_INT64", Provenance(
            "weights", f"feeds {where} as indices ({consumer.weight_name})"
        )
    if consumer.role == "mask":
        return "TYPE_BOOL", Provenance("graph", f"used as the condition of {where}")
    triton_type = triton_type_for_torch(consumer.weight_dtype) or "TYPE_FP32"
    return triton_type, Provenance(
        "weights", f"{where} weight {consumer.weight_name} is {consumer.weight_dtype}"
    )
