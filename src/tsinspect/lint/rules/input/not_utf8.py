"""TS002: a file that is not valid UTF-8. Reported by the engine (and the API), not by a traversal."""

from __future__ import annotations

from tsinspect.diagnostics import Severity
from tsinspect.lint.rule import Rule


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
