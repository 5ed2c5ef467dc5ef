"""`tsinspect check --fix` and `--diff`: what is written, what is shown, what remains, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tsinspect.cli import main

# TS501 (`mask=None` without Optional) is fixable; TS101 (a lambda) is not.
FIXABLE = """\
import torch
from torch import nn


class Net(nn.Module):
    def forward(self, x: torch.Tensor, mask=None) -> torch.Tensor:
        # Applied only when given.
        if mask is not None:
            x = x * mask
        return x
"""
FIXED = FIXABLE.replace("import torch\n", "from typing import Optional\nimport torch\n", 1).replace(
    "mask=None", "mask: Optional[torch.Tensor] = None"
)
UNFIXABLE_TOO = FIXABLE.replace(
    "        return x\n", "        act = lambda t: t\n        return act(x)\n"
)


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, ["check", "--isolated", *args], catch_exceptions=False)


@pytest.fixture
def model(tmp_path: Path) -> Path:
    path = tmp_path / "net.py"
    path.write_text(FIXABLE)
    return path


def test_diff_shows_the_fix_and_writes_nothing(model: Path) -> None:
    result = _run("--diff", str(model))
    assert result.exit_code == 1
    assert result.stdout.startswith(f"--- a/{model}\n+++ b/{model}\n")
    assert "+from typing import Optional\n" in result.stdout
    assert (
        "+    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:\n"
        in result.stdout
    )
    assert "Would fix 1 finding" in result.stderr
    assert model.read_text() == FIXABLE


def test_fix_rewrites_the_file_and_reports_nothing_left(model: Path) -> None:
    result = _run("--fix", str(model))
    assert result.exit_code == 0, result.output
    assert model.read_text() == FIXED
    assert "All checks passed!" in result.stdout
    assert "Fixed 1 finding" in result.stderr
    # Fixing again finds nothing to do.
    again = _run("--diff", str(model))
    assert again.exit_code == 0 and again.stdout == ""


def test_fix_reports_what_it_cannot_fix(tmp_path: Path) -> None:
    path = tmp_path / "net.py"
    path.write_text(UNFIXABLE_TOO)
    result = _run("--fix", "--format", "json", str(path))
    assert result.exit_code == 1
    remaining = json.loads(result.stdout)["diagnostics"]
    assert [d["code"] for d in remaining] == ["TS101"]
    assert "mask: Optional[torch.Tensor] = None" in path.read_text()
    assert "act = lambda t: t" in path.read_text()
    assert "Fixed 1 finding" in result.stderr


def test_fix_on_a_clean_tree_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "net.py"
    path.write_text(FIXED)
    before = path.stat().st_mtime_ns
    result = _run("--fix", str(tmp_path))
    assert result.exit_code == 0
    assert path.stat().st_mtime_ns == before


def test_unreadable_input_is_exit_2_and_other_files_are_still_fixed(
    model: Path, tmp_path: Path
) -> None:
    result = _run("--fix", str(model), str(tmp_path / "missing.py"))
    assert result.exit_code == 2
    assert model.read_text() == FIXED
