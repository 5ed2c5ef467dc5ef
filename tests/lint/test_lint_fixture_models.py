"""Realistic guards: scriptable models are clean, unscriptable ones are caught where torch fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from tsinspect.api.check import check_paths
from tsinspect.diagnostics import Severity
from tsinspect.settings import Settings

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
MODELS = sorted((FIXTURES / "models").glob("*.py"))


def test_simple_cnn_is_among_the_models() -> None:
    assert FIXTURES / "models" / "simple_cnn.py" in MODELS


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_scriptable_model_has_no_error_findings(path: Path) -> None:
    # Every fixture model is scripted (or traced) by the model-side tests; the linter must agree.
    result = check_paths([path], Settings(), jobs=1)
    errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    assert errors == [], "\n".join(f"{d.path}:{d.line}: {d.code} {d.message}" for d in errors)


@pytest.mark.parametrize(
    ("name", "code", "line", "reach"),
    [
        ("kwargs_forward.py", "TS115", 39, ("TransformerBlock.forward",)),
        ("lambda_activation.py", "TS101", 29, ("MLP.forward", "MLP._activate")),
        ("try_fallback.py", "TS105", 28, ("FusedNorm.forward", "FusedNorm._normalize")),
    ],
)
def test_unscriptable_fixture_is_flagged_where_torch_fails(
    name: str, code: str, line: int, reach: tuple[str, ...]
) -> None:
    result = check_paths([FIXTURES / "unscriptable" / name], Settings(select=("TS1",)), jobs=1)
    assert [(d.code, d.line, d.reach) for d in result.diagnostics] == [(code, line, reach)]


def test_unscriptable_fixture_lines_match_torch(tmp_path: Path) -> None:
    """The lines above are where the real torch.jit.script reports the error."""
    torch = pytest.importorskip("torch")
    import importlib.util

    for name, expected in (("kwargs_forward", 39), ("lambda_activation", 29), ("try_fallback", 28)):
        path = FIXTURES / "unscriptable" / f"{name}.py"
        spec = importlib.util.spec_from_file_location(f"tsinspect_unscriptable_{name}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        with pytest.raises(Exception) as error:
            torch.jit.script(module.build())
        assert f'File "{path}", line {expected}' in str(error.value)
