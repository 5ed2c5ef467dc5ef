"""What must never reach libcst's native parser. Stdlib only, so every layer may use it.

libcst 1.9 parses in native code on the calling thread's stack: deep enough source overflows
it and the process dies (SIGSEGV, exit 139) with nothing to catch. Python's own parser has
explicit limits, so it goes first: what it refuses is a syntax error anyway.
"""

from __future__ import annotations

import ast

# libcst's native parser overflows its stack (the process dies, nothing to catch) on what
# Python's ast keeps flat but libcst nests one node per operand: a chain of about 7,500
# ``and``/``or`` operands crashes libcst 1.9 while ast accepts 100,000 (measured, CPython
# 3.11). Deeper nesting of every other kind Python refuses itself (200 brackets, ~2,800
# binary operands) before libcst is reached. 2,000 leaves a margin of more than 3x.
MAX_BOOLEAN_OPERANDS = 2000
TOO_DEEP = "too deeply nested for the parser"
# The tree of the last text the guard accepted: the type pass reads lines from it instead
# of parsing the same text again (files are linted one after the other in a process).
_LAST_TREE: list[tuple[str, ast.Module]] = []


def accepted_tree(text: str) -> ast.Module | None:
    """The standard parser's tree of ``text`` if the guard has just accepted this very text."""
    if _LAST_TREE and _LAST_TREE[0][0] is text:
        return _LAST_TREE[0][1]
    return None


def parser_refusal(text: str, path: str) -> tuple[str, int, int] | None:
    """Why the file must not reach libcst, as ``(message, line, column)``; None when it may.

    What Python refuses (a syntax error, null bytes, more than 200 nested brackets, an
    expression too deep for its compiler) is refused with Python's own message, and what
    Python accepts but libcst's native parser would crash on, as too deeply nested.
    """
    try:
        tree = compile(text, path, "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as error:
        message = error.msg.splitlines()[0] if error.msg else "invalid syntax"
        return (message, error.lineno or 1, error.offset or 1)
    except (ValueError, RecursionError, MemoryError) as error:  # null bytes, absurd nesting
        said = " ".join(str(error).split())
        if isinstance(error, ValueError) and said:
            return (said, 1, 1)
        return (f"{TOO_DEEP} ({said})" if said else TOO_DEEP, 1, 1)
    for node in ast.walk(tree):
        if isinstance(node, ast.BoolOp) and len(node.values) > MAX_BOOLEAN_OPERANDS:
            operator = "and" if isinstance(node.op, ast.And) else "or"
            return (
                f"{TOO_DEEP} ({len(node.values)} operands of one '{operator}'; at most "
                f"{MAX_BOOLEAN_OPERANDS})",
                node.lineno,
                node.col_offset + 1,
            )
    if isinstance(tree, ast.Module):
        _LAST_TREE[:] = [(text, tree)]
    return None
