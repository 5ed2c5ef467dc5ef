"""Every fix the catalogue can make, proven with the real torch.

For each registered rule, each INVALID example on which the rule's diagnostics carry edits is
fixed (``tsinspect check --fix``'s machinery, every rule enabled). The fixed module must:

- leave no finding at all, and pass every stage of the oracle: script, run, match eager,
  save, load, run and match again (so TS5xx fixes are proven past scripting too). The one
  exception: an example that branches on ``torch.jit.is_scripting()`` differs from eager by
  design, so there only the match stage may fail;
- behave as the original in eager mode (same outputs on the same inputs): the fix changes
  how TorchScript sees the code, not what it computes;
- keep every line that no applied edit touches byte-for-byte unchanged (difflib, pass by pass).

A fixable INVALID example must therefore contain only the problem its fix solves.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from tsinspect.api.check import check_source
from tsinspect.diagnostics import Diagnostic
from tsinspect.lint.fix import MAX_PASSES, Linter, apply_fixes, fix_text
from tsinspect.lint.registry import all_rules
from tsinspect.lint.rule import Invalid, Rule, Stage
from tsinspect.settings import Settings

torch = pytest.importorskip("torch")

import lint_oracle  # noqa: E402
from lint_oracle import run_example, same  # noqa: E402


def fixable_examples() -> list[tuple[type[Rule], int, Invalid]]:
    """(rule, index, example) for every INVALID example on which the rule offers edits."""
    found = []
    for rule in all_rules():
        only_this_rule = Settings(
            select=(rule.code,)
        )  # collection stays fast; the test runs them all
        for index, example in enumerate(rule.INVALID):
            diagnostics = check_source(example.source, path="example.py", settings=only_this_rule)
            if any(d.code == rule.code and d.fix is not None and d.fix.edits for d in diagnostics):
                found.append((rule, index, example))
    return found


def _touched_lines(diagnostics: Sequence[Diagnostic]) -> set[int]:
    lines: set[int] = set()
    for diagnostic in diagnostics:
        assert diagnostic.fix is not None
        for edit in diagnostic.fix.edits:
            lines.update(range(edit.span.line, edit.span.end_line + 1))
    return lines


def _changed_lines(before: str, after: str) -> set[int]:
    """1-based lines of ``before`` that are not carried over byte-for-byte into ``after``."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    changed: set[int] = set()
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            changed.update(range(i1 + 1, i2 + 1))
    return changed


def _catalogue(source: str) -> Sequence[Diagnostic]:
    return check_source(source, path="example.py")


def assert_fix_is_proven(
    source: str, path: Path, module_name: str, lint: Linter = _catalogue
) -> str:
    """Fix ``source`` pass by pass checking untouched lines, then run the result through torch.

    ``lint``: text -> diagnostics (default: the whole catalogue, as ``check --fix`` runs it).
    """
    current = source
    for _ in range(MAX_PASSES):
        diagnostics = lint(current)
        fixed, applied = apply_fixes(current, diagnostics)
        if not applied:
            break
        untouched_but_changed = _changed_lines(current, fixed) - _touched_lines(applied)
        assert not untouched_but_changed, (
            f"lines {sorted(untouched_but_changed)} changed although no edit touches them:\n"
            + "".join(difflib.unified_diff(current.splitlines(True), fixed.splitlines(True)))
        )
        current = fixed
    result = fix_text(source, "example.py", lint)
    assert result.fixed_source == current, "fix_text and the pass-by-pass fix disagree"
    assert result.changed, "the rule offers edits but nothing changed"
    assert result.remaining == (), (
        f"findings left after fixing: {[(d.code, d.line) for d in result.remaining]}"
    )
    outcome = run_example(current, path, module_name)
    allowed = (None, Stage.MATCH) if "is_scripting" in current else (None,)
    assert outcome.stage in allowed, (
        f"the fixed module fails in torch at {outcome.stage}: {outcome.error}\n{current}"
    )
    before = _eager_output(
        source, path.with_name(f"{module_name}_before.py"), f"{module_name}_before"
    )
    after = _eager_output(
        current, path.with_name(f"{module_name}_after.py"), f"{module_name}_after"
    )
    if before is not _NO_EAGER and after is not _NO_EAGER:
        assert same(before, after), f"the fix changes eager behaviour: {before!r} became {after!r}"
    return current


_NO_EAGER = object()


def _eager_output(source: str, path: Path, module_name: str) -> object:
    """The module's eager output on the oracle's inputs; _NO_EAGER for a function scripted at import."""
    path.write_text(source, encoding="utf-8")
    try:
        try:
            module = lint_oracle._import(path, module_name)
        except Exception:
            return _NO_EAGER  # @torch.jit.script on `fn` compiles at import: there is no eager run
        target = lint_oracle._build(module)
        if isinstance(target, torch.jit.ScriptFunction):
            return _NO_EAGER
        return target(*lint_oracle._inputs(module))
    finally:
        sys.modules.pop(module_name, None)


@pytest.mark.parametrize(
    ("rule", "index", "example"),
    [
        pytest.param(r, i, e, id=f"{r.code}-invalid-{i}{'-' + e.label if e.label else ''}")
        for r, i, e in fixable_examples()
    ],
)
def test_fixed_example_scripts_and_keeps_untouched_lines(
    rule: type[Rule], index: int, example: Invalid, tmp_path: Path
) -> None:
    name = f"tsinspect_fixed_{rule.code.lower()}_{index}"
    assert_fix_is_proven(example.source, tmp_path / f"{name}.py", name)
