"""-o writers: a dangling symlink is not replaced without --force; a FIFO never is."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from tsinspect.cli import main

torch = pytest.importorskip("torch")


@pytest.fixture
def model(tmp_path: Path) -> Path:
    path = tmp_path / "m.pt"
    torch.jit.script(torch.nn.Linear(2, 2).eval()).save(str(path))
    return path


def _invoke(command: str, model: Path, out: Path, *extra: str) -> tuple[int, str]:
    args = [command, str(model), "-o", str(out), *extra]
    if command == "config":
        args += ["--input-shape", "2"]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    return result.exit_code, result.stderr


@pytest.mark.parametrize("command", ["config", "report"])
def test_dangling_symlink_needs_force(command: str, model: Path, tmp_path: Path) -> None:
    out = tmp_path / ("out.md" if command == "report" else "config.pbtxt")
    out.symlink_to(tmp_path / "nowhere")
    code, err = _invoke(command, model, out)
    assert code == 2 and err.count("\n") == 1
    assert "already exists (a symbolic link); pass --force" in err
    assert out.is_symlink()
    code, _ = _invoke(command, model, out, "--force")
    assert code in (0, 1)
    assert out.is_file() and not out.is_symlink()
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize("command", ["config", "report"])
def test_fifo_is_never_replaced(command: str, model: Path, tmp_path: Path) -> None:
    out = tmp_path / ("out.md" if command == "report" else "config.pbtxt")
    os.mkfifo(out)
    for extra in ((), ("--force",)):
        code, err = _invoke(command, model, out, *extra)
        assert code == 2 and err.count("\n") == 1
        assert "is not a regular file" in err
        assert not out.is_file() and out.exists()
