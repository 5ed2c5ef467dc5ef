"""`tsinspect config` options and the cases inference must handle or refuse with a clear reason."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402


def _save(module: nn.Module, path: Path) -> Path:
    torch.jit.script(module).save(str(path))
    return path


class DataDependent(nn.Module):
    """Branches on a tensor value: the meta device cannot decide it, zeros on the CPU can."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(6, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if bool(x.sum() > 0):
            return self.fc(x)
        return self.fc(x) * 2


class NeedsRealValues(nn.Module):
    """Refuses all-zero input: no probe can run it."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(6, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if bool((x == 0).all()):
            raise RuntimeError("expected a non-empty signal")
        return self.fc(x)


class FlattensBatch(nn.Module):
    """Mixes the batch away: not batch-agnostic, so max_batch_size must be 0."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x).sum(dim=0)


class SequenceClassifier(nn.Module):
    """A batch-first LSTM: the input is [N, L, 10] with any length L."""

    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.LSTM(10, 20, batch_first=True)
        self.fc = nn.Linear(20, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)
        return self.fc(out[:, -1])


class ImageAndTokens(nn.Module):
    """A 3x32x32 image (a Linear fixes its size) beside token ids of any length."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, stride=2, padding=1)
        self.image_fc = nn.Linear(4 * 16 * 16, 8)
        self.embedding = nn.Embedding(50, 8)

    def forward(self, image: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        pixels = self.image_fc(torch.flatten(self.conv(image), 1))
        return pixels + self.embedding(tokens).mean(dim=1)


class ScalarOutput(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x).mean()


class PerSampleScore(nn.Module):
    """Returns one value per sample: a batch-only output needs dims [1] and reshape []."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x).squeeze(1)


def test_input_shape_override_is_used_and_labelled(
    model_archive: Callable[[str], Path],
    run_cli: Callable[..., Any],
    parse_config: Callable[[str], Any],
) -> None:
    result = run_cli("config", model_archive("resnet_like"), "--input-shape", "x=3,64,64")
    assert result.exit_code == 0, result.output
    config = parse_config(result.stdout)
    assert list(config.input[0].dims) == [3, 64, 64]
    assert "# dims <- override: --input-shape" in result.stdout


def test_bad_override_is_a_usage_error(
    model_archive: Callable[[str], Path], run_cli: Callable[..., Any]
) -> None:
    result = run_cli("config", model_archive("simple_cnn"), "--input-shape", "x=1,32,32")
    assert result.exit_code == 2
    assert "does not run on the real model" in result.stderr or "cannot infer" in result.stderr
    result = run_cli("config", model_archive("simple_cnn"), "--input-shape", "nope=1,28,28")
    assert result.exit_code == 2 and "has no input 'nope'" in result.stderr
    result = run_cli("config", model_archive("simple_cnn"), "--input-dtype", "float33")
    assert result.exit_code == 2 and "not a data type" in result.stderr


def test_max_batch_size_zero_gives_full_shapes(
    model_archive: Callable[[str], Path],
    run_cli: Callable[..., Any],
    parse_config: Callable[[str], Any],
) -> None:
    config = parse_config(
        run_cli("config", model_archive("simple_cnn"), "--max-batch-size", "0", "-q").stdout
    )
    assert config.max_batch_size == 0
    assert list(config.input[0].dims) == [1, 1, 28, 28]
    assert list(config.output[0].dims) == [1, 10]


def test_forward_args_naming(
    model_archive: Callable[[str], Path],
    run_cli: Callable[..., Any],
    parse_config: Callable[[str], Any],
    tmp_path: Path,
) -> None:
    result = run_cli(
        "config", model_archive("two_input"), "--naming", "forward-args", "-o", tmp_path / "c.pbtxt"
    )
    assert result.exit_code == 0
    config = parse_config((tmp_path / "c.pbtxt").read_text())
    assert [entry.name for entry in config.input] == ["image", "metadata"]
    assert [entry.name for entry in config.output] == ["output__0"]
    assert run_cli("validate", model_archive("two_input"), tmp_path / "c.pbtxt").exit_code == 0


def test_all_options_render_a_schema_valid_config(
    model_archive: Callable[[str], Path],
    run_cli: Callable[..., Any],
    parse_config: Callable[[str], Any],
) -> None:
    result = run_cli(
        "config", model_archive("simple_cnn"), "-q",
        "--max-batch-size", "16", "--instance-kind", "cpu", "--instance-count", "2",
        "--dynamic-batching", "--preferred-batch-size", "4", "--preferred-batch-size", "16",
        "--max-queue-delay", "100", "--parameter", "INFERENCE_MODE=true",
        "--parameter", "DISABLE_OPTIMIZED_EXECUTION=false",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    config = parse_config(result.stdout)
    assert config.max_batch_size == 16
    assert config.instance_group[0].count == 2
    assert list(config.dynamic_batching.preferred_batch_size) == [4, 16]
    assert config.dynamic_batching.max_queue_delay_microseconds == 100
    assert config.parameters["INFERENCE_MODE"].string_value == "true"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--preferred-batch-size", "32"], "outside 1..8"),
        (["--parameter", "INFERENCE_MODE=yes"], "must be true/false"),
        (["--parameter", "NUM_THREADS=4"], "read only by the Python runtime"),
    ],
)
def test_invalid_options_are_refused(
    args: list[str], message: str, model_archive: Callable[[str], Path], run_cli: Callable[..., Any]
) -> None:
    result = run_cli("config", model_archive("simple_cnn"), *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_output_file_is_not_overwritten(
    model_archive: Callable[[str], Path], run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    out = tmp_path / "config.pbtxt"
    out.write_text("mine")
    result = run_cli("config", model_archive("simple_cnn"), "-o", out)
    assert result.exit_code == 2 and "--force" in result.stderr
    assert out.read_text() == "mine"
    assert run_cli("config", model_archive("simple_cnn"), "-o", out, "--force").exit_code == 0
    assert 'name: "simple_cnn"' in out.read_text()


def test_data_dependent_model_falls_back_to_cpu_probes(
    tmp_path: Path, run_cli: Callable[..., Any], parse_config: Callable[[str], Any]
) -> None:
    archive = _save(DataDependent().eval(), tmp_path / "branchy.pt")
    result = run_cli("config", archive)
    assert result.exit_code == 0, result.output
    assert list(parse_config(result.stdout).input[0].dims) == [6]
    assert "ran on the CPU" in result.stderr and "cannot be called on meta tensors" in result.stderr


def test_model_that_needs_real_values_says_why_and_what_to_pass(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    archive = _save(NeedsRealValues().eval(), tmp_path / "picky.pt")
    result = run_cli("config", archive, "-o", tmp_path / "c.pbtxt")
    assert result.exit_code == 2
    assert "expected a non-empty signal" in result.stderr
    assert "--input-shape x=" in result.stderr
    assert not (tmp_path / "c.pbtxt").exists()


def test_model_that_does_not_batch(
    tmp_path: Path, run_cli: Callable[..., Any], parse_config: Callable[[str], Any]
) -> None:
    archive = _save(FlattensBatch().eval(), tmp_path / "pooled.pt")
    result = run_cli("config", archive)
    assert result.exit_code == 0, result.output
    config = parse_config(result.stdout)
    assert config.max_batch_size == 0
    assert list(config.input[0].dims) == [1, 4]
    assert list(config.output[0].dims) == [3]
    # validate catches a batching config for it
    bad = tmp_path / "bad.pbtxt"
    bad.write_text(
        result.stdout.replace("max_batch_size: 0", "max_batch_size: 8").replace("[ 1, 4 ]", "[ 4 ]")
    )
    checked = run_cli("validate", archive, bad)
    assert checked.exit_code == 1 and "TS705" in checked.stdout


def test_scalar_output_is_a_blocker(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    archive = _save(ScalarOutput().eval(), tmp_path / "scalar.pt")
    result = run_cli("config", archive)
    assert result.exit_code == 1
    assert "TS721" in result.stderr and "reshape(1)" in result.stderr


def test_batch_only_output_gets_reshape(
    tmp_path: Path, run_cli: Callable[..., Any], parse_config: Callable[[str], Any]
) -> None:
    archive = _save(PerSampleScore().eval(), tmp_path / "score.pt")
    result = run_cli("config", archive, "-q")
    assert result.exit_code == 0, result.output
    output = parse_config(result.stdout).output[0]
    assert list(output.dims) == [1]
    assert output.HasField("reshape") and list(output.reshape.shape) == []


def test_library_accepts_a_loaded_module(model_archive: Callable[[str], Path]) -> None:
    import tsinspect

    module = torch.jit.load(str(model_archive("tuple_output")))
    result = tsinspect.infer_config(module, name="embedder", input_dtypes={"features": "fp32"})
    assert result.config is not None
    assert [t.dims for t in result.config.outputs] == [(6,), (12,)]
    text = tsinspect.render_config(result)
    assert text.count('name: "output__') == 2 and 'name: "embedder"' in text


def test_name_must_be_a_folder_name(
    model_archive: Callable[[str], Path], run_cli: Callable[..., Any]
) -> None:
    result = run_cli("config", model_archive("simple_cnn"), "--name", "a/b")
    assert result.exit_code == 2 and "cannot be a model folder name" in result.stderr


def test_validate_json_output(
    model_archive: Callable[[str], Path],
    run_cli: Callable[..., Any],
    tmp_path: Path,
    model_config_pb2: Any,
) -> None:
    """``schema_checked`` is true only with the triton extra: ``model_config_pb2`` skips the
    test cleanly without it (``validate`` then adds its TS700 note)."""
    import json

    config = tmp_path / "config.pbtxt"
    assert run_cli("config", model_archive("simple_cnn"), "-o", config, "-q").exit_code == 0
    config.write_text(config.read_text().replace("dims: [ 10 ]", "dims: [ 12 ]"))
    result = run_cli("validate", model_archive("simple_cnn"), config, "--format", "json")
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload["schema_checked"] is True
    (finding,) = payload["diagnostics"]
    assert (
        finding["code"] == "TS718"
        and finding["path"] == str(config)
        and finding["severity"] == "error"
    )
    assert finding["line"] == config.read_text().splitlines().index("    dims: [ 12 ]") + 1


def test_batch_first_lstm_gets_a_variable_length(
    tmp_path: Path, run_cli: Callable[..., Any], parse_config: Callable[[str], Any]
) -> None:
    archive = _save(SequenceClassifier().eval(), tmp_path / "lstm.pt")
    result = run_cli("config", archive, "-q")
    assert result.exit_code == 0, result.output
    config = parse_config(result.stdout)
    assert config.max_batch_size > 0
    assert list(config.input[0].dims) == [-1, 10]
    assert list(config.output[0].dims) == [3]


def test_each_input_gets_its_own_variable_dims(
    tmp_path: Path, run_cli: Callable[..., Any], parse_config: Callable[[str], Any]
) -> None:
    archive = _save(ImageAndTokens().eval(), tmp_path / "mixed.pt")
    result = run_cli("config", archive, "-q")
    assert result.exit_code == 0, result.output
    config = parse_config(result.stdout)
    assert list(config.input[0].dims) == [3, 32, 32]
    assert list(config.input[1].dims) == [-1]
    assert config.input[1].data_type == 9  # TYPE_INT64
    assert list(config.output[0].dims) == [8]


@pytest.mark.parametrize("command", ["config", "validate"])
def test_custom_op_libraries_are_loaded_before_the_model(
    command: str, model_archive: Callable[[str], Path], run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    """--library works as for `graph`: a missing or unloadable library is one line, exit 2."""
    model = model_archive("simple_cnn")
    config = tmp_path / "config.pbtxt"
    config.write_text('name: "simple_cnn"\nplatform: "pytorch_libtorch"\n', encoding="utf-8")
    paths = [model, config] if command == "validate" else [model]
    missing = tmp_path / "libmissing.so"
    result = run_cli(command, *paths, "--library", missing)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert (
        result.stderr == f"tsinspect: error: {missing}: no such custom-op library: check the path\n"
    )
    not_a_library = tmp_path / "libops.so"
    not_a_library.write_text("not an ELF file", encoding="utf-8")
    result = run_cli(command, *paths, "--library", not_a_library)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(
        f"tsinspect: error: {not_a_library}: cannot load this custom-op library"
    )
    assert result.stderr.count("\n") == 1


def test_overrides_are_read_the_same_by_config_and_report(
    model_archive: Callable[[str], Path], run_cli: Callable[..., Any]
) -> None:
    model = model_archive("simple_cnn")
    for command in ("config", "report"):
        result = run_cli(command, model, "--input-shape", "x=1,28,28", "--input-shape", "1,28,28")
        assert result.exit_code == 2, command
        assert result.stderr == (
            "tsinspect: error: --input-shape: give all shapes by name or all in order\n"
        ), command


class Words(nn.Module):
    """Takes and returns List[str]: Triton's TYPE_STRING, one variable-length list per request."""

    def forward(self, words: list[str], x: torch.Tensor) -> tuple[torch.Tensor, list[str]]:
        return x * float(len(words)), [word.upper() for word in words]


def test_string_lists_become_type_string(
    tmp_path: Path, run_cli: Callable[..., Any], parse_config: Callable[[str], Any]
) -> None:
    path = _save(Words(), tmp_path / "words.pt")
    result = run_cli("config", path, "--max-batch-size", "0", "--input-shape", "x=4")
    assert result.exit_code == 0, result.output
    config = parse_config(result.stdout)
    inputs = [(i.name, config_pb_type(i), list(i.dims)) for i in config.input]
    outputs = [(o.name, config_pb_type(o), list(o.dims)) for o in config.output]
    assert inputs == [("input__0", "TYPE_STRING", [-1]), ("input__1", "TYPE_FP32", [4])]
    assert outputs == [("output__0", "TYPE_FP32", [4]), ("output__1", "TYPE_STRING", [-1])]


def config_pb_type(tensor: Any) -> str:
    from tritonclient.grpc import model_config_pb2

    return str(model_config_pb2.DataType.Name(tensor.data_type))
