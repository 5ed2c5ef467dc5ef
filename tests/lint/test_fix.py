"""The fix machinery: merging, de-duplicating and applying rule edits, the fix loop, the file API.

A rule defined here (not registered: it lives outside ``tsinspect.lint.rules``) fixes
unannotated ``None`` defaults the way the catalogue's rules do, through the real engine and
the edit helpers, so the machinery is tested end to end without depending on which catalogue
rules are fixable.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

import libcst as cst
import pytest

from tsinspect.api.fix import fix_paths, fix_source
from tsinspect.diagnostics import Diagnostic, Edit, Fix, Span
from tsinspect.lint.engine import lint_source
from tsinspect.lint.fix import (
    MAX_PASSES,
    apply_fixes,
    fix_text,
    import_edits,
    insert_after,
    is_valid_python,
    line_starts,
)
from tsinspect.lint.rule import Invalid, Rule, Valid
from tsinspect.settings import Settings


def _diagnostic(
    line: int, column: int, end_line: int, end_column: int, *edits: Edit, code: str = "TS999"
) -> Diagnostic:
    return Diagnostic(
        code=code,
        name="test-rule",
        message="test",
        path="m.py",
        line=line,
        column=column,
        end_line=end_line,
        end_column=end_column,
        fix=Fix("hint", tuple(edits)),
    )


def _edit(line: int, column: int, end_line: int, end_column: int, text: str) -> Edit:
    return Edit(Span(line, column, end_line, end_column), text)


# --- apply_fixes -------------------------------------------------------------------------------


def test_replacement_and_insertion_are_applied_at_their_one_based_spans() -> None:
    source = "x = 1\ny = foo(2)\n"
    rename = _diagnostic(2, 5, 2, 8, _edit(2, 5, 2, 8, "bar"))
    insert = _diagnostic(1, 1, 1, 1, _edit(1, 1, 1, 1, "import os\n"))
    fixed, applied = apply_fixes(source, [rename, insert])
    assert fixed == "import os\nx = 1\ny = bar(2)\n"
    assert applied == (insert, rename)


def test_identical_edits_from_two_findings_are_applied_once() -> None:
    source = "def f(a=None, b=None):\n    return a\n"
    add_import = _edit(1, 1, 1, 1, "from typing import Optional\n")
    first = _diagnostic(1, 7, 1, 8, _edit(1, 7, 1, 8, "a: Optional[int]"), add_import)
    second = _diagnostic(1, 15, 1, 16, _edit(1, 15, 1, 16, "b: Optional[int]"), add_import)
    fixed, applied = apply_fixes(source, [first, second])
    assert (
        fixed
        == "from typing import Optional\ndef f(a: Optional[int]=None, b: Optional[int]=None):\n    return a\n"
    )
    assert applied == (first, second)


def test_imports_of_one_module_inserted_at_one_point_are_merged() -> None:
    source = "def f(a=None, b=[]):\n    return a\n"
    optional = _diagnostic(
        1,
        7,
        1,
        8,
        _edit(1, 1, 1, 1, "from typing import Optional\n"),
        _edit(1, 7, 1, 8, "a: Optional[int]"),
    )
    listed = _diagnostic(
        1,
        15,
        1,
        16,
        _edit(1, 1, 1, 1, "from typing import List\n"),
        _edit(1, 15, 1, 16, "b: List[int]"),
    )
    other_module = _diagnostic(2, 5, 2, 11, _edit(1, 1, 1, 1, "from torch import Tensor\n"))
    fixed, applied = apply_fixes(source, [optional, listed, other_module])
    # Another module's import at the same point joins the block (issue 11: two imports at
    # one point used to conflict, so a finding that needed both was never fixed).
    assert fixed == (
        "from torch import Tensor\nfrom typing import List, Optional\n"
        "def f(a: Optional[int]=None, b: List[int]=[]):\n    return a\n"
    )
    assert applied == (optional, listed, other_module)


def test_an_overlapping_finding_is_deferred_and_the_first_one_wins() -> None:
    source = "value = compute(x)\n"
    outer = _diagnostic(1, 9, 1, 19, _edit(1, 9, 1, 19, "other(x)"))
    inner = _diagnostic(1, 17, 1, 18, _edit(1, 17, 1, 18, "y"))
    fixed, applied = apply_fixes(source, [inner, outer])
    assert fixed == "value = other(x)\n"
    assert applied == (outer,)


def test_a_finding_is_applied_all_or_nothing() -> None:
    source = "a = 1\nb = 2\n"
    first = _diagnostic(1, 5, 1, 6, _edit(1, 5, 1, 6, "10"))
    # Its second edit overlaps the first finding's: none of its edits may be applied.
    second = _diagnostic(2, 5, 2, 6, _edit(2, 5, 2, 6, "20"), _edit(1, 1, 1, 6, "a = 3"))
    fixed, applied = apply_fixes(source, [first, second])
    assert fixed == "a = 10\nb = 2\n"
    assert applied == (first,)


def test_two_different_insertions_at_one_point_are_not_both_applied() -> None:
    source = "x = 1\n"
    first = _diagnostic(1, 1, 1, 2, _edit(1, 1, 1, 1, "a = 0\n"))
    second = _diagnostic(1, 1, 1, 3, _edit(1, 1, 1, 1, "b = 0\n"))
    fixed, applied = apply_fixes(source, [first, second])
    assert fixed == "a = 0\nx = 1\n"
    assert applied == (first,)


def test_spans_outside_the_text_and_findings_without_edits_are_ignored() -> None:
    source = "x = 1\n"
    outside = _diagnostic(1, 1, 1, 2, _edit(5, 1, 5, 2, "y"))
    past_line_end = _diagnostic(1, 1, 1, 2, _edit(1, 5, 1, 40, "y"))
    hint_only = Diagnostic(
        code="TS999", name="t", message="m", path="m.py", line=1, column=1, fix=Fix("hint")
    )
    assert apply_fixes(source, [outside, past_line_end, hint_only]) == (source, ())


def test_an_edit_that_breaks_the_file_is_never_applied_but_the_others_are() -> None:
    source = "a = 1\nb = 2\n"
    breaking = _diagnostic(1, 1, 1, 2, _edit(1, 5, 1, 6, "(1"))
    good = _diagnostic(2, 1, 2, 2, _edit(2, 5, 2, 6, "3"))
    fixed, applied = apply_fixes(source, [breaking, good])
    assert fixed == "a = 1\nb = 3\n"
    assert applied == (good,)
    assert is_valid_python(fixed)


def test_an_import_above_a_future_import_is_refused() -> None:
    # Python parses it; only the compiler rejects it, so a parse-only check would let it through.
    source = "from __future__ import annotations\nx: Optional[int] = None\n"
    above = _diagnostic(2, 1, 2, 2, _edit(1, 1, 1, 1, "from typing import Optional\n"))
    assert apply_fixes(source, [above]) == (source, ())


def test_crlf_files_stay_crlf() -> None:
    source = "x = 1\r\ny = 2\r\n"
    insert = _diagnostic(2, 1, 2, 2, _edit(2, 1, 2, 1, "from typing import Optional\n"))
    fixed, _ = apply_fixes(source, [insert])
    assert fixed == "x = 1\r\nfrom typing import Optional\r\ny = 2\r\n"


def test_line_starts_count_only_python_line_breaks() -> None:
    # \x0c (form feed) is whitespace to Python, not a line break; str.splitlines would split there.
    assert line_starts("a\x0cb\nc\r\nd\re") == [0, 4, 7, 9]


# --- fix_text: the loop ------------------------------------------------------------------------


def _doubled_letters(source: str) -> list[Diagnostic]:
    """A linter: every ``aa`` should be ``a``. Overlapping matches (``aaa``) need several passes."""
    found = []
    for number, text in enumerate(source.splitlines(), start=1):
        for column in range(len(text) - 1):
            if text[column : column + 2] == "aa":
                span = (number, column + 1, number, column + 3)
                found.append(_diagnostic(*span, _edit(*span, "a")))
    return found


def test_the_loop_repeats_until_nothing_fixable_is_left() -> None:
    result = fix_text("x = 'aaaa'\n", "m.py", _doubled_letters)
    assert result.fixed_source == "x = 'a'\n"
    assert result.remaining == ()
    assert len(result.applied) == 3
    assert result.changed


def test_the_loop_is_bounded_when_a_fix_keeps_recreating_its_finding() -> None:
    calls: list[str] = []

    def grows(source: str) -> Sequence[Diagnostic]:
        calls.append(source)
        return [_diagnostic(1, 1, 1, 2, _edit(1, 1, 1, 2, "x + 1 - 1"))]

    result = fix_text("x\n", "m.py", grows)
    assert len(calls) == MAX_PASSES + 1
    assert len(result.applied) == MAX_PASSES
    assert result.remaining  # still reported: the user sees it was not fixed


def test_the_diff_shows_the_change_with_both_paths() -> None:
    result = fix_text("a = 'aa'\nkeep = 1\n", "pkg/m.py", _doubled_letters)
    assert result.diff() == (
        "--- a/pkg/m.py\n+++ b/pkg/m.py\n@@ -1,2 +1,2 @@\n-a = 'aa'\n+a = 'a'\n keep = 1\n"
    )
    unchanged = fix_text("keep = 1\n", "m.py", _doubled_letters)
    assert unchanged.diff() == "" and not unchanged.changed


# --- through the real engine, with a rule that fixes --------------------------------------------


class AnnotateNoneDefault(Rule):
    """## What it does
    Test rule: a ``forward`` parameter defaulting to ``None`` without an annotation.

    ## Why is this bad?
    TorchScript types it as Tensor, and None is not a Tensor.

    ## Example
    ```python
    def forward(self, x, mask=None): ...
    ```

    ## Use instead
    ```python
    def forward(self, x, mask: Optional[torch.Tensor] = None): ...
    ```
    """

    code = "TS998"
    name = "test-annotate-none-default"
    message = "unannotated None default"
    fix_hint = "annotate it Optional[...]"
    VALID = (Valid("x = 1\n"),)
    INVALID = (Invalid("x = 1\n"),)

    def visit_Param(self, node: cst.Param) -> None:
        default = node.default
        if node.annotation is None and isinstance(default, cst.Name) and default.value == "None":
            edits, optional = import_edits(self.context, "typing", "Optional")
            # libcst keeps `=None` tight when unannotated; PEP 8 wants ` = None` once annotated.
            annotate = insert_after(self.context, node.name, f": {optional}[torch.Tensor]")
            self.report(node.name, edits=[annotate, *edits])


MODEL = '''\
"""A model with two optional inputs."""
from __future__ import annotations

# Third-party imports.
import torch
from torch import nn


class Model(nn.Module):
    def forward(self, x: torch.Tensor, mask=None, bias=None) -> torch.Tensor:
        # Both optional inputs are applied when given.
        if mask is not None:
            x = x * mask
        if bias is not None:
            x = x + bias
        return x
'''


def _lint(source: str) -> Sequence[Diagnostic]:
    return lint_source(source, "model.py", [AnnotateNoneDefault]).diagnostics


def test_a_rule_fix_through_the_engine_adds_the_import_once_and_keeps_everything_else() -> None:
    result = fix_text(MODEL, "model.py", _lint)
    assert [d.line for d in result.applied] == [10, 10]
    assert result.remaining == ()
    expected = MODEL.replace(
        "from __future__ import annotations\n",
        "from __future__ import annotations\nfrom typing import Optional\n",
    ).replace(
        "mask=None, bias=None",
        "mask: Optional[torch.Tensor]=None, bias: Optional[torch.Tensor]=None",
    )
    assert result.fixed_source == expected


def test_the_fixed_model_scripts_with_the_real_torch(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from lint_oracle import run_example
    from test_fix_examples import assert_fix_is_proven

    from tsinspect.lint.rule import Stage

    before = run_example(MODEL, tmp_path / "tsinspect_unfixed_model.py", "tsinspect_unfixed_model")
    # Measured: scripting accepts it (typed Tensor), the call with the default None fails.
    assert before.stage is Stage.RUN
    fixed = assert_fix_is_proven(
        MODEL, tmp_path / "tsinspect_fix_model.py", "tsinspect_fix_model", _lint
    )
    assert "Optional[torch.Tensor]" in fixed


def test_an_existing_import_is_reused_under_its_spelling() -> None:
    source = MODEL.replace("import torch\n", "import torch\nimport typing as t\n")
    result = fix_text(source, "model.py", _lint)
    assert "mask: t.Optional[torch.Tensor]=None" in result.fixed_source
    assert result.fixed_source.count("import") == source.count("import")


def test_without_docstring_the_import_goes_below_the_header_comments() -> None:
    source = "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n" + MODEL.split("\n", 2)[2]
    result = fix_text(source, "model.py", _lint)
    lines = result.fixed_source.splitlines()
    assert lines[:5] == [
        "#!/usr/bin/env python",
        "# -*- coding: utf-8 -*-",
        "",
        "# Third-party imports.",
        "from typing import Optional",
    ]


# --- the file API --------------------------------------------------------------------------------


def test_fix_source_with_the_catalogue_returns_unfixable_findings_as_remaining() -> None:
    source = "import torch\nfrom torch import nn\n\n\nclass M(nn.Module):\n    def forward(self, x: torch.Tensor) -> torch.Tensor:\n        f = lambda t: t\n        return f(x)\n"
    result = fix_source(source, "m.py", Settings())
    assert not result.changed
    assert [d.code for d in result.remaining] == ["TS101"]


def _fixable_settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Route the API's rule lookup to the test rule."""
    import tsinspect.api.fix as api_fix

    monkeypatch.setattr(api_fix, "rules_for_path", lambda settings, path: (AnnotateNoneDefault,))
    return Settings()


def test_fix_paths_writes_atomically_keeping_mode_encoding_and_line_endings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _fixable_settings(monkeypatch)
    model = tmp_path / "model.py"
    data = ("\ufeff" + MODEL.replace("\n", "\r\n")).encode("utf-8")
    model.write_bytes(data)
    os.chmod(model, 0o640)
    clean = tmp_path / "clean.py"
    clean.write_text("x = 1\n")
    before = clean.stat().st_mtime_ns

    report = fix_paths([tmp_path], settings)

    assert report.written and report.fixed_count == 2
    assert [r.path for r in report.changed] == [str(model)]
    written = model.read_bytes()
    assert written.startswith(b"\xef\xbb\xbf") and b"\r\nfrom typing import Optional\r\n" in written
    assert b"\n" not in written.replace(b"\r\n", b"")
    assert stat.S_IMODE(model.stat().st_mode) == 0o640
    assert clean.stat().st_mtime_ns == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "clean.py",
        "model.py",
    ]  # no temporary left
    assert report.check.diagnostics == () and report.check.exit_code == 0


def test_fix_paths_without_write_only_reports_the_diff(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _fixable_settings(monkeypatch)
    model = tmp_path / "model.py"
    model.write_text(MODEL)
    report = fix_paths([model], settings, write=False)
    assert model.read_text() == MODEL
    assert not report.written
    diff = report.diff()
    assert diff.startswith(f"--- a/{model}\n+++ b/{model}\n")
    assert "+from typing import Optional\n" in diff


def test_fix_paths_reports_unreadable_and_undecodable_inputs(tmp_path: Path) -> None:
    missing = tmp_path / "missing.py"
    latin = tmp_path / "latin.py"
    latin.write_bytes(b"x = '\xe9'\n")
    report = fix_paths([missing, latin], Settings(), write=True)
    assert [d.code for d in report.check.diagnostics] == ["TS002", "TS003"]
    assert report.check.exit_code == 2
    assert latin.read_bytes() == b"x = '\xe9'\n"
