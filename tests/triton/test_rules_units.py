"""Triton's rules as tsinspect encodes them: naming, dtypes, parameters, the pbtxt reader, the renderer."""

from __future__ import annotations

from typing import Any

import pytest

from tsinspect.errors import ConfigError
from tsinspect.render.config_pbtxt import pb_string, render_config
from tsinspect.triton import naming
from tsinspect.triton.config import (
    DynamicBatching,
    InstanceGroup,
    ModelConfig,
    Provenance,
    TensorConfig,
)
from tsinspect.triton.dtypes import is_supported_by_libtorch, parse_dtype, triton_type_for_torch
from tsinspect.triton.parameters import key_problem, parse_boolean, value_problem
from tsinspect.triton.pbtxt import read_config
from tsinspect.triton.validate import check_rules


@pytest.mark.parametrize(
    ("name", "index"),
    [
        ("INPUT__0", 0),
        ("x__12", 12),
        ("x__", 0),
        ("a__b__0", None),
        ("image", None),
        ("in__1a", None),
    ],
)
def test_named_index_reads_like_the_backend(name: str, index: int | None) -> None:
    assert naming.named_index(name) == index


def test_input_conventions() -> None:
    arguments = ("image", "metadata")
    assert (
        naming.input_convention(["metadata", "image"], arguments)
        is naming.Convention.FORWARD_ARGUMENT
    )
    assert naming.map_inputs(["metadata", "image"], arguments).positions == (1, 0)
    assert naming.map_inputs(["B__1", "A__0"], arguments).positions == (1, 0)
    mixed = naming.map_inputs(["image", "INPUT__1"], arguments)
    assert mixed.convention is naming.Convention.STRICT_CONFIG_ORDERING
    assert mixed.positions == (0, 1)
    # outputs never use forward-argument names
    assert naming.output_convention(["image"]) is naming.Convention.STRICT_CONFIG_ORDERING


def test_dtypes() -> None:
    assert (
        parse_dtype("fp16")
        == parse_dtype("torch.float16")
        == parse_dtype("TYPE_FP16")
        == "TYPE_FP16"
    )
    assert parse_dtype("int64") == "TYPE_INT64" and parse_dtype("bool") == "TYPE_BOOL"
    assert parse_dtype("float33") is None
    assert triton_type_for_torch("torch.bfloat16") == "TYPE_BF16"
    assert not is_supported_by_libtorch("TYPE_BF16") and not is_supported_by_libtorch("TYPE_UINT32")
    assert is_supported_by_libtorch("TYPE_UINT8") and is_supported_by_libtorch("TYPE_STRING")


def test_parameters() -> None:
    assert (
        parse_boolean("ON") is True and parse_boolean("0") is False and parse_boolean("yes") is None
    )
    assert value_problem("INTRA_OP_THREAD_COUNT", "four") is not None
    assert value_problem("INTRA_OP_THREAD_COUNT", "4") is None
    assert key_problem("INFERENCE_MODE") is None
    assert "did you mean INFERENCE_MODE" in (key_problem("INFERENCEMODE") or "")
    assert "48e2e29" in (key_problem("ENABLE_NVFUSER") or "")


def test_reader_keeps_lines_and_reads_both_list_styles() -> None:
    text = """# a comment
name: "m"
max_batch_size: 4
input { name: "a" data_type: 11 dims: 3 dims: 4 }
input [
  {
    name: 'b'
    data_type: TYPE_INT64
    dims: [ -1 ]
    reshape: { shape: [ ] }
  }
]
parameters: { key: "INFERENCE_MODE" value: { string_value: "false" } }
"""
    config = read_config(text)
    assert config.name == "m" and config.max_batch_size == 4
    first, second = config.inputs
    assert (first.data_type, first.dims, first.line) == ("TYPE_FP32", (3, 4), 4)
    assert (second.name, second.dims, second.reshape) == ("b", (-1,), ())
    assert second.line == 6 and second.line_of("dims") == 9
    assert config.parameters == (("INFERENCE_MODE", "false"),)
    assert config.line("max_batch_size") == 3


def test_reader_reports_syntax_errors_with_a_line() -> None:
    with pytest.raises(ConfigError, match="line 3"):
        read_config('name: "m"\ninput [\n  { name: "a" dims: [ 1, }\n')


def _config(**changes: Any) -> ModelConfig:
    values: dict[str, Any] = {
        "name": "m",
        "max_batch_size": 8,
        "inputs": (
            TensorConfig(
                "INPUT__0", "TYPE_FP32", (3,), provenance=(("dims", Provenance("weights", "w")),)
            ),
        ),
        "outputs": (TensorConfig("OUTPUT__0", "TYPE_FP32", (1,), reshape=()),),
        "instance_groups": (InstanceGroup("KIND_GPU", 2),),
        "dynamic_batching": DynamicBatching((2, 8), 50),
        "parameters": (("INFERENCE_MODE", "true"), ("DISABLE_CUDNN", "off")),
        "notes": ('a note with "quotes"',),
    }
    values.update(changes)
    return ModelConfig(**values)


def test_rendered_config_round_trips_through_triton_schema(parse_config: Any) -> None:
    text = render_config(_config())
    message = parse_config(text)
    assert message.platform == "pytorch_libtorch"
    assert list(message.output[0].dims) == [1] and list(message.output[0].reshape.shape) == []
    assert message.instance_group[0].kind == 1  # KIND_GPU
    assert message.parameters["DISABLE_CUDNN"].string_value == "off"
    # and the reader gets back the same records
    back = read_config(text)
    assert back.inputs[0].dims == (3,) and back.outputs[0].reshape == ()
    assert back.dynamic_batching == DynamicBatching((2, 8), 50)
    assert "# dims <- weights: w" in text


def test_strings_are_escaped(parse_config: Any) -> None:
    assert pb_string('a"b\\c') == '"a\\"b\\\\c"'
    text = render_config(_config(name='we"ird'))
    assert parse_config(text).name == 'we"ird'


def test_rules_protobuf_does_not_check() -> None:
    config = _config(
        max_batch_size=2,
        inputs=(
            TensorConfig("INPUT__0", "TYPE_BF16", ()),
            TensorConfig("INPUT__1", "TYPE_FP32", (0, 3)),
        ),
        outputs=(TensorConfig("OUTPUT__0", "TYPE_STRING", (4,)),),
        platform="onnxruntime_onnx",
        parameters=(("NUM_THREADS", "4"), ("ENABLE_JIT_PROFILING", "maybe")),
    )
    codes = sorted(d.code for d in check_rules(config, "config.pbtxt", folder_name="other"))
    assert codes == [
        "TS702",
        "TS703",
        "TS704",
        "TS704",
        "TS706",
        "TS707",
        "TS708",
        "TS709",
        "TS722",
    ]
