"""TS0xx: files the linter cannot read. Reported by the engine (and the API), not by a traversal."""

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


class NotUtf8Rule(Rule):
    """## What it does
    Reports a file whose bytes do not decode as UTF-8 (or as the encoding its PEP 263
    `# -*- coding: ... -*-` line declares).

    ## Why is this bad?
    Python refuses to import it, and `torch.jit.script` reads source through `inspect`,
    which fails the same way.

    ## Example
    A file saved as Latin-1 with `é` in a comment and no coding line.

    ## Use instead
    Save the file as UTF-8.
    """

    code = "TS002"
    name = "not-utf8"
    message = "File is not valid UTF-8"
    fix_hint = "Re-save the file as UTF-8 (or declare its encoding with a coding line)"
    severity = Severity.ERROR
    compiled_only = False
    file_level = True


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
