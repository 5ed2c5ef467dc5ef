"""``tsinspect config`` with the symbolic solver: dims solved from the weights' equations,
confirmed by the probes, labelled ``<- solved`` with the equation, and served as Triton would.

Each config is read back through Triton's own ``model_config_pb2`` and the model is fed
zeros of exactly the config's dims and dtypes (a dict keyed by input name for a
``Dict[str, Tensor]`` forward, as the libtorch backend builds it); the outputs must
match the config's outputs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from tsinspect.api.config import infer_config  # noqa: E402

_TORCH_DTYPES = {"TYPE_FP32": torch.float32, "TYPE_INT64": torch.int64}
# a size for each -1 in a config's dims, as a client would send
_VARIABLE_SIZE = 40


def _serve(path: Path, config: Any, batch: int = 2) -> None:
    from tritonclient.grpc import model_config_pb2

    """Feed zeros of the config's inputs to the model and check the outputs against the config."""
    module = torch.jit.load(str(path))
    batched = config.max_batch_size > 0
    tensors = {}
    for tensor in config.input:
        dims = [_VARIABLE_SIZE if dim == -1 else dim for dim in tensor.dims]
        shape = [batch, *dims] if batched else dims
        dtype = _TORCH_DTYPES[model_config_pb2.DataType.Name(tensor.data_type)]
        tensors[tensor.name] = torch.zeros(shape, dtype=dtype)
    with torch.no_grad():
        if len(module.forward.schema.arguments) == 2 and "Dict" in str(
            module.forward.schema.arguments[1].type
        ):
            output = module(tensors)
        else:
            output = module(*tensors.values())
    (expected,) = config.output
    assert model_config_pb2.DataType.Name(expected.data_type) == "TYPE_FP32"
    assert output.dtype == torch.float32
    dims = [batch, *expected.dims] if batched else list(expected.dims)
    assert len(output.shape) == len(dims)
    assert all(want in (-1, got) for want, got in zip(dims, output.shape, strict=True))


def test_simple_cnn_is_solved_from_the_linear_equation(
    model_archive: Callable[[str], Path],
    run_cli: Callable[..., Any],
    parse_config: Callable[[str], Any],
) -> None:
    path = model_archive("simple_cnn")
    result = run_cli("config", path)
    assert result.exit_code == 0, result.stderr
    config = parse_config(result.stdout)
    assert list(config.input[0].dims) == [1, 28, 28]
    assert "64*(H//4)*(W//4) == 3136 (fc1: aten::linear fc1.weight [128, 3136]" in result.stdout
    _serve(path, config)


def test_dict_inputs_meeting_in_one_linear_are_solved_jointly(
    model_archive: Callable[[str], Path],
    run_cli: Callable[..., Any],
    parse_config: Callable[[str], Any],
) -> None:
    path = model_archive("dict_image_tabular")
    result = run_cli("config", path)
    assert result.exit_code == 0, result.stderr
    config = parse_config(result.stdout)
    dims = {tensor.name: list(tensor.dims) for tensor in config.input}
    assert dims == {"image": [3, 24, 24], "tabular": [6]}
    # the image's size comes from the head, whose 588 features include the tabular branch's 12
    assert "head: aten::linear head.weight [4, 588]" in result.stdout
    assert "F = 6 from F == 6 (tabular_fc: aten::linear tabular_fc.weight [12, 6]" in result.stdout
    _serve(path, config)


def test_dict_model_needs_few_probes(model_archive: Callable[[str], Path]) -> None:
    result = infer_config(model_archive("dict_image_tabular"))
    assert result.config is not None
    # the solved shapes are confirmed, not searched for: a blind search took over a thousand
    assert result.probes <= 8


def test_fully_convolutional_dims_stay_free(
    model_archive: Callable[[str], Path],
    run_cli: Callable[..., Any],
    parse_config: Callable[[str], Any],
) -> None:
    path = model_archive("fully_convolutional")
    result = run_cli("config", path)
    assert result.exit_code == 0, result.stderr
    config = parse_config(result.stdout)
    assert list(config.input[0].dims) == [3, -1, -1]
    assert list(config.output[0].dims) == [5, -1, -1]
    assert "dims <- solved: C = 3 from C == 3" in result.stdout
    assert "free dims: no weight fixes them" in result.stdout
    _serve(path, config)


def test_audio_length_is_solved_in_one_dimension(
    model_archive: Callable[[str], Path],
    run_cli: Callable[..., Any],
    parse_config: Callable[[str], Any],
) -> None:
    path = model_archive("audio_conv1d")
    result = run_cli("config", path)
    assert result.exit_code == 0, result.stderr
    config = parse_config(result.stdout)
    assert list(config.input[0].dims) == [1, 8000]
    assert "L = 8000 (sizes 7872..8127 fit)" in result.stdout
    _serve(path, config)


def test_batch_baked_in_by_tracing_gives_full_shapes(
    model_archive: Callable[[str], Path],
    run_cli: Callable[..., Any],
    parse_config: Callable[[str], Any],
) -> None:
    path = model_archive("fixed_batch_traced")
    result = run_cli("config", path)
    assert result.exit_code == 0, result.stderr
    config = parse_config(result.stdout)
    assert config.max_batch_size == 0
    assert list(config.input[0].dims) == [4, 6]
    assert list(config.output[0].dims) == [4, 1]
    assert "the batch is baked in: no batching, full shapes with N = 4" in result.stdout
    _serve(path, config)
