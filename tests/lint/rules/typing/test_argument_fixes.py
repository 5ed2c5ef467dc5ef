"""The TS220/TS222/TS226 autofixes: the fixed file scripts; unsafe cases carry no edit."""

from __future__ import annotations

from pathlib import Path

import pytest

from tsinspect.api.check import check_source
from tsinspect.lint.fix import fix_text

torch = pytest.importorskip("torch")

from lint_oracle import run_example  # noqa: E402

DEFAULTS = """\
import typing as t

import torch
from torch import nn

EPS = 1e-6


class Model(nn.Module):
    def forward(self, x: torch.Tensor, scale = 2, size=(1, 2), eps=EPS, k: int = 0.5) -> torch.Tensor:
        return x * scale + eps
"""

RANGE_OF_ITEM = """\
import torch
from torch import nn


class Model(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i in range((x > 100).sum().item()):
            x = x + i
        return x
"""

IGNORED_DEFAULT = """\
import torch
from torch import nn


class Model(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (self.python_part(x))

    @torch.jit.ignore
    def python_part(self, x: torch.Tensor, bins: int = 10, mode: str = "sum") -> torch.Tensor:
        return x * bins
"""


def _fix(source: str, path: Path) -> str:
    result = fix_text(source, str(path), lambda text: check_source(text, path=str(path)))
    return result.fixed_source


def test_defaults_are_annotated_with_their_type_and_existing_import(tmp_path: Path) -> None:
    path = tmp_path / "tsinspect_ts220_fixed.py"
    [diagnostic] = [d for d in check_source(DEFAULTS, path=str(path)) if d.code == "TS220"]
    # `k: int = 0.5` is wrong too, but only the author knows which of the two is meant
    assert "`k` (int) = `0.5`" in diagnostic.message
    assert diagnostic.fix is not None and not diagnostic.fix.edits
    fixed = _fix(DEFAULTS.replace(", k: int = 0.5", ""), path)
    assert (
        "def forward(self, x: torch.Tensor, scale: int = 2, size: t.Tuple[int, int] = (1, 2), "
        "eps: float = EPS) -> torch.Tensor:"
    ) in fixed
    assert "from typing import" not in fixed
    outcome = run_example(fixed, path, "tsinspect_ts220_fixed")
    assert outcome.stage is None, outcome.error


def test_number_in_range_is_wrapped_in_int(tmp_path: Path) -> None:
    path = tmp_path / "tsinspect_ts222_fixed.py"
    fixed = _fix(RANGE_OF_ITEM, path)
    assert "for i in range(int((x > 100).sum().item())):" in fixed
    outcome = run_example(fixed, path, "tsinspect_ts222_fixed")
    assert outcome.stage is None, outcome.error


def test_ignored_defaults_are_passed_positionally(tmp_path: Path) -> None:
    path = tmp_path / "tsinspect_ts226_fixed.py"
    fixed = _fix(IGNORED_DEFAULT, path)
    assert 'return (self.python_part(x, 10, "sum"))' in fixed
    module = torch.jit.script(_load(fixed, path, "tsinspect_ts226_fixed").Model())
    assert module(torch.ones(1)).item() == 10.0  # runs in process (not savable: TS507)


def test_keyword_call_of_an_ignored_function_gets_no_edit() -> None:
    source = IGNORED_DEFAULT.replace("self.python_part(x)", "self.python_part(x, bins=3)")
    [diagnostic] = [d for d in check_source(source, path="model.py") if d.code == "TS226"]
    assert "`mode` not passed" in diagnostic.message
    assert diagnostic.fix is not None and not diagnostic.fix.edits


def _load(source: str, path: Path, name: str) -> object:
    import importlib.util
    import sys

    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
