"""TS001: a file that is not valid Python. Reported by the engine (and the API), not by a traversal."""

from __future__ import annotations

from tsinspect.diagnostics import Severity
from tsinspect.lint.rule import Rule


class SyntaxErrorRule(Rule):
    """## What it does
    Reports a file that is not valid Python, at the position the parser stopped.

    ## Why is this bad?
    Nothing in the file can be imported, let alone scripted. The rest of the checked files
    are still linted, and the exit code is 2 (unreadable input), as ruff does.

    ## Example
    ```python
    def forward(self, x:
        return x
    ```

    ## Use instead
    ```python
    def forward(self, x):
        return x
    ```
    """

    code = "TS001"
    name = "syntax-error"
    message = "File is not valid Python"
    fix_hint = "Fix the syntax error; the file cannot be imported or scripted as it is"
    severity = Severity.ERROR
    compiled_only = False
    file_level = True
