"""A real LSP client (pytest-lsp) driving ``tsinspect server`` over stdio, on a small project."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

pytest.importorskip("pytest_lsp")

# pytest imports tests with --import-mode=importlib: no test folder is on sys.path, so this
# one puts itself there for the helpers its tests share (lsp_session).
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pytest_lsp
from lsp_session import server_config, start, write_project
from pytest_lsp import LanguageClient


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "demo"
    folder.mkdir()
    write_project(folder)
    return folder


@pytest_lsp.fixture(config=server_config())
async def client(lsp_client: LanguageClient, project: Path) -> AsyncIterator[None]:
    await start(lsp_client, project)
    yield
    await lsp_client.shutdown_session()
