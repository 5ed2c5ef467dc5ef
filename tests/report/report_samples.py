"""Hand-built Reports for the renderer tests: no torch, no model, every field chosen."""

from __future__ import annotations

from tsinspect.diagnostics import Diagnostic, Fix, Severity
from tsinspect.report import (
    ConfigSection,
    LintFinding,
    LintSection,
    ModuleGroup,
    Reason,
    Report,
    RuleGroup,
    SnippetLine,
    Status,
    Verdict,
)

HOSTILE = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'


def hostile_report() -> Report:
    """A torch-free Report whose every free-text field carries markup."""
    diagnostic = Diagnostic(
        "TS101",
        "lambda-in-compiled-code",
        HOSTILE,
        "<evil>.py",
        3,
        5,
        3,
        9,
        Severity.ERROR,
        Fix("use `def` <b>now</b>"),
    )
    lint = LintSection(
        ran=True,
        targets=("<evil>.py",),
        files_checked=1,
        modules=(
            ModuleGroup(
                "<evil>.py",
                (
                    RuleGroup(
                        "TS101",
                        "lambda-in-compiled-code",
                        Severity.ERROR,
                        (LintFinding(diagnostic, (SnippetLine(3, "f = lambda: '<x>'", 4, 10),)),),
                    ),
                ),
            ),
        ),
    )
    verdict = Verdict(
        Status.BLOCKED,
        "Not ready <b>",
        (Reason(Severity.ERROR, "lint", "TS101", "n", HOSTILE, "w", "h"),),
    )
    return Report(
        "tsinspect report: <m>.pt",
        "<m>.pt",
        "0.1.0",
        verdict,
        None,
        ConfigSection(text=None, error=HOSTILE),
        None,
        None,
        lint,
        None,
    )
