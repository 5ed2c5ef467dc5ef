"""`tsinspect validate`: hand-written configs checked against the model they serve."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("torch")

SIMPLE_CNN = """\
name: "simple_cnn"
platform: "pytorch_libtorch"
max_batch_size: 8
input [
  {
    name: "INPUT__0"
    data_type: TYPE_FP32
    dims: [ 1, 28, 28 ]
  }
]
output [
  {
    name: "OUTPUT__0"
    data_type: TYPE_FP32
    dims: [ 10 ]
  }
]
"""

TWO_INPUT = """\
name: "two_input"
platform: "pytorch_libtorch"
max_batch_size: 4
input [
  { name: "{first}" data_type: TYPE_FP32 dims: [ 3, 32, 32 ] },
  { name: "{second}" data_type: TYPE_FP32 dims: [ 8 ] }
]
output [ { name: "OUTPUT__0" data_type: TYPE_FP32 dims: [ 5 ] } ]
"""


def _two_input(first: str, second: str) -> str:
    return TWO_INPUT.replace("{first}", first).replace("{second}", second)


@pytest.fixture
def validate(
    model_archive: Callable[[str], Path], run_cli: Callable[..., Any], tmp_path: Path
) -> Callable[[str, str], Any]:
    """``validate("simple_cnn", text)`` -> the CLI result for that config text."""

    def run(model: str, text: str) -> Any:
        path = tmp_path / "config.pbtxt"
        path.write_text(text)
        return run_cli("validate", model_archive(model), path)

    return run


# TS700 notes that Triton's schema (the optional triton extra) is missing; these tests check
# the model and config rules, which run with or without it.
SCHEMA_NOTE = "TS700"


def _codes(result: Any) -> list[str]:
    codes = [
        line.split(": ")[1].split(" ")[0] for line in result.stdout.splitlines() if ": TS7" in line
    ]
    return [code for code in codes if code != SCHEMA_NOTE]


def test_matching_config_passes(validate: Callable[[str, str], Any]) -> None:
    from tsinspect.triton.schema import schema_available

    result = validate("simple_cnn", SIMPLE_CNN)
    assert result.exit_code == 0, result.stdout
    assert _codes(result) == []
    if schema_available():
        assert "config matches the model" in result.stdout


def test_forward_argument_names_pass(validate: Callable[[str, str], Any]) -> None:
    result = validate("two_input", _two_input("image", "metadata"))
    assert result.exit_code == 0, result.stdout


def test_wrong_input_dtype(validate: Callable[[str, str], Any]) -> None:
    result = validate("simple_cnn", SIMPLE_CNN.replace("TYPE_FP32", "TYPE_FP64", 1))
    assert result.exit_code == 1
    assert _codes(result) == ["TS714"]
    assert "simple_cnn.py:33" in result.stdout  # the line where the model breaks
    assert "Input type (double)" in result.stdout


def test_wrong_input_count(validate: Callable[[str, str], Any]) -> None:
    text = (
        _two_input("INPUT__0", "INPUT__1")
        .replace('  { name: "INPUT__1" data_type: TYPE_FP32 dims: [ 8 ] }\n', "")
        .replace("dims: [ 3, 32, 32 ] },", "dims: [ 3, 32, 32 ] }")
    )
    result = validate("two_input", text)
    assert result.exit_code == 1
    assert "TS710" in _codes(result)
    assert "configuration expects 1 inputs, model provides 2" in result.stdout


def test_wrong_dict_key_name(validate: Callable[[str, str], Any]) -> None:
    text = """\
name: "dict_input"
platform: "pytorch_libtorch"
max_batch_size: 8
input [
  { name: "ids" data_type: TYPE_INT64 dims: [ -1 ] },
  { name: "attention_mask" data_type: TYPE_BOOL dims: [ -1 ] }
]
output [ { name: "OUTPUT__0" data_type: TYPE_FP32 dims: [ 16 ] } ]
"""
    result = validate("dict_input", text)
    assert result.exit_code == 1
    assert "input 'ids' is not a key the model reads" in result.stdout
    assert "reads dict key(s) input_ids that the config does not provide" in result.stdout
    assert _codes(result) == ["TS713", "TS713"]  # no probe: the KeyError is already explained
    assert "config.pbtxt:5:" in result.stdout  # the line of the wrong entry


def test_silent_naming_fallback(validate: Callable[[str, str], Any]) -> None:
    # "meta" is not forward's "metadata": the backend silently maps both by config order.
    result = validate("two_input", _two_input("image", "meta"))
    assert result.exit_code == 1
    assert _codes(result) == ["TS711"]
    assert "'meta' -> argument 1 'metadata'" in result.stdout
    # Swapped names in config order that still look valid: the probe then feeds the wrong tensors.
    result = validate("two_input", _two_input("metadata_in", "image_in"))
    assert "TS711" in _codes(result)


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [
        ("INPUT__0", "INPUT__0", "repeats index 0"),
        ("INPUT__0", "INPUT__2", "has index 2 but forward takes only 2"),
        ("IN__A__0", "IN__A__1", "has two '__'"),
    ],
)
def test_bad_named_index(
    validate: Callable[[str, str], Any], first: str, second: str, message: str
) -> None:
    result = validate("two_input", _two_input(first, second))
    assert result.exit_code == 1
    assert "TS712" in _codes(result)
    assert message in result.stdout


def test_wrong_output_dims_and_dtype(validate: Callable[[str, str], Any]) -> None:
    result = validate("simple_cnn", SIMPLE_CNN.replace("dims: [ 10 ]", "dims: [ 1000 ]"))
    assert result.exit_code == 1
    assert _codes(result) == ["TS718"]
    assert "has shape [1, 10] but the config says [1, 1000]" in result.stdout
    assert "config.pbtxt:15:" in result.stdout  # the dims line
    text = SIMPLE_CNN[::-1].replace("TYPE_FP32"[::-1], "TYPE_FP16"[::-1], 1)[::-1]
    result = validate("simple_cnn", text)
    assert _codes(result) == ["TS717"]


def test_input_dims_the_model_cannot_take(validate: Callable[[str, str], Any]) -> None:
    result = validate(
        "simple_cnn", SIMPLE_CNN.replace("dims: [ 1, 28, 28 ]", "dims: [ 1, 32, 32 ]")
    )
    assert result.exit_code == 1
    assert _codes(result) == ["TS715"]
    out = result.stdout
    assert "simple_cnn.py:36" in out and "self.fc1" in out  # op and source line where it breaks
    assert "[1, 4096] X [3136, 128]" in out  # the shapes involved
    assert "dims that run: max_batch_size 8; INPUT__0: TYPE_FP32 dims [1, 28, 28]" in out


def test_variable_dims_on_a_fixed_size_model(validate: Callable[[str, str], Any]) -> None:
    result = validate(
        "simple_cnn", SIMPLE_CNN.replace("dims: [ 1, 28, 28 ]", "dims: [ 1, -1, -1 ]")
    )
    assert result.exit_code == 1
    assert _codes(result) == ["TS715"]
    assert "-1 probed as" in result.stdout


def test_variable_dims_on_adaptive_model_pass(validate: Callable[[str, str], Any]) -> None:
    text = SIMPLE_CNN.replace('"simple_cnn"', '"resnet_like"').replace(
        "dims: [ 1, 28, 28 ]", "dims: [ 3, -1, -1 ]"
    )
    result = validate("resnet_like", text)
    assert result.exit_code == 0, result.stdout


def test_config_rules_protobuf_does_not_check(validate: Callable[[str, str], Any]) -> None:
    text = SIMPLE_CNN.replace("dims: [ 10 ]", "dims: [ ]").replace("TYPE_FP32", "TYPE_BF16", 1) + (
        'parameters: { key: "ENABLE_NVFUSER" value: { string_value: "true" } }\n'
        'parameters: { key: "INFERENCE_MODE" value: { string_value: "yes" } }\n'
        "dynamic_batching { preferred_batch_size: [ 4, 16 ] }\n"
    )
    result = validate("simple_cnn", text)
    assert result.exit_code == 1
    codes = set(_codes(result))
    assert {"TS704", "TS709", "TS707", "TS708", "TS706"} <= codes


def test_schema_error_has_a_line(
    validate: Callable[[str, str], Any], model_config_pb2: Any
) -> None:
    result = validate("simple_cnn", SIMPLE_CNN.replace("max_batch_size", "max_batchsize"))
    assert result.exit_code == 1
    assert "config.pbtxt:3: TS701" in result.stdout
    assert 'no field named "max_batchsize"' in result.stdout


def test_model_repository_round_trip(
    model_archive: Callable[[str], Path], run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    repository = tmp_path / "models"
    result = run_cli(
        "config",
        model_archive("tuple_output"),
        "--model-repository",
        repository,
        "--name",
        "embedder",
    )
    assert result.exit_code == 0, result.output
    folder = repository / "embedder"
    assert (folder / "config.pbtxt").is_file() and (folder / "1" / "model.pt").is_file()
    assert 'name: "embedder"' in (folder / "config.pbtxt").read_text()
    assert run_cli("validate", folder).exit_code == 0
    # A second run refuses to replace the model, and --force allows it.
    again = run_cli(
        "config",
        model_archive("tuple_output"),
        "--model-repository",
        repository,
        "--name",
        "embedder",
    )
    assert again.exit_code == 2 and "--force" in again.stderr
    forced = run_cli(
        "config",
        model_archive("tuple_output"),
        "--model-repository",
        repository,
        "--name",
        "embedder",
        "--force",
    )
    assert forced.exit_code == 0
    # The folder name must equal the config's name.
    renamed = tmp_path / "other"
    folder.rename(renamed)
    result = run_cli("validate", renamed)
    assert result.exit_code == 1 and "TS703" in result.stdout


def test_missing_schema_is_a_note_or_an_error(
    validate: Callable[[str, str], Any],
    model_archive: Callable[[str], Path],
    run_cli: Callable[..., Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tsinspect.triton import schema

    monkeypatch.setattr(schema, "_model_config_module", lambda: None)
    result = validate("simple_cnn", SIMPLE_CNN)
    assert result.exit_code == 0
    assert "TS700" in result.stdout and "pip install 'tsinspect[triton]'" in result.stdout
    path = tmp_path / "config.pbtxt"
    result = run_cli("validate", model_archive("simple_cnn"), path, "--schema")
    assert result.exit_code == 2
    assert "tritonclient" in result.stderr


def test_library_api(model_archive: Callable[[str], Path], tmp_path: Path) -> None:
    import tsinspect

    path = tmp_path / "config.pbtxt"
    path.write_text(SIMPLE_CNN.replace("dims: [ 10 ]", "dims: [ 11 ]"))
    result = tsinspect.validate_config(model_archive("simple_cnn"), path)
    assert not result.ok
    found = [d for d in result.diagnostics if d.code != SCHEMA_NOTE]
    assert [d.code for d in found] == ["TS718"]
    assert found[0].path == str(path) and found[0].line == 15
