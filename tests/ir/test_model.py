"""load_model on real archives: kind, parameters, submodules, signature, and the TS6xx findings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tsinspect.errors import ModelArchiveError

torch = pytest.importorskip("torch")


def codes(model: Any) -> list[str]:
    return [d.code for d in model.findings]


def test_public_api_is_lazy_and_typed(model_archive: Callable[..., Path]) -> None:
    import tsinspect
    from tsinspect.ir.model import LoadedModel

    model = tsinspect.load_model(model_archive("simple_cnn"))
    assert isinstance(model, LoadedModel)
    assert tsinspect.LoadedModel is LoadedModel
    with pytest.raises(AttributeError):
        model.kind = "traced"  # type: ignore[misc]  # frozen


def test_simple_cnn_summary_records(loaded_model: Callable[..., Any]) -> None:
    model = loaded_model("simple_cnn")
    assert model.kind == "scripted"
    assert model.producer_version == "3"
    children = [s for s in model.submodules if s.path]
    assert [(s.path, s.type_name) for s in children] == [
        ("conv1", "Conv2d"), ("relu1", "ReLU"), ("pool1", "MaxPool2d"),
        ("conv2", "Conv2d"), ("relu2", "ReLU"), ("pool2", "MaxPool2d"),
        ("flatten", "Flatten"), ("fc1", "Linear"), ("relu3", "ReLU"), ("fc2", "Linear"),
    ]  # fmt: skip
    conv1 = {p.name: (p.shape, p.dtype) for p in children[0].parameters}
    assert conv1 == {"conv1.weight": ((32, 1, 3, 3), "float32"), "conv1.bias": ((32,), "float32")}
    eager = sum(p.numel() for p in torch.nn.Module.parameters(_eager("simple_cnn")))
    assert model.total_parameter_count == eager
    assert model.total_parameter_bytes == eager * 4
    assert model.findings == ()
    assert dict(model.op_histogram()) == {
        "aten::conv2d": 2, "aten::relu": 3, "aten::max_pool2d": 2, "aten::flatten": 1, "aten::linear": 2,
    }  # fmt: skip


def _eager(name: str) -> Any:
    import build as fixture_build

    return fixture_build.load_fixture(name).build()


def test_traced_is_recognised_and_warned(loaded_model: Callable[..., Any]) -> None:
    traced = loaded_model("simple_cnn", trace=True)
    assert traced.kind == "traced"
    assert "traced_inputs.pkl" in traced.kind_evidence
    assert codes(traced) == ["TS602"]
    assert "frozen" in traced.findings[0].message
    branch = loaded_model("traced_branch")
    assert branch.kind == "traced"
    # tracing kept only the branch the zero example input took: no prim::If, one linear
    assert not any(op.kind == "prim::If" for op in branch.ops)
    assert [op.scope for op in branch.ops if op.kind == "aten::linear"] == ["negative"]


def test_traced_without_stored_inputs_uses_source_ranges(tmp_path: Path) -> None:
    model = _eager("simple_cnn")
    traced = torch.jit.trace(model, (torch.zeros(1, 1, 28, 28),), _store_inputs=False)
    path = tmp_path / "no_inputs.pt"
    traced.save(str(path))
    from tsinspect.api.model import load_model

    loaded = load_model(path)
    assert loaded.kind == "traced"
    assert "stack frames" in loaded.kind_evidence


def test_multiple_inputs_and_optional(loaded_model: Callable[..., Any]) -> None:
    model = loaded_model("multi_input_types")
    assert model.signature.argument_names == ("image", "features", "mask", "scale", "top_k")
    assert codes(model) == ["TS605", "TS605", "TS605"]
    messages = " ".join(d.message for d in model.findings)
    for text in ("'mask: Optional[Tensor]'", "'scale: float'", "'top_k: int'"):
        assert text in messages
    assert model.graph.nodes[model.input_node_ids[2]]["types"] == ["Optional[Tensor]"]


def test_dict_input_is_fine_for_triton(loaded_model: Callable[..., Any]) -> None:
    model = loaded_model("dict_in_tuple_out")
    assert model.signature.arguments[0].type.is_str_tensor_dict
    assert model.signature.returns.text == "Tuple[Tensor, Tensor]"
    assert codes(model) == []


def test_dict_and_nested_outputs_are_reported(loaded_model: Callable[..., Any]) -> None:
    named = loaded_model("named_heads")
    assert codes(named) == ["TS606"]
    assert "Dict[str, Tensor]" in named.findings[0].message
    nested = loaded_model("nested_outputs")
    assert codes(nested) == ["TS606"]
    assert "Tuple[Tensor, Dict[str, List[Tensor]]]" in nested.findings[0].message
    assert any(op.kind == "prim::Loop" for op in nested.ops) or any(
        op.kind == "aten::append" for op in nested.ops
    )


def test_control_flow_model(loaded_model: Callable[..., Any]) -> None:
    model = loaded_model("control_flow")
    assert model.kind == "scripted"
    kinds = {op.kind for op in model.ops}
    assert {"prim::If", "prim::Loop"} <= kinds
    assert codes(model) == ["TS605"]  # steps: int


def test_reduced_precision_weights(loaded_model: Callable[..., Any]) -> None:
    model = loaded_model("mixed_precision")
    dtypes = {p.name: p.dtype for p in model.parameters}
    assert dtypes == {
        "encoder.weight": "float16", "encoder.bias": "float16",
        "head.weight": "bfloat16", "head.bias": "bfloat16",
    }  # fmt: skip
    assert model.total_parameter_bytes == (32 * 16 + 16 + 16 * 4 + 4) * 2
    assert codes(model) == ["TS607", "TS608"]
    assert (
        "2 of 4 parameters and buffers are bfloat16 (head.weight, head.bias)"
        in model.findings[0].message
    )


def test_device_constant(loaded_model: Callable[..., Any]) -> None:
    model = loaded_model("device_constant")
    assert model.device_constants == ("cuda:0",)
    (finding,) = model.findings
    assert finding.code == "TS601" and finding.name == "device-constant"
    assert "'cuda:0' (aten::arange at " in finding.message
    assert "device_constant.py:19" in finding.message
    assert finding.path == model.path and finding.line == 0


def test_custom_op_namespace(model_archive: Callable[..., Path]) -> None:
    from tsinspect.api.model import load_model
    from tsinspect.errors import UntrustedModelError

    path = model_archive("custom_op_model")
    # native code from outside libtorch: refused before loading unless trusted
    with pytest.raises(
        UntrustedModelError, match=r"not loaded: TS603 .*tsfixture::scaled_softplus"
    ):
        load_model(path)
    # building the fixture registered the op in this process, so the archive loads
    model = load_model(path, trust_model=True)
    assert model.custom_op_namespaces == ("tsfixture",)
    assert codes(model) == ["TS603"]
    assert "tsfixture::scaled_softplus" in model.findings[0].message


def test_buffers_and_batchnorm(loaded_model: Callable[..., Any]) -> None:
    model = loaded_model("nested_blocks")
    buffers = [p for p in model.parameters if p.role == "buffer"]
    assert {p.name.rpartition(".")[2] for p in buffers} == {
        "running_mean",
        "running_var",
        "num_batches_tracked",
    }
    assert any(p.dtype == "int64" and p.shape == () for p in buffers)
    assert max(s.depth for s in model.submodules) == 5  # stages.1.0.downsample.0


def test_escape_hatches_print_and_training_mode(loaded_model: Callable[..., Any]) -> None:
    model = loaded_model("debug_hooks")
    assert model.training
    assert codes(model) == ["TS604", "TS609", "TS610"]
    assert "@torch.jit.unused" in model.findings[0].message
    source = (Path(__file__).parents[2] / "fixtures" / "models" / "debug_hooks.py").read_text()
    call_line = source.splitlines().index("            x = self.debug_stats(x)") + 1
    assert f"debug_hooks.py:{call_line}" in model.findings[0].message  # the call site in forward


class _IgnoredForward(torch.nn.Module):
    @torch.jit.ignore  # type: ignore[untyped-decorator]
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x

    @torch.jit.export
    def helper(self, x: torch.Tensor) -> torch.Tensor:
        return x


def test_archive_without_forward(tmp_path: Path) -> None:
    from tsinspect.api.model import load_model

    path = tmp_path / "no_forward.pt"
    torch.jit.script(_IgnoredForward()).save(str(path))
    with pytest.raises(ModelArchiveError, match=r"has no compiled forward\(\) method"):
        load_model(path)


def test_gpu_saved_model_loads_on_cpu_map_location(
    monkeypatch: pytest.MonkeyPatch, model_archive: Callable[..., Path]
) -> None:
    calls: list[Any] = []
    real_load = torch.jit.load

    def spy(path: Any, map_location: Any = None, **kwargs: Any) -> Any:
        calls.append(map_location)
        return real_load(path, map_location=map_location, **kwargs)

    monkeypatch.setattr(torch.jit, "load", spy)
    from tsinspect.api.model import load_model

    load_model(model_archive("simple_cnn"))
    assert calls == ["cpu"]


class _DeviceFollower(torch.nn.Module):
    """Correct in eager (follows x.device), but tracing bakes in the example's device."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + torch.ones(x.shape[-1], device=x.device)


def test_traced_model_bakes_cpu_device(tmp_path: Path) -> None:
    from tsinspect.api.model import load_model

    path = tmp_path / "follower.pt"
    torch.jit.trace(_DeviceFollower().eval(), (torch.zeros(2, 3),)).save(str(path))
    model = load_model(path)
    assert model.kind == "traced"
    assert "cpu" in model.device_constants
    assert codes(model) == ["TS601", "TS602"]
    assert "tracing baked device 'cpu' into the graph (aten::ones" in model.findings[0].message
    scripted_path = tmp_path / "follower_scripted.pt"
    torch.jit.script(_DeviceFollower().eval()).save(str(scripted_path))
    scripted = load_model(scripted_path)
    assert scripted.device_constants == ()
    assert codes(scripted) == []


def test_load_model_with_walk_walks_once(
    model_archive: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``walk=True`` walks while loading, and the returned model keeps that walk (graph and
    report read it for the shapes: a second walk doubled their own time on a ResNet-50)."""
    import tsinspect.ir.model as ir_model
    from tsinspect.api.model import load_model

    walked = load_model(model_archive("simple_cnn"), walk=True)
    summarised = load_model(model_archive("simple_cnn"))

    def no_second_walk(*args: object, **kwargs: object) -> None:
        raise AssertionError("walked again")

    monkeypatch.setattr(ir_model, "walk_module", no_second_walk)
    assert len(walked.walk.ops) == summarised.node_count
    assert walked.summary.kind_counts == summarised.summary.kind_counts
    assert walked.findings == summarised.findings
