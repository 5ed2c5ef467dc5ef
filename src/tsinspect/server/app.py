"""The language server: LSP over stdio on pygls, wired to :class:`~tsinspect.server.project.Project`.

- Diagnostics on open and on change, debounced (:data:`DEBOUNCE_SECONDS`): an edit after a
  quiet spell is checked at once, an edit close behind another cancels the run waiting for
  the previous one and waits the delay; a result whose text is no longer the buffer's is
  thrown away, so a burst of edits publishes the last text's findings only.
- All linting happens on one worker thread, in order: the project index is not shared
  between threads, and the event loop stays free to take the next edit.
- ``pyproject.toml`` changed (watched files, or saved in the editor): settings are read
  again and every open file is checked again.
- Every handler catches its own failure and logs it (``window/logMessage``): one request
  that crashes never takes the server down.

Never imports torch (a test runs the server with torch made unimportable).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import time
import traceback
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace import TextDocument

import tsinspect
from tsinspect.api.check import rules_for_path
from tsinspect.diagnostics import Diagnostic, Fix, Severity, Span
from tsinspect.lint.engine import lint_source
from tsinspect.render.rule_pages import rule_page_url
from tsinspect.server.actions import FIX_ALL_KIND, SHOW_RULE_PAGE, code_actions, fix_all_with
from tsinspect.server.convert import from_position, to_lsp, to_range
from tsinspect.server.hover import hover_at
from tsinspect.server.project import FileDiagnostics, Project, path_of

DEBOUNCE_SECONDS = 0.15
CONFIG_FILE = "pyproject.toml"

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Published:
    """The findings last published for a document, and the text they were made from."""

    text: str
    version: int | None
    diagnostics: tuple[Diagnostic, ...]


class TsinspectServer(LanguageServer):
    """pygls's server plus the projects (one per workspace folder) and the published findings."""

    def __init__(self) -> None:
        super().__init__("tsinspect", tsinspect.__version__)
        self.projects: list[Project] = []
        self.loose = Project(root=None)
        self.published: dict[str, Published] = {}
        # path -> the uri the editor opened it as (an `untitled:` buffer has no file path)
        self.uris: dict[str, str] = {}
        self.pending: dict[str, asyncio.Task[None]] = {}
        # checks whose edit's findings are published, running what the edit changes elsewhere
        self.settling: set[asyncio.Task[None]] = set()
        self.last_edit: dict[str, float] = {}
        # One thread: the index and its caches are used by one run at a time, in order.
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tsinspect-lint")
        self.debounce = DEBOUNCE_SECONDS

    # --- where things are -----------------------------------------------------------------
    def project_for(self, path: str) -> Project:
        """The workspace folder's project that holds ``path`` (the deepest), else the loose one."""
        best: Project | None = None
        for project in self.projects:
            root = project.root or ""
            inside = path == root or path.startswith(root.rstrip(os.sep) + os.sep)
            if inside and (best is None or len(root) > len(best.root or "")):
                best = project
        return best or self.loose

    def log(self, message: str, kind: types.MessageType = types.MessageType.Log) -> None:
        """``window/logMessage`` (the client's output panel); never raises."""
        with contextlib.suppress(Exception):  # the client is gone: nothing to tell
            self.window_log_message(types.LogMessageParams(type=kind, message=message))

    async def in_worker(self, function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Run ``function`` on the lint thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.worker, functools.partial(function, *args, **kwargs))

    # --- diagnostics ----------------------------------------------------------------------
    def schedule(self, uri: str, delay: float | None = None) -> None:
        """Check ``uri`` soon, cancelling a run still waiting for it.

        The first edit after a quiet spell (nothing pending, no edit for the debounce delay)
        is checked at once; an edit that follows another closely waits for the delay, so a
        burst of typing is checked once, after its last edit.
        """
        waiting = self.pending.pop(uri, None)
        # A check that already published its edit's findings (it is settling: what the edit
        # changes elsewhere) does not make this edit part of a burst.
        settling = waiting in self.settling
        if waiting is not None:
            waiting.cancel()
        now = time.monotonic()
        since = now - self.last_edit.get(uri, -1e9)
        quiet = (waiting is None or settling) and since > self.debounce
        self.last_edit[uri] = now
        if delay is None:
            delay = 0.0 if quiet else self.debounce
        self.pending[uri] = asyncio.get_running_loop().create_task(self._check_later(uri, delay))

    async def _check_later(self, uri: str, delay: float) -> None:
        try:
            await asyncio.sleep(delay)
            document = self.workspace.get_text_document(uri)
            text = document.source
            path = _path(uri)
            project = self.project_for(path)
            # The edited file first, with the facts it had; then what the edit changes in the
            # program (usually nothing), each published as soon as it is known.
            self.publish(await self.in_worker(project.edit, path, text))
            task = asyncio.current_task()
            if task is not None:
                self.settling.add(task)
            self.publish(await self.in_worker(project.settle, path))
        except asyncio.CancelledError:
            raise
        except Exception:
            self.log(f"tsinspect: checking {uri} failed:\n{traceback.format_exc()}", _ERROR)
        finally:
            self.settling.discard(asyncio.current_task())
            if self.pending.get(uri) is asyncio.current_task():
                del self.pending[uri]

    def publish(self, results: Sequence[FileDiagnostics]) -> None:
        """Publish each open file's findings, unless its buffer changed since they were made:
        an edited buffer has a check of its own pending, which publishes (so a burst of edits
        publishes the last text's findings only)."""
        for result in results:
            uri = self.uris.get(result.path) or from_fs_path(result.path) or result.path
            current = self.workspace.text_documents.get(uri)
            if current is None or current.source != result.text:
                continue  # closed meanwhile, or edited again
            text, version = result.text, current.version
            snapshot = _snapshot(self, uri, text, version)
            shown = [to_lsp(snapshot, d) for d in result.diagnostics]
            if result.syntax_note is not None:
                shown.append(_syntax_note(snapshot, result.syntax_note))
            self.published[uri] = Published(text, version, result.diagnostics)
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=shown, version=version)
            )

    async def reload(self, reason: str) -> None:
        """Settings changed: read them again, re-index, and check every open file again."""
        self.log(f"tsinspect: {reason}; reading [tool.tsinspect] again")
        for project in [*self.projects, self.loose]:
            if project.index is None and not project.opened:
                continue  # never used: nothing to read again
            results = await self.in_worker(project.reload)
            self._settings_problem(project)
            self.publish(results)

    def _settings_problem(self, project: Project) -> None:
        if project.settings_error:
            message = f"tsinspect: {project.settings_error} (using the default settings)"
            self.log(message, _ERROR)
            self.window_show_message(types.ShowMessageParams(type=_ERROR, message=message))


_ERROR = types.MessageType.Error


def _path(uri: str) -> str:
    return os.path.abspath(to_fs_path(uri) or uri)


def _snapshot(server: TsinspectServer, uri: str, text: str, version: int | None) -> TextDocument:
    """A read-only document of ``text`` with the client's position encoding."""
    codec = server.workspace.position_codec
    return TextDocument(uri, source=text, version=version, position_codec=codec)


def _syntax_note(document: TextDocument, note: Diagnostic) -> types.Diagnostic:
    """The TS001 of a buffer that does not parse (mid-edit): said once, as a warning, while the
    last good findings stay in place."""
    kept = Diagnostic(
        code=note.code,
        name=note.name,
        message=f"{note.message} (showing the findings of the last text that parsed)",
        path=note.path,
        line=note.line,
        column=note.column,
        end_line=note.line,
        end_column=note.column + 1,
        severity=Severity.WARNING,
        fix=Fix(note.fix.hint) if note.fix else None,
    )
    return to_lsp(document, kept)


def guarded(
    function: Callable[..., Awaitable[R | None]],
) -> Callable[..., Awaitable[R | None]]:
    """A handler whose failure is logged and answered with nothing, never raised to pygls."""

    @functools.wraps(function)
    async def run(server: TsinspectServer, params: Any) -> R | None:
        try:
            return await function(server, params)
        except Exception:
            server.log(f"tsinspect: {function.__name__} failed:\n{traceback.format_exc()}", _ERROR)
            return None

    return run


def create_server() -> TsinspectServer:
    """A server with every feature registered (tests create one per session)."""
    server = TsinspectServer()
    feature = server.feature

    @feature(types.INITIALIZED)
    @guarded
    async def initialized(ls: TsinspectServer, params: types.InitializedParams) -> None:
        folders = ls.workspace.folders.values()
        roots = [path_of(_path(folder.uri)) for folder in folders]
        if not roots and ls.workspace.root_path:
            roots = [path_of(ls.workspace.root_path)]
        ls.projects = [Project(root=root) for root in roots if root]
        for project in ls.projects:
            began = time.perf_counter()
            await ls.in_worker(project.load)
            ls.log(
                f"tsinspect: indexed {len(project.files)} files of {project.root} "
                f"in {time.perf_counter() - began:.1f} s"
            )
            ls._settings_problem(project)
            warning = await ls.in_worker(project.save_cache)
            if warning:
                ls.log(f"tsinspect: {warning}")
        # Files opened meanwhile were checked after the load: the worker runs in order.
        await _watch(ls)

    @feature(types.TEXT_DOCUMENT_DID_OPEN)
    @guarded
    async def did_open(ls: TsinspectServer, params: types.DidOpenTextDocumentParams) -> None:
        document = params.text_document
        path = _path(document.uri)
        if os.path.basename(path) == CONFIG_FILE:
            return
        ls.uris[path] = document.uri
        project = ls.project_for(path)
        ls.publish(await ls.in_worker(project.open, path, document.text))

    @feature(types.TEXT_DOCUMENT_DID_CHANGE)
    @guarded
    async def did_change(ls: TsinspectServer, params: types.DidChangeTextDocumentParams) -> None:
        if os.path.basename(_path(params.text_document.uri)) != CONFIG_FILE:
            ls.schedule(params.text_document.uri)

    @feature(types.TEXT_DOCUMENT_DID_SAVE)
    @guarded
    async def did_save(ls: TsinspectServer, params: types.DidSaveTextDocumentParams) -> None:
        path = _path(params.text_document.uri)
        if os.path.basename(path) == CONFIG_FILE:
            await ls.reload(f"{path} was saved")

    @feature(types.TEXT_DOCUMENT_DID_CLOSE)
    @guarded
    async def did_close(ls: TsinspectServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        waiting = ls.pending.pop(uri, None)
        if waiting is not None:
            waiting.cancel()
        path = _path(uri)
        await ls.in_worker(ls.project_for(path).close, path)
        ls.published.pop(uri, None)
        ls.uris.pop(path, None)
        ls.last_edit.pop(uri, None)
        ls.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
        )

    @feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    @guarded
    async def watched(ls: TsinspectServer, params: types.DidChangeWatchedFilesParams) -> None:
        paths = [_path(change.uri) for change in params.changes]
        configs = [p for p in paths if os.path.basename(p) == CONFIG_FILE]
        if configs or any(c.type != types.FileChangeType.Changed for c in params.changes):
            # Settings, or the set of files (created, deleted): start from the top.
            await ls.reload(f"{configs[0] if configs else 'the workspace files'} changed")
            return
        by_project: dict[int, list[str]] = {}
        for path in paths:
            by_project.setdefault(id(ls.project_for(path)), []).append(path)
        for project in [*ls.projects, ls.loose]:
            changed = by_project.get(id(project))
            if changed:
                results = await ls.in_worker(project.disk_changed, changed)
                ls.publish(results)

    @feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    @guarded
    async def configuration(
        ls: TsinspectServer, params: types.DidChangeConfigurationParams
    ) -> None:
        await ls.reload("the configuration changed")

    @feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND],
            resolve_provider=False,
        ),
    )
    @guarded
    async def code_action(
        ls: TsinspectServer, params: types.CodeActionParams
    ) -> list[types.CodeAction | types.Command] | None:
        uri = params.text_document.uri
        document = ls.workspace.get_text_document(uri)
        published = ls.published.get(uri)
        if published is None or published.text != document.source:
            return []  # findings of another text: their edits would land in the wrong place
        path = _path(uri)
        project = ls.project_for(path)
        rules = rules_for_path(project.settings, path)
        facts = project.facts(path)

        def lint(text: str) -> Sequence[Diagnostic]:
            return lint_source(text, path, rules, facts).diagnostics

        return await ls.in_worker(
            code_actions,
            _snapshot(ls, uri, published.text, published.version),
            published.diagnostics,
            params.range,
            fix_all_with(lint, path),
            params.context.only,
        )

    @feature(types.TEXT_DOCUMENT_HOVER)
    @guarded
    async def hover(ls: TsinspectServer, params: types.HoverParams) -> types.Hover | None:
        uri = params.text_document.uri
        document = ls.workspace.get_text_document(uri)
        line, column = from_position(document, params.position)
        path = _path(uri)
        project = ls.project_for(path)
        found = await ls.in_worker(
            hover_at, document.source, path, project.facts(path), line, column
        )
        if found is None:
            return None
        span = Span(found.line, found.column, found.end_line, found.end_column)
        return types.Hover(
            contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=found.markdown()),
            range=to_range(document, span),
        )

    @server.command(SHOW_RULE_PAGE)
    async def show_rule_page(ls: TsinspectServer, *args: Any) -> None:
        try:
            code = str(args[0]) if args else ""
            if code:
                await ls.window_show_document_async(
                    types.ShowDocumentParams(uri=rule_page_url(code), external=True)
                )
        except Exception:
            ls.log(f"tsinspect: showing the rule's page failed:\n{traceback.format_exc()}", _ERROR)

    @feature(types.SHUTDOWN)
    def shutdown(ls: TsinspectServer, params: None) -> None:
        for task in ls.pending.values():
            task.cancel()
        ls.pending.clear()
        for project in [*ls.projects, ls.loose]:
            try:
                project.save_cache()
            except Exception:
                ls.log(f"tsinspect: writing the cache failed:\n{traceback.format_exc()}", _ERROR)
        ls.worker.shutdown(wait=False, cancel_futures=True)

    return server


async def _watch(server: TsinspectServer) -> None:
    """Ask the client to report changes to ``pyproject.toml`` and Python files, when it can."""
    capabilities = server.client_capabilities.workspace
    watching = capabilities.did_change_watched_files if capabilities else None
    if watching is None or not watching.dynamic_registration:
        return
    options = types.DidChangeWatchedFilesRegistrationOptions(
        watchers=[
            types.FileSystemWatcher(glob_pattern=f"**/{CONFIG_FILE}"),
            types.FileSystemWatcher(glob_pattern="**/*.py"),
        ]
    )
    registration = types.Registration(
        id="tsinspect-watch",
        method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
        register_options=options,
    )
    try:
        await server.client_register_capability_async(
            types.RegistrationParams(registrations=[registration])
        )
    except Exception as error:  # the client said it could, then refused: saves still work
        server.log(f"tsinspect: cannot watch pyproject.toml ({error}); saving it reloads")


def serve() -> None:
    """Serve LSP over stdin and stdout until the client exits."""
    create_server().start_io()
