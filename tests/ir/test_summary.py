"""The summary (each distinct method body read once) agrees with the inlined walk it replaces.

``tsinspect graph``'s text and ``tsinspect report`` read ``LoadedModel.summary``;
``--dot``/``--json`` read the inlined walk. Both must describe the same graph:
the same node kinds and counts, the same kind decision, the same findings.
"""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

import build as fixture_build  # noqa: E402  (tests/conftest.py puts fixtures/ on sys.path)

from tsinspect.diagnostics import sorted_diagnostics  # noqa: E402
from tsinspect.ir.findings import archive_findings  # noqa: E402
from tsinspect.ir.walk import GraphSummary, summarise_module, walk_module  # noqa: E402
from tsinspect.triton.serving import signature_blockers  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
# Fixtures that torch.jit.trace can export too (the others take dicts, return dicts or
# register ops that tracing rejects).
TRACEABLE = ("simple_cnn", "resnet_like", "nested_blocks", "control_flow", "multi_input_types")
# Kinds the findings read, besides constants.
FINDING_KINDS = ("prim::PythonOp", "prim::Print", "prim::RaiseException")


def assert_summary_matches_walk(summary: GraphSummary | None, walked: Any) -> None:
    assert summary is not None, "the per-type summary gave up: it should follow this graph"
    assert dict(summary.kind_counts) == dict(Counter(op.kind for op in walked.ops))
    assert summary.node_count == len(walked.ops)
    # the summary stops reading source ranges at the first scripted one
    assert summary.source_style == walked.source_style or (
        summary.source_style == "scripted" and walked.source_style == "mixed"
    )

    def located(ops: Any) -> list[tuple[str, str, str, str, str | None]]:
        return [
            (op.kind, op.scope, op.module_type, op.source, op.constant)
            for op in ops
            if op.kind in FINDING_KINDS
            or (op.kind == "prim::Constant" and op.outputs[0].type.kind == "Device")
        ]

    # the records the findings read: same nodes, same submodule paths, same order
    assert located(summary.finding_ops) == located(walked.ops)


@pytest.mark.parametrize(
    ("name", "trace"),
    [(name, None) for name in fixture_build.fixture_names()] + [(name, True) for name in TRACEABLE],
)
def test_summary_equals_inlined_walk_on_fixtures(
    loaded_model: Callable[..., Any], name: str, trace: bool | None
) -> None:
    model = loaded_model(name, trace=trace)
    assert_summary_matches_walk(model.summary, model.walk)
    assert model.node_count == len(model.ops)
    # the findings from the summary's records are those of the full walk (plus Triton's
    # verdict on the signature, which needs no records)
    assert model.findings == tuple(
        sorted_diagnostics(
            archive_findings(model.path, model.ops, model.parameters, model.kind, model.training)
            + tuple(signature_blockers(model.signature, model.path))
        )
    )
    devices = {
        op.constant
        for op in model.ops
        if op.kind == "prim::Constant" and op.outputs[0].type.kind == "Device"
    }
    assert model.device_constants == tuple(sorted(devices))
    histogram = Counter(op.kind for op in model.ops)
    assert dict(model.op_histogram(include_bookkeeping=True)) == dict(histogram)


def _bench_module() -> Any:
    spec = importlib.util.spec_from_file_location(
        "tsinspect_bench_graph_load", ROOT / "bench" / "graph_load.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_summary_equals_inlined_walk_on_bench_models() -> None:
    bench = _bench_module()
    torch.manual_seed(0)
    resnet = torch.jit.script(bench.ResNet50Like().eval())
    summary = summarise_module(resnet)
    assert_summary_matches_walk(summary, walk_module(resnet))
    assert summary is not None and dict(summary.kind_counts)["aten::conv2d"] == 53

    vit = torch.jit.script(bench.ViTSmallLike(depth=12).eval())
    summary = summarise_module(vit)
    walked = walk_module(vit)
    assert_summary_matches_walk(summary, walked)
    assert summary is not None and summary.node_count > 15_000
    # twelve encoder layers, one body: the summary reads a handful of bodies, not 15,000 nodes
    assert summary.graphs_walked < 20
    assert dict(summary.kind_counts)["aten::layer_norm"] == 2 * 12 + 1


class _Twice(torch.nn.Module):
    """A submodule called twice, one called once inside a branch, one never called."""

    def __init__(self) -> None:
        super().__init__()
        self.shared = torch.nn.Linear(4, 4)
        self.branch = torch.nn.Linear(4, 4)
        self.unused = torch.nn.Conv2d(1, 1, 1)

    def helper(self, x: torch.Tensor) -> torch.Tensor:
        return self.shared(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.shared(self.helper(x))
        if bool(y.sum() > 0):
            y = self.branch(y)
        for _ in range(3):
            y = self.shared(y)  # one call site in the loop body: inlined once
        return y


def test_call_sites_weight_the_counts() -> None:
    module = torch.jit.script(_Twice().eval())
    summary = summarise_module(module)
    walked = walk_module(module)
    assert_summary_matches_walk(summary, walked)
    assert summary is not None
    counts = dict(summary.kind_counts)
    assert counts["aten::linear"] == 4  # helper's, forward's, the loop's, and branch's
    assert "aten::conv2d" not in counts
    scopes = Counter(op.scope for op in walked.ops if op.kind == "aten::linear")
    assert scopes == {"shared": 3, "branch": 1}
    (branch,) = [op for op in walked.ops if op.scope == "branch" and op.kind == "aten::linear"]
    assert branch.block  # inlined inside the prim::If's block


class _Mover(torch.nn.Module):
    def forward(self, x: torch.Tensor, device: torch.device) -> torch.Tensor:
        return x.to(device)


class _PassesDevice(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.mover = _Mover()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.mover(x, torch.device("cuda:0"))


def test_device_passed_into_a_submodule_falls_back_to_the_walk(tmp_path: Path) -> None:
    from tsinspect.api.model import load_model

    module = torch.jit.script(_PassesDevice().eval())
    assert summarise_module(module) is None  # its first consumer is inside the callee
    path = tmp_path / "passes_device.pt"
    module.save(str(path))
    model = load_model(path)
    assert model.device_constants == ("cuda:0",)
    (finding,) = model.findings
    assert finding.code == "TS601"
    assert "aten::to in mover" in finding.message
    assert model.node_count == len(model.ops)
