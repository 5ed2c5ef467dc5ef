"""Model commands run with the cyclic GC paused (tsinspect.gcpause) and give it back after."""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from tsinspect.gcpause import cyclic_gc_paused, with_cyclic_gc_paused


def test_pause_restores_the_state_it_found() -> None:
    assert gc.isenabled()
    with cyclic_gc_paused():
        assert not gc.isenabled()
        with cyclic_gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still holds
    assert gc.isenabled()
    gc.disable()
    try:
        with cyclic_gc_paused():
            pass
        assert not gc.isenabled()  # a caller's own pause is kept
    finally:
        gc.enable()


def test_pause_survives_exit_and_errors() -> None:
    @with_cyclic_gc_paused
    def fails() -> None:
        assert not gc.isenabled()
        raise SystemExit(1)

    with pytest.raises(SystemExit):
        fails()
    assert gc.isenabled()


@pytest.mark.parametrize("command", [["graph"], ["graph", "--json"], ["config"]])
def test_commands_pause_while_running_and_give_it_back(
    command: list[str], model_archive: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tsinspect.api import model as api_model
    from tsinspect.cli import main

    seen: list[bool] = []
    original = api_model.read_model

    def spying(*args: object, **kwargs: object) -> object:
        seen.append(gc.isenabled())
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(api_model, "read_model", spying)
    from tsinspect.ir.symbolic import module as symbolic_module

    original_shapes = symbolic_module.infer_shapes

    def spying_shapes(*args: object, **kwargs: object) -> object:
        seen.append(gc.isenabled())
        return original_shapes(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(symbolic_module, "infer_shapes", spying_shapes)
    result = CliRunner().invoke(main, [*command, str(model_archive("simple_cnn"))])
    assert result.exit_code in (0, 1), result.output
    assert seen and not any(seen)
    assert gc.isenabled()
