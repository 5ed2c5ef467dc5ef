"""TS203's autofix: annotate an empty container whose element type is certain, importing from typing if needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tsinspect.api.check import check_source
from tsinspect.lint.fix import fix_text

torch = pytest.importorskip("torch")

from lint_oracle import run_example  # noqa: E402

WITH_FUTURE = '''\
"""Shapes and statistics."""
from __future__ import annotations

import torch
from torch import nn


class Model(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = []
        for d in range(x.dim()):
            shape.append(x.size(d))
        stats = {}
        stats["n"] = 1.5
        return x.reshape(shape) * len(stats)
'''

PEP585 = """\
import torch
from torch import nn


class Model(nn.Module):
    def forward(self, x: torch.Tensor, dims: list[int] = (0,)) -> torch.Tensor:
        flags = []
        flags.append(True)
        return x * len(flags)
"""

MIXED = """\
import torch
from torch import nn


class Model(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        values = []
        values.append(1)
        values.append(2.5)
        return x * len(values)
"""


def _fix(source: str, path: Path) -> str:
    result = fix_text(source, str(path), lambda text: check_source(text, path=str(path)))
    assert not [d for d in result.remaining if d.code == "TS203"], result.remaining
    return result.fixed_source


def test_typing_import_goes_after_future_and_fixed_file_scripts(tmp_path: Path) -> None:
    path = tmp_path / "tsinspect_ts203_future.py"
    fixed = _fix(WITH_FUTURE, path)
    lines = fixed.splitlines()
    assert lines[1] == "from __future__ import annotations"
    assert "from typing import Dict, List" in lines
    assert lines.index("from typing import Dict, List") > 1
    assert "        shape: List[int] = []" in lines
    assert "        stats: Dict[str, float] = {}" in lines
    assert run_example(fixed, path, "tsinspect_ts203_future").stage is None


def test_builtin_generics_when_the_file_uses_them(tmp_path: Path) -> None:
    path = tmp_path / "tsinspect_ts203_pep585.py"
    fixed = _fix(PEP585, path)
    assert "        flags: list[bool] = []" in fixed
    assert "typing" not in fixed
    assert run_example(fixed, path, "tsinspect_ts203_pep585").stage is None


def test_no_edit_when_the_element_type_is_not_one_type() -> None:
    diagnostics = [d for d in check_source(MIXED, path="mixed.py") if d.code == "TS203"]
    assert [d.line for d in diagnostics] == [8]
    assert diagnostics[0].fix is not None and not diagnostics[0].fix.edits


# timm's VisionTransformer.forward_intermediates: the list is built by appends, rebuilt by
# comprehensions in branches, and by `list(zip(...))` in a branch TorchScript prunes. Every
# binding is a list, so storing it into `{}` fails whatever the elements are.
INTERMEDIATES = """\
from typing import Dict, List

import torch
from torch import nn


class Model(nn.Module):
    def forward(self, x: torch.Tensor, prefix: int = 1, reshape: bool = True):
        intermediates = []
        for i in range(2):
            intermediates.append(x * i)
        if prefix:
            intermediates = [y[:, prefix:] for y in intermediates]
        if reshape:
            intermediates = [y.flatten(1) for y in intermediates]
        if not torch.jit.is_scripting() and prefix > 5:
            intermediates = list(zip(intermediates, intermediates))
        result_dict = {}
        result_dict["image_intermediates"] = intermediates
        return result_dict
"""

# The same store when the value is not certainly a list (a parameter): unknown, not reported.
UNKNOWN_VALUE = """\
import torch
from torch import nn


class Model(nn.Module):
    def forward(self, x: torch.Tensor, feats: torch.Tensor):
        result_dict = {}
        result_dict["feats"] = feats
        return result_dict
"""


def test_a_list_in_every_binding_stored_into_an_empty_dict(tmp_path: Path) -> None:
    found = [d for d in check_source(INTERMEDIATES, path="vit.py") if d.code == "TS203"]
    assert [d.line for d in found] == [19]
    assert "Dict[str, List[" in found[0].message
    outcome = run_example(INTERMEDIATES, tmp_path / "tsinspect_ts203_vit.py", "tsinspect_ts203_vit")
    assert outcome.stage is not None and outcome.error_lines[0] == 19
    assert not [d for d in check_source(UNKNOWN_VALUE, path="u.py") if d.code == "TS203"]
