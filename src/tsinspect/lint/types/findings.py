"""What the flow pass records for the TS2xx rules, and how TorchScript's errors word it."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import libcst as cst

from tsinspect.lint.rule import LintContext
from tsinspect.lint.types.lattice import Type


@dataclass(frozen=True)
class UndefinedUse:
    """A local used where it is assigned on only some paths (TS205)."""

    name: str
    use: cst.Name
    origin: cst.CSTNode  # the `if` (its test) or the loop that leaves it undefined
    kind: str  # "if" or "loop"


@dataclass(frozen=True)
class BranchMismatch:
    """``if`` branches (or ternary arms) that give a value two different certain types (TS204)."""

    name: str
    node: cst.CSTNode
    first: Type
    second: Type


@dataclass(frozen=True)
class ReturnMismatch:
    """A return whose certain type differs from an earlier return's or the annotation (TS206)."""

    node: cst.Return
    expected: Type
    actual: Type
    annotated: bool


@dataclass
class EmptyContainer:
    """``xs = []`` / ``d = {}`` without annotation, and what is later put into it (TS203)."""

    name: str
    assignment: cst.Assign
    target: cst.Name
    is_dict: bool
    offences: list[tuple[cst.CSTNode, str]] = field(default_factory=list)
    element_types: set[Type | None] = field(default_factory=set)
    key_types: set[Type | None] = field(default_factory=set)


class Use(str, enum.Enum):
    """How compiled code uses an ``Optional`` value where TorchScript needs the value itself."""

    ATTRIBUTE = "attribute"  # x.size(), x.shape: "'Optional[Tensor]' object has no attribute"
    SUBSCRIPT = "subscript"  # x[0]: "object is not subscriptable"
    OPERATOR = "operator"  # x + 1, -x, x += 1: "Arguments for call are not valid"
    COMPARISON = "comparison"  # x > 0, x == 1, x == None
    CONDITION = "condition"  # if x:, x or d, not x: "Could not cast value of type ... to bool"
    ARGUMENT = (
        "argument"  # torch.relu(x), t.add(x), range(x), helper(x) with a non-Optional parameter
    )
    ITERATION = "iteration"  # for v in x: "object is not iterable"
    RETURN = "return"  # return x, declared -> Tensor
    ANNOTATION = "annotation"  # y: Tensor = x


class Check(str, enum.Enum):
    """A None check the code makes but TorchScript does not see (TS215)."""

    STORED = "stored"  # has_x = x is not None; if has_x:
    ATTRIBUTE = "attribute"  # if self.x is not None: self.x.size()
    WHILE = "while"  # while x is not None: (a while condition refines nothing)
    CONTINUE = "continue"  # if x is None: continue (not an exit for TorchScript)
    BREAK = "break"
    HELPER = "helper"  # if self.has(x): (a function call refines nothing)
    TRUTHINESS = "truthiness"  # if x: (reported at the condition itself)


@dataclass(frozen=True)
class OptionalUse:
    """An ``Optional`` value used where TorchScript needs the value (TS214, TS215).

    ``node`` is what to report (the attribute, operation, call, ``return``...), ``subject``
    the Optional expression, ``kind`` its type. ``check`` says how the code checks it in a
    way TorchScript does not see (``via``: the stored flag or the helper), None when it does
    not check at all. ``detail`` names the callee's parameter for ``Use.ARGUMENT``.
    """

    node: cst.CSTNode
    subject: cst.BaseExpression
    kind: Type
    use: Use
    check: Check | None = None
    via: str = ""
    detail: str = ""


@dataclass(frozen=True)
class TypeChange:
    """A local assigned in a nested block (an ``if`` branch, a loop body) a value that does not
    fit the type it has outside: a Tensor over ``None``, ``None`` over a Tensor, a float
    over an int (TS216)."""

    node: cst.CSTNode
    name: str
    previous: Type
    assigned: Type


@dataclass
class FlowResult:
    """Everything the propagator found in one compiled function."""

    undefined_uses: list[UndefinedUse] = field(default_factory=list)
    branch_mismatches: list[BranchMismatch] = field(default_factory=list)
    return_mismatches: list[ReturnMismatch] = field(default_factory=list)
    empty_containers: list[EmptyContainer] = field(default_factory=list)
    unannotated_misuses: list[tuple[cst.Call, str, str]] = field(default_factory=list)
    attribute_assignments: list[tuple[cst.Attribute, Type | None]] = field(default_factory=list)
    tuple_of_lists: list[cst.Call] = field(default_factory=list)
    sums_of_tensors: list[cst.Call] = field(default_factory=list)
    int_inverts: list[cst.UnaryOperation] = field(default_factory=list)
    mixed_tuple_indexes: list[cst.Subscript] = field(default_factory=list)
    optional_uses: list[OptionalUse] = field(default_factory=list)
    # `len(x)` of an Optional: scripts, and is 1 whatever x holds (TS217)
    optional_lens: list[tuple[cst.Call, Type]] = field(default_factory=list)
    # what a call of the function gives: the declared type, else the unified returns
    return_type: Type | None = None
    type_changes: list[TypeChange] = field(default_factory=list)


def torchscript_error(use: OptionalUse, context: LintContext) -> str:
    """The gist of the error ``torch.jit.script`` gives for an :class:`OptionalUse`."""
    kind = str(use.kind)
    if use.use is Use.ATTRIBUTE:
        attribute = use.node.attr.value if isinstance(use.node, cst.Attribute) else "..."
        return f"'{kind}' object has no attribute or method '{attribute}'"
    if use.use is Use.SUBSCRIPT:
        return f"'{kind}' object is not subscriptable"
    if use.use is Use.ITERATION:
        return f"'{kind}' object is not iterable"
    if use.use is Use.CONDITION:
        return f"Could not cast value of type {kind} to bool"
    if use.use is Use.RETURN:
        return (
            f"Return value was annotated as having type {use.detail} but is actually of type {kind}"
        )
    if use.use is Use.ANNOTATION:
        target = use.node.target if isinstance(use.node, cst.AnnAssign) else None
        name = context.module.code_for_node(target) if target is not None else "..."
        return (
            f"Variable '{name}' is annotated with type {use.detail} but is being assigned "
            f"to a value of type {kind}"
        )
    if use.use is Use.ARGUMENT and use.detail.startswith("parameter `"):
        name, _, expected = use.detail[len("parameter `") : -1].partition(": ")
        return (
            f"Expected a value of type '{expected}' for argument '{name}' but instead found "
            f"type '{kind}'"
        )
    return "Arguments for call are not valid"


def subject_text(use: OptionalUse, context: LintContext, limit: int = 40) -> str:
    """The Optional expression as written (shortened)."""
    text = " ".join(context.module.code_for_node(use.subject).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
