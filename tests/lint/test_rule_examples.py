"""Every VALID/INVALID example of every registered rule, through the real torch and the linter.

INVALID: torch must fail at the example's declared stage, and the rule must flag the line
TorchScript's error names (or the example's declared ``line``). VALID: torch must script,
run, save, reload and match eager, and no rule may flag anything.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tsinspect.api.check import check_source
from tsinspect.lint.registry import all_rules
from tsinspect.lint.rule import Invalid, Rule, Stage, Valid

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


@pytest.mark.parametrize("rule", [r for r in all_rules() if not r.file_level], ids=lambda r: r.code)
def test_rule_has_examples(rule: type[Rule]) -> None:
    assert rule.VALID, f"{rule.code} needs at least one VALID example"
    assert rule.INVALID, f"{rule.code} needs at least one INVALID example"
