"""``[tool.tsinspect]`` from pyproject.toml, merged with command-line options.

Keys (all optional)::

    [tool.tsinspect]
    select = ["TS"]                 # rule selectors: ALL, code prefixes (TS1, TS10, TS101), rule names
    ignore = ["TS113"]
    exclude = ["legacy/*", "*_pb2.py"]   # glob patterns, matched against paths relative to the
                                         # pyproject's folder and against each path component
    extra-paths = ["third_party"]   # more import roots for the project index, searched after
                                    # the checked files' packages and the interpreter's path
    cache-dir = ".tsinspect_cache"  # where results are kept between runs, relative to the
                                    # pyproject's folder (the TSINSPECT_CACHE_DIR variable wins)
    [tool.tsinspect.per-file-ignores]
    "tests/*" = ["TS1"]

The file is found by walking up from the checked path to the first pyproject.toml that has a
``[tool.tsinspect]`` table. Imports nothing of ours but errors, so every layer may use it.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

from tsinspect.errors import InputError

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef, import-not-found, unused-ignore]

# Folders never walked into when a folder is checked (explicitly named files are always checked).
DEFAULT_EXCLUDE: tuple[str, ...] = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    ".eggs",
    "*.egg-info",
    "__pycache__",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".tsinspect_cache",
    "build",
    "dist",
    "node_modules",
    "site-packages",
)

KNOWN_KEYS = frozenset(
    {
        "select",
        "ignore",
        "extend-select",
        "exclude",
        "extend-exclude",
        "per-file-ignores",
        "extra-paths",
        "cache-dir",
    }
)


@dataclass(frozen=True)
class Settings:
    """Which rules run where. Frozen and picklable: it travels to worker processes.

    ``root`` is the folder relative patterns (``exclude``, ``per_file_ignores``) are matched
    from: the pyproject's folder, else the current directory. ``cache_dir``: where the lint
    cache lives, relative to ``root`` (None: ``.tsinspect_cache`` in ``root``; the
    ``TSINSPECT_CACHE_DIR`` environment variable overrides both).
    """

    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    root: str = "."
    config_path: str | None = None
    # Absolute folders the project index also resolves imports in (after site-packages).
    extra_paths: tuple[str, ...] = ()
    cache_dir: str | None = None

    def with_overrides(
        self,
        *,
        select: Iterable[str] | None = None,
        extend_select: Iterable[str] = (),
        ignore: Iterable[str] = (),
        exclude: Iterable[str] = (),
    ) -> Settings:
        """Command-line options on top, as ruff layers them.

        ``select`` starts a new selection: it replaces the config's select *and* ignore (so
        ``--select TS101`` enables TS101 even if the config ignores it). ``extend_select``,
        ``ignore`` and ``exclude`` add to what is there. per-file-ignores always apply.
        """
        if select is not None:
            base_select: tuple[str, ...] = tuple(select)
            base_ignore: tuple[str, ...] = ()
        else:
            base_select, base_ignore = self.select, self.ignore
        return replace(
            self,
            select=(*base_select, *extend_select),
            ignore=(*base_ignore, *ignore),
            exclude=(*self.exclude, *exclude),
        )

    def relative(self, path: str | os.PathLike[str]) -> str:
        """``path`` relative to :attr:`root`, with forward slashes (as patterns are written)."""
        absolute = os.path.abspath(path)
        try:
            relative = os.path.relpath(absolute, os.path.abspath(self.root))
        except ValueError:  # another drive on Windows
            relative = absolute
        return PurePosixPath(Path(relative)).as_posix()

    def ignores_for(self, path: str) -> tuple[str, ...]:
        """Selectors ignored for ``path`` by ``per-file-ignores``."""
        relative = self.relative(path)
        name = os.path.basename(path)
        ignored: list[str] = []
        for pattern, selectors in self.per_file_ignores:
            if _match(pattern, relative, name):
                ignored.extend(selectors)
        return tuple(ignored)

    def is_excluded(self, path: str | os.PathLike[str]) -> bool:
        """True when ``path`` (a file or folder met while walking) matches an exclude pattern."""
        relative = self.relative(path)
        parts = PurePosixPath(relative).parts
        for pattern in (*DEFAULT_EXCLUDE, *self.exclude):
            if _match(pattern, relative, parts[-1] if parts else relative):
                return True
        return False


def _match(pattern: str, relative: str, name: str) -> bool:
    pattern = pattern.rstrip("/")
    if pattern.startswith("./"):
        pattern = pattern[2:]
    return (
        fnmatch.fnmatchcase(relative, pattern)
        or fnmatch.fnmatchcase(name, pattern)
        or fnmatch.fnmatchcase(relative, pattern + "/*")
    )


def _string_list(table: Mapping[str, Any], key: str, config: Path) -> tuple[str, ...]:
    value = table.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(
            f"{config}: [tool.tsinspect] {key} must be a list of strings; fix the value"
        )
    return tuple(value)


def load_settings(config: str | os.PathLike[str]) -> Settings:
    """Settings from one pyproject.toml (or tsinspect.toml-style file with the same table)."""
    path = Path(config)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: config file not found; check the --config path") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(
            f"{path}: cannot read config file ({error}); check its permissions and encoding"
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{path}: not valid TOML ({error}); fix the file") from None
    table = data.get("tool", {}).get("tsinspect", {})
    if not isinstance(table, dict):
        raise InputError(f"{path}: [tool.tsinspect] must be a table; fix the file")
    unknown = sorted(set(table) - KNOWN_KEYS)
    if unknown:
        raise InputError(
            f"{path}: unknown key(s) {', '.join(unknown)} in [tool.tsinspect]; "
            f"known keys: {', '.join(sorted(KNOWN_KEYS))}"
        )
    per_file = table.get("per-file-ignores", {})
    if not isinstance(per_file, dict):
        raise InputError(f"{path}: [tool.tsinspect] per-file-ignores must be a table; fix the file")
    per_file_ignores = tuple(
        (pattern, _string_list(per_file, pattern, path)) for pattern in sorted(per_file)
    )
    select = _string_list(table, "select", path) if "select" in table else Settings.select
    cache_dir = table.get("cache-dir")
    if cache_dir is not None and (not isinstance(cache_dir, str) or not cache_dir.strip()):
        raise InputError(f"{path}: [tool.tsinspect] cache-dir must be a folder path; fix the value")
    return Settings(
        select=(*select, *_string_list(table, "extend-select", path)),
        ignore=_string_list(table, "ignore", path),
        exclude=(
            *_string_list(table, "exclude", path),
            *_string_list(table, "extend-exclude", path),
        ),
        per_file_ignores=per_file_ignores,
        root=str(path.resolve().parent),
        config_path=str(path),
        extra_paths=tuple(
            str((path.resolve().parent / extra).resolve())
            for extra in _string_list(table, "extra-paths", path)
        ),
        cache_dir=cache_dir,
    )


def find_config(start: str | os.PathLike[str]) -> Path | None:
    """The nearest pyproject.toml with a ``[tool.tsinspect]`` table, walking up from ``start``."""
    current = Path(os.path.realpath(start))
    if not current.is_dir():
        current = current.parent
    for folder in (current, *current.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                data = tomllib.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                # A broken pyproject that is not ours to read: report it only if it has our table.
                if "[tool.tsinspect" in candidate.read_text(encoding="utf-8", errors="replace"):
                    return candidate
                continue
            if "tsinspect" in data.get("tool", {}):
                return candidate
    return None


def discover_settings(start: str | os.PathLike[str] = ".") -> Settings:
    """Settings from the nearest pyproject.toml above ``start``, or the defaults."""
    config = find_config(start)
    if config is None:
        return Settings(root=os.getcwd())
    return load_settings(config)
