"""TS610 saved-in-training-mode fires only where training mode changes what the server computes.

Each model is saved without ``.eval()``. The oracle is the archive itself: torch.jit.load, then
forward on the same input in training and in eval mode; TS610 must be reported exactly when the
two outputs differ (or the mode is baked into a trace), and ``graph`` exits 0 when it is not.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tsinspect.cli import main

torch = pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[2]


def _fixture(name: str) -> Any:
    sys.path.insert(0, str(ROOT / "fixtures"))
    import build as fixture_build

    return fixture_build.load_fixture(name)


def _graph(path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["graph", str(path)], catch_exceptions=False)
    return result.exit_code, result.stdout


def _mode_changes_output(path: Path, example: Any) -> bool:
    module = torch.jit.load(str(path))
    torch.manual_seed(0)
    with torch.no_grad():
        trained = module.train()(example)
        evaluated = module.eval()(example)
    return not torch.equal(trained, evaluated)


def test_simple_cnn_without_eval_is_not_reported(tmp_path: Path) -> None:
    """No dropout, no batch norm, no self.training: training mode changes nothing."""
    path = tmp_path / "simple_cnn_train.pt"
    torch.jit.script(_fixture("simple_cnn").SimpleCNN().train()).save(str(path))
    assert torch.jit.load(str(path)).training
    assert not _mode_changes_output(path, torch.randn(2, 1, 28, 28))
    code, out = _graph(path)
    assert code == 0, out
    assert "TS610" not in out


def test_dropout_without_eval_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "mlp_train.pt"
    torch.jit.script(_fixture("optimized_mlp").OptimizedMLP().train()).save(str(path))
    assert _mode_changes_output(path, torch.randn(4, 20))
    code, out = _graph(path)
    assert code == 1
    assert "TS610 the module was saved in training mode and its graph reads it" in out


def test_batch_norm_without_eval_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "cnn_bn_train.pt"
    torch.jit.script(_fixture("frozen_cnn").FrozenCNN().train()).save(str(path))
    assert _mode_changes_output(path, torch.randn(2, 3, 32, 32))
    code, out = _graph(path)
    assert code == 1
    assert "TS610" in out


def test_training_baked_into_a_trace_is_reported(tmp_path: Path) -> None:
    """A trace in training mode keeps dropout active whatever eval() says later."""
    path = tmp_path / "mlp_traced_train.pt"
    example = torch.randn(4, 20)
    model = _fixture("optimized_mlp").OptimizedMLP().train()
    torch.jit.trace(model, (example,), check_trace=False).save(str(path))
    module = torch.jit.load(str(path))
    with torch.no_grad():
        first, second = module.eval()(example), module.eval()(example)
    assert not torch.equal(first, second)  # dropout still active after eval(): baked in
    _, out = _graph(path)
    assert "TS610" in out


def test_eval_mode_models_are_never_reported(loaded_model: Callable[..., Any]) -> None:
    for name in ("resnet_like", "simple_cnn", "frozen_cnn", "optimized_mlp"):
        assert "TS610" not in {d.code for d in loaded_model(name).findings}, name
