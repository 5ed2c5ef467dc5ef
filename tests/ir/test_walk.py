"""The graph walk: one record per node, scopes, source locations, blocks, values and edges."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tsinspect.ir.walk import parse_module_hierarchy, parse_source_range

torch = pytest.importorskip("torch")


def test_parse_module_hierarchy() -> None:
    assert parse_module_hierarchy("") == ("", "")
    assert parse_module_hierarchy("conv1(Conv2d).SELF(Conv2d)") == ("conv1", "Conv2d")
    assert parse_module_hierarchy(
        "stages(Sequential).1(Sequential).0(BasicBlock).downsample(Sequential).0(Conv2d).SELF(Conv2d)"
    ) == ("stages.1.0.downsample.0", "Conv2d")
    assert parse_module_hierarchy("relu1(ReLU).UNKNOWN_INSTANCE(UNKNOWN_TYPE)") == ("relu1", "ReLU")


def test_parse_source_range_both_styles() -> None:
    scripted = '  File "/src/model.py", line 42\n    return self.fc(x)\n           ~~~ <--- HERE\n'
    assert parse_source_range(scripted) == ("/src/model.py", 42, "scripted")
    traced = (
        "/usr/lib/python3/site-packages/torch/nn/functional.py(1771): relu\n"
        "/src/model.py(17): forward\n"
    )
    assert parse_source_range(traced) == ("/src/model.py", 17, "traced")
    assert parse_source_range("") == (None, None, "none")


def test_simple_cnn_records(loaded_model: Callable[..., Any]) -> None:
    model = loaded_model("simple_cnn")
    calls = [op for op in model.ops if op.kind.startswith("aten::")]
    assert [(op.kind, op.scope, op.module_type) for op in calls] == [
        ("aten::conv2d", "conv1", "Conv2d"),
        ("aten::relu", "relu1", "ReLU"),
        ("aten::max_pool2d", "pool1", "MaxPool2d"),
        ("aten::conv2d", "conv2", "Conv2d"),
        ("aten::relu", "relu2", "ReLU"),
        ("aten::max_pool2d", "pool2", "MaxPool2d"),
        ("aten::flatten", "flatten", "Flatten"),
        ("aten::linear", "fc1", "Linear"),
        ("aten::relu", "relu3", "ReLU"),
        ("aten::linear", "fc2", "Linear"),
    ]
    conv = calls[0]
    assert conv.source_file is not None and conv.source_file.endswith("conv.py")
    assert conv.outputs[0].type.is_tensor
    attrs = {op.target for op in model.ops if op.kind == "prim::GetAttr"}
    assert {"conv1.weight", "conv1.bias", "fc2.weight"} <= attrs
    assert all(not op.block for op in model.ops)  # no control flow in SimpleCNN


def test_graph_edges_follow_values(loaded_model: Callable[..., Any]) -> None:
    model = loaded_model("simple_cnn")
    graph = model.graph
    (input_node,) = model.input_node_ids
    assert graph.nodes[input_node]["op"] == "input"
    assert graph.nodes[input_node]["target"] == "x"
    assert graph.nodes[input_node]["types"] == ["Tensor"]
    conv1 = next(op.id for op in model.ops if op.kind == "aten::conv2d")
    assert graph.has_edge(input_node, conv1)
    assert graph.edges[input_node, conv1]["types"] == ["Tensor"]
    weight = next(op.id for op in model.ops if op.target == "conv1.weight")
    assert graph.has_edge(weight, conv1)
    fc2 = [op.id for op in model.ops if op.kind == "aten::linear"][-1]
    assert list(graph.predecessors(model.output_node_id)) == [fc2]
    assert graph.nodes[model.output_node_id]["op"] == "output"
    # every node has the documented attribute set
    expected = {"op", "kind", "target", "scope", "module_type", "source", "block", "types", "meta"}
    assert all(set(data) == expected for _, data in graph.nodes(data=True))
    # ``shapes`` is added by tsinspect.api.model.model_shapes (another test may have run it
    # on this session-wide model)
    assert all(
        set(data) - {"shapes"} == {"values", "types", "role"}
        for _, _, data in graph.edges(data=True)
    )
    assert graph.number_of_nodes() == len(model.ops) + 2  # + input x + output


def test_control_flow_blocks_are_kept(loaded_model: Callable[..., Any]) -> None:
    model = loaded_model("control_flow")
    loop = next(op for op in model.ops if op.kind == "prim::Loop")
    branch = next(op for op in model.ops if op.kind == "prim::If")
    assert loop.num_blocks == 1 and branch.num_blocks == 2
    assert branch.block == ((loop.id, 0),)
    in_then = [op.kind for op in model.ops if op.block == ((loop.id, 0), (branch.id, 0))]
    in_else = [op.kind for op in model.ops if op.block == ((loop.id, 0), (branch.id, 1))]
    assert in_then == ["aten::add"]
    assert in_else == ["aten::mul", "aten::sub"]
    linear_in_loop = [op for op in model.ops if op.kind == "aten::linear"]
    assert {op.scope for op in linear_in_loop} == {"update", "gate"}
    assert all(op.block == ((loop.id, 0),) for op in linear_in_loop)
    graph = model.graph
    assert graph.nodes[branch.id]["op"] == "control"
    assert graph.nodes[branch.id]["block"] == f"{loop.id}.0"
    # the results of both branches flow back into the prim::If
    returns = [u for u, _, d in graph.in_edges(branch.id, data=True) if d["role"] == "return"]
    assert {graph.nodes[u]["kind"] for u in returns} == {"aten::add", "aten::sub"}
    assert model.graph.nodes[loop.id]["source"].endswith("control_flow.py:22")


def test_nested_scopes(loaded_model: Callable[..., Any]) -> None:
    model = loaded_model("nested_blocks")
    scopes = {op.scope for op in model.ops if op.kind == "aten::conv2d"}
    assert "stages.1.0.downsample.0" in scopes
    assert "stages.0.1.conv2" in scopes
    assert "stem.0" in scopes


def test_traced_scopes_and_locations(loaded_model: Callable[..., Any]) -> None:
    model = loaded_model("nested_blocks", trace=True)
    convs = [op for op in model.ops if op.kind == "aten::_convolution"]
    assert "stages.1.0.downsample.0" in {op.scope for op in convs}
    assert all(op.traced_frame for op in convs if op.source_file)
    assert not any(op.kind in ("prim::If", "prim::Loop") for op in model.ops)


def test_walk_leaves_the_module_unchanged(model_archive: Callable[..., Any]) -> None:
    from tsinspect.ir.archive import load_scripted
    from tsinspect.ir.walk import walk_module

    module = load_scripted(model_archive("nested_blocks"))
    before = str(module.forward.graph)
    walked = walk_module(module)
    assert str(module.forward.graph) == before
    assert any(op.kind == "prim::CallMethod" for op in []) is False
    assert not any(op.kind == "prim::CallMethod" for op in walked.ops)  # inlined on the copy
    assert "prim::CallMethod" in before


def test_constants_recorded(loaded_model: Callable[..., Any]) -> None:
    model = loaded_model("device_constant")
    devices = [
        op.constant
        for op in model.ops
        if op.outputs and op.outputs[0].type.kind == "Device" and op.kind == "prim::Constant"
    ]
    assert devices == ["cuda:0"]
    ints = {
        op.constant
        for op in model.ops
        if op.kind == "prim::Constant" and op.outputs[0].type.kind == "int"
    }
    assert "-1" in ints


def test_walk_records_are_plain_op_records(loaded_model: Callable[..., Any]) -> None:
    """The composer sets each record's fields directly (quicker than the frozen dataclass's
    __init__): every record must hold exactly its class's fields and equal the record the
    class makes."""
    import dataclasses

    from tsinspect.ir.walk import OpRecord, ValueRecord

    names = {field.name for field in dataclasses.fields(OpRecord)}
    value_names = {field.name for field in dataclasses.fields(ValueRecord)}
    for fixture in ("resnet_like", "control_flow"):
        ops = loaded_model(fixture).ops
        assert ops
        for op in ops:
            assert type(op) is OpRecord
            assert set(vars(op)) == names
            assert op == OpRecord(**{name: getattr(op, name) for name in names})
            for value in op.outputs:
                assert type(value) is ValueRecord
                assert set(vars(value)) == value_names
                assert value == ValueRecord(value.id, value.name, value.type)
