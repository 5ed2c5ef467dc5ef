"""`tsinspect config` with no hints, for every servable fixture, checked the way Triton would feed it.

The test reads the rendered text back only through Triton's protobuf schema,
builds the inputs Triton would send (zeros of each config dtype and dims, a
batch dim when max_batch_size > 0, a dict keyed by the input names for dict
input), runs them through the archive with torch.jit.load, and compares the
returned tensors with the config's outputs. Nothing else from tsinspect is used.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

SERVABLE = [
    "simple_cnn",
    "resnet_like",
    "fp16_model",
    "token_embedding",
    "two_input",
    "tuple_output",
    "dict_input",
    "audio_conv1d",
]

# Triton DataType enum number -> torch dtype, written out here independently of tsinspect.
_TORCH_DTYPE = {
    1: torch.bool,
    2: torch.uint8,
    6: torch.int8,
    7: torch.int16,
    8: torch.int32,
    9: torch.int64,
    10: torch.float16,
    11: torch.float32,
    12: torch.float64,
}
VARIABLE_SIZE = 40  # what a client might send for a -1 dim


def _shape(entry: Any, batching: bool, batch: int) -> tuple[int, ...]:
    dims = list(entry.reshape.shape) if entry.HasField("reshape") else list(entry.dims)
    dims = [VARIABLE_SIZE if dim == -1 else dim for dim in dims]
    return (batch, *dims) if batching else tuple(dims)


def _feed(config: Any, batch: int, dict_mode: bool) -> list[Any]:
    batching = config.max_batch_size > 0
    tensors = {
        entry.name: torch.zeros(_shape(entry, batching, batch), dtype=_TORCH_DTYPE[entry.data_type])
        for entry in config.input
    }
    if dict_mode:
        return [tensors]
    # <name>__<index> names: the index is the forward position (Triton's NAMED_INDEX rule).
    ordered = sorted(config.input, key=lambda entry: int(entry.name.split("__", 1)[1]))
    return [tensors[entry.name] for entry in ordered]


@pytest.mark.parametrize("name", SERVABLE)
def test_inferred_config_runs_like_triton(
    name: str,
    model_archive: Callable[[str], Path],
    run_cli: Callable[..., Any],
    parse_config: Callable[[str], Any],
    tmp_path: Path,
) -> None:
    archive = model_archive(name)
    out = tmp_path / "config.pbtxt"
    result = run_cli("config", archive, "-o", out)
    assert result.exit_code == 0, result.output
    config = parse_config(out.read_text())

    assert config.name == archive.stem
    assert config.platform == "pytorch_libtorch"
    assert len(config.input) >= 1 and len(config.output) >= 1
    for entry in [*config.input, *config.output]:
        assert list(entry.dims), f"{entry.name} has empty dims"

    module = torch.jit.load(str(archive))
    dict_mode = name == "dict_input"
    batches = [1, 2] if config.max_batch_size > 0 else [None]
    for batch in batches:
        with torch.no_grad():
            returned = module(*_feed(config, batch or 1, dict_mode))
        returned = returned if isinstance(returned, tuple) else (returned,)
        assert len(returned) == len(config.output)
        ordered = sorted(config.output, key=lambda entry: int(entry.name.split("__", 1)[1]))
        for entry, tensor in zip(ordered, returned, strict=True):
            assert tensor.dtype == _TORCH_DTYPE[entry.data_type], entry.name
            expected = _shape(entry, config.max_batch_size > 0, batch or 1)
            got = tuple(tensor.shape)
            assert len(got) == len(expected), (entry.name, got, expected)
            for want, have in zip(expected, got, strict=True):
                if want != VARIABLE_SIZE or VARIABLE_SIZE not in got:
                    assert want == have, (entry.name, got, expected)


def test_expected_answers_for_known_models(
    model_archive: Callable[[str], Path],
    run_cli: Callable[..., Any],
    parse_config: Callable[[str], Any],
) -> None:
    """Spot-check the values a person would write by hand for three fixtures."""
    simple = parse_config(run_cli("config", model_archive("simple_cnn"), "-q").stdout)
    assert simple.max_batch_size > 0
    assert list(simple.input[0].dims) == [1, 28, 28]
    assert list(simple.output[0].dims) == [10]
    resnet = parse_config(run_cli("config", model_archive("resnet_like"), "-q").stdout)
    assert list(resnet.input[0].dims) == [3, -1, -1]
    tokens = parse_config(run_cli("config", model_archive("token_embedding"), "-q").stdout)
    assert tokens.input[0].data_type == 9  # TYPE_INT64
    assert list(tokens.input[0].dims) == [-1]
    half = parse_config(run_cli("config", model_archive("fp16_model"), "-q").stdout)
    assert half.input[0].data_type == 10 and half.output[0].data_type == 10  # TYPE_FP16
    dict_config = parse_config(run_cli("config", model_archive("dict_input"), "-q").stdout)
    assert [entry.name for entry in dict_config.input] == ["input_ids", "attention_mask"]
    assert [entry.data_type for entry in dict_config.input] == [9, 1]  # INT64, BOOL
    audio = parse_config(run_cli("config", model_archive("audio_conv1d"), "-q").stdout)
    assert list(audio.input[0].dims) == [1, 8000]


def test_every_inferred_value_is_labelled(
    model_archive: Callable[[str], Path], run_cli: Callable[..., Any]
) -> None:
    result = run_cli("config", model_archive("simple_cnn"))
    text = result.stdout
    assert "# max_batch_size <- probe:" in text
    assert "# data_type <- weights: conv2d weight conv1.weight is float32" in text
    assert "sizes 28..31 run; picked 28" in text
    assert "dims <- weights" in result.stderr  # the same summary on stderr


def test_config_prints_the_deployers_next_commands(
    run_cli: Callable[..., Any], model_archive: Callable[..., Path], tmp_path: Path
) -> None:
    """After writing a model repository: the server command for that folder, and a
    perf_analyzer line whose --shape makes every -1 dim concrete at a size the model runs."""
    import shlex

    archive = model_archive("resnet_like")
    repository = tmp_path / "model repo"
    result = run_cli("config", archive, "--model-repository", repository)
    assert result.exit_code == 0, result.stderr
    steps = result.stderr.split("tsinspect: next steps:\n", 1)[1].splitlines()
    assert steps[0] == f"  tritonserver --model-repository {shlex.quote(str(repository))}"
    command = shlex.split(steps[1])
    assert command[:3] == ["perf_analyzer", "-m", "resnet_like"]
    assert command[3] == "--shape" and command[4].startswith("input__0:")
    dims = [int(size) for size in command[4].split(":", 1)[1].split(",")]
    assert len(dims) == 3 and dims[0] == 3 and all(size > 0 for size in dims)
    model = torch.jit.load(str(repository / "resnet_like" / "1" / "model.pt"))
    assert model(torch.zeros(1, *dims)).shape == (1, 10)  # perf_analyzer's requests run

    # -o into a model folder: the repository is the folder above it.
    folder = tmp_path / "repo" / "simple_cnn"
    folder.mkdir(parents=True)
    written = run_cli("config", model_archive("simple_cnn"), "-o", folder / "config.pbtxt")
    assert written.exit_code == 0, written.stderr
    assert f"tritonserver --model-repository {tmp_path / 'repo'}\n" in written.stderr
    assert "perf_analyzer -m simple_cnn\n" in written.stderr  # fixed dims need no --shape
    # stdout (a pipe) and -q print no steps
    assert "next steps" not in run_cli("config", model_archive("simple_cnn")).stderr
    quiet = run_cli("config", model_archive("simple_cnn"), "-o", tmp_path / "c.pbtxt", "-q")
    assert quiet.exit_code == 0 and quiet.stderr.startswith("tsinspect: wrote")
    assert "next steps" not in quiet.stderr


def test_perf_analyzer_shapes_leave_out_the_batch_and_fill_every_variable_dim() -> None:
    from tsinspect.triton.config import ModelConfig, TensorConfig
    from tsinspect.triton.next_steps import perf_analyzer_command

    image = TensorConfig("IMAGE", "TYPE_FP32", (3, -1, -1))
    fixed = TensorConfig("SCALE", "TYPE_FP32", (1,))
    batched = ModelConfig("my model", 8, (image, fixed), ())
    assert (
        perf_analyzer_command(batched, [(1, 3, 224, 200), (1, 1)])
        == "perf_analyzer -m 'my model' --shape IMAGE:3,224,200"
    )
    unbatched = ModelConfig("m", 0, (TensorConfig("x", "TYPE_INT64", (-1, 16)),), ())
    assert perf_analyzer_command(unbatched, [(4, 16)]) == "perf_analyzer -m m --shape x:4,16"
