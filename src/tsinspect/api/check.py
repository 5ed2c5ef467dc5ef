"""``tsinspect check``: lint source files for what ``torch.jit.script`` rejects. Never imports torch."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import cache

from tsinspect.diagnostics import Diagnostic, sorted_diagnostics
from tsinspect.errors import InputError
from tsinspect.files import file_kind, read_regular
from tsinspect.lint.cache import LintCache, content_hash, open_cache
from tsinspect.lint.engine import (
    UNREADABLE,
    FileResult,
    decode_source,
    file_diagnostic,
    is_suppressed,
    lint_source,
    parse_suppressions,
)
from tsinspect.lint.engine import (
    source_lines as split_lines,
)
from tsinspect.lint.facts import FileFacts
from tsinspect.lint.noqa import UNUSED_NOQA, with_uses_elsewhere
from tsinspect.lint.program import ProgramFacts, program_facts
from tsinspect.lint.registry import all_rules, get_rule, select_rules, validate_selector
from tsinspect.lint.rule import Rule
from tsinspect.lint.types.schema_data import schema_fingerprint
from tsinspect.render.sarif import SarifRule, rule_help_uri
from tsinspect.settings import Settings, discover_settings

#: Called with a one-line description of the step that starts (``tsinspect.progress.Progress``).
ProgressCallback = Callable[[str], None]

INPUT_ERROR_PREFIX = "TS0"
LINT_CRASHED = "TS004"
# Below this many files, worker start-up costs more than it saves.
PARALLEL_THRESHOLD = 8
SOURCE_SUFFIXES = (".py",)


def is_input_error(diagnostic: Diagnostic) -> bool:
    """TS001-TS004: an input that could not be read (exit 2). TS005, an unused suppression
    comment, is a finding about code like any other."""
    return diagnostic.code.startswith(INPUT_ERROR_PREFIX) and diagnostic.code != UNUSED_NOQA


@dataclass(frozen=True)
class CheckResult:
    """The outcome of checking some paths.

    ``diagnostics`` are sorted (path, line, column, code) and include the TS0xx input
    errors; ``source_lines`` maps path -> line number -> text for the lines they point at.
    ``warnings``: one-line notes that did not change the result (a cache that could not
    be written); the CLI prints them on stderr.
    """

    diagnostics: tuple[Diagnostic, ...]
    files_checked: int
    source_lines: Mapping[str, Mapping[int, str]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def input_errors(self) -> tuple[Diagnostic, ...]:
        """TS0xx diagnostics: files that could not be read or parsed."""
        return tuple(d for d in self.diagnostics if is_input_error(d))

    @property
    def findings(self) -> tuple[Diagnostic, ...]:
        """Diagnostics about code (everything but input errors)."""
        return tuple(d for d in self.diagnostics if not is_input_error(d))

    @property
    def exit_code(self) -> int:
        """2 if an input could not be read, else 1 if anything was found, else 0."""
        if self.input_errors:
            return 2
        return 1 if self.diagnostics else 0


def validated(settings: Settings) -> Settings:
    """Settings with every selector checked against the registry (InputError names the bad one)."""
    config = f"{settings.config_path} [tool.tsinspect]" if settings.config_path else None
    # select/ignore may come from the config or the command line: name both places.
    where = f"--select/--ignore or {config}" if config else "--select/--ignore"
    for selector in (*settings.select, *settings.ignore):
        _require_some_code(validate_selector(selector, where), selector, where)
    for pattern, selectors in settings.per_file_ignores:
        for selector in selectors:
            validate_selector(selector, f"{config} per-file-ignores {pattern!r}")
    return settings


def _require_some_code(normalized: str, selector: str, where: str) -> None:
    """InputError for a code prefix that names no code at all (``TS9``): it would select or
    ignore nothing, silently. Archive and config codes count (they share the settings)."""
    if not normalized.startswith("TS") or normalized == "ALL":
        return  # a rule name: validate_selector checked it
    if any(rule.code.startswith(normalized) for rule in all_rules()):
        return
    from tsinspect.api.catalogue import all_codes  # tables only, no torch

    if not any(entry.code.startswith(normalized) for entry in all_codes()):
        raise InputError(
            f"rule selector {selector!r} in {where} matches no code; `tsinspect rules` lists them"
        )


@cache
def _rules_for(select: tuple[str, ...], ignore: tuple[str, ...]) -> tuple[type[Rule], ...]:
    return select_rules(
        tuple(validate_selector(s) for s in select), tuple(validate_selector(s) for s in ignore)
    )


def rules_for_path(settings: Settings, path: str) -> tuple[type[Rule], ...]:
    """The rules enabled for ``path``: select minus ignore minus its per-file-ignores."""
    ignore = (
        (*settings.ignore, *settings.ignores_for(path))
        if settings.per_file_ignores
        else settings.ignore
    )
    return _rules_for(tuple(settings.select), tuple(ignore))


def check_source(
    source: str | bytes, path: str = "<string>", settings: Settings | None = None
) -> list[Diagnostic]:
    """Lint one module's source. ``path`` is used in diagnostics and for per-file-ignores."""
    settings = validated(settings or Settings())
    facts = source_facts(source, path, settings)
    return list(lint_source(source, path, rules_for_path(settings, path), facts).diagnostics)


def check_text(
    source: str | bytes, path: str = "-", settings: Settings | None = None
) -> CheckResult:
    """Lint one module given as text (``tsinspect check -``), with snippets, as a
    :class:`CheckResult` so that every renderer applies."""
    settings = validated(settings or Settings())
    facts = source_facts(source, path, settings)
    result = lint_source(source, path, rules_for_path(settings, path), facts)
    lines = {path: dict(result.source_lines)} if result.source_lines else {}
    return CheckResult(result.diagnostics, files_checked=1, source_lines=lines)


def source_facts(source: str | bytes, path: str, settings: Settings) -> FileFacts | None:
    """The program-wide facts of one module given as source: its imports resolve as in
    ``check_paths``, so ``check_source`` and ``fix_source`` see what a run over the file sees."""
    data = source.encode() if isinstance(source, str) else source
    return program_facts([path], {path: data}, settings.extra_paths).checked.get(path)


def _check_file(
    path: str, settings: Settings, facts: FileFacts | None = None
) -> tuple[FileResult, str | None]:
    """The file's result, and the content hash of the bytes linted (None: unreadable)."""
    rules = rules_for_path(settings, path)
    try:
        data = read_regular(path)
    except OSError as error:
        if facts is not None and not facts.checked:
            return FileResult(path, ()), None  # a library file that vanished: nothing to report
        return _unreadable(path, rules, error.strerror or str(error)), None
    return lint_source(data, path, rules, facts), content_hash(data)


def _check_files(
    paths: Sequence[str], settings: Settings, facts: Mapping[str, FileFacts] | None = None
) -> list[tuple[FileResult, str | None]]:
    """Worker entry point: one chunk of files (module-level so it pickles)."""
    facts = facts or {}
    return [_check_file(path, settings, facts.get(path)) for path in paths]


def read_sources(files: Sequence[str]) -> dict[str, bytes]:
    """The bytes of each readable file (the unreadable ones are reported by the lint)."""
    sources: dict[str, bytes] = {}
    for path in files:
        try:
            sources[path] = read_regular(path)
        except OSError:
            continue  # the lint reports it (TS003)
    return sources


def entry_findings(
    results: Sequence[FileResult], sources: Mapping[str, bytes]
) -> tuple[list[Diagnostic], dict[str, dict[int, str]], dict[str, set[tuple[int, str]]]]:
    """Findings of library files, reported at checked lines: minus those a comment on that
    checked line suppresses, with the checked lines for snippets, and per checked file the
    (line, code) its comments suppressed that way (in use, though its own lint saw nothing)."""
    kept: list[Diagnostic] = []
    snippets: dict[str, dict[int, str]] = {}
    lines_of: dict[str, list[str]] = {}
    in_use: dict[str, set[tuple[int, str]]] = {}
    for result in results:
        for diagnostic in result.diagnostics:
            if diagnostic.origin is None:
                continue  # the library file's own input errors are not the user's
            if diagnostic.path not in lines_of:
                try:
                    text = decode_source(sources[diagnostic.path])
                except (KeyError, UnicodeDecodeError, LookupError):
                    text = ""
                lines_of[diagnostic.path] = split_lines(text)
            lines = lines_of[diagnostic.path]
            line = lines[diagnostic.line - 1] if 0 < diagnostic.line <= len(lines) else ""
            if "#" in line and is_suppressed(
                parse_suppressions([(diagnostic.line, line[line.index("#") :])]),
                diagnostic.line,
                diagnostic.code,
            ):
                # The comment is in use: the checked file's own lint could not know it.
                in_use.setdefault(diagnostic.path, set()).add((diagnostic.line, diagnostic.code))
                continue
            kept.append(diagnostic)
            if line:
                snippets.setdefault(diagnostic.path, {})[diagnostic.line] = line
    return kept, snippets, in_use


def _with_uses_elsewhere(
    result: FileResult,
    uses: Collection[tuple[int, str]] | None,
    sources: Mapping[str, bytes],
    settings: Settings,
) -> tuple[Diagnostic, ...]:
    """The file's diagnostics, TS005 recomputed where its comments hide library findings."""
    if not uses or result.path not in sources:
        return result.diagnostics
    try:
        text = decode_source(sources[result.path])
    except (UnicodeDecodeError, LookupError):
        return result.diagnostics
    return with_uses_elsewhere(result, text, uses, rules_for_path(settings, result.path))


def library_findings(
    program: ProgramFacts, settings: Settings, sources: Mapping[str, bytes]
) -> tuple[list[Diagnostic], dict[str, dict[int, str]], dict[str, set[tuple[int, str]]]]:
    """Lint the library files ``program`` compiles; their findings at the checked lines, the
    lines' text, and per checked file the (line, code) its suppression comments hid."""
    linted = _lint_files(list(program.libraries), settings, 1, program.libraries)
    return entry_findings([result for result, _ in linted], sources)


def _cached_result(
    cache: LintCache,
    path: str,
    settings: Settings,
    data: bytes | None,
    facts: FileFacts | None,
) -> FileResult | None:
    """The stored result of ``path`` if its current bytes were linted with these rules and
    the same facts from the rest of the program."""
    if data is None:
        try:
            data = read_regular(path)
        except OSError:
            return None  # the lint reports it (unreadable files are never cached)
    return cache.lookup(
        path, content_hash(data), rules_for_path(settings, path), _fingerprint(facts)
    )


def _fingerprint(facts: FileFacts | None) -> str:
    return facts.fingerprint() if facts is not None else ""


def _unreadable(path: str, rules: Iterable[type[Rule]], detail: str) -> FileResult:
    if not any(rule.code == UNREADABLE for rule in rules):
        return FileResult(path, ())
    return FileResult(path, (file_diagnostic(get_rule(UNREADABLE), path, detail),))


def _walk(folder: str, settings: Settings, errors: list[OSError]) -> Iterator[str]:
    # A sub-folder that cannot be listed becomes a TS003 instead of being skipped silently.
    for root, dirs, files in os.walk(folder, onerror=errors.append):
        dirs[:] = sorted(d for d in dirs if not settings.is_excluded(os.path.join(root, d)))
        for name in sorted(files):
            if name.endswith(SOURCE_SUFFIXES):
                path = os.path.join(root, name)
                if not settings.is_excluded(path):
                    yield path


def collect_files(
    paths: Iterable[str | os.PathLike[str]], settings: Settings
) -> tuple[list[str], list[FileResult]]:
    """Files to check (folders walked, excludes applied) and TS003 results for unusable paths.

    A file named explicitly is always checked, as ruff does, even if it matches an exclude.
    """
    files: list[str] = []
    problems: list[FileResult] = []
    seen: set[str] = set()
    all_rules = rules_for_path(settings, ".")
    for raw in paths:
        path = os.fspath(raw)
        if os.path.isdir(path):
            errors: list[OSError] = []
            found = list(_walk(path, settings, errors))
            for error in errors:
                where = error.filename if isinstance(error.filename, str) else path
                problems.append(_unreadable(where, all_rules, error.strerror or str(error)))
        elif os.path.isfile(path):
            found = [path]
        else:
            try:
                detail = f"not a regular file or folder ({file_kind(os.stat(path).st_mode)})"
            except OSError as error:  # missing, a dangling link, a symlink loop
                reason = error.strerror or str(error)
                detail = reason[:1].lower() + reason[1:]
            problems.append(_unreadable(path, all_rules, detail))
            continue
        for file in found:
            key = os.path.normpath(os.path.abspath(file))
            if key not in seen:
                seen.add(key)
                files.append(file)
    return files, problems


def balanced_chunks(files: Sequence[str], workers: int) -> list[list[str]]:
    """The files in chunks for ``workers`` processes, biggest files first.

    Lint time follows file size, and model zoos mix 5k-line files with 20-line ones: in
    alphabetical chunks one worker is left alone with the big ones at the end. Largest first,
    in chunks of about 1/16 of a worker's share of the bytes, the pool stays busy to the end,
    while chunks of many small files keep the per-task pickling cheap.
    """
    sizes = {}
    for path in files:
        try:
            sizes[path] = os.path.getsize(path)
        except OSError:
            sizes[path] = 0  # read (and reported) by the worker
    ordered = sorted(files, key=lambda path: -sizes[path])
    budget = max(1, sum(sizes.values()) // (workers * 16))
    chunks: list[list[str]] = []
    current: list[str] = []
    current_size = 0
    for path in ordered:
        current.append(path)
        current_size += sizes[path]
        if current_size >= budget:
            chunks.append(current)
            current, current_size = [], 0
    if current:
        chunks.append(current)
    return chunks


def _lint_files(
    files: Sequence[str],
    settings: Settings,
    jobs: int | None,
    facts: Mapping[str, FileFacts],
    progress: ProgressCallback | None = None,
) -> list[tuple[FileResult, str | None]]:
    """Lint ``files``: in worker processes when there are many, else in this one.

    A worker that dies (a native crash in the parser, the kernel's OOM killer) costs the file
    it was linting only: the chunks it took down with the pool are linted again, and the
    file that kills a worker on its own is reported as such.
    """
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    if workers <= 1 or len(files) < PARALLEL_THRESHOLD:
        if progress is None:
            return _check_files(files, settings, facts)
        done: list[tuple[FileResult, str | None]] = []
        for path in files:
            progress(f"linting {len(done) + 1}/{len(files)} files: {path}")
            done.append(_check_file(path, settings, facts.get(path)))
        return done
    workers = min(workers, len(files))
    chunks = balanced_chunks(files, workers)
    linted: list[tuple[FileResult, str | None]] = []
    lost: list[str] = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [
            (chunk, pool.submit(_check_files, chunk, settings, _facts_of(chunk, facts)))
            for chunk in chunks
        ]
        for chunk, future in futures:
            try:
                linted.extend(future.result())
            except BrokenProcessPool:
                lost.extend(chunk)
            if progress is not None:
                progress(f"linting: {len(linted) + len(lost)}/{len(files)} files done")
    if lost:
        linted.extend(_lint_one_by_one(lost, settings, facts))
    return linted


def _facts_of(paths: Sequence[str], facts: Mapping[str, FileFacts]) -> dict[str, FileFacts]:
    return {path: facts[path] for path in paths if path in facts}


def _lint_one_by_one(
    files: Sequence[str], settings: Settings, facts: Mapping[str, FileFacts]
) -> list[tuple[FileResult, str | None]]:
    """Lint each file as its own task in a one-worker pool: when the worker dies, the file
    it was on is the first unfinished one, reported as crashed; a fresh pool takes the rest."""
    linted: list[tuple[FileResult, str | None]] = []
    pending = list(files)
    while pending:
        with ProcessPoolExecutor(max_workers=1) as pool:
            futures = [
                pool.submit(_check_files, [path], settings, _facts_of([path], facts))
                for path in pending
            ]
            done = 0
            for future in futures:
                try:
                    linted.extend(future.result())
                except BrokenProcessPool:
                    break
                done += 1
        if done < len(pending):
            crashed = pending[done]
            linted.append((_crashed(crashed, settings), None))
            done += 1
        pending = pending[done:]
    return linted


def _crashed(path: str, settings: Settings) -> FileResult:
    """TS004 for a file whose linting killed the worker process."""
    rules = rules_for_path(settings, path)
    if not any(rule.code == LINT_CRASHED for rule in rules):
        return FileResult(path, ())
    detail = "its worker process died"
    return FileResult(path, (file_diagnostic(get_rule(LINT_CRASHED), path, detail),))


def check_paths(
    paths: Iterable[str | os.PathLike[str]],
    settings: Settings | None = None,
    jobs: int | None = None,
    *,
    cache: bool = False,
    progress: ProgressCallback | None = None,
) -> CheckResult:
    """Lint files and folders. ``settings`` defaults to the pyproject found above the first path.

    ``jobs``: worker processes (default: the CPU count); many files are checked in
    parallel, a few sequentially. ``cache``: reuse and keep each file's result in the
    project's ``.tsinspect_cache`` folder (``cache-dir`` in ``[tool.tsinspect]`` or the
    ``TSINSPECT_CACHE_DIR`` environment variable move it), keyed by the file's content, the
    rules enabled for it and the tool's version; the CLI uses it unless ``--no-cache``.
    ``progress``: called with a one-line description of each step (files found, imports
    resolved, files linted so far), for a progress line on long runs.
    """
    path_list = [os.fspath(p) for p in paths]
    if settings is None:
        settings = discover_settings(path_list[0] if path_list else ".")
    settings = validated(settings)
    files, results = collect_files(path_list, settings)
    if progress is not None:
        progress(f"reading {len(files)} files")
    sources = read_sources(files)
    store = open_cache(settings, schema_fingerprint=schema_fingerprint() or "") if cache else None
    if progress is not None:
        progress(f"resolving the imports of {len(files)} files")
    # The cyclic collector is paused while the index parses every file with the standard
    # parser: it keeps small summaries, whose trees reference counting frees, and the
    # collector's full passes over the growing index cost ~2% of a run for nothing.
    collecting = gc.isenabled()
    gc.disable()
    try:
        program = program_facts(files, sources, settings.extra_paths, store=store)
    finally:
        if collecting:
            gc.enable()
    facts: dict[str, FileFacts] = {**program.checked, **program.libraries}
    libraries = set(program.libraries)
    lint_results: list[FileResult] = []
    pending = [*files, *program.libraries]
    if store is not None:
        # Hits are decided here, so workers neither load the cache nor lint unchanged files.
        targets, pending = pending, []
        for path in targets:
            hit = _cached_result(store, path, settings, sources.get(path), facts.get(path))
            if hit is None:
                pending.append(path)
            else:
                lint_results.append(hit)
    for result, linted_hash in _lint_files(pending, settings, jobs, facts, progress):
        lint_results.append(result)
        if store is not None and linted_hash is not None:
            store.store(
                linted_hash,
                rules_for_path(settings, result.path),
                result,
                _fingerprint(facts.get(result.path)),
            )
    warnings: tuple[str, ...] = ()
    if store is not None:
        warning = store.save()
        warnings = (warning,) if warning else ()
    results.extend(r for r in lint_results if r.path not in libraries)
    through, through_lines, in_use = entry_findings(
        [r for r in lint_results if r.path in libraries], sources
    )
    diagnostics = sorted_diagnostics(
        [
            d
            for result in results
            for d in _with_uses_elsewhere(result, in_use.get(result.path), sources, settings)
        ]
        + through
    )
    source_lines: dict[str, dict[int, str]] = {
        r.path: dict(r.source_lines) for r in results if r.diagnostics and r.source_lines
    }
    for path, lines in through_lines.items():
        source_lines.setdefault(path, {}).update(lines)
    return CheckResult(
        tuple(diagnostics), files_checked=len(files), source_lines=source_lines, warnings=warnings
    )


def rule_descriptors() -> list[SarifRule]:
    """Every registered rule as the record the SARIF renderer needs."""
    return [
        SarifRule(
            code=rule.code,
            name=rule.name,
            short_description=rule.message,
            help_text=rule.fix_hint,
            help_markdown=rule.documentation(),
            severity=rule.severity,
            help_uri=rule_help_uri(rule.code),
        )
        for rule in all_rules()
    ]
