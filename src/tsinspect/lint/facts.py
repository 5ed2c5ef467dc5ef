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
    # The path goes through an attribute holding a passed-in class (``self.model`` of
    # timm's ``FeatureGetterNet``): the file's own reach, when it finds the function too,
    # gives the path to report.
    through_value: bool = False


@dataclass(frozen=True)
class AnnotatedAttribute:
    """A class-body annotation of a module class naming a class TorchScript cannot compile.

    ``torch.jit.script`` types each instance attribute by the class annotation, compiling the
    annotated class as a TorchScript class (``pytorch@v2.13.0:torch/jit/_recursive.py``,
    ``infer_type``; ``torch/jit/annotations.py``, ``try_ann_to_type``). ``reason`` says why
    that class cannot be compiled: it inherits, or it is a dataclass.
    """

    owner: str
    attribute: str
    line: int
    type_name: str
    reason: str


@dataclass(frozen=True)
class FileFacts:
    """What one file's lint learns from the rest of the program.

    ``checked``: the file is among the checked paths (its own modules are roots); False for
    a library module, whose only compiled code is what ``reached`` names.
    """

    checked: bool = True
    module_classes: frozenset[str] = frozenset()
    reached: tuple[ReachedFunction, ...] = ()
    annotated_attributes: tuple[AnnotatedAttribute, ...] = ()
    # Spellings (``torchvision._is_tracing``) of functions that return the tracing state.
    tracing_probes: frozenset[str] = frozenset()

    def fingerprint(self) -> str:
        """A stable digest: the cache keys a file's findings on it."""
        digest = hashlib.blake2b(digest_size=16)
        digest.update(repr((self.checked, sorted(self.module_classes))).encode())
        for reached in sorted(self.reached, key=lambda r: (r.key, r.index)):
            digest.update(repr(reached).encode())
        digest.update(repr(self.annotated_attributes).encode())
        digest.update(repr(sorted(self.tracing_probes)).encode())
        return digest.hexdigest()
