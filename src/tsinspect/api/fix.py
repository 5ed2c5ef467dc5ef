"""``tsinspect check --fix`` / ``--diff``: rewrite what the rules can fix mechanically. Never imports torch.

The text machinery is :mod:`tsinspect.lint.fix`; this module resolves settings, reads the
files (keeping their encoding, BOM and line endings), and writes them back atomically: a
temporary file in the same folder, renamed over the original, so a crash never leaves a
half-written source behind.
"""

from __future__ import annotations

import io
import os
import tempfile
import tokenize
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tsinspect.api.check import (
    CheckResult,
    collect_files,
    library_findings,
    read_sources,
    rules_for_path,
    validated,
)
from tsinspect.diagnostics import Diagnostic, sorted_diagnostics
from tsinspect.errors import InputError
from tsinspect.lint.cache import LintCache, content_hash, open_cache
from tsinspect.lint.engine import UNREADABLE, FileResult, file_diagnostic, lint_source
from tsinspect.lint.engine import source_lines as source_lines_of
from tsinspect.lint.facts import FileFacts
from tsinspect.lint.fix import FixResult, Linter, fix_text
from tsinspect.lint.program import program_facts
from tsinspect.lint.registry import get_rule
from tsinspect.lint.rule import Rule
from tsinspect.lint.types.schema_data import schema_fingerprint
from tsinspect.settings import Settings, discover_settings

__all__ = ["FixReport", "FixResult", "fix_paths", "fix_source"]


@dataclass(frozen=True)
class FixReport:
    """The outcome of fixing some paths.

    ``files``: one :class:`FixResult` per file that was read and parsed. ``check``: what
    remains after fixing (the fixed text's findings, plus TS0xx for inputs that could not
    be read), in the same shape ``check_paths`` returns, so the same renderers apply.
    ``written``: whether changed files were written back (False for ``--diff``).
    """

    files: tuple[FixResult, ...]
    check: CheckResult
    written: bool

    @property
    def changed(self) -> tuple[FixResult, ...]:
        """The files whose text changed."""
        return tuple(result for result in self.files if result.changed)

    @property
    def fixed_count(self) -> int:
        """How many findings were fixed, over all files."""
        return sum(len(result.applied) for result in self.files)

    def diff(self) -> str:
        """Unified diffs of every changed file, in path order."""
        return "".join(result.diff() for result in self.changed)


def fix_source(source: str, path: str = "<string>", settings: Settings | None = None) -> FixResult:
    """Apply every safe fix to one module's source; nothing is written.

    ``path`` is used in diagnostics and for per-file-ignores. The result's ``remaining``
    lists what could not be fixed.
    """
    settings = validated(settings or Settings())
    return fix_text(source, path, _linter(path, rules_for_path(settings, path)))


def _linter(
    path: str,
    rules: Sequence[type[Rule]],
    linted: dict[str, FileResult] | None = None,
    facts: FileFacts | None = None,
) -> Linter:
    """The engine with ``rules``, as a text -> diagnostics function.

    ``linted``: text -> result, read before linting (a cached result of the file as it is
    on disk) and filled with every text linted (to store the fixed file's result).
    """

    def lint(text: str) -> Sequence[Diagnostic]:
        if linted is None:
            return lint_source(text, path, rules, facts).diagnostics
        if text not in linted:
            linted[text] = lint_source(text, path, rules, facts)
        return linted[text].diagnostics

    return lint


def _fixable(result: FileResult) -> bool:
    return any(d.fix is not None and d.fix.edits for d in result.diagnostics)


def _decode(data: bytes) -> tuple[str, str] | None:
    """Text and encoding, the way Python reads a module; None when it cannot be decoded."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding), encoding
    except (SyntaxError, UnicodeDecodeError, LookupError):
        return None


def write_atomically(path: str, data: bytes) -> None:
    """Replace ``path``'s content by ``data`` through a renamed temporary file, keeping its mode."""
    target = Path(path)
    try:
        mode = target.stat().st_mode & 0o7777
        handle, temporary = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tsinspect", dir=target.parent
        )
    except OSError as error:
        raise InputError(
            f"{path}: cannot write the fixed file ({error.strerror or error}); check permissions"
        ) from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise InputError(
            f"{path}: cannot write the fixed file ({error.strerror or error}); check permissions"
        ) from None


def fix_paths(
    paths: Iterable[str | os.PathLike[str]],
    settings: Settings | None = None,
    *,
    write: bool = True,
    cache: bool = False,
) -> FixReport:
    """Fix files and folders (walked like ``check_paths``); write changed files when ``write``.

    ``settings`` defaults to the pyproject found above the first path. With ``write=False``
    nothing is touched and :meth:`FixReport.diff` shows what would change. ``cache``: as in
    ``check_paths``; a file whose stored result has nothing to fix is not linted again, and
    the result of a fixed file is stored under its new content.
    """
    path_list = [os.fspath(p) for p in paths]
    if settings is None:
        settings = discover_settings(path_list[0] if path_list else ".")
    settings = validated(settings)
    files, problems = collect_files(path_list, settings)
    store = open_cache(settings, schema_fingerprint=schema_fingerprint() or "") if cache else None
    sources = read_sources(files)
    program = program_facts(files, sources, settings.extra_paths, store=store)
    results: list[FixResult] = []
    diagnostics: list[Diagnostic] = [d for problem in problems for d in problem.diagnostics]
    source_lines: dict[str, Mapping[int, str]] = {}
    for path in files:
        rules = rules_for_path(settings, path)
        facts = program.checked.get(path)
        fingerprint = facts.fingerprint() if facts is not None else ""
        try:
            data = sources[path] if path in sources else Path(path).read_bytes()
        except OSError as error:
            if any(rule.code == UNREADABLE for rule in rules):
                diagnostics.append(
                    file_diagnostic(get_rule(UNREADABLE), path, error.strerror or str(error))
                )
            continue
        digest = content_hash(data) if store is not None else ""
        hit = store.lookup(path, digest, rules, fingerprint) if store is not None else None
        decoded = _decode(data)
        if decoded is None:  # the engine reports TS002 for it
            undecodable = hit or lint_source(data, path, rules, facts)
            if store is not None and hit is None:
                store.store(digest, rules, undecodable, fingerprint)
            diagnostics.extend(undecodable.diagnostics)
            continue
        text, encoding = decoded
        if hit is not None and not _fixable(hit):
            # Nothing to fix: what the cache holds is what fix_text would find.
            results.append(FixResult(path, text, text, (), hit.diagnostics))
            diagnostics.extend(hit.diagnostics)
            if hit.source_lines:
                source_lines[path] = hit.source_lines
            continue
        linted: dict[str, FileResult] = {text: hit} if hit is not None else {}
        result = fix_text(text, path, _linter(path, rules, linted, facts))
        results.append(result)
        fixed_data = result.fixed_source.encode(encoding) if result.changed else data
        if write and result.changed:
            write_atomically(path, fixed_data)
        if store is not None:
            _remember(store, rules, linted, text, digest, fingerprint)
            if write and result.changed:
                _remember(
                    store, rules, linted, result.fixed_source, content_hash(fixed_data), fingerprint
                )
        diagnostics.extend(result.remaining)
        lines = source_lines_of(result.fixed_source)
        located = {d.line: lines[d.line - 1] for d in result.remaining if 0 < d.line <= len(lines)}
        if located:
            source_lines[path] = located
    # Findings in library code the checked files compile: never fixed (not the user's
    # file), always reported.
    through, through_lines = library_findings(program, settings, sources)
    diagnostics.extend(through)
    for path, entry_lines in through_lines.items():
        source_lines[path] = {**source_lines.get(path, {}), **entry_lines}
    check = CheckResult(
        tuple(sorted_diagnostics(diagnostics)),
        files_checked=len(files),
        source_lines=source_lines,
        warnings=_saved(store),
    )
    return FixReport(files=tuple(results), check=check, written=write)


def _remember(
    store: LintCache,
    rules: Sequence[type[Rule]],
    linted: Mapping[str, FileResult],
    text: str,
    digest: str,
    fingerprint: str,
) -> None:
    """Store the result of ``text`` (the file's content, hashed as ``digest``) if it was linted."""
    result = linted.get(text)
    if result is not None:
        store.store(digest, rules, result, fingerprint)


def _saved(store: LintCache | None) -> tuple[str, ...]:
    warning = store.save() if store is not None else None
    return (warning,) if warning else ()
