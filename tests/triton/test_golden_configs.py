"""`tsinspect config` on every fixture model, compared with the golden files under
tests/triton/golden/ (torchinfo keeps its expected summaries the same way).

``<name>.pbtxt`` is the config written for ``fixtures/models/<name>.py``; ``<name>.blocked``
holds the exit code of a model `config` refuses (a blocker, or an option it needs). A change
in what users read is then a reviewed change to a file, not a silent one.

After an intended change, regenerate the files and review the diff:

    TSINSPECT_UPDATE_GOLDEN=1 python -m pytest tests/triton/test_golden_configs.py
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

pytest.importorskip("torch")

import build as fixture_build  # tests/conftest.py puts fixtures/ on sys.path

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("TSINSPECT_UPDATE_GOLDEN") == "1"


@pytest.mark.parametrize("name", fixture_build.fixture_names())
def test_config_matches_the_golden_file(
    name: str, model_archive: Callable[..., Path], run_cli: Callable[..., Result]
) -> None:
    result = run_cli("config", model_archive(name), "--quiet")
    config, blocked = GOLDEN / f"{name}.pbtxt", GOLDEN / f"{name}.blocked"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        config.unlink(missing_ok=True)
        blocked.unlink(missing_ok=True)
        if result.exit_code == 0:
            config.write_text(result.stdout, encoding="utf-8")
        else:
            blocked.write_text(f"exit {result.exit_code}\n", encoding="utf-8")
    if config.is_file():
        assert result.exit_code == 0, result.output
        assert result.stdout == config.read_text(encoding="utf-8"), (
            f"config of {name} differs from {config.name}; if intended, regenerate "
            "(TSINSPECT_UPDATE_GOLDEN=1) and review the diff"
        )
    else:
        assert blocked.is_file(), f"no golden file for {name}: run with TSINSPECT_UPDATE_GOLDEN=1"
        assert f"exit {result.exit_code}\n" == blocked.read_text(encoding="utf-8"), result.output
        assert result.stdout == "", "a refused model must not get a config"
