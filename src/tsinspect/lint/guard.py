"""What must never reach libcst's native parser. Stdlib only, so every layer may use it.

libcst 1.9 parses in native code on the calling thread's stack: deep enough source overflows
it and the process dies (SIGSEGV, exit 139) with nothing to catch. Python's own parser has
explicit limits, so it goes first: what it refuses is a syntax error anyway.
"""

from __future__ import annotations

import ast
import hashlib
import re

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


# The content keys of sources Python's parser accepted in this process (the project index
# parses every checked file before the lint does): the guard then need not parse them again.
# Keys, not trees: the trees of a whole project would stay in memory between the two passes.
_ACCEPTED: set[str] = set()
# The keywords that join a BoolOp's operands. A file with fewer of these words (strings and
# comments included, so never fewer than the real operators) than the limit holds no BoolOp
# over it, and its tree need not be walked.
_BOOLEAN_WORD = re.compile(r"\b(?:and|or)\b")


def content_key(data: bytes) -> str:
    """The key a source is known by (the same as the index's and the cache's content hash)."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def note_accepted(key: str) -> None:
    """Record that Python's parser accepted the source with this ``content_key``."""
    _ACCEPTED.add(key)


def _few_boolean_words(text: str) -> bool:
    return len(_BOOLEAN_WORD.findall(text)) < MAX_BOOLEAN_OPERANDS


def accepted_source_tree(data: bytes) -> ast.Module | None:
    """The standard parser's tree of ``data`` if the guard has just accepted its text (the
    language server summarises each edited buffer right after linting it)."""
    if _LAST_TREE and len(_LAST_TREE[0][0]) <= len(data) and _LAST_TREE[0][0].encode() == data:
        return _LAST_TREE[0][1]
    return None


def accepted_tree(text: str) -> ast.Module | None:
    """The standard parser's tree of ``text`` if the guard has just accepted this very text."""
    if _LAST_TREE and _LAST_TREE[0][0] is text:
        return _LAST_TREE[0][1]
    return None


def parser_refusal(text: str, path: str, key: str | None = None) -> tuple[str, int, int] | None:
    """Why the file must not reach libcst, as ``(message, line, column)``; None when it may.

    What Python refuses (a syntax error, null bytes, more than 200 nested brackets, an
    expression too deep for its compiler) is refused with Python's own message, and what
    Python accepts but libcst's native parser would crash on, as too deeply nested.
    ``key``: the ``content_key`` of the bytes ``text`` was decoded from; when Python's parser
    already accepted them in this process (``note_accepted``), they are not parsed again.
    """
    if key is not None and key in _ACCEPTED and _few_boolean_words(text):
        return None
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
    for node in () if _few_boolean_words(text) else ast.walk(tree):
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
