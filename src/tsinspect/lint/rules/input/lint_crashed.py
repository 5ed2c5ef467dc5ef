"""TS004: a file whose lint crashed. Reported by the engine (and the API), not by a traversal."""

from __future__ import annotations

from tsinspect.diagnostics import Severity
from tsinspect.lint.rule import Rule


class LintCrashRule(Rule):
    """## What it does
    Reports a file whose linting killed the worker process that checked it (a crash in
    native code, such as libcst's parser overflowing its stack, or the process running out
    of memory).

    ## Why is this bad?
    The file was not checked. The crash costs this file only: every other file is checked
    and reported, and the exit code is 2. The file itself may be valid Python; tsinspect
    refuses the inputs it knows would crash the parser (TS001) before they reach it, so
    this one is new: please report it with the file.

    ## Example
    A generated module that stays within Python's own limits but nests some construct
    deeper than libcst's native parser can follow.

    ## Use instead
    Exclude the file (`exclude` in `[tool.tsinspect]`) if TorchScript never compiles it.
    """

    code = "TS004"
    name = "lint-crashed"
    message = "The linter crashed on this file"
    fix_hint = "Exclude the file if TorchScript never compiles it, and report the crash"
    severity = Severity.ERROR
    compiled_only = False
    file_level = True
