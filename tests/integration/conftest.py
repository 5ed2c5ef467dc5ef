"""Integration tests drive real external tools (git, pre-commit, pip) end to end.

They are marked ``slow`` (a pre-commit environment is built with pip from the package index):
``pytest -m "not slow"`` skips them locally; CI runs them.
"""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: drives real external tools (git, pre-commit, pip); deselect with -m 'not slow'")
