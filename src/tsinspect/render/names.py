"""File names as output can carry them: valid UTF-8, and one line in line-based formats.

Python hands non-UTF-8 bytes of a file name over as lone surrogates (``surrogateescape``),
which no UTF-8 stream can hold; and a file name may contain a newline.
"""

from __future__ import annotations

import re
from typing import Any

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def valid_unicode(text: str) -> str:
    """``text`` with each undecodable byte of a file name as ``\\xNN`` (valid UTF-8 to print)."""
    if text.isascii():
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def one_line(text: str) -> str:
    """``valid_unicode(text)`` with control characters (a newline in a file name) escaped."""
    return _CONTROL.sub(lambda match: repr(match.group())[1:-1], valid_unicode(text))


def valid_document(value: Any) -> Any:
    """A JSON-ready document with every string made :func:`valid_unicode`."""
    if isinstance(value, str):
        return valid_unicode(value)
    if isinstance(value, dict):
        return {valid_document(k): valid_document(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(valid_document(item) for item in value)
    return value
