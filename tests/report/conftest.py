"""Report fixtures: reports of the fixture archives, built once per session (each one probes the model)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def model_report(model_archive: Callable[..., Path]) -> Callable[..., Any]:
    """``model_report("simple_cnn", sources=(...,))`` -> its Report, built once per session."""
    from tsinspect.api.report import build_report

    cache: dict[tuple[str, tuple[str, ...], bool], Any] = {}

    def get(name: str, sources: tuple[str, ...] = (), picture: bool = True) -> Any:
        key = (name, sources, picture)
        if key not in cache:
            cache[key] = build_report(model_archive(name), sources, picture=picture)
        return cache[key]

    return get
