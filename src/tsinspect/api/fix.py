"""``tsinspect check --fix`` / ``--diff``: rewrite what the rules can fix mechanically. Never imports torch.

The text machinery is :mod:`tsinspect.lint.fix`; this module resolves settings, reads the
files (keeping their encoding, BOM and line endings), and writes them back atomically: a
temporary file in the same folder, renamed over the original, so a crash never leaves a
half-written source behind.
"""

from __future__ import annotations

import io
import os
import stat
import tokenize
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from tsinspect.api.check import (
    CheckResult,
    collect_files,
    library_findings,
    read_sources,
    rules_for_path,
    source_facts,
    validated,
)
from tsinspect.diagnostics import Diagnostic, Fix, sorted_diagnostics
from tsinspect.files import read_regular, write_atomically
from tsinspect.lint.cache import LintCache, content_hash, open_cache
from tsinspect.lint.engine import UNREADABLE, FileResult, file_diagnostic, lint_source
from tsinspect.lint.engine import source_lines as source_lines_of
from tsinspect.lint.facts import FileFacts
from tsinspect.lint.fix import FixResult, Linter, fix_text
from tsinspect.lint.noqa import with_uses_elsewhere
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
    facts = source_facts(source, path, settings)
    return fix_text(source, path, _linter(path, rules_for_path(settings, path), facts=facts))


def fix_data(data: bytes, path: str = "-", settings: Settings | None = None) -> FixResult | None:
    """:func:`fix_source` for bytes as a file or stdin holds them (BOM, coding line); None
    when they do not decode (``check_text`` reports TS002 for them)."""
    decoded = _decode(data)
    if decoded is None:
        return None
    return fix_source(decoded[0], path, settings)


def _linter(
    path: str,
    rules: Sequence[type[Rule]],
    linted: dict[str, FileResult] | None = None,
    facts: FileFacts | None = None,
    uses_elsewhere: Mapping[str, set[str]] | None = None,
) -> Linter:
    """The engine with ``rules``, as a text -> diagnostics function.

    ``linted``: text -> result, read before linting (a cached result of the file as it is
    on disk) and filled with every text linted (to store the fixed file's result).
    ``uses_elsewhere``: a line's code (without its comment) -> codes its suppression comment
    hides in library code reached from it; TS005 counts them as used there.
    """

    def lint(text: str) -> Sequence[Diagnostic]:
        if linted is None:
            result = lint_source(text, path, rules, facts)
        else:
            if text not in linted:
                linted[text] = lint_source(text, path, rules, facts)
            result = linted[text]
        if not uses_elsewhere:
            return result.diagnostics
        uses = [
            (number, code)
            for number, line in enumerate(source_lines_of(text), start=1)
            for code in uses_elsewhere.get(_code_part(line), ())
        ]
        return with_uses_elsewhere(result, text, uses, rules)

    return lint


def _code_part(line: str) -> str:
    """A line without its comment, stripped: what identifies it while fixes edit comments."""
    return line.split("#", 1)[0].strip()


def _fixable(result: FileResult) -> bool:
    return any(d.fix is not None and d.fix.edits for d in result.diagnostics)


def _decode(data: bytes) -> tuple[str, str] | None:
    """Text and encoding, the way Python reads a module; None when it cannot be decoded."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding), encoding
    except (SyntaxError, UnicodeDecodeError, LookupError):
        return None


class WriteRefused(Exception):
    """A fixed file that is not written; the message is one line naming why."""


def write_fixed(path: str, data: bytes) -> None:
    """Write ``data`` as ``path``'s new content, the way an editor saving it would.

    Through a symlink the target is written and the link kept. The file keeps its mode and
    owner. It is replaced atomically (a temporary file in its folder, renamed over it), so a
    crash never leaves half a source; a file with other hard links, a folder that does not
    take new files, or an owner the temporary file cannot be given, is written in place
    instead so the file stays the same file. A read-only file is refused (WriteRefused).
    """
    target = os.path.realpath(path)
    try:
        status = os.stat(target)
    except OSError as error:
        raise WriteRefused(f"cannot write the fixed file ({error.strerror or error})") from None
    if not stat.S_ISREG(status.st_mode):
        raise WriteRefused("not a regular file; not rewritten")
    if not status.st_mode & 0o222 or not os.access(target, os.W_OK):
        raise WriteRefused("the file is read-only; not rewritten (make it writable to fix it)")
    if status.st_nlink > 1 or not _replace(target, data, status):
        _write_in_place(target, data)


def _replace(target: str, data: bytes, status: os.stat_result) -> bool:
    """Write through a renamed temporary file with ``target``'s mode and owner; False when
    the folder does not take the temporary file or it cannot be given the owner."""
    owner: tuple[int, int] | None = (status.st_uid, status.st_gid)
    if not hasattr(os, "geteuid") or owner == (os.geteuid(), os.getegid()):
        owner = None  # ours already (or no owners, on Windows)
    try:
        write_atomically(
            target,
            data,
            mode=stat.S_IMODE(status.st_mode),
            owner=owner,
            durable=True,
        )
    except OSError:
        return False
    return True


def _write_in_place(target: str, data: bytes) -> None:
    try:
        with open(target, "r+b") as stream:
            stream.write(data)
            stream.truncate()
            stream.flush()
            os.fsync(stream.fileno())
    except OSError as error:
        raise WriteRefused(f"cannot write the fixed file ({error.strerror or error})") from None


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
    # Findings in library code the checked files compile: never fixed (not the user's file),
    # always reported. Found first: a suppression comment that hides one is in use, and
    # TS005's fix must not remove it (its line found by its code: fixes may move the line
    # or rewrite the comment).
    through, through_lines, in_use = library_findings(program, settings, sources)
    uses_elsewhere: dict[str, dict[str, set[str]]] = {}
    for path, uses in in_use.items():
        decoded = _decode(sources.get(path, b""))
        lines = source_lines_of(decoded[0]) if decoded is not None else []
        for line, code in uses:
            key = _code_part(lines[line - 1]) if 0 < line <= len(lines) else ""
            if key:
                uses_elsewhere.setdefault(path, {}).setdefault(key, set()).add(code)
    results: list[FixResult] = []
    pending: list[_Pending] = []
    diagnostics: list[Diagnostic] = [d for problem in problems for d in problem.diagnostics]
    source_lines: dict[str, Mapping[int, str]] = {}
    for path in files:
        rules = rules_for_path(settings, path)
        facts = program.checked.get(path)
        fingerprint = _fingerprint_of(facts)
        try:
            data = sources[path] if path in sources else read_regular(path)
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
        lint = _linter(path, rules, linted, facts, uses_elsewhere.get(path, {}))
        result = fix_text(text, path, lint)
        if store is not None:
            _remember(store, rules, linted, text, digest, fingerprint)
        if write and result.changed:
            # Written once every file is fixed: a run that stops halfway writes nothing.
            pending.append(_Pending(result, result.fixed_source.encode(encoding), rules, linted))
            continue
        _record(result, results, diagnostics, source_lines)
    for item in pending:
        result = item.result
        try:
            write_fixed(result.path, item.data)
        except WriteRefused as error:
            diagnostics.append(_not_written(result.path, str(error)))
            original = item.linted.get(result.source)
            result = FixResult(
                result.path,
                result.source,
                result.source,
                (),
                original.diagnostics if original is not None else result.remaining,
            )
        else:
            if store is not None:
                fingerprint = _fingerprint_of(program.checked.get(result.path))
                _remember(
                    store,
                    item.rules,
                    item.linted,
                    result.fixed_source,
                    content_hash(item.data),
                    fingerprint,
                )
        _record(result, results, diagnostics, source_lines)
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


@dataclass(frozen=True)
class _Pending:
    """A fixed file waiting to be written, with what its cache entry needs."""

    result: FixResult
    data: bytes
    rules: Sequence[type[Rule]]
    linted: Mapping[str, FileResult]


def _fingerprint_of(facts: FileFacts | None) -> str:
    return facts.fingerprint() if facts is not None else ""


def _record(
    result: FixResult,
    results: list[FixResult],
    diagnostics: list[Diagnostic],
    source_lines: dict[str, Mapping[int, str]],
) -> None:
    """Add one file's outcome: what remains in it, with the lines it points at."""
    results.append(result)
    diagnostics.extend(result.remaining)
    lines = source_lines_of(result.fixed_source)
    located = {d.line: lines[d.line - 1] for d in result.remaining if 0 < d.line <= len(lines)}
    if located:
        source_lines[result.path] = located


def _not_written(path: str, reason: str) -> Diagnostic:
    """TS003 for a fixed file that could not be written back (the file is left as it was)."""
    rule = get_rule(UNREADABLE)
    return Diagnostic(
        code=rule.code,
        name=rule.name,
        message=f"Cannot write the fixed file: {reason}",
        path=path,
        severity=rule.severity,
        fix=Fix(rule.fix_hint),
    )


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
