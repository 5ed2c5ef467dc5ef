"""Every VALID/INVALID example of every registered rule, through the real torch and the linter.

INVALID: torch must fail at the example's declared stage, and the rule must flag the line
TorchScript's error names (or the example's declared ``line``) with the example's pinned
``message``. Where the rule offers an edit there, the example pins the module ``--fix``
writes (``fixed``, Fixit's expected replacement), and that module must pass every stage of
the oracle, as a VALID example does (one that branches on ``torch.jit.is_scripting()``
may differ from eager, by design). VALID: torch must script, run, save, reload and match
eager, and no rule may flag anything. A rule's ``fixable`` declaration must agree with its
examples.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tsinspect.api.check import check_source
from tsinspect.api.fix import fix_source
from tsinspect.lint.registry import all_rules
from tsinspect.lint.rule import Invalid, Rule, Stage, Valid
from tsinspect.settings import Settings

torch = pytest.importorskip("torch")

from lint_oracle import run_example  # noqa: E402


def _cases() -> list[object]:
    cases = []
    for rule in all_rules():
        for kind, examples in (("valid", rule.VALID), ("invalid", rule.INVALID)):
            for index, example in enumerate(examples):
                label = f"-{example.label}" if example.label else ""
                cases.append(
                    pytest.param(rule, example, index, id=f"{rule.code}-{kind}-{index}{label}")
                )
    return cases


def _module_name(rule: type[Rule], example: Valid | Invalid, index: int) -> str:
    kind = "valid" if isinstance(example, Valid) else "invalid"
    return f"tsinspect_example_{rule.code.lower()}_{kind}_{index}"


@pytest.mark.parametrize(("rule", "example", "index"), _cases())
def test_example(rule: type[Rule], example: Valid | Invalid, index: int, tmp_path: Path) -> None:
    source = example.source
    path = tmp_path / f"{_module_name(rule, example, index)}.py"
    outcome = run_example(source, path, _module_name(rule, example, index))
    diagnostics = check_source(source, path=str(path))
    if isinstance(example, Valid):
        assert outcome.stage is None, (
            f"VALID example fails in torch at {outcome.stage}: {outcome.error}"
        )
        assert diagnostics == [], f"VALID example is flagged: {diagnostics}"
        return
    assert outcome.stage is example.fails_at, (
        f"torch should fail at {example.fails_at.value}, got {outcome.stage}: {outcome.error}"
    )
    if example.fails_at is Stage.SCRIPT and example.error_has_line:
        assert outcome.error_lines, (
            f"TorchScript's error names no line of the example; declare error_has_line=False and line=N:\n{outcome.error}"
        )
        expected = outcome.error_lines[0]
        if example.line is not None:
            assert example.line == expected, (
                f"declared line {example.line}, TorchScript says {expected}"
            )
    else:
        assert example.line is not None, (
            "declare the line the rule must flag (TorchScript names none)"
        )
        expected = example.line
    flagged = [(d.code, d.line) for d in diagnostics]
    assert (rule.code, expected) in flagged, (
        f"{rule.code} not reported at line {expected}; reported: {flagged}\nTorchScript: {outcome.error}"
    )
    reported = [d for d in diagnostics if d.code == rule.code and d.line == expected]
    messages = [d.message for d in reported]
    assert example.message is not None, f"pin the message: message={messages[0]!r}"
    assert example.message in messages, f"pinned {example.message!r}, reported {messages}"
    offers_edit = any(d.fix is not None and d.fix.edits for d in reported)
    fixed = fix_source(source, "example.py", Settings(select=(rule.code,))).fixed_source
    if not offers_edit:
        assert example.fixed is None, "the rule offers no edit here; drop fixed="
        return
    assert example.fixed_source == fixed, f"pin what --fix writes:\n{fixed}"
    fixed_path = tmp_path / f"{_module_name(rule, example, index)}_fixed.py"
    fixed_outcome = run_example(fixed, fixed_path, f"{_module_name(rule, example, index)}_fixed")
    # A module that branches on torch.jit.is_scripting() differs from eager by design.
    allowed = (None, Stage.MATCH) if "is_scripting" in fixed else (None,)
    assert fixed_outcome.stage in allowed, (
        f"the fixed example fails in torch at {fixed_outcome.stage}: {fixed_outcome.error}"
    )


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_fixable_declaration_matches_the_examples(rule: type[Rule]) -> None:
    """``fixable`` is what the docs and ``tsinspect rules`` say; the examples must prove it."""
    fixed = [example for example in rule.INVALID if example.fixed is not None]
    if rule.file_level:
        # Engine-reported rules have no examples torch could judge; their fixes are
        # proven by the engine's own tests (TS005's in test_lint_engine.py).
        pytest.skip(f"{rule.code} is reported by the engine, not by examples")
    if rule.fixable:
        assert fixed, f"{rule.code} declares fixable: give an INVALID example its fixed= text"
    else:
        assert not fixed, f"{rule.code} fixes its examples: declare fixable = True"


@pytest.mark.parametrize("rule", [r for r in all_rules() if not r.file_level], ids=lambda r: r.code)
def test_rule_has_examples(rule: type[Rule]) -> None:
    assert rule.VALID, f"{rule.code} needs at least one VALID example"
    assert rule.INVALID, f"{rule.code} needs at least one INVALID example"
