"""The language server's view of one workspace: the linter's project index kept alive between edits.

``tsinspect check .`` indexes every module, walks the program (what TorchScript compiles
across files) and lints each file with the facts the walk gives it. The server does the same
once, then, after each edit, only what the edit can change:

- :meth:`Project.edit`: the edited buffer replaces the file's bytes in the index and is
  linted at once with the facts it had (an edit rarely changes them); this is what the
  editor shows first;
- :meth:`Project.settle`: the module is summarised again, and the program walk runs again
  only when the summary changed in a way the walk can see (typing inside a statement, or a
  line inserted that only moves others, changes nothing it reads); then the open files whose
  facts changed are linted again, the edited one included.

A file's lint is a pure function of its text, its rules and its :class:`FileFacts`, so the
files linted again are exactly the files that depend on the edit: those whose facts the walk
changed. That is narrower than the reverse-import closure (``importers`` keeps that map: a
file importing the edited one often lints the same), and wider where it must be: a helper
module does not import the model whose ``forward`` starts calling one of its functions, yet
that function is compiled from then on and its file must be linted again.

Nothing here knows about LSP: the protocol layer (:mod:`tsinspect.server.app`) feeds it
texts and publishes what it returns. Never imports torch.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tsinspect.api.check import collect_files, entry_findings, rules_for_path, validated
from tsinspect.diagnostics import Diagnostic, sorted_diagnostics
from tsinspect.errors import TsinspectError
from tsinspect.files import read_regular
from tsinspect.lint.cache import LintCache, content_hash, open_cache
from tsinspect.lint.engine import SYNTAX_ERROR, FileResult, lint_edited, lint_source
from tsinspect.lint.facts import FileFacts
from tsinspect.lint.index import ModuleSummary, ProjectIndex
from tsinspect.lint.noqa import with_uses_elsewhere
from tsinspect.lint.program import ProgramFacts, walk_program
from tsinspect.lint.reparse import ParsedText
from tsinspect.lint.types.schema_data import schema_fingerprint
from tsinspect.settings import Settings, discover_settings

# A workspace bigger than this is not indexed whole: the open files are the checked files
# (a home folder opened as a workspace must not cost minutes of indexing).
MAX_WORKSPACE_FILES = 5000


@dataclass(frozen=True)
class FileDiagnostics:
    """What to publish for one open file.

    ``syntax_note``: set when the buffer does not parse; ``diagnostics`` are then the last
    good ones (positions may be off by the edit) plus the TS001 note.
    """

    path: str
    diagnostics: tuple[Diagnostic, ...]
    syntax_note: Diagnostic | None = None
    # the text linted: positions are in it
    text: str = ""


@dataclass
class _Open:
    text: str
    good: tuple[Diagnostic, ...] = ()
    # the last text that parsed, parsed: the next edit parses only what it changed
    parsed: ParsedText | None = None


@dataclass
class Project:
    """One workspace (or one folder of loose files): settings, index, facts, open buffers."""

    root: str | None
    settings: Settings = field(default_factory=Settings)
    files: list[str] = field(default_factory=list)
    index: ProjectIndex | None = None
    program: ProgramFacts = field(default_factory=lambda: ProgramFacts({}, {}))
    opened: dict[str, _Open] = field(default_factory=dict)
    cache: LintCache | None = None
    settings_error: str | None = None
    # library path -> (facts fingerprint, disk content hash, result)
    _libraries: dict[str, tuple[str, str, FileResult]] = field(default_factory=dict)
    # what the last update linted, and how many program walks so far (tests, the bench)
    relinted: tuple[str, ...] = ()
    walks: int = 0
    # open file -> the summary the program was last walked with, while an edit is unsettled
    _walked: dict[str, ModuleSummary | None] = field(default_factory=dict)
    # (path, mtime, size) of every pyproject.toml the settings come from or could come from
    _config_stamp: tuple[tuple[str, int, int], ...] = ()

    # --- loading ------------------------------------------------------------------------
    def load(self) -> None:
        """Read settings, collect the workspace's files, index them and walk the program.

        A broken ``[tool.tsinspect]`` keeps the defaults and records the one-line error
        (the server shows it); it never stops the server.
        """
        start = self._settings_start()
        self._config_stamp = _stamp(start)
        try:
            self.settings = validated(discover_settings(start))
            self.settings_error = None
        except TsinspectError as error:
            self.settings = Settings(root=self.root or os.getcwd())
            self.settings_error = str(error)
        files: list[str] = []
        if self.root is not None:
            found, _ = collect_files([self.root], self.settings)
            if len(found) <= MAX_WORKSPACE_FILES:
                files = [os.path.abspath(path) for path in found]
        known = set(files)
        files.extend(path for path in self.opened if path not in known)
        self.files = files
        self._libraries.clear()
        try:
            self.cache = open_cache(self.settings, schema_fingerprint=schema_fingerprint() or "")
        except OSError:
            self.cache = None
        self._reindex()

    def _settings_start(self) -> str:
        return self.root or (next(iter(self.opened)) if self.opened else os.getcwd())

    def settings_changed(self) -> bool:
        """True when a ``pyproject.toml`` the settings come from (or could) changed on disk
        since they were read: a few ``stat`` calls, made before each check, so an editor that
        reports no file changes still sees a new ``[tool.tsinspect]``."""
        return self.index is not None and _stamp(self._settings_start()) != self._config_stamp

    def reload(self) -> list[FileDiagnostics]:
        """Read the settings again, re-index, and check every open file again."""
        self.relinted = ()
        self.load()
        return [self.diagnose(path) for path in sorted(self.opened)]

    def _reindex(self) -> None:
        self._walked.clear()
        index = ProjectIndex.for_files(self.files, self.settings.extra_paths)
        # Summaries of files on disk come from (and go to) the lint cache; edited buffers'
        # summaries are not stored: one per keystroke would fill it.
        index.store = self.cache
        for path, document in self.opened.items():
            index.add_source(path, document.text.encode())
        self.index = index
        self.program = walk_program(index, self.files)
        index.store = None

    def save_cache(self) -> str | None:
        """Write what was cached (module summaries, library results); a warning or None."""
        return self.cache.save() if self.cache is not None else None

    # --- buffers ------------------------------------------------------------------------
    def open(self, path: str, text: str) -> list[FileDiagnostics]:
        """A file opened in the editor; what to publish (for it and the files it changes)."""
        path = os.path.abspath(path)
        self.relinted = ()
        self.opened[path] = _Open(text)
        if self.index is None:
            self.load()
            return [self.diagnose(path)]
        if path not in set(self.files):
            # A file outside the workspace: checked too, from now on.
            self.files.append(path)
            self._reindex()
            return [self.diagnose(path)]
        return self.change(path, text)

    def close(self, path: str) -> None:
        """The editor closed it: the file on disk is what the index sees again."""
        path = os.path.abspath(path)
        if self.opened.pop(path, None) is not None and self.index is not None:
            self.index.replace_source(path, None)

    def change(self, path: str, text: str) -> list[FileDiagnostics]:
        """New text for an open file: :meth:`edit`, then :meth:`settle`; what to publish."""
        first = self.edit(path, text)
        if not self.pending_settle(path):
            return first  # a reload: everything was checked with new facts already
        settled = self.settle(path)
        again = {result.path for result in settled}
        return [*(r for r in first if r.path not in again), *settled]

    def edit(self, path: str, text: str) -> list[FileDiagnostics]:
        """New text for an open file, linted at once with the facts it had: an edit rarely
        changes them, and the module's summary (an ``ast`` pass over the file) and the
        program walk can wait for :meth:`settle`, which checks again what they change."""
        path = os.path.abspath(path)
        self.relinted = ()
        document = self.opened.setdefault(path, _Open(text))
        document.text = text
        if self.index is None:
            self.load()
            return [self.diagnose(path)]
        if self.settings_changed():
            return self.reload()
        if path not in self._walked:
            # The summary the program was walked with (read before the edit replaces it).
            self._walked[path] = self._summary(path)
        self.index.replace_source(path, text.encode())
        return [self.diagnose(path)]

    def pending_settle(self, path: str) -> bool:
        """True when an edit of ``path`` has not been settled yet."""
        return os.path.abspath(path) in self._walked

    def settle(self, path: str) -> list[FileDiagnostics]:
        """After :meth:`edit`: summarise the module again, walk the program if the summary
        changed in a way the walk can see, and check every open file whose facts changed
        (the edited one included)."""
        path = os.path.abspath(path)
        if self.index is None or path not in self._walked:
            return []
        before = self._walked.pop(path)
        after = self._summary(path)
        if after is None:
            self._walked[path] = before  # does not parse: the walk keeps the last good one
            return []
        if not self._needs_walk(path, before, after):
            return []
        old = self.program
        self.program = walk_program(self.index, self.files)
        self.walks += 1
        return [self.diagnose(target) for target in self._changed_facts(old, self.program)]

    def _needs_walk(self, path: str, before: ModuleSummary | None, after: ModuleSummary) -> bool:
        """Whether the program walk can give other facts after this edit.

        Not when the module's summary is the same but for positions (lines moved by an
        inserted line), unless positions in it reach facts: the lines of its annotated
        attributes (TS313), or entries into library code (where library findings are
        reported in this file).
        """
        if _same_summary(before, after):
            return False
        if before is None or _shape(before) != _shape(after):
            return True
        own = self.program.checked.get(path)
        if own is not None and own.annotated_attributes:
            return True
        return any(
            reached.entry is not None and reached.entry.path == path
            for facts in self.program.libraries.values()
            for reached in facts.reached
        )

    def disk_changed(self, paths: Iterable[str]) -> list[FileDiagnostics]:
        """Files saved or changed on disk (not the open buffers): read again, walk again."""
        if self.index is None:
            return []
        self.relinted = ()
        for path in paths:
            path = os.path.abspath(path)
            if path not in self.opened:
                self.index.replace_source(path, None)
        old = self.program
        self.program = walk_program(self.index, self.files)
        return [self.diagnose(p) for p in self._changed_facts(old, self.program)]

    def _summary(self, path: str) -> ModuleSummary | None:
        assert self.index is not None
        return self.index.module_for_file(path)

    def _changed_facts(self, old: ProgramFacts, new: ProgramFacts) -> list[str]:
        """Open files whose own facts changed, or whose findings through a library might."""
        changed: list[str] = []
        for path in self.opened:
            if _fingerprint(old.checked.get(path)) != _fingerprint(new.checked.get(path)):
                changed.append(path)
        libraries = set(old.libraries) | set(new.libraries)
        for library in libraries:
            before, after = old.libraries.get(library), new.libraries.get(library)
            if _fingerprint(before) == _fingerprint(after):
                continue
            for facts in (before, after):
                for reached in facts.reached if facts else ():
                    entry = reached.entry
                    opened = entry is not None and entry.path in self.opened
                    if entry is not None and opened and entry.path not in changed:
                        changed.append(entry.path)
        return sorted(changed)

    # --- linting ------------------------------------------------------------------------
    def facts(self, path: str) -> FileFacts | None:
        """What the program walk tells ``path``'s lint (None: the file alone)."""
        return self.program.checked.get(os.path.abspath(path))

    def diagnose(self, path: str) -> FileDiagnostics:
        """The findings ``check`` gives for the open file's current text."""
        path = os.path.abspath(path)
        document = self.opened[path]
        rules = rules_for_path(self.settings, path)
        result, parsed = lint_edited(document.text, path, rules, self.facts(path), document.parsed)
        document.parsed = parsed or document.parsed
        self.relinted = (*self.relinted, path)
        syntax = next((d for d in result.diagnostics if d.code == SYNTAX_ERROR), None)
        if syntax is not None:
            # Mid-edit: keep what was found in the last text that parsed, and say why.
            return FileDiagnostics(path, document.good, syntax, document.text)
        through, in_use = self._through_libraries(path)
        # As in check: a noqa that hides a library finding reached from its line is in use.
        found = list(
            with_uses_elsewhere(result, document.text, in_use, rules)
            if in_use
            else result.diagnostics
        )
        found += through
        document.good = tuple(sorted_diagnostics(found))
        return FileDiagnostics(path, document.good, text=document.text)

    def _through_libraries(self, path: str) -> tuple[list[Diagnostic], set[tuple[int, str]]]:
        """Findings in library code (outside the workspace) compiled from ``path``, and the
        (line, code) pairs of ``path`` whose suppression comments hid such findings."""
        wanted = [
            (library, facts)
            for library, facts in self.program.libraries.items()
            if any(r.entry is not None and r.entry.path == path for r in facts.reached)
        ]
        if not wanted:
            return [], set()
        results = [self._library_result(library, facts) for library, facts in wanted]
        sources: dict[str, bytes] = {
            p: d.text.encode() for p, d in self.opened.items() if p == path
        }
        for result in results:
            for diagnostic in result.diagnostics:
                if diagnostic.origin is not None and diagnostic.path not in sources:
                    sources[diagnostic.path] = self._disk(diagnostic.path)
        kept, _, in_use = entry_findings(results, sources)
        return [d for d in kept if d.path == path], in_use.get(path, set())

    def _library_result(self, library: str, facts: FileFacts) -> FileResult:
        data = self._disk(library)
        digest, fingerprint = content_hash(data), facts.fingerprint()
        known = self._libraries.get(library)
        if known is not None and known[:2] == (fingerprint, digest):
            return known[2]
        rules = rules_for_path(self.settings, library)
        result = None
        if self.cache is not None:
            result = self.cache.lookup(library, digest, rules, fingerprint)
        if result is None:
            result = lint_source(data, library, rules, facts)
            if self.cache is not None:
                self.cache.store(digest, rules, result, fingerprint)
        self._libraries[library] = (fingerprint, digest, result)
        return result

    def _disk(self, path: str) -> bytes:
        try:
            return read_regular(path)
        except OSError:
            return b""

    # --- the reverse-import map -----------------------------------------------------------
    def importers(self) -> Mapping[str, frozenset[str]]:
        """Module name -> the indexed modules that import it (directly)."""
        if self.index is None:
            return {}
        found: dict[str, set[str]] = {}
        for name, summary in list(self.index.summaries.items()):
            if summary is None:
                continue
            for _, target in summary.imports:
                parts = target.split(".")
                for cut in range(len(parts), 0, -1):
                    module = ".".join(parts[:cut])
                    if self.index.summaries.get(module) is not None and module != name:
                        found.setdefault(module, set()).add(name)
                        break
        return {module: frozenset(names) for module, names in found.items()}


def _stamp(start: str) -> tuple[tuple[str, int, int], ...]:
    """``(path, mtime, size)`` of each ``pyproject.toml`` from ``start``'s folder up to the
    file system's root: where :func:`discover_settings` looks."""
    folder = Path(start) if os.path.isdir(start) else Path(start).parent
    found: list[tuple[str, int, int]] = []
    for candidate in (folder, *folder.parents):
        config = candidate / "pyproject.toml"
        try:
            info = config.stat()
        except OSError:
            continue
        found.append((str(config), info.st_mtime_ns, info.st_size))
    return tuple(found)


def _fingerprint(facts: FileFacts | None) -> str:
    return facts.fingerprint() if facts is not None else ""


_POSITIONS = frozenset({"line", "column", "content_hash"})


def _shape(value: object) -> object:
    """A summary without its positions: what the program walk decides from.

    Fields named ``line`` and ``column`` go, and so do the integers in plain tuples (a
    class's bases and annotations carry their line and column that way); everything else,
    ``FunctionSummary.index`` included, stays.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (
            type(value).__name__,
            tuple(
                (f.name, _shape(getattr(value, f.name)))
                for f in dataclasses.fields(value)
                if f.name not in _POSITIONS
            ),
        )
    if isinstance(value, tuple):
        return tuple(_shape(item) for item in value if type(item) is not int)
    if isinstance(value, frozenset):
        return value
    return value


def _same_summary(before: ModuleSummary | None, after: ModuleSummary) -> bool:
    """The same module as far as the program walk can tell (the content hash aside)."""
    if before is None:
        return False
    return dataclasses.replace(before, content_hash=after.content_hash) == after


def path_of(root: str | None) -> str | None:
    """A workspace folder as an absolute path (None stays None)."""
    return str(Path(root).resolve()) if root else None
