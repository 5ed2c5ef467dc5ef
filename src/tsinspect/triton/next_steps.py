"""What a deployer runs after ``tsinspect config``: the server, then a load test.

Pure and torch-free: a config and the concrete input shapes its confirming forward pass
ran (``InferenceResult.example_shapes``) in, shell command lines out.

``perf_analyzer --shape NAME:DIMS`` takes the config's ``dims`` without the batch
dimension (``-b`` sets the batch), and must be given for every input with a
variable-size (``-1``) dim; the perf_analyzer docs' example is
``perf_analyzer -m mymodel -b 4 --shape IMAGE:3,224,224`` for dims ``[3, -1, -1]``
(triton-inference-server/perf_analyzer: docs/input_data.md).
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from tsinspect.triton.config import ModelConfig, TensorConfig

__all__ = ["perf_analyzer_command", "serve_command", "shape_argument"]


def serve_command(repository: str) -> str:
    """``tritonserver --model-repository DIR``."""
    return f"tritonserver --model-repository {shlex.quote(repository)}"


def shape_argument(config: ModelConfig, tensor: TensorConfig, example: Sequence[int]) -> str | None:
    """``NAME:D1,D2,...`` with every ``-1`` of ``dims`` made concrete from the shape the
    model ran with (``example``, batch included when the config batches); None when no dim
    is variable (perf_analyzer needs no --shape then)."""
    if -1 not in tensor.dims:
        return None
    ran = tuple(example[1:] if config.batching else example)
    if tensor.reshape is None and len(ran) == len(tensor.dims):
        dims = [size if dim == -1 else dim for dim, size in zip(tensor.dims, ran, strict=True)]
    else:
        # dims the model sees through a reshape: no position to copy from; the smallest size.
        dims = [1 if dim == -1 else dim for dim in tensor.dims]
    return f"{tensor.name}:{','.join(str(dim) for dim in dims)}"


def perf_analyzer_command(config: ModelConfig, example_shapes: Sequence[Sequence[int]]) -> str:
    """``perf_analyzer -m NAME [--shape INPUT:DIMS ...]`` for the served model."""
    parts = ["perf_analyzer", "-m", shlex.quote(config.name)]
    for index, tensor in enumerate(config.inputs):
        example = example_shapes[index] if index < len(example_shapes) else ()
        shape = shape_argument(config, tensor, example)
        if shape is not None:
            parts += ["--shape", shlex.quote(shape)]
    return " ".join(parts)
