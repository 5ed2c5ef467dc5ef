"""The one finding type every part of tsinspect reports through.

Stdlib only: the lint side, the model side and every renderer share these
records, so they must import nothing of ours and nothing heavy.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Severity(str, enum.Enum):
    """How bad a finding is. ``error`` fails scripting or serving; ``warning`` scripts but breaks later."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, order=True)
class Span:
    """A source range. Lines and columns are 1-based; the end is exclusive, as in ruff."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class Edit:
    """Replace the text in ``span`` by ``replacement``."""

    span: Span
    replacement: str


@dataclass(frozen=True)
class Fix:
    """How to fix a finding: always a hint for a person, and edits when the fix is mechanical and safe."""

    hint: str
    edits: tuple[Edit, ...] = ()

    @property
    def applicable(self) -> bool:
        """True when the fix can be applied automatically."""
        return bool(self.edits)


@dataclass(frozen=True)
class Origin:
    """Where a finding reported through another file really is.

    A construct TorchScript rejects in a library's code, reached from the user's model, is
    reported at the user's line that reaches it; ``Origin`` keeps the library location.
    """

    path: str
    line: int
    column: int


@dataclass(frozen=True)
class Diagnostic:
    """One finding, located in a source file, a model archive or a config file.

    ``reach`` is the compile path by which TorchScript gets to the finding,
    e.g. ``("SimpleCNN.forward", "SimpleCNN._head")``; empty when not applicable.
    ``origin`` is set when the finding lies in code outside the checked paths: ``path`` and
    ``line`` are then the checked line whose compile path leads there.
    Field names are part of the JSON API (see docs/json.md).
    """

    code: str
    name: str
    message: str
    path: str
    line: int = 0
    column: int = 0
    end_line: int = 0
    end_column: int = 0
    severity: Severity = Severity.ERROR
    fix: Fix | None = None
    reach: tuple[str, ...] = field(default=())
    origin: Origin | None = None

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        """Deterministic output order: path, line, column, code."""
        return (self.path, self.line, self.column, self.code)

    @property
    def reach_text(self) -> str:
        """The compile path as users read it: ``A.forward -> A._head``."""
        return " -> ".join(self.reach)


def sorted_diagnostics(diagnostics: list[Diagnostic] | tuple[Diagnostic, ...]) -> list[Diagnostic]:
    """Diagnostics in the deterministic output order."""
    return sorted(diagnostics, key=lambda d: d.sort_key)
