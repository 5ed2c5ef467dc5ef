"""What the server tests share: the small project, the server command, and client helpers."""

from __future__ import annotations

import asyncio
import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

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

BASE = textwrap.dedent(
    """\
    from torch import nn


    class Base(nn.Module):
        pass
    """
)

BLOCKS = textwrap.dedent(
    """\
    from base import Base


    class Block(Base):
        def forward(self, x):
            f = lambda t: t
            return f(x)
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
    """A small model project: a model that imports a helper, a block whose base class (in
    another file) makes it an nn.Module, and an unrelated module."""
    (folder / "pyproject.toml").write_text(PYPROJECT)
    (folder / "model.py").write_text(MODEL)
    (folder / "helpers.py").write_text(HELPERS)
    (folder / "unrelated.py").write_text(UNRELATED)
    (folder / "base.py").write_text(BASE)
    (folder / "blocks.py").write_text(BLOCKS)


def server_config(*prefix: str) -> ClientServerConfig:
    """``python [prefix...] -m tsinspect server``; the prefix runs it under a wrapper."""
    return ClientServerConfig(
        server_command=[sys.executable, *prefix, "-m", "tsinspect", "server"],
        server_env=SERVER_ENV,
    )


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


Predicate = Callable[[Sequence[types.Diagnostic]], bool]


async def published(
    client: LanguageClient, uri: str, until: Predicate = lambda _: True, timeout: float = 60
) -> Sequence[types.Diagnostic]:
    """The diagnostics published for ``uri`` once ``until`` holds for them."""

    async def wait() -> Sequence[types.Diagnostic]:
        while True:
            if uri in client.diagnostics and until(client.diagnostics[uri]):
                return client.diagnostics[uri]
            await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)

    return await asyncio.wait_for(wait(), timeout)


def codes(diagnostics: Sequence[types.Diagnostic]) -> list[str]:
    return sorted(str(d.code) for d in diagnostics)


def open_file(client: LanguageClient, path: Path, text: str | None = None) -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri,
                language_id="python",
                version=1,
                text=path.read_text() if text is None else text,
            )
        )
    )
    return uri


def replace_all(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
