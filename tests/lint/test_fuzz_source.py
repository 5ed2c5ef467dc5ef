"""Fuzzing ``tsinspect check`` with generated Python (hypothesmith): never a traceback.

Whatever the text, the library API returns diagnostics and the CLI exits 0 or 1 with no
traceback; what Python's own parser refuses is TS001 (exit 2, an unreadable input by the
exit-code convention). The generated modules are checked as they come, and also wrapped
into the ``forward`` of an ``nn.Module`` so that the reach, the type pass and the rules
for compiled code run on them too.

CI runs a bounded, derandomized sample (``TSINSPECT_FUZZ_EXAMPLES`` per test, default 25);
``bench/fuzz.py`` runs the same tests for minutes with a random seed.
"""

from __future__ import annotations

import ast
import os
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tsinspect.api.check import check_source
from tsinspect.cli import main

hypothesmith = pytest.importorskip("hypothesmith")

EXAMPLES = int(os.environ.get("TSINSPECT_FUZZ_EXAMPLES", "25"))
# Random (a fresh seed per run) only when a long run asks for it; CI is reproducible.
RANDOM = os.environ.get("TSINSPECT_FUZZ_RANDOM") == "1"
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=timedelta(seconds=20),  # a hang, not a slow machine
    derandomize=not RANDOM,
    database=None,
    # No target phase (hypothesis hill-climbs towards slower cases: one round ran for
    # 10 minutes) and no explain phase (it traces every line): a bounded run.
    phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),
    suppress_health_check=list(HealthCheck),
)
COUNT_FILE = os.environ.get("TSINSPECT_FUZZ_COUNT")  # bench/fuzz.py counts the cases here


def _count(kind: str) -> None:
    if COUNT_FILE:
        with open(COUNT_FILE, "a", encoding="utf-8") as handle:
            handle.write(kind + "\n")


def _module(body: str) -> str:
    """``body`` as the forward of a scripted-looking module (it may not parse: that is fine)."""
    inner = textwrap.indent(body.strip("\n") or "pass", " " * 8)
    return (
        "import torch\nfrom torch import nn\nfrom typing import Optional, List\n\n\n"
        "def helper(x, n: int = 2):\n    return x * n\n\n\n"
        "class M(nn.Module):\n"
        "    def __init__(self) -> None:\n        super().__init__()\n"
        "        self.linear = nn.Linear(2, 2)\n\n"
        f"    def forward(self, x, y: Optional[torch.Tensor] = None):\n{inner}\n"
    )


def _mangled(draw: st.DrawFn, text: str) -> str:
    """Small edits (delete, insert, duplicate a slice): mostly text Python refuses."""
    for _ in range(draw(st.integers(1, 3))):
        if not text:
            break
        at = draw(st.integers(0, len(text) - 1))
        edit = draw(st.sampled_from(["delete", "insert", "duplicate"]))
        if edit == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 8)) :]
        elif edit == "insert":
            text = text[:at] + draw(st.sampled_from(list("([{:)]}\"'\\\n\t #@=,*"))) + text[at:]
        else:
            end = min(len(text), at + draw(st.integers(1, 40)))
            text = text[:at] + text[at:end] * draw(st.integers(2, 30)) + text[end:]
    return text


# Built once: each call compiles the grammar again (seconds).
_GRAMMAR = hypothesmith.from_grammar()
_NODES = hypothesmith.from_node()


@st.composite
def sources(draw: st.DrawFn) -> str:
    generator = draw(st.sampled_from(["grammar", "grammar", "node"]))
    code = draw(_NODES if generator == "node" else _GRAMMAR)
    if draw(st.booleans()):
        code = _module(code)
    if draw(st.integers(0, 3)) == 0:
        code = _mangled(draw, code)
    return code


def _python_refuses(text: str) -> bool:
    try:
        compile(text, "fuzz.py", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return True
    return False


@FUZZ
@given(sources())
def test_check_source_never_raises(text: str) -> None:
    _count("source-api")
    diagnostics = check_source(text, "fuzz.py")
    codes = {d.code for d in diagnostics}
    if _python_refuses(text):
        assert "TS001" in codes, (text, codes)
    assert "TS004" not in codes  # no worker here: a crash would have been a traceback


@FUZZ
@given(sources())
def test_check_cli_never_tracebacks(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    _count("source-cli")
    folder: Path = tmp_path_factory.mktemp("fuzz-src")
    path = folder / "fuzz.py"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    before = path.read_bytes()
    result = CliRunner().invoke(main, ["check", "--no-cache", str(path)])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert "Traceback" not in result.output
    if _python_refuses(text):
        assert result.exit_code == 2 and "TS001" in result.stdout, result.output
    elif result.exit_code == 2:  # valid Python that libcst cannot parse: said as such
        assert "Python accepts it, but libcst's parser refuses it" in result.stdout, result.output
    else:
        assert result.exit_code in (0, 1), result.output
    assert path.read_bytes() == before  # check reads, never writes
