"""The verdict at the top of a report: the status, a headline, and every reason, most serious first."""

from __future__ import annotations

from dataclasses import replace

from tsinspect.diagnostics import Severity
from tsinspect.report import Reason, Status, Verdict

SEVERITY_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}

STAGE_RANK = {"input": 0, "model": 1, "config": 2, "validation": 3, "lint": 4}

#: Longer verdict messages (PyTorch's dispatcher errors run to 1,500 characters) are cut there.
VERDICT_MESSAGE_LIMIT = 320


def _brief(reason: Reason) -> Reason:
    """The reason with its message cut to VERDICT_MESSAGE_LIMIT characters (the section keeps all of it)."""
    if len(reason.message) <= VERDICT_MESSAGE_LIMIT:
        return reason
    cut = reason.message[:VERDICT_MESSAGE_LIMIT].rsplit(" ", 1)[0]
    return replace(reason, message=f"{cut} … (the full message is in the {reason.stage} section)")


def verdict(reasons: list[Reason]) -> Verdict:
    """The verdict from every reason: unusable (an input could not be read), blocked (errors),
    review (warnings) or ready, with the reasons most serious first."""
    ordered = tuple(
        sorted(
            (_brief(r) for r in reasons),
            key=lambda r: (
                SEVERITY_RANK[r.severity],
                STAGE_RANK[r.stage],
                r.code,
                r.where,
                r.message,
            ),
        )
    )
    unusable = [r for r in ordered if r.stage == "input"]
    errors = [r for r in ordered if r.severity is Severity.ERROR]
    warnings = [r for r in ordered if r.severity is Severity.WARNING]
    if unusable:
        count = len(unusable)
        return Verdict(
            Status.UNUSABLE,
            f"Incomplete: {count} input{'s' if count != 1 else ''} could not be read",
            ordered,
        )
    if errors:
        count = len(errors)
        return Verdict(
            Status.BLOCKED,
            f"Not ready for Triton's libtorch backend: {count} blocker{'s' if count != 1 else ''}",
            ordered,
        )
    if warnings:
        count = len(warnings)
        return Verdict(
            Status.REVIEW,
            f"Loads on Triton's libtorch backend, with {count} warning"
            f"{'s' if count != 1 else ''} to review",
            ordered,
        )
    return Verdict(Status.READY, "Ready for Triton's libtorch backend", ordered)
