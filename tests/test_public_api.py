"""The public API: ``import tsinspect`` is cheap, every exported name resolves, and the lint
side works where torch cannot be imported while model calls say what to install."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

import tsinspect

ROOT = Path(__file__).resolve().parents[1]
INIT = ROOT / "src" / "tsinspect" / "__init__.py"

# A finder on sys.meta_path that refuses torch, as on a machine without it (what
# ModuleNotFoundError says when the package is absent), and records every attempt.
BLOCK_TORCH = textwrap.dedent(
    """
    import sys

    attempts = []

    class NoTorch:
        def find_spec(self, name, path=None, target=None):
            if name == "torch" or name.startswith("torch."):
                attempts.append(name)
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, NoTorch())
    """
)


def _run_python(code: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        check=False,
    )


def test_every_exported_name_resolves() -> None:
    missing = [name for name in tsinspect.__all__ if not hasattr(tsinspect, name)]
    assert not missing
    assert sorted(dir(tsinspect)) == sorted(tsinspect.__all__)
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        tsinspect.not_a_name  # noqa: B018


def test_type_checkers_see_the_same_names_from_the_same_modules() -> None:
    """The TYPE_CHECKING imports mirror the lazy table, so IDEs and mypy know every export."""
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    typed: dict[str, str] = {}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.If)
            and isinstance(node.test, ast.Name)
            and node.test.id == "TYPE_CHECKING"
        ):
            for statement in node.body:
                if isinstance(statement, ast.ImportFrom) and statement.module:
                    typed.update(
                        {alias.asname or alias.name: statement.module for alias in statement.names}
                    )
    lazy = {name: module for name, module in tsinspect._LAZY.items()}
    assert typed == lazy


def test_import_tsinspect_loads_no_torch() -> None:
    result = _run_python(
        "import sys, json, tsinspect\n"
        "tsinspect.check_source\n"
        "tsinspect.Diagnostic\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'numpy'))))"
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


LAMBDA_MODEL = """\
import torch
from torch import nn


class Net(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        act = lambda t: torch.relu(t)
        return act(x)
"""


def test_without_torch_linting_works_and_model_calls_say_what_to_install(
    tmp_path: Path, model_archive: Callable[..., Path]
) -> None:
    archive = model_archive("simple_cnn")
    model = tmp_path / "net.py"
    model.write_text(LAMBDA_MODEL)
    code = BLOCK_TORCH + textwrap.dedent(
        """
        import json
        import tsinspect

        source = open(sys.argv[1]).read()
        from_source = [(d.code, d.line) for d in tsinspect.check_source(source, "net.py")]
        result = tsinspect.check_paths([sys.argv[1]], tsinspect.Settings(), jobs=1)
        from_paths = [(d.code, d.line) for d in result.diagnostics]
        lint_attempts = list(attempts)
        try:
            tsinspect.load_model(sys.argv[2])
            error = None
        except tsinspect.MissingDependencyError as missing:
            error = str(missing)
        print(json.dumps({"source": from_source, "paths": from_paths, "exit": result.exit_code,
                          "error": error, "lint_attempts": lint_attempts, "attempts": attempts}))
        """
    )
    result = _run_python(code, str(model), str(archive), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert outcome["source"] == [["TS101", 7]]
    assert outcome["paths"] == [["TS101", 7]]
    assert outcome["exit"] == 1
    # Linting never even tried torch; only the model call did, and said what to install.
    assert outcome["lint_attempts"] == []
    assert outcome["attempts"] and all(name == "torch" for name in outcome["attempts"])
    error = outcome["error"]
    assert error is not None and "\n" not in error
    assert "pip install" in error and "torch" in error


def test_the_example_in_the_api_reference_runs(
    tmp_path: Path, model_archive: Callable[..., Path]
) -> None:
    from docs_pages import API_EXAMPLE

    (tmp_path / "models_src").mkdir()
    (tmp_path / "models_src" / "net.py").write_text(
        LAMBDA_MODEL.replace(
            "        act = lambda t: torch.relu(t)\n        return act(x)\n", "        return x\n"
        ).replace("x: torch.Tensor)", "x: torch.Tensor, mask=None)")
    )
    (tmp_path / "simple_cnn.pt").write_bytes(model_archive("simple_cnn").read_bytes())
    result = _run_python(API_EXAMPLE, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "models_src/net.py:6: TS501" in result.stdout
    assert "+from typing import Optional" in result.stdout
    assert "forward(x: Tensor) -> Tensor" in result.stdout
    assert "config ok: True" in result.stdout
    assert "max_batch_size: 16" in (tmp_path / "config.pbtxt").read_text()
    assert (tmp_path / "report.html").read_text().lstrip().lower().startswith("<!doctype html")


def test_all_is_the_lazy_table() -> None:
    """``__all__`` is written out (mypy reads only a literal list) and must follow the table."""
    assert tsinspect.__all__ == sorted([*tsinspect._LAZY, "__version__"])


def _documented_names() -> list[str]:
    """Every name docs/api.md documents (its ``### `name``` headings)."""
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    return re.findall(r"^### `(\w+)`$", text, flags=re.MULTILINE)


def test_a_users_script_over_the_documented_api_passes_mypy_strict(tmp_path: Path) -> None:
    """What docs/api.md promises: a user's code importing every documented name, and the
    page's own example, type-check under ``mypy --strict`` against the installed package."""
    pytest.importorskip("mypy")
    from docs_pages import API_EXAMPLE

    names = _documented_names()
    assert len(names) >= 30 and "check_paths" in names  # the page was parsed
    script = tmp_path / "uses_tsinspect.py"
    script.write_text(
        f"from tsinspect import {', '.join(names)}\n\n"
        f"documented: list[object] = [{', '.join(names)}]\n"
        "findings: list[Diagnostic] = check_source('x = 1\\n', 'x.py')\n"
        "result: CheckResult = check_paths(['.'], Settings(), jobs=1)\n"
        "codes: list[str] = [d.code for d in findings] + [r.code for r in all_rules()]\n",
        encoding="utf-8",
    )
    example = tmp_path / "api_example.py"
    example.write_text(API_EXAMPLE, encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir",
            str(tmp_path / "mypy_cache"),
            str(script),
            str(example),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "MYPYPATH": str(ROOT / "src")},
    )
    assert result.returncode == 0, result.stdout + result.stderr
