"""The TS2xx/TS3xx rules stay silent where the source cannot tell what TorchScript compiles."""

from __future__ import annotations

from tsinspect.api.check import check_source

HELPER_SETS_ATTRIBUTES = """\
import torch
from torch import nn


def init_state(module):
    module.count = 0


class Model(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        init_state(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.count = 1
        return x
"""

FOLDED_BRANCHES = """\
from typing import Final

import torch
from torch import nn


class Model(nn.Module):
    fork_feat: Final[bool]

    def __init__(self, fork_feat: bool = False) -> None:
        super().__init__()
        self.fork_feat = fork_feat
        self.head = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.fork_feat:
            x = getattr(self, f"norm{0}")(x)
        if self.head is not None:
            x = self.head(x)
        else:
            x = x + sum(p.sum() for p in self.parameters())
        return x
"""

BASE_FROM_ANOTHER_FILE = """\
import torch
from torch import nn

from .layers import Block


class Model(Block, nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.cache = x
        return self.layers[self.index](x)
"""


def _codes(source: str) -> list[str]:
    return [d.code for d in check_source(source, path="model.py") if d.code[:3] in ("TS2", "TS3")]


def test_self_passed_to_a_helper_may_create_attributes() -> None:
    assert _codes(HELPER_SETS_ATTRIBUTES) == []
    direct = HELPER_SETS_ATTRIBUTES.replace("        init_state(self)\n", "")
    assert _codes(direct) == ["TS303"]


def test_branches_torchscript_may_fold_are_not_reported() -> None:
    assert _codes(FOLDED_BRANCHES) == []
    unguarded = FOLDED_BRANCHES.replace(
        "        if self.fork_feat:\n            x = getattr", "        x = getattr"
    )
    assert _codes(unguarded) == ["TS305"]


def test_classes_with_bases_from_other_files_are_not_judged() -> None:
    assert _codes(BASE_FROM_ANOTHER_FILE) == []
    # the same body on a plain nn.Module is reported: the base is what makes it unknowable
    plain = BASE_FROM_ANOTHER_FILE.replace(
        "class Model(Block, nn.Module):", "class Model(nn.Module):"
    )
    assert _codes(plain) == ["TS303"]
