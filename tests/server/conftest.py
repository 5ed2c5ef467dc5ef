"""A real LSP client (pytest-lsp) driving ``tsinspect server`` over stdio, on a small project."""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

pytest.importorskip("pytest_lsp")

import pytest_lsp  # noqa: E402
from lsprotocol import types  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]

# The server runs from this checkout (its lint cache goes into the test's project folder).
SERVER_ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}

MODEL = textwrap.dedent(
    """\
    from typing import Optional

    import torch
    from torch import nn

    from helpers import scale


    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.linear = nn.Linear(4, 4)

        def forward(self, x, mask=None):
            act = lambda t: t * 2
            y = self.linear(x)
            if mask is not None:
                y = y * mask
            return scale(act(y))
    """
)

HELPERS = textwrap.dedent(
    """\
    import torch


    def scale(t: torch.Tensor) -> torch.Tensor:
        return t * 2
    """
)

UNRELATED = textwrap.dedent(
    """\
    def add(a: int, b: int) -> int:
        return a + b
    """
)

PYPROJECT = textwrap.dedent(
    """\
    [project]
    name = "demo"

    [tool.tsinspect]
    ignore = []
    """
)


def write_project(folder: Path) -> None:
    """A small model project: a model that imports a helper, and an unrelated module."""
    (folder / "pyproject.toml").write_text(PYPROJECT)
    (folder / "model.py").write_text(MODEL)
    (folder / "helpers.py").write_text(HELPERS)
    (folder / "unrelated.py").write_text(UNRELATED)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "demo"
    folder.mkdir()
    write_project(folder)
    return folder


def server_config(*prefix: str) -> ClientServerConfig:
    """``python [prefix...] -m tsinspect server``; the prefix runs it under a wrapper."""
    return ClientServerConfig(
        server_command=[sys.executable, *prefix, "-m", "tsinspect", "server"],
        server_env=SERVER_ENV,
    )


@pytest_lsp.fixture(config=server_config())
async def client(lsp_client: LanguageClient, project: Path) -> AsyncIterator[None]:
    await start(lsp_client, project)
    yield
    await lsp_client.shutdown_session()


async def start(lsp_client: LanguageClient, project: Path) -> None:
    """Initialize a session on ``project`` as VS Code would (its capabilities, and it accepts
    the server's file watchers: kept in ``lsp_client.registrations``)."""
    registrations: list[types.Registration] = []
    lsp_client.registrations = registrations  # type: ignore[attr-defined]

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:
        registrations.extend(params.registrations)

    params = types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        root_uri=project.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=project.as_uri(), name="demo")],
    )
    await lsp_client.initialize_session(params)
