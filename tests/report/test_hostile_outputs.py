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


@pytest.mark.parametrize("second", [False, True], ids=["alone", "before-a-good-file"])
def test_report_source_symlink_loop_first(
    second: bool, model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A symlink loop as the first --source: one line, exit 2; the report names it, and a
    readable source after it is still linted (the same TS003 path as ``check``)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "loop.py").symlink_to("loop.py")
    (tmp_path / "good.py").write_text(
        "import torch\n\n\nclass M(torch.nn.Module):\n    def forward(self, *args):\n"
        "        return args[0]\n"
    )
    out = tmp_path / "report.md"
    extra = ["--source", "loop.py"] + (["--source", "good.py"] if second else [])
    code, err = _invoke("report", model, out, *extra)
    assert code == 2
    assert err.count("\n") == 1 and "could not be read" in err and "Traceback" not in err
    written = out.read_text(encoding="utf-8")
    assert "loop.py" in written and "too many levels of symbolic links" in written.lower()
    assert ("TS115" in written) is second  # the file after the loop is still linted
