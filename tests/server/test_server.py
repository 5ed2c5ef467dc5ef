"""``tsinspect server`` end to end: a real LSP client over stdio (pytest-lsp).

Open, change, diagnostics, code actions, hover, a settings change, shutdown; a burst of
rapid edits publishes the findings of the last text only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tsinspect.api.check import check_paths
from tsinspect.settings import discover_settings

pytestmark = pytest.mark.asyncio

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
                uri=uri, language_id="python", version=1, text=path.read_text() if text is None else text
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


async def test_open_publishes_what_check_finds(client: LanguageClient, project: Path) -> None:
    model = project / "model.py"
    uri = open_file(client, model)
    shown = await published(client, uri, lambda ds: bool(ds))
    expected = check_paths([project], discover_settings(project), jobs=1)
    assert codes(shown) == sorted(d.code for d in expected.diagnostics if d.path.endswith("model.py"))
    assert "TS101" in codes(shown) and "TS501" in codes(shown)
    lam = next(d for d in shown if d.code == "TS101")
    assert lam.range.start.line == 14  # `act = lambda t: t * 2`, 0-based
    assert lam.severity == types.DiagnosticSeverity.Error
    assert lam.source == "tsinspect"
    assert lam.code_description is not None
    assert lam.code_description.href.endswith("/docs/rules/TS101.md")
    assert lam.related_information is not None
    assert "Net.forward" in lam.related_information[0].message


async def test_change_updates_and_syntax_errors_keep_last_findings(
    client: LanguageClient, project: Path
) -> None:
    model = project / "model.py"
    text = model.read_text()
    uri = open_file(client, model)
    await published(client, uri, lambda ds: "TS101" in codes(ds))

    fixed = text.replace("act = lambda t: t * 2", "act = torch.relu")
    replace_all(client, uri, 2, fixed)
    shown = await published(client, uri, lambda ds: "TS101" not in codes(ds))
    assert "TS501" in codes(shown)

    broken = fixed.replace("return scale(act(y))", "return scale(act(y)")
    replace_all(client, uri, 3, broken)
    shown = await published(client, uri, lambda ds: "TS001" in codes(ds))
    # The last good findings stay, with a note that the buffer does not parse.
    assert "TS501" in codes(shown)
    note = next(d for d in shown if d.code == "TS001")
    assert note.severity == types.DiagnosticSeverity.Warning
    assert "last text that parsed" in note.message


async def test_burst_of_edits_publishes_the_last_text_only(
    client: LanguageClient, project: Path
) -> None:
    model = project / "model.py"
    text = model.read_text()
    uri = open_file(client, model)
    await published(client, uri, lambda ds: "TS101" in codes(ds))
    client.diagnostics.pop(uri)
    seen_versions: list[int | None] = []

    def record(params: types.PublishDiagnosticsParams) -> None:
        seen_versions.append(params.version)

    for version in range(2, 52):
        # Odd versions have the lambda, even ones do not; the last (51) has it.
        body = text if version % 2 else text.replace("act = lambda t: t * 2", "act = torch.relu")
        replace_all(client, uri, version, body)
    shown = await published(client, uri)
    await asyncio.sleep(1.0)  # anything published late would land here
    shown = client.diagnostics[uri]
    assert "TS101" in codes(shown)
    lam = next(d for d in shown if d.code == "TS101")
    assert lam.range.start.line == 14


async def test_code_actions_fix_suppress_and_page(client: LanguageClient, project: Path) -> None:
    model = project / "model.py"
    uri = open_file(client, model)
    shown = await published(client, uri, lambda ds: "TS501" in codes(ds))
    none_default = next(d for d in shown if d.code == "TS501")
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=none_default.range,
            context=types.CodeActionContext(diagnostics=[none_default]),
        )
    )
    assert actions is not None
    titles = [a.title for a in actions if isinstance(a, types.CodeAction)]
    assert any(t.startswith("Fix TS501") for t in titles), titles
    fix = next(a for a in actions if isinstance(a, types.CodeAction) and a.title.startswith("Fix TS501"))
    assert fix.edit is not None and fix.edit.changes is not None
    new_texts = [e.new_text for e in fix.edit.changes[uri]]
    assert any("Optional[torch.Tensor]" in t for t in new_texts), new_texts
    assert any("noqa: TS501" in t for t in titles), titles
    page = next(a for a in actions if isinstance(a, types.Command))
    assert page.title.startswith("Show the page of TS501")
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=page.command, arguments=page.arguments)
    )
    assert client.shown_documents[-1].uri.endswith("/docs/rules/TS501.md")

    # The noqa edit, applied, suppresses the finding.
    noqa = next(a for a in actions if isinstance(a, types.CodeAction) and "noqa" in a.title)
    assert noqa.edit is not None and noqa.edit.changes is not None
    edit = noqa.edit.changes[uri][0]
    lines = model.read_text().splitlines(keepends=True)
    line = lines[edit.range.start.line]
    lines[edit.range.start.line] = (
        line[: edit.range.start.character] + edit.new_text + line[edit.range.end.character :]
    )
    replace_all(client, uri, 2, "".join(lines))
    after = await published(client, uri, lambda ds: "TS501" not in codes(ds))
    assert "TS101" in codes(after)


async def test_hover_gives_torchscript_types_and_reach(
    client: LanguageClient, project: Path
) -> None:
    model = project / "model.py"
    uri = open_file(client, model)
    await published(client, uri)

    async def hover(line: int, character: int) -> str:
        found = await client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=line, character=character),
            )
        )
        assert found is not None
        assert isinstance(found.contents, types.MarkupContent)
        return found.contents.value

    # `def forward(self, x, mask=None):` is line 13 (0-based); `x` at column 22
    text = await hover(13, 22)
    assert "x: Tensor (inferred: unannotated parameter)" in text
    assert "`Net.forward` is compiled" in text
    # `y = y * mask` (line 17): after `if mask is not None`, mask is refined to Tensor
    text = await hover(17, 21)
    assert "mask: Tensor" in text and "Optional" not in text


async def test_pyproject_change_is_picked_up(client: LanguageClient, project: Path) -> None:
    model = project / "model.py"
    uri = open_file(client, model)
    await published(client, uri, lambda ds: "TS101" in codes(ds))
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("ignore = []", 'ignore = ["TS101"]'))
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=pyproject.as_uri(), type=types.FileChangeType.Changed)]
        )
    )
    shown = await published(client, uri, lambda ds: "TS101" not in codes(ds))
    assert "TS501" in codes(shown)


async def test_editing_a_dependency_rechecks_its_dependents(
    client: LanguageClient, project: Path
) -> None:
    """The helper becomes a lambda-using function: the model, which compiles it, gets the
    finding through it; the unrelated open module is not re-published."""
    model_uri = open_file(client, project / "model.py")
    unrelated_uri = open_file(client, project / "unrelated.py")
    helpers = project / "helpers.py"
    helpers_uri = open_file(client, helpers)
    await published(client, model_uri, lambda ds: "TS101" in codes(ds))
    await published(client, unrelated_uri)
    await published(client, helpers_uri)
    client.diagnostics.pop(unrelated_uri)
    client.diagnostics.pop(model_uri)
    changed = helpers.read_text().replace("return t * 2", "f = lambda u: u\n    return f(t)")
    replace_all(client, helpers_uri, 2, changed)
    shown = await published(client, helpers_uri, lambda ds: "TS101" in codes(ds))
    assert any("Net.forward" in (r.message) for d in shown for r in d.related_information or [])
    await asyncio.sleep(0.5)
    assert unrelated_uri not in client.diagnostics
