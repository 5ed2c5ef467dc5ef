"""Big graphs: tens of thousands of nodes walk, render and collapse in linear time."""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

STATEMENTS = 4000  # each line becomes 4 graph nodes (two ops and two constants)


def _long_forward_module(tmp_path: Path, statements: int) -> Any:
    """A scripted module whose forward is ``statements`` straight-line ops (TorchScript needs a file)."""
    body = "\n".join("        x = torch.relu(x) * 1.5 + 1.0" for _ in range(statements))
    source = (
        "import torch\n\n\n"
        "class Long(torch.nn.Module):\n"
        "    def forward(self, x: torch.Tensor) -> torch.Tensor:\n"
        f"{body}\n"
        "        return x\n"
    )
    path = tmp_path / f"long_{statements}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(f"tsinspect_long_{statements}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return torch.jit.script(module.Long())


def test_twenty_thousand_nodes(tmp_path: Path) -> None:
    from tsinspect.ir.walk import walk_module
    from tsinspect.render.dot import render_dot, view_graph

    scripted = _long_forward_module(tmp_path, STATEMENTS)
    start = time.perf_counter()
    walked = walk_module(scripted)
    elapsed = time.perf_counter() - start
    calls = [op for op in walked.ops if op.kind.startswith("aten::")]
    assert len(calls) == 3 * STATEMENTS  # relu, mul, add
    assert len(walked.ops) >= 3 * STATEMENTS
    # generous: linear work is well under a second here; a quadratic walk takes minutes
    assert elapsed < 15, f"walk took {elapsed:.1f} s"
    view = view_graph(walked.graph)
    assert view.number_of_nodes() == len(calls) + 2  # constants hidden; input and output
    dot = render_dot(walked.graph)
    assert dot.count("aten::relu") == STATEMENTS
