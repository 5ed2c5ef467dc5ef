"""The house's arrows are checked, not only described: the import-linter contracts in
pyproject.toml (run by .ci/run and pre-commit) keep the real tree, and fail on a planted
torch import in lint/, a lint module importing the model side, and click outside cli/."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("importlinter")

ROOT = Path(__file__).resolve().parents[1]


def _lint_imports(src: Path) -> subprocess.CompletedProcess[str]:
    """Run the contracts of pyproject.toml over the package under ``src``."""
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from importlinter.cli import lint_imports_command; lint_imports_command()",
            str(ROOT / "pyproject.toml"),
            "--no-cache",
        ],
        cwd=src,
        env={**os.environ, "PYTHONPATH": str(src)},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of src/ to plant imports in."""
    src = tmp_path / "src"
    shutil.copytree(ROOT / "src", src, ignore=shutil.ignore_patterns("__pycache__"))
    return src


def test_the_tree_keeps_every_contract(tree: Path) -> None:
    result = _lint_imports(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    kept = [text for text in result.stdout.splitlines() if "KEPT" in text]
    assert len(kept) == 5 and "BROKEN" not in result.stdout, result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("lint/planted.py", "import torch", "torch is imported only under tsinspect.ir"),
        ("lint/planted.py", "from tsinspect.ir import walk", "lint imports nothing"),
        ("render/planted.py", "import click", "click only under tsinspect.cli"),
        ("triton/planted.py", "import torch", "torch is imported only under tsinspect.ir"),
        ("ir/planted.py", "from tsinspect import api", "shells over api"),
    ],
)
def test_a_planted_import_breaks_its_contract(
    tree: Path, module: str, line: str, contract: str
) -> None:
    (tree / "tsinspect" / module).write_text(f"{line}\n", encoding="utf-8")
    result = _lint_imports(tree)
    assert result.returncode != 0
    broken = [text for text in result.stdout.splitlines() if "BROKEN" in text]
    assert any(text.startswith(contract) for text in broken), result.stdout
