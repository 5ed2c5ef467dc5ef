"""tests/triton is named like the package it tests, and must never be importable as `triton`:
torch probes for OpenAI's `triton` with importlib, and a test folder on sys.path answers it
("module 'triton' has no attribute 'language'"). pytest runs with --import-mode=importlib
(pyproject.toml), which puts no test folder on sys.path."""

from __future__ import annotations

import importlib.util
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_tests_triton_is_not_the_triton_package() -> None:
    spec = importlib.util.find_spec("triton")
    if spec is None:
        return
    locations = [Path(p).resolve() for p in (spec.submodule_search_locations or [])]
    assert TESTS / "triton" not in locations, f"tests/triton shadows `triton`: {locations}"
