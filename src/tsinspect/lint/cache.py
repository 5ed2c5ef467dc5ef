"""The lint cache: each file's result and the index's module summaries, kept on disk
between runs so that a run over unchanged files lints nothing.

Layout, as ruff keeps its own (``crates/ruff/src/cache.rs``)::

    .tsinspect_cache/            in the project root, or cache-dir / TSINSPECT_CACHE_DIR
      CACHEDIR.TAG               backup tools skip the folder
      .gitignore                 "*": nobody commits it
      <tool version>/<hash of the project root>

One file per project root and tool version, read once at the start of a run and written
once at the end (a temporary file renamed over it), so a warm run costs one read, not one
per source file. The file is a pickle of plain data: a header and two tables, ``files``
(resolved path -> entry key, last seen, the pickled :class:`FileResult`) and ``summaries``
(key -> last seen, the pickled summary). Results are decoded only when used.

A file's result is a pure function of its bytes, the rules enabled for it, the facts it
learns from other files (their fingerprint), the tool and the environment: the entry key
hashes the first three; the header holds the rest (tool version, Python's minor version,
libcst's version, the lint package's files, the schema fingerprint), and a header that
differs empties the cache. Correctness rests on the content hash, never on mtimes.

Anything unreadable (missing, truncated, corrupt, another format) reads as an empty cache;
writing never raises (``save`` returns a one-line warning instead); concurrent runs cannot
corrupt the file, and the last writer wins. Entries not used for 30 days are dropped.

Only plain data and tsinspect's own dataclasses and enums are unpickled (never a function or
another library's class), so a cache file planted in a checked-out repository cannot run
code: tsinspect promises never to run what it checks.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import io
import os
import pickle
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import libcst

from tsinspect.diagnostics import Diagnostic
from tsinspect.files import write_atomically
from tsinspect.lint.engine import FileResult
from tsinspect.lint.rule import Rule
from tsinspect.settings import Settings

CACHE_DIR_NAME = ".tsinspect_cache"
CACHE_DIR_ENV = "TSINSPECT_CACHE_DIR"
# Bump when the layout of the file changes.
FORMAT = 1
MAX_UNSEEN_SECONDS = 30 * 24 * 3600
_MAGIC = "tsinspect-cache"
_GITIGNORE = b"# Automatically created by tsinspect.\n*\n"
_CACHEDIR_TAG = (
    b"Signature: 8a477f597d28d172789f06886806bc55\n"
    b"# This file is a cache directory tag created by tsinspect.\n"
    b"# For information about cache directory tags see https://bford.info/cachedir/\n"
)
_SAFE_BUILTINS = frozenset({"frozenset", "set", "complex", "bytearray", "range", "slice"})

T = TypeVar("T")


def content_hash(data: bytes) -> str:
    """The key of a file's content: blake2b of its bytes (128 bits, hex)."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def resolve_cache_dir(settings: Settings, environ: Mapping[str, str] | None = None) -> Path:
    """The cache folder: ``$TSINSPECT_CACHE_DIR``, else ``cache-dir`` from ``[tool.tsinspect]``
    (relative to the pyproject's folder), else ``.tsinspect_cache`` in the project root."""
    variable = (os.environ if environ is None else environ).get(CACHE_DIR_ENV, "").strip()
    if variable:
        return Path(variable).expanduser().absolute()
    configured = Path(settings.cache_dir).expanduser() if settings.cache_dir else None
    return (Path(settings.root) / (configured or CACHE_DIR_NAME)).absolute()


def tool_version() -> str:
    """The running tsinspect's version (read at call time: tests replace it)."""
    import tsinspect

    return tsinspect.__version__


@functools.cache
def engine_fingerprint() -> str:
    """What besides the version changes the engine's results for the same bytes.

    Python's minor version (TS001 messages come from its parser), libcst's version (the
    parser), and name, size and mtime of every file of the lint package and of
    ``diagnostics.py``: an edited checkout or a reinstall never reads results of other code.
    """
    hasher = hashlib.blake2b(digest_size=16)
    hasher.update(f"{sys.version_info[0]}.{sys.version_info[1]}\0".encode())
    hasher.update(f"libcst {getattr(libcst, '__version__', '?')}\0".encode())
    lint_package = Path(__file__).resolve().parent
    stats = [lint_package.parent / "diagnostics.py"]
    for folder, dirs, names in os.walk(lint_package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        stats.extend(Path(folder, name) for name in sorted(names))
    for path in stats:
        try:
            status = path.stat()
        except OSError:
            continue
        relative = path.relative_to(lint_package.parent).as_posix()
        hasher.update(f"{relative}\0{status.st_size}\0{status.st_mtime_ns}\0".encode())
    return hasher.hexdigest()


@functools.cache
def _codes(rules: tuple[type[Rule], ...]) -> str:
    return ",".join(sorted(rule.code for rule in rules))


def entry_key(content: str, rules: Sequence[type[Rule]], facts_fingerprint: str = "") -> str:
    """What a file's cached result is valid for: its content hash, the codes of the rules
    enabled for it, and the fingerprint of the facts it learned from other files."""
    codes = _codes(tuple(rules))
    return hashlib.blake2b(
        f"{content}\0{codes}\0{facts_fingerprint}".encode(), digest_size=16
    ).hexdigest()


class _DataUnpickler(pickle.Unpickler):
    """Unpickles plain data and tsinspect's dataclasses and enums, nothing callable besides."""

    def find_class(self, module: str, name: str) -> Any:
        if module == "builtins" and name in _SAFE_BUILTINS:
            return super().find_class(module, name)
        # Only modules already imported: the classes a caller asks for are loaded by then.
        owner = sys.modules.get(module) if module.partition(".")[0] == "tsinspect" else None
        value = getattr(owner, name, None) if "." not in name else None
        if isinstance(value, type) and (
            dataclasses.is_dataclass(value) or issubclass(value, enum.Enum)
        ):
            return value
        raise pickle.UnpicklingError(f"{module}.{name} is not cache data")


def _loads(data: bytes) -> Any:
    return _DataUnpickler(io.BytesIO(data)).load()


def _dumps(value: object) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


class LintCache:
    """One project's cache, loaded once per run: look results up, store new ones, save at the end.

    Open it with :func:`open_cache` (or :meth:`load`). Not thread-safe; worker processes
    never see it: the main process looks files up before dispatching and stores what the
    workers return.
    """

    def __init__(self, path: Path, header: tuple[object, ...]) -> None:
        self.path = path
        self._header = header
        self._now = int(time.time())
        # path -> (entry key, last seen, pickled FileResult); key -> (last seen, pickled summary)
        self._files: dict[str, tuple[str, int, bytes]] = {}
        self._summaries: dict[str, tuple[int, bytes]] = {}
        self._seen_files: set[str] = set()
        self._seen_summaries: set[str] = set()
        self._new_files: dict[str, tuple[str, bytes]] = {}
        self._new_summaries: dict[str, bytes] = {}

    @classmethod
    def load(
        cls, directory: str | os.PathLike[str], root: str, *, schema_fingerprint: str = ""
    ) -> LintCache:
        """The cache of project ``root`` in ``directory`` (empty when there is none or it is unusable).

        ``schema_fingerprint``: the targeted torch's operator schemas, and anything else every
        result depends on beyond the tool and the environment; a different one empties the cache.
        """
        version = tool_version()
        root = os.path.abspath(root)
        name = hashlib.blake2b(root.encode(), digest_size=8).hexdigest()
        header = (_MAGIC, FORMAT, version, root, engine_fingerprint(), schema_fingerprint)
        cache = cls(Path(directory) / version.replace(os.sep, "_") / name, header)
        try:
            stored = _loads(cache.path.read_bytes())
            if stored[0] != header:
                return cache
            files, summaries = stored[1], stored[2]
            if not isinstance(files, dict) or not isinstance(summaries, dict):
                return cache
        except Exception:  # missing, unreadable, truncated, corrupt: start afresh
            return cache
        cache._files, cache._summaries = files, summaries
        return cache

    def lookup(
        self,
        path: str,
        content: str,
        rules: Sequence[type[Rule]],
        facts_fingerprint: str = "",
    ) -> FileResult | None:
        """The stored result of ``path`` if it is valid for this content (``content_hash`` of
        its bytes), these rules and these facts; else None.

        The result's diagnostics name ``path`` as given here, whatever path linted them.
        """
        absolute = os.path.abspath(path)
        entry = self._files.get(absolute)
        if entry is None or entry[0] != entry_key(content, rules, facts_fingerprint):
            return None
        try:
            result = _loads(entry[2])
        except Exception:
            return None
        if not isinstance(result, FileResult):
            return None
        self._seen_files.add(absolute)
        return _renamed(result, path)

    def store(
        self,
        content: str,
        rules: Sequence[type[Rule]],
        result: FileResult,
        facts_fingerprint: str = "",
    ) -> None:
        """Remember ``result`` (of ``result.path``) for this content, these rules and facts.

        ``content`` must be the hash of the bytes that were linted, not of a read before.
        """
        key = entry_key(content, rules, facts_fingerprint)
        self._new_files[os.path.abspath(result.path)] = (key, _dumps(result))

    def get_summary(self, key: str, kind: type[T]) -> T | None:
        """The summary stored under ``key`` if there is one of type ``kind``, else None.

        For the index's module summaries: ``key`` is the module's ``content_hash`` and
        whatever else the summary depends on (the tool and the environment are in the
        header). Summaries are tsinspect dataclasses, enums and plain data; other classes
        do not load, and the lookup misses.
        """
        if key in self._new_summaries:
            data = self._new_summaries[key]
        else:
            entry = self._summaries.get(key)
            if entry is None:
                return None
            data = entry[1]
        try:
            value = _loads(data)
        except Exception:
            return None
        if not isinstance(value, kind):
            return None
        self._seen_summaries.add(key)
        return value

    def put_summary(self, key: str, summary: object) -> None:
        """Store ``summary`` (a tsinspect dataclass or plain data) under ``key``."""
        self._new_summaries[key] = _dumps(summary)

    @property
    def changed(self) -> bool:
        """True when :meth:`save` has something to write."""
        return bool(self._new_files or self._new_summaries)

    def save(self) -> str | None:
        """Write the cache if anything was stored; a one-line warning when it cannot be written.

        Entries of files not checked this run are kept; entries unused for 30 days are dropped.
        """
        if not self.changed:
            return None
        now, oldest = self._now, self._now - MAX_UNSEEN_SECONDS
        files = {
            path: (key, now if path in self._seen_files else seen, data)
            for path, (key, seen, data) in self._files.items()
            if seen >= oldest or path in self._seen_files
        }
        files.update((path, (key, now, data)) for path, (key, data) in self._new_files.items())
        summaries = {
            key: (now if key in self._seen_summaries else seen, data)
            for key, (seen, data) in self._summaries.items()
            if seen >= oldest or key in self._seen_summaries
        }
        summaries.update((key, (now, data)) for key, data in self._new_summaries.items())
        try:
            _prepare(self.path.parent.parent)
            self.path.parent.mkdir(exist_ok=True)
            write_atomically(self.path, _dumps((self._header, files, summaries)))
        except OSError as error:
            return (
                f"warning: cannot write the cache {self.path.parent.parent} "
                f"({error.strerror or error}); set {CACHE_DIR_ENV} or cache-dir, or pass --no-cache"
            )
        self._files, self._summaries = files, summaries
        self._new_files, self._new_summaries = {}, {}
        return None


def _renamed(result: FileResult, path: str) -> FileResult:
    if result.path == path:
        return result
    diagnostics = tuple(_with_path(d, path) for d in result.diagnostics)
    return FileResult(path, diagnostics, result.source_lines)


def _with_path(diagnostic: Diagnostic, path: str) -> Diagnostic:
    return dataclasses.replace(diagnostic, path=path)


def _prepare(directory: Path) -> None:
    """Create the cache folder with its CACHEDIR.TAG and a .gitignore that ignores everything."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in (("CACHEDIR.TAG", _CACHEDIR_TAG), (".gitignore", _GITIGNORE)):
        try:
            with open(directory / name, "xb") as stream:
                stream.write(content)
        except FileExistsError:
            pass


def open_cache(settings: Settings, *, schema_fingerprint: str = "") -> LintCache:
    """The cache of the project ``settings`` describe, in :func:`resolve_cache_dir`'s folder."""
    return LintCache.load(
        resolve_cache_dir(settings), settings.root, schema_fingerprint=schema_fingerprint
    )
