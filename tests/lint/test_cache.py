"""The lint cache: a warm run serves identical results without linting, and a changed file, a
changed setting, a new version or changed facts from other files each invalidate what they must."""

from __future__ import annotations

import os
import pickle
import textwrap
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import tsinspect
from tsinspect.api import check as api_check
from tsinspect.api import fix as api_fix
from tsinspect.api.check import CheckResult, check_paths, rules_for_path
from tsinspect.api.fix import fix_paths
from tsinspect.cli import main
from tsinspect.diagnostics import Diagnostic, Edit, Fix, Severity, Span
from tsinspect.errors import InputError
from tsinspect.lint import cache as lint_cache
from tsinspect.lint.cache import (
    CACHE_DIR_ENV,
    CACHE_DIR_NAME,
    LintCache,
    content_hash,
    open_cache,
    resolve_cache_dir,
)
from tsinspect.lint.engine import FileResult
from tsinspect.lint.facts import FileFacts
from tsinspect.lint.rule import Rule
from tsinspect.settings import Settings, discover_settings

LAMBDA = textwrap.dedent(
    """\
    import torch
    from torch import nn


    class Net(nn.Module):
        def forward(self, x):
            f = lambda v: v * 2
            return f(x)
    """
)
CLEAN = textwrap.dedent(
    """\
    import torch
    from torch import nn


    class Net(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x * 2
    """
)
# TS501 (`mask=None` without Optional) is fixable.
FIXABLE = textwrap.dedent(
    """\
    import torch
    from torch import nn


    class Net(nn.Module):
        def forward(self, x: torch.Tensor, mask=None) -> torch.Tensor:
            if mask is not None:
                x = x * mask
            return x
    """
)
BROKEN = "def forward(self, x:\n"
PYPROJECT = '[tool.tsinspect]\nselect = ["ALL"]\n'


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A configured project as the current directory, its cache in the default place."""
    root = tmp_path / "project"
    (root / "pkg").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "pkg" / "net.py").write_text(LAMBDA)
    (root / "pkg" / "clean.py").write_text(CLEAN)
    (root / "pkg" / "fixable.py").write_text(FIXABLE)
    (root / "pkg" / "broken.py").write_text(BROKEN)
    monkeypatch.delenv(CACHE_DIR_ENV, raising=False)
    monkeypatch.chdir(root)
    yield root


@pytest.fixture
def linted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths the engine lints from now on (in this process: runs use ``jobs=1``)."""
    calls: list[str] = []
    real = api_check.lint_source

    def counting(
        source: str | bytes,
        path: str,
        rules: Sequence[type[Rule]],
        facts: FileFacts | None = None,
    ) -> FileResult:
        calls.append(Path(path).name)
        return real(source, path, rules, facts)

    monkeypatch.setattr(api_check, "lint_source", counting)
    return calls


def _check(settings: Settings | None = None, *, cache: bool = True) -> CheckResult:
    return check_paths(["pkg"], settings=settings, jobs=1, cache=cache)


def _same(first: CheckResult, second: CheckResult) -> None:
    assert second.diagnostics == first.diagnostics
    assert second.source_lines == first.source_lines
    assert second.files_checked == first.files_checked


def _cache_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / CACHE_DIR_NAME).rglob("*") if p.parent.name != CACHE_DIR_NAME)


def _forbid_linting(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> FileResult:
        raise AssertionError("a warm run linted a file")

    monkeypatch.setattr(api_check, "lint_source", refuse)
    monkeypatch.setattr(api_fix, "lint_source", refuse)


def test_a_warm_run_gives_identical_results_without_linting(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cold = _check()
    assert {d.code for d in cold.diagnostics} >= {"TS001", "TS101", "TS501"}
    _forbid_linting(monkeypatch)
    _same(cold, _check())
    _same(cold, _check())


def test_the_cache_lives_in_the_project_root_and_is_never_committed(project: Path) -> None:
    _check()
    folder = project / CACHE_DIR_NAME
    assert (folder / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (
        (folder / "CACHEDIR.TAG")
        .read_text()
        .startswith("Signature: 8a477f597d28d172789f06886806bc55")
    )
    (cache_file,) = _cache_files(project)
    assert cache_file.parent.name == tsinspect.__version__
    umask = os.umask(0)
    os.umask(umask)
    assert cache_file.stat().st_mode & 0o777 == 0o666 & ~umask


def test_cache_dir_setting_and_environment_variable_move_it(
    project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (project / "pyproject.toml").write_text(PYPROJECT + 'cache-dir = "build/lint-cache"\n')
    assert resolve_cache_dir(discover_settings(".")) == project / "build" / "lint-cache"
    _check(discover_settings("."))
    assert (project / "build" / "lint-cache" / "CACHEDIR.TAG").is_file()
    assert not (project / CACHE_DIR_NAME).exists()
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "elsewhere"))
    _check(discover_settings("."))
    assert (tmp_path / "elsewhere" / "CACHEDIR.TAG").is_file()


def test_cache_dir_must_be_a_folder_path(project: Path) -> None:
    (project / "pyproject.toml").write_text(PYPROJECT + "cache-dir = 3\n")
    with pytest.raises(InputError, match="cache-dir must be a folder path"):
        discover_settings(".")


def test_without_a_pyproject_the_cache_is_in_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(CACHE_DIR_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "net.py").write_text(LAMBDA)
    check_paths(["net.py"], jobs=1, cache=True)
    assert (tmp_path / CACHE_DIR_NAME / "CACHEDIR.TAG").is_file()


def test_the_library_does_not_cache_unless_asked(project: Path) -> None:
    check_paths(["pkg"], jobs=1)
    assert not (project / CACHE_DIR_NAME).exists()


def test_a_changed_file_is_linted_again(project: Path, linted: list[str]) -> None:
    _check()
    linted.clear()
    (project / "pkg" / "clean.py").write_text(LAMBDA)
    warm = _check()
    assert linted == ["clean.py"]
    _same(_check(cache=False), warm)
    assert any(d.path.endswith("clean.py") and d.code == "TS101" for d in warm.diagnostics)


def test_content_decides_not_the_modification_time(project: Path, linted: list[str]) -> None:
    _check()
    linted.clear()
    path = project / "pkg" / "net.py"
    stat = path.stat()
    # Same size and mtime, other content: a cache that trusted the mtime would serve stale results.
    path.write_text(LAMBDA.replace("v * 2", "v * 3"))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    _check()
    assert linted == ["net.py"]
    linted.clear()
    os.utime(path, ns=(stat.st_atime_ns + 10**9, stat.st_mtime_ns + 10**9))  # touched only
    _check()
    assert linted == []


@pytest.mark.parametrize(
    ("changed", "relinted"),
    [
        (Settings(ignore=("TS101",)), {"net.py", "clean.py", "fixable.py", "broken.py"}),
        (Settings(select=("TS1",)), {"net.py", "clean.py", "fixable.py", "broken.py"}),
        (Settings(per_file_ignores=(("pkg/net.py", ("TS101",)),)), {"net.py"}),
    ],
    ids=["ignore", "select", "per-file-ignores"],
)
def test_a_changed_setting_invalidates_the_files_it_changes(
    project: Path, linted: list[str], changed: Settings, relinted: set[str]
) -> None:
    base = Settings(root=str(project))
    changed = Settings(**{**changed.__dict__, "root": str(project)})
    _check(base)
    linted.clear()
    result = _check(changed)
    assert set(linted) == relinted
    _same(_check(changed, cache=False), result)
    expected = _check(base, cache=False)
    linted.clear()
    _same(expected, _check(base))  # and back: one entry per file, so linted again
    assert set(linted) == relinted


def test_a_new_version_invalidates_everything(
    project: Path, linted: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    old = tsinspect.__version__
    _check()
    linted.clear()
    monkeypatch.setattr(tsinspect, "__version__", "99.0.0")
    _check()
    assert sorted(linted) == ["broken.py", "clean.py", "fixable.py", "net.py"]
    assert {p.parent.name for p in _cache_files(project)} == {old, "99.0.0"}


def test_changed_facts_from_other_files_invalidate_the_same_content(tmp_path: Path) -> None:
    # The index's contract: a file's result also depends on what it learns from the files it
    # imports, passed as the facts' fingerprint. Same bytes, other facts: the lookup misses.
    rules = rules_for_path(Settings(), "net.py")
    result = FileResult("net.py", ())
    store = LintCache.load(tmp_path, str(tmp_path))
    digest = content_hash(LAMBDA.encode())
    store.store(digest, rules, result, facts_fingerprint="Net is an nn.Module")
    assert store.save() is None
    reloaded = LintCache.load(tmp_path, str(tmp_path))
    assert reloaded.lookup("net.py", digest, rules, "Net is an nn.Module") == result
    assert reloaded.lookup("net.py", digest, rules, "Net is not an nn.Module") is None
    assert reloaded.lookup("net.py", digest, rules) is None


def test_a_warm_run_starts_no_workers(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for index in range(api_check.PARALLEL_THRESHOLD):
        (project / "pkg" / f"copy_{index}.py").write_text(LAMBDA)
    cold = check_paths(["pkg"], jobs=2, cache=True)
    _forbid_linting(monkeypatch)

    class NoPool:
        def __init__(self, *args: object, **kwargs: object) -> None:
            raise AssertionError("a warm run started worker processes")

    monkeypatch.setattr(api_check, "ProcessPoolExecutor", NoPool)
    _same(cold, check_paths(["pkg"], jobs=2, cache=True))


def test_results_found_under_another_path_name_the_path_asked_for(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    relative = check_paths(["pkg/net.py"], jobs=1, cache=True)
    _forbid_linting(monkeypatch)
    absolute = check_paths([str(project / "pkg" / "net.py")], jobs=1, cache=True)
    assert {d.path for d in absolute.diagnostics} == {str(project / "pkg" / "net.py")}
    assert [d.code for d in absolute.diagnostics] == [d.code for d in relative.diagnostics]
    assert list(absolute.source_lines.values()) == list(relative.source_lines.values())


def test_diagnostics_round_trip_exactly(tmp_path: Path) -> None:
    diagnostic = Diagnostic(
        code="TS501",
        name="implicit-optional",
        message="m",
        path="a.py",
        line=3,
        column=2,
        end_line=3,
        end_column=9,
        severity=Severity.WARNING,
        fix=Fix("hint", (Edit(Span(3, 2, 3, 9), "x: Optional[int]"),)),
        reach=("Net.forward", "Net._head"),
    )
    result = FileResult("a.py", (diagnostic,), {3: "    x=None"})
    store = LintCache.load(tmp_path, str(tmp_path))
    store.store("digest", (), result)
    assert store.save() is None
    loaded = LintCache.load(tmp_path, str(tmp_path)).lookup("a.py", "digest", ())
    assert loaded == result
    assert loaded is not None and loaded.diagnostics[0].severity is Severity.WARNING


@dataclass(frozen=True)
class _Summary:
    module: str
    classes: tuple[str, ...]


def test_summaries_are_stored_by_key_and_type(tmp_path: Path) -> None:
    store = LintCache.load(tmp_path, str(tmp_path))
    store.put_summary("abc", _Summary("pkg.net", ("Net",)))
    assert store.save() is None
    reloaded = LintCache.load(tmp_path, str(tmp_path))
    assert reloaded.get_summary("abc", _Summary) is None  # not a tsinspect class: never loaded
    store.put_summary("plain", {"Net": ("nn.Module",)})
    assert store.save() is None
    reloaded = LintCache.load(tmp_path, str(tmp_path))
    assert reloaded.get_summary("plain", dict) == {"Net": ("nn.Module",)}
    assert reloaded.get_summary("plain", list) is None
    assert reloaded.get_summary("missing", dict) is None
    diagnostic = Diagnostic("TS101", "n", "m", "a.py")
    reloaded.put_summary("record", diagnostic)
    assert reloaded.save() is None
    assert LintCache.load(tmp_path, str(tmp_path)).get_summary("record", Diagnostic) == diagnostic


class _Planted:
    """Unpickling this would remove the canary file: a cache file must never run code."""

    def __init__(self, canary: Path) -> None:
        self.canary = canary

    def __reduce__(self) -> tuple[Callable[[str], None], tuple[str]]:
        return (os.remove, (str(self.canary),))


@pytest.mark.parametrize(
    "damage",
    ["empty", "truncated", "garbage", "other format", "other root", "planted code"],
)
def test_a_damaged_cache_file_is_ignored_and_rebuilt(
    project: Path, linted: list[str], damage: str
) -> None:
    cold = _check()
    (cache_file,) = _cache_files(project)
    valid = cache_file.read_bytes()
    canary = project / "canary"
    canary.write_text("")
    header, files, summaries = pickle.loads(valid)
    corrupt = {
        "empty": b"",
        "truncated": valid[: len(valid) // 2],
        "garbage": os.urandom(200),
        "other format": pickle.dumps(((*header[:1], 0, *header[2:]), files, summaries)),
        "other root": pickle.dumps(((*header[:3], "/elsewhere", *header[4:]), files, summaries)),
        "planted code": pickle.dumps((header, {"x": _Planted(canary)}, summaries)),
    }[damage]
    cache_file.write_bytes(corrupt)
    linted.clear()
    _same(cold, _check())
    assert sorted(linted) == ["broken.py", "clean.py", "fixable.py", "net.py"]
    assert canary.exists()
    linted.clear()
    _same(cold, _check())
    assert linted == []


def test_an_unreadable_entry_is_linted_again(project: Path, linted: list[str]) -> None:
    _check()
    (cache_file,) = _cache_files(project)
    header, files, summaries = pickle.loads(cache_file.read_bytes())
    files = {path: (key, seen, b"not a pickle") for path, (key, seen, _) in files.items()}
    cache_file.write_bytes(pickle.dumps((header, files, summaries)))
    linted.clear()
    _check()
    assert sorted(linted) == ["broken.py", "clean.py", "fixable.py", "net.py"]


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_cli_no_cache_neither_reads_nor_writes(project: Path, linted: list[str]) -> None:
    assert _run("check", "pkg", "--no-cache").exit_code == 2  # TS001 in broken.py
    assert not (project / CACHE_DIR_NAME).exists()
    first = _run("check", "pkg", "--format", "json")
    (cache_file,) = _cache_files(project)
    written = cache_file.stat().st_mtime_ns, cache_file.read_bytes()
    linted.clear()
    again = _run("check", "pkg", "--format", "json", "--no-cache")
    assert sorted(linted) == ["broken.py", "clean.py", "fixable.py", "net.py"]
    assert again.stdout == first.stdout
    assert (cache_file.stat().st_mtime_ns, cache_file.read_bytes()) == written
    linted.clear()
    assert _run("check", "pkg", "--format", "json").stdout == first.stdout
    assert linted == []


def test_an_unwritable_cache_folder_costs_one_warning_line(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = project / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv(CACHE_DIR_ENV, str(blocker))
    expected = _run("check", "pkg", "--no-cache", "--format", "json")
    result = CliRunner().invoke(main, ["check", "pkg", "--format", "json"])
    assert result.exit_code == expected.exit_code == 2
    assert result.stdout == expected.stdout
    (warning,) = result.stderr.splitlines()
    assert (
        warning.startswith("tsinspect: warning: cannot write the cache") and "--no-cache" in warning
    )


@pytest.mark.skipif(
    os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root writes anyway"
)
def test_a_read_only_cache_folder_still_serves_and_the_run_succeeds(
    project: Path, linted: list[str]
) -> None:
    cold = _check()
    folder = project / CACHE_DIR_NAME
    modes = {path: path.stat().st_mode for path in [folder, *folder.rglob("*")] if path.is_dir()}
    for path in modes:
        path.chmod(0o555)
    try:
        (project / "pkg" / "clean.py").write_text(LAMBDA)
        linted.clear()
        result = _check()
        assert linted == ["clean.py"]
        assert len(result.warnings) == 1
        assert cold.files_checked == result.files_checked
    finally:
        for path, mode in modes.items():
            path.chmod(mode)


def test_a_cache_that_reads_but_cannot_be_replaced_still_serves(
    project: Path, linted: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # What a read-only folder does for a user who is not root (the test above, where it runs).
    cold = _check()

    def refuse(path: object, data: bytes, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(lint_cache, "write_atomically", refuse)
    (project / "pkg" / "clean.py").write_text(LAMBDA)
    linted.clear()
    result = _check()
    assert linted == ["clean.py"]
    (warning,) = result.warnings
    assert "Permission denied" in warning and "\n" not in warning
    assert result.files_checked == cold.files_checked


def test_fix_writes_a_file_whose_result_is_not_served_stale(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _run("check", "pkg", "--format", "json")
    assert '"TS501"' in before.stdout
    preview = _run("check", "pkg", "--diff")
    assert preview.stdout == _run("check", "pkg", "--diff", "--no-cache").stdout
    assert "+from typing import Optional" in preview.stdout
    fixed = _run("check", "pkg", "--fix", "--format", "json")
    assert '"TS501"' not in fixed.stdout
    after = _run("check", "pkg", "--format", "json")
    assert after.stdout == _run("check", "pkg", "--format", "json", "--no-cache").stdout
    assert after.stdout == fixed.stdout
    _forbid_linting(monkeypatch)
    assert _run("check", "pkg", "--format", "json").stdout == after.stdout


def test_fix_with_nothing_to_fix_reads_the_cache(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "pkg" / "fixable.py").unlink()
    first = fix_paths(["pkg"], cache=True)
    assert first.check.diagnostics
    _forbid_linting(monkeypatch)
    second = fix_paths(["pkg"], cache=True)
    assert second.check == first.check
    assert second.files == first.files


def test_open_cache_uses_the_settings_root(project: Path) -> None:
    store = open_cache(discover_settings("."))
    assert store.path.parent.parent == project / CACHE_DIR_NAME
    assert lint_cache.tool_version() == tsinspect.__version__
