"""TS005: a suppression comment that suppresses nothing. Reported by the engine, not a traversal."""

from __future__ import annotations

from tsinspect.diagnostics import Severity
from tsinspect.lint.rule import Rule


class UnusedNoqaRule(Rule):
    """## What it does
    Reports a `# noqa: TS...` or `# tsinspect: ignore[...]` comment naming a tsinspect code
    that is not reported on its line, or a code tsinspect does not have, as ruff's RUF100
    does for its own codes. Codes of other tools (`# noqa: E501`) and a bare `# noqa` are
    left alone: they may be for another linter. Codes that are not enabled for the file are
    left alone too: another configuration may enable them.

    ## Why is this bad?
    The code it silenced was fixed or moved, and the comment now hides the next real
    finding on that line; or a typo (`TS1O1`) suppresses nothing while the reader thinks
    the line was checked.

    ## Example
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * 2  # noqa: TS101
    ```

    ## Use instead
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * 2
    ```

    ## Fix safety
    The fix removes the unused codes, and the whole comment when none is left; it never
    touches another tool's codes. Select it with `TS005` (it is part of `ALL`); ruff users
    who also run RUF100 add `lint.external = ["TS"]` so that ruff leaves our codes alone.
    """

    code = "TS005"
    name = "unused-noqa"
    message = "Unused suppression comment"
    fix_hint = "Remove the codes that are not reported on this line"
    severity = Severity.WARNING
    compiled_only = False
    file_level = True
    # Its edits remove comments only; tests/lint/test_lint_engine.py proves the fix.
    fixable = True
