"""TS201 on names imported with ``from m import X``: constants are reported, classes and functions are not."""

from __future__ import annotations

from tsinspect.api.check import check_source

SOURCE = """\
import torch
from torch import nn

from .blocks import MLP, SE, make_norm
from .config import EPS, DROP_RATE, use_fused_attn


class Model(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.mlp = MLP(4)
        self.se = SE(4)
        self.fused = use_fused_attn()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if isinstance(self.se, SE):
            x = self.se(x)
        x = make_norm(x)
        return self.mlp(x) * DROP_RATE + EPS
"""


def _ts201(source: str) -> list[tuple[int, str]]:
    return [(d.line, d.message) for d in check_source(source, path="model.py") if d.code == "TS201"]


def test_constant_style_imports_read_in_forward_are_reported() -> None:
    found = _ts201(SOURCE)
    assert [line for line, _ in found] == [19, 19]
    assert all("bound at module level" in message for _, message in found)


def test_imported_classes_and_functions_are_not_reported() -> None:
    assert not any("`SE`" in m or "`MLP`" in m or "make_norm" in m for _, m in _ts201(SOURCE))


def test_imported_constant_used_only_in_init_is_not_reported() -> None:
    source = SOURCE.replace("self.mlp(x) * DROP_RATE + EPS", "self.mlp(x)")
    assert _ts201(source) == []
