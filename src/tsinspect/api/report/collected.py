"""The reasons a report's verdict gives, gathered while its sections are built."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tsinspect.diagnostics import Diagnostic
from tsinspect.errors import TsinspectError
from tsinspect.report import Reason

#: A progress callback: receives a short description of the step that starts now.
ProgressCallback = Callable[[str], None]


@dataclass
class Collected:
    """Reasons gathered while the sections are built."""

    reasons: list[Reason] = field(default_factory=list)

    def add(self, reason: Reason) -> None:
        """Add a reason, unless another section already gave the same finding.

        The config refusal repeats the model's own signature findings (TS605/TS606, one
        implementation in triton/serving.py): the verdict names each problem once.
        """
        key = (reason.code, reason.message, reason.where)
        if all((r.code, r.message, r.where) != key for r in self.reasons):
            self.reasons.append(reason)


def reason_of(stage: str, diagnostic: Diagnostic) -> Reason:
    """A diagnostic as one verdict line of ``stage``: where, what, and the fix hint."""
    where = f"{diagnostic.path}:{diagnostic.line}" if diagnostic.line > 0 else diagnostic.path
    hint = diagnostic.fix.hint if diagnostic.fix is not None else ""
    return Reason(
        diagnostic.severity,
        stage,
        diagnostic.code,
        diagnostic.name,
        diagnostic.message,
        where,
        hint,
    )


def without_path(error: TsinspectError, path: str) -> str:
    """The error's message without the leading ``path: `` (the report shows the path next to it)."""
    return str(error).removeprefix(f"{path}: ")
