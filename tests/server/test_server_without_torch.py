"""The language server never imports torch: it serves a session where torch cannot be imported."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

pytest.importorskip("pytest_lsp")

import pytest_lsp
from lsp_session import SERVER_ENV, codes, open_file, published, start
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

pytestmark = pytest.mark.asyncio

# A finder on sys.meta_path refuses torch; every attempt, and any torch module loaded by the
# end, is written to $TORCH_REPORT when the server exits.
WRAPPER = textwrap.dedent(
    """
    import atexit, os, sys

    attempts = []

    class BlockTorch:
        def find_spec(self, name, path=None, target=None):
            if name == "torch" or name.startswith("torch."):
                attempts.append(name)
                raise ImportError("torch is not installed here")
            return None

    def report():
        loaded = sorted(m for m in sys.modules if m == "torch" or m.startswith("torch."))
        with open(os.environ["TORCH_REPORT"], "w") as stream:
            stream.write(f"attempts={attempts} loaded={loaded} served=1")

    atexit.register(report)
    sys.meta_path.insert(0, BlockTorch())
    from tsinspect.cli import main

    main(["server"], prog_name="tsinspect")
    """
)


def _config(report_path: Path) -> ClientServerConfig:
    return ClientServerConfig(
        server_command=[sys.executable, "-c", WRAPPER],
        server_env={**SERVER_ENV, "TORCH_REPORT": str(report_path)},
    )


# pytest-lsp builds the server command before the test's fixtures exist: the report goes to
# a name of this test process in the temporary folder.
_REPORT_PATH = Path(tempfile.gettempdir()) / f"tsinspect-lsp-torch-{os.getpid()}.txt"


@pytest_lsp.fixture(config=_config(_REPORT_PATH))
async def client(lsp_client: LanguageClient, project: Path) -> AsyncIterator[None]:
    _REPORT_PATH.unlink(missing_ok=True)
    await start(lsp_client, project)
    yield  # the test shuts the session down itself, to read the report after the exit


async def test_server_works_without_torch(client: LanguageClient, project: Path) -> None:
    uri = open_file(client, project / "model.py")
    shown = await published(client, uri, lambda ds: "TS101" in codes(ds))
    assert "TS501" in codes(shown)
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=13, character=22),
        )
    )
    assert hover is not None
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=shown[0].range,
            context=types.CodeActionContext(diagnostics=list(shown)),
        )
    )
    assert actions
    await client.shutdown_session()
    for _ in range(200):  # the server writes the report as it exits
        if _REPORT_PATH.is_file() and _REPORT_PATH.read_text():
            break
        await asyncio.sleep(0.05)
    text = _REPORT_PATH.read_text()
    _REPORT_PATH.unlink()
    assert text == "attempts=[] loaded=[] served=1", text
