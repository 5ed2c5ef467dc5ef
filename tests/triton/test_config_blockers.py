"""Models the libtorch backend cannot serve: `config` says why and how to fix, writes nothing, exits 1."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("torch")


@pytest.mark.parametrize(
    ("name", "code", "reason", "fix"),
    [
        ("dict_output", "TS606", "returns 'Dict[str, Tensor]'", "return a tuple of tensors"),
        ("optional_input", "TS605", "'mask: Optional[Tensor]'", "make 'mask' a plain Tensor"),
        ("bf16_input", "TS709", "TYPE_BF16", "convert inside forward"),
    ],
)
def test_blocked_model_gets_no_config(
    name: str,
    code: str,
    reason: str,
    fix: str,
    model_archive: Callable[[str], Path],
    run_cli: Callable[..., Any],
    tmp_path: Path,
) -> None:
    out = tmp_path / "config.pbtxt"
    repository = tmp_path / "repo"
    result = run_cli("config", model_archive(name), "-o", out)
    assert result.exit_code == 1
    assert code in result.stderr and reason in result.stderr
    assert f"fix: {fix}" in result.stderr.replace("\n  ", " ") or fix in result.stderr
    assert not out.exists()
    assert result.stdout == ""
    result = run_cli("config", model_archive(name), "--model-repository", repository)
    assert result.exit_code == 1
    assert not repository.exists()


def test_library_returns_blockers(model_archive: Callable[[str], Path]) -> None:
    import tsinspect

    result = tsinspect.infer_config(model_archive("dict_output"))
    assert result.config is None
    assert [d.code for d in result.blockers] == ["TS606"]
    with pytest.raises(tsinspect.InputError):
        tsinspect.render_config(result)


def test_hard_coded_cuda_device_is_named_not_blamed_on_shapes(
    model_archive: Callable[[str], Path], run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    """A model that creates tensors on cuda:0 cannot run on a CPU: say so, not 'pass --input-shape'."""
    out = tmp_path / "config.pbtxt"
    result = run_cli("config", model_archive("device_constant"), "-o", out)
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert "\n" not in line and len(line) < 500
    assert "CUDA device" in line and "TS601" in line
    assert "--input-shape" not in line
    assert not out.exists()


def test_model_prints_do_not_corrupt_config_on_stdout(
    model_archive: Callable[[str], Path], parse_config: Callable[[str], Any]
) -> None:
    """prim::Print writes to the C stdout; the probes must not put it inside the config text."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "tsinspect", "config", str(model_archive("debug_hooks"))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    config = parse_config(result.stdout)
    assert config.platform == "pytorch_libtorch"
