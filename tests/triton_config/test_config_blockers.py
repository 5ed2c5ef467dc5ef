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
        ("dict_output", "TS720", "returns 'Dict[str, Tensor]'", "return a tuple of tensors"),
        ("optional_input", "TS719", "'mask: Optional[Tensor]'", "make 'mask' a plain Tensor"),
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
    assert [d.code for d in result.blockers] == ["TS720"]
    with pytest.raises(tsinspect.InputError):
        tsinspect.render_config(result)
