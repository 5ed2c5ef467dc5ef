"""TS003: a file the linter cannot read. Reported by the engine (and the API), not by a traversal."""

from __future__ import annotations

from tsinspect.diagnostics import Severity
from tsinspect.lint.rule import Rule


class UnreadableFileRule(Rule):
    """## What it does
    Reports a path that was named on the command line but cannot be read: it does not exist,
    permission is denied, or it is neither a file nor a folder.

    ## Why is this bad?
    The file was not checked. The other paths still are, and the exit code is 2.

    ## Example
    `tsinspect check modle.py` (a typo).

    ## Use instead
    `tsinspect check model.py`
    """

    code = "TS003"
    name = "unreadable-file"
    message = "Cannot read file"
    fix_hint = "Check the path and its permissions"
    severity = Severity.ERROR
    compiled_only = False
    file_level = True
