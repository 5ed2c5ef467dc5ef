"""Helpers for the Triton config tests: run the CLI, read configs back through Triton's schema."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tsinspect.cli import main


@pytest.fixture(scope="session")
def run_cli() -> Callable[..., Result]:
    """``run_cli("config", path, ...)`` -> click Result, stdout and stderr kept apart."""

    def run(*args: str | Path) -> Result:
        runner = CliRunner()
        return runner.invoke(main, [str(arg) for arg in args], catch_exceptions=False)

    return run


@pytest.fixture(scope="session")
def model_config_pb2() -> Any:
    """Triton's generated ModelConfig protobuf module (skips when tritonclient is missing)."""
    try:
        from tritonclient.grpc import model_config_pb2
    except Exception:
        pytest.skip("tritonclient[grpc] is not installed")
    return model_config_pb2


@pytest.fixture(scope="session")
def parse_config(model_config_pb2: Any) -> Callable[[str], Any]:
    """Parse config.pbtxt text with protobuf's text_format into Triton's ModelConfig."""
    from google.protobuf import text_format

    def parse(text: str) -> Any:
        return text_format.Parse(text, model_config_pb2.ModelConfig())

    return parse
