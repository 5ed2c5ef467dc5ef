"""Shared test fixtures: TorchScript archives built from fixtures/models/ at test time."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
# pytest runs with --import-mode=importlib (pyproject.toml): no test folder lands on sys.path,
# so tests/triton never shadows a `triton` package. The shared helpers are put there by name:
# the fixture builder, the oracles that tests in several folders import, and the docs generator.
for helpers in (FIXTURES, ROOT / "tests" / "lint", ROOT / "tests" / "report", ROOT / "scripts"):
    sys.path.insert(0, str(helpers))

import build as fixture_build  # noqa: E402


@pytest.fixture(autouse=True)
def _lint_cache_outside_the_tree(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`tsinspect check` caches its results: keep each test's cache out of the folders it
    checks and out of the repository, and never share one between tests."""
    monkeypatch.setenv("TSINSPECT_CACHE_DIR", str(tmp_path_factory.mktemp("tsinspect-cache")))


@pytest.fixture(scope="session")
def model_archive(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """``model_archive("simple_cnn")`` -> path of its TorchScript archive, built once per session."""
    pytest.importorskip("torch")
    cache: dict[tuple[str, bool | None], Path] = {}
    root = tmp_path_factory.mktemp("archives")

    def get(name: str, trace: bool | None = None) -> Path:
        key = (name, trace)
        if key not in cache:
            suffix = "_traced" if trace else ""
            cache[key] = fixture_build.build_archive(name, root / f"{name}{suffix}.pt", trace=trace)
        return cache[key]

    return get


@pytest.fixture(scope="session")
def fixture_module() -> Callable[[str], object]:
    """``fixture_module("simple_cnn")`` -> the imported fixture source module."""
    return fixture_build.load_fixture
