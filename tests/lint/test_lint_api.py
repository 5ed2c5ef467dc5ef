"""The library API: tsinspect.check_source / check_paths / CheckResult, sequential and parallel."""

from __future__ import annotations

import textwrap
from pathlib import Path

import tsinspect
from tsinspect.api.check import PARALLEL_THRESHOLD, balanced_chunks, check_paths, check_source
from tsinspect.settings import Settings

BAD = textwrap.dedent(
    """\
    import torch
    from torch import nn


    class Net{index}(nn.Module):
        def forward(self, x):
            try:
                return (lambda v: v)(x)
            except RuntimeError:
                return x
    """
)


def test_public_names_resolve_lazily() -> None:
    assert tsinspect.check_source is check_source
    assert tsinspect.get_rule("TS101") in tsinspect.all_rules()
    diagnostics = tsinspect.check_source(BAD.format(index=0))
    assert [(d.code, d.line, d.path) for d in diagnostics] == [
        ("TS105", 7, "<string>"),
        ("TS101", 8, "<string>"),
    ]


def test_parallel_and_sequential_results_are_identical(tmp_path: Path) -> None:
    count = PARALLEL_THRESHOLD + 4
    for index in range(count):
        (tmp_path / f"net_{index:02d}.py").write_text(BAD.format(index=index), encoding="utf-8")
    (tmp_path / "broken.py").write_text("def f(:\n", encoding="utf-8")
    settings = Settings(root=str(tmp_path))
    sequential = check_paths([tmp_path], settings, jobs=1)
    parallel = check_paths([tmp_path], settings, jobs=2)
    assert parallel == sequential
    assert sequential.files_checked == count + 1
    assert len(sequential.findings) == 2 * count
    assert [d.code for d in sequential.input_errors] == ["TS001"]
    assert sequential.exit_code == 2
    # sorted by path, line, column, code
    assert list(sequential.diagnostics) == sorted(sequential.diagnostics, key=lambda d: d.sort_key)
    assert (
        sequential.source_lines[str(tmp_path / "net_00.py")][8].strip() == "return (lambda v: v)(x)"
    )


def test_big_files_are_handed_out_first_and_every_file_once(tmp_path: Path) -> None:
    files = []
    for index, lines in enumerate([20, 5000, 40, 3000, 10, 10, 10, 10]):
        path = tmp_path / f"m{index}.py"
        path.write_text("x = 1\n" * lines, encoding="utf-8")
        files.append(str(path))
    missing = str(tmp_path / "gone.py")  # reported by the worker, not by the chunking
    chunks = balanced_chunks([*files, missing], workers=2)
    flat = [path for chunk in chunks for path in chunk]
    assert sorted(flat) == sorted([*files, missing])
    assert flat[:2] == [files[1], files[3]]
    # the two big files are not queued behind each other in one chunk
    assert chunks[0] == [files[1]]
    assert len(chunks) > 2


def test_exit_codes(tmp_path: Path) -> None:
    clean = tmp_path / "clean.py"
    clean.write_text("import torch\n", encoding="utf-8")
    bad = tmp_path / "bad.py"
    bad.write_text(BAD.format(index=1), encoding="utf-8")
    assert check_paths([clean], Settings(), jobs=1).exit_code == 0
    assert check_paths([clean, bad], Settings(), jobs=1).exit_code == 1
    assert check_paths([clean, tmp_path / "missing.py"], Settings(), jobs=1).exit_code == 2


def test_settings_discovered_from_first_path(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.tsinspect]\nignore = ["TS105"]\n', encoding="utf-8"
    )
    bad = tmp_path / "bad.py"
    bad.write_text(BAD.format(index=2), encoding="utf-8")
    assert [d.code for d in check_paths([bad], jobs=1).diagnostics] == ["TS101"]
