"""``tsinspect server`` end to end: a real LSP client over stdio (pytest-lsp).

Open, change, diagnostics, code actions, hover, a settings change, shutdown; a burst of
rapid edits publishes the findings of the last text only.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsp_session import codes, open_file, published, replace_all
from lsprotocol import types
from pytest_lsp import LanguageClient

from tsinspect.api.check import check_paths
from tsinspect.api.fix import fix_source
from tsinspect.settings import discover_settings

pytestmark = pytest.mark.asyncio

FIX_ALL = "source.fixAll.tsinspect"


async def test_open_publishes_what_check_finds(client: LanguageClient, project: Path) -> None:
    model = project / "model.py"
    uri = open_file(client, model)
    shown = await published(client, uri, lambda ds: bool(ds))
    expected = check_paths([project], discover_settings(project), jobs=1)
    assert codes(shown) == sorted(
        d.code for d in expected.diagnostics if d.path.endswith("model.py")
    )
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
    versions: list[int | None] = []

    async def collect() -> None:
        while True:
            params = await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
            if params.uri == uri:
                versions.append(params.version)

    collector = asyncio.create_task(collect())
    await asyncio.sleep(0)
    for version in range(2, 52):
        # Odd versions have the lambda, even ones do not; the last (51) has it.
        body = text if version % 2 else text.replace("act = lambda t: t * 2", "act = torch.relu")
        replace_all(client, uri, version, body)
    for _ in range(600):  # the collector is the only waiter: pytest-lsp keeps one per method
        if versions:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)  # anything published late would land here
    collector.cancel()
    shown = client.diagnostics[uri]
    assert "TS101" in codes(shown)
    assert next(d for d in shown if d.code == "TS101").range.start.line == 14
    # Debounced: the final text (version 51) is published once and last. The burst's first
    # edit follows a quiet spell, so the server checks it at once; it is published too when
    # that check ends before the next edit reaches the server. Nothing between is published.
    assert versions in ([51], [2, 51]), versions


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
    fix = next(
        a for a in actions if isinstance(a, types.CodeAction) and a.title.startswith("Fix TS501")
    )
    assert fix.edit is not None and fix.edit.changes is not None
    new_texts = [e.new_text for e in fix.edit.changes[uri]]
    assert any("Optional[torch.Tensor]" in t for t in new_texts), new_texts
    assert any("noqa: TS501" in t for t in titles), titles
    # "Fix all" is `check --fix` on the buffer: the same text fix_source gives.
    fix_all = next(a for a in actions if isinstance(a, types.CodeAction) and a.kind == FIX_ALL)
    assert fix_all.edit is not None and fix_all.edit.changes is not None
    (whole,) = fix_all.edit.changes[uri]
    settings = discover_settings(project)
    assert whole.new_text == fix_source(model.read_text(), str(model), settings).fixed_source
    assert whole.new_text != model.read_text()
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


async def test_pyproject_change_is_seen_without_a_notification(
    client: LanguageClient, project: Path
) -> None:
    """An editor that reports no file changes: the next check reads the settings again."""
    model = project / "model.py"
    uri = open_file(client, model)
    await published(client, uri, lambda ds: "TS101" in codes(ds))
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("ignore = []", 'ignore = ["TS5"]'))
    replace_all(client, uri, 2, model.read_text() + "\n")
    shown = await published(client, uri, lambda ds: "TS501" not in codes(ds))
    assert "TS101" in codes(shown)


async def test_editing_a_base_class_rechecks_its_dependents_only(
    client: LanguageClient, project: Path
) -> None:
    """``Block`` is an nn.Module through ``Base`` in base.py: when ``Base`` stops being one,
    blocks.py (open, not edited) loses its finding; the unrelated open module is not
    checked again."""
    blocks_uri = open_file(client, project / "blocks.py")
    unrelated_uri = open_file(client, project / "unrelated.py")
    base = project / "base.py"
    base_uri = open_file(client, base)
    await published(client, blocks_uri, lambda ds: "TS101" in codes(ds))
    await published(client, unrelated_uri)
    await published(client, base_uri)
    await asyncio.sleep(0.5)
    client.diagnostics.pop(unrelated_uri)
    replace_all(client, base_uri, 2, base.read_text().replace("(nn.Module)", ""))
    await published(client, blocks_uri, lambda ds: "TS101" not in codes(ds))
    await asyncio.sleep(0.5)
    assert unrelated_uri not in client.diagnostics


async def test_a_failing_request_does_not_stop_the_server(
    client: LanguageClient, project: Path
) -> None:
    """A request about a file that does not exist fails inside the server: it is logged,
    answered with nothing, and the next requests are served."""
    missing = (project / "gone.py").as_uri()
    answer = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=missing),
            position=types.Position(line=0, character=0),
        )
    )
    assert answer is None
    assert any("hover failed" in m.message for m in client.log_messages)
    uri = open_file(client, project / "model.py")
    assert "TS101" in codes(await published(client, uri, lambda ds: bool(ds)))


async def test_an_unsaved_buffer_is_checked(client: LanguageClient, project: Path) -> None:
    """An editor's new, never saved buffer (no file behind its uri) gets its findings too."""
    uri = "untitled:Untitled-1"
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=1, text=(project / "model.py").read_text()
            )
        )
    )
    shown = await published(client, uri, lambda ds: bool(ds))
    assert "TS101" in codes(shown)
