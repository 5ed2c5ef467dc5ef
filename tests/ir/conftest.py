"""Model-side fixtures: LoadedModel records for the fixture archives, loaded once per session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def loaded_model(model_archive: Callable[..., Path]) -> Callable[..., Any]:
    """``loaded_model("simple_cnn", trace=True)`` -> its LoadedModel, read once per session."""
    from tsinspect.api.model import load_model

    cache: dict[tuple[str, bool | None], Any] = {}

    def get(name: str, trace: bool | None = None) -> Any:
        key = (name, trace)
        if key not in cache:
            # The custom op's code is native code outside libtorch: the pre-scan (TS603) refuses
            # it unless trusted. Every other fixture must load without trust.
            trusted = name == "custom_op_model"
            cache[key] = load_model(model_archive(name, trace=trace), trust_model=trusted)
        return cache[key]

    return get
