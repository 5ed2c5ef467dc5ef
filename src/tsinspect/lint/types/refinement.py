"""Conditions as TorchScript compiles them (its ``CondValue``): whether one is decided while
compiling, and the refinements (``RefinementSet``) that hold when it is true or false
(``pytorch@v2.13.0:torch/csrc/jit/frontend/ir_emitter.cpp``)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from tsinspect.lint.types.findings import Check
from tsinspect.lint.types.lattice import Type


class Static(enum.Enum):
    """Whether TorchScript decides a condition while compiling (and compiles one branch only)."""

    TRUE = "true"
    FALSE = "false"
    DYNAMIC = "dynamic"  # decided at run time: both branches compiled, each in its own block
    UNKNOWN = "unknown"  # may be decided while compiling, we cannot tell which way

    def negate(self) -> Static:
        return {Static.TRUE: Static.FALSE, Static.FALSE: Static.TRUE}.get(self, self)


@dataclass(frozen=True)
class Cond:
    """A condition as TorchScript compiles it (its ``CondValue``): static or not, the
    refinements that hold when it is true / false (``RefinementSet``), and the None checks
    TorchScript does not see (marks: key -> (check, via))."""

    static: Static
    true: Mapping[str, Type] = field(default_factory=dict)
    false: Mapping[str, Type] = field(default_factory=dict)
    marks_true: Mapping[str, tuple[Check, str]] = field(default_factory=dict)
    marks_false: Mapping[str, tuple[Check, str]] = field(default_factory=dict)

    def negate(self) -> Cond:
        return Cond(self.static.negate(), self.false, self.true, self.marks_false, self.marks_true)


def _union_refinements(a: Mapping[str, Type], b: Mapping[str, Type]) -> dict[str, Type]:
    """Both hold: every refinement, except a name refined to two different types."""
    result = dict(a)
    for name, kind in b.items():
        if name not in result:
            result[name] = kind
        elif result[name] != kind:
            del result[name]
    return result


def _intersect_refinements(a: Mapping[str, Type], b: Mapping[str, Type]) -> dict[str, Type]:
    """Either holds: the refinements both make."""
    return {name: kind for name, kind in a.items() if b.get(name) == kind}


def _union_marks(
    a: Mapping[str, tuple[Check, str]], b: Mapping[str, tuple[Check, str]]
) -> dict[str, tuple[Check, str]]:
    return {**b, **a}


def _intersect_marks(
    a: Mapping[str, tuple[Check, str]], b: Mapping[str, tuple[Check, str]]
) -> dict[str, tuple[Check, str]]:
    return {key: mark for key, mark in a.items() if key in b}


def conjunction(lhs: Cond, rhs: Cond) -> Cond:
    """``a and b`` (ir_emitter.cpp ``emitShortCircuitLogical``)."""
    if Static.FALSE in (lhs.static, rhs.static):
        static = Static.FALSE
    elif lhs.static is rhs.static is Static.TRUE:
        static = Static.TRUE
    elif Static.UNKNOWN in (lhs.static, rhs.static):
        static = Static.UNKNOWN
    else:
        static = Static.DYNAMIC
    return Cond(
        static,
        _union_refinements(lhs.true, rhs.true),
        _intersect_refinements(lhs.false, rhs.false),
        _union_marks(lhs.marks_true, rhs.marks_true),
        _intersect_marks(lhs.marks_false, rhs.marks_false),
    )


def disjunction(lhs: Cond, rhs: Cond) -> Cond:
    """``a or b``: the dual of :func:`conjunction`."""
    return conjunction(lhs.negate(), rhs.negate()).negate()
