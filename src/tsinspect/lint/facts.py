"""What one file's lint learns from the rest of the program (see :mod:`tsinspect.lint.program`).

Frozen, picklable and stdlib-only: facts travel to worker processes and key the cache.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    """The checked file's location where a compile path enters code outside the checked paths."""

    path: str
    line: int
    column: int


@dataclass(frozen=True)
class ReachedFunction:
    """A function of a module that TorchScript compiles because of code in another file.

    ``key`` and ``index`` name the def as the index does (``Block.forward``, 0); ``reach``
    is the compile path ending at it; ``entry`` is set when the path starts in the checked
    files and this module is not one of them.
    """

    key: str
    index: int
    reach: tuple[str, ...]
    entry: Entry | None = None


@dataclass(frozen=True)
class FileFacts:
    """What one file's lint learns from the rest of the program.

    ``checked``: the file is among the checked paths (its own modules are roots); False for
    a library module, whose only compiled code is what ``reached`` names.
    """

    checked: bool = True
    module_classes: frozenset[str] = frozenset()
    reached: tuple[ReachedFunction, ...] = ()

    def fingerprint(self) -> str:
        """A stable digest: the cache keys a file's findings on it."""
        digest = hashlib.blake2b(digest_size=16)
        digest.update(repr((self.checked, sorted(self.module_classes))).encode())
        for reached in sorted(self.reached, key=lambda r: (r.key, r.index)):
            digest.update(repr(reached).encode())
        return digest.hexdigest()
