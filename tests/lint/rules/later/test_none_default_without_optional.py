"""TS501's autofix: the fixed file scripts, saves, reloads and matches eager; unsafe cases are not fixed."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tsinspect.api.check import check_source
from tsinspect.lint.fix import fix_text

torch = pytest.importorskip("torch")

from lint_oracle import run_example  # noqa: E402

FORWARD_MASK = '''\
"""A model whose forward takes an optional mask."""

import torch
from torch import nn


class Model(nn.Module):
    def forward(self, x: torch.Tensor, mask=None, bias=None) -> torch.Tensor:
        if mask is not None and bias is not None:
            x = x * mask + bias
        return x
'''

HELPER_DEFAULT = """\
from typing import Optional
import torch as th
from torch import nn


class Model(nn.Module):
    def forward(self, x: th.Tensor) -> th.Tensor:
        return self.weighted(x)

    def weighted(self, x: th.Tensor, weight=None) -> th.Tensor:
        if weight is None:
            weight = th.ones_like(x)
        return x * weight
"""

UNGUARDED = """\
import torch
from torch import nn


class Model(nn.Module):
    def forward(self, x: torch.Tensor, scale=None) -> torch.Tensor:
        return x * scale
"""


def _fix(source: str, path: Path) -> str:
    result = fix_text(source, str(path), lambda text: check_source(text, path=str(path)))
    assert not [d for d in result.remaining if d.code == "TS501"], result.remaining
    return result.fixed_source


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            FORWARD_MASK,
            "def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None, "
            "bias: Optional[torch.Tensor] = None) -> torch.Tensor:",
        ),
        (
            HELPER_DEFAULT,
            "def weighted(self, x: th.Tensor, weight: Optional[th.Tensor] = None) -> th.Tensor:",
        ),
    ],
    ids=["forward-two-params-new-import", "helper-existing-import-alias"],
)
def test_fixed_file_scripts_and_matches_eager(source: str, expected: str, tmp_path: Path) -> None:
    path = tmp_path / "tsinspect_ts501_fixed.py"
    fixed = _fix(source, path)
    assert expected in fixed
    assert fixed.count("from typing import Optional") == 1
    outcome = run_example(fixed, path, "tsinspect_ts501_fixed")
    assert outcome.stage is None, outcome.error


def test_import_goes_after_the_docstring(tmp_path: Path) -> None:
    fixed = _fix(FORWARD_MASK, tmp_path / "model.py")
    lines = fixed.splitlines()
    assert lines[0].startswith('"""') and lines[1] == "from typing import Optional"


def test_unguarded_use_is_reported_without_an_edit() -> None:
    diagnostics = [d for d in check_source(UNGUARDED, path="model.py") if d.code == "TS501"]
    assert len(diagnostics) == 1
    assert diagnostics[0].line == 6
    assert diagnostics[0].fix is not None and not diagnostics[0].fix.edits


def test_unreached_function_is_not_reported() -> None:
    source = textwrap.dedent(
        """\
        import torch
        from torch import nn


        class Model(nn.Module):
            def forward(self, x: torch.Tensor) -> torch.Tensor:
                return x

            def export(self, path=None) -> None:
                print(path)
        """
    )
    assert [d for d in check_source(source, path="model.py") if d.code == "TS501"] == []
