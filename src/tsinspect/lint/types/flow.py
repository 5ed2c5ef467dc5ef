"""The flow pass: TorchScript's type checking of one compiled function, statically.

It walks the function's statements in order, the way TorchScript's front end
(``ir_emitter.cpp``) emits them, and keeps for every local its type when the type is
*certain*: literals, annotations and ``# type:`` comments (:mod:`.annotations`), parameters
(:mod:`.signatures`), what torch's calls and Tensor members give (:mod:`.library`), the
signatures of same-file callees, and class-level annotations of module attributes
(:mod:`.attributes`). Anything else is unknown (``None``), and no rule reports on unknown
types.

``Optional`` is modelled the way TorchScript does it (docs/dev/type-system.md):

- ``x is None`` / ``x is not None`` (also ``None is x``, ``not``, ``and``/``or`` chains,
  ternaries, ``assert``, ``isinstance(x, T)``) refine a *local name* in the branch where
  the check holds, and after an ``if`` whose other branch ends in ``return``/``raise``
  (:mod:`.refinement`);
- nothing else refines: not attributes, not a check stored in a variable, not ``if x:``
  (an error of its own), not a ``while`` condition, not a helper function, not an early
  ``continue``/``break`` (TorchScript does not treat them as exits);
- ``None`` merged with ``T`` at an ``if`` gives ``Optional[T]``; a loop-carried local
  keeps its type from before the loop;
- ``x is None`` is decided at compile time when ``x`` cannot be ``None`` (only the live
  branch is compiled) or is certainly ``None``; ``and``/``or`` compile their right operand
  even then.

What it records, for the rules to report (:mod:`.findings`):

- uses of a local assigned on only some paths (TS205);
- ``if`` merges and ternaries with different certain types (TS204), returns of different
  certain types (TS206);
- ``[]`` / ``{}`` later filled with non-Tensor values (TS203);
- ``range(p)`` on an unannotated parameter (TS202), ``tuple(list)`` (TS208), ``sum`` of
  Tensors (TS209), ``~int`` (TS210), mixed tuples indexed by a variable (TS211);
- assignments to ``self.x`` with their value type (TS304);
- ``Optional`` values used where TorchScript needs the value (TS214, TS215) and ``None``
  reassignments across blocks (TS216).

Branches that TorchScript decides while compiling (``torch.jit.is_scripting()``, ``is
None`` checks of certain types, ``isinstance``, ``hasattr``, constant attributes) are
followed the way TorchScript prunes them; when the pass cannot tell whether a branch is
compiled, it merges without findings and records nothing inside.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import libcst as cst

from tsinspect.lint.calls import values_bound_to
from tsinspect.lint.classes import class_facts, enclosing_class, is_final
from tsinspect.lint.reach import IS_SCRIPTING, ClassInfo, Truth, scripting_truth
from tsinspect.lint.rule import LintContext
from tsinspect.lint.scopes import full_name
from tsinspect.lint.traversal import walk
from tsinspect.lint.types.annotations import (
    annotation_type,
    parse_annotation,
)
from tsinspect.lint.types.attributes import attribute_type
from tsinspect.lint.types.findings import (
    BranchMismatch,
    Check,
    EmptyContainer,
    FlowResult,
    OptionalUse,
    ReturnMismatch,
    TypeChange,
    UndefinedUse,
    Use,
)
from tsinspect.lint.types.lattice import (
    BOOL,
    DICT,
    FLOAT,
    INT,
    INT_LIST,
    LIST,
    MERGEABLE_CONFLICTS,
    NONE,
    SCALARS,
    STR,
    TENSOR,
    TUPLE,
    UNION,
    UNKNOWN,
    Type,
    fits,
    is_mixed_tuple,
    list_of,
    optional,
    optional_mismatch,
    tuple_of,
    unify,
    union,
    without_none,
)
from tsinspect.lint.types.library import (
    ISINSTANCE_CALLS,
    ITERATING_BUILTINS,
    STATIC_CALLS,
    STRICT_BUILTINS,
    STRICT_METHODS,
    STRICT_POSITIONS,
    TENSOR_INPUT_FUNCTIONS,
    TENSOR_LIST_FUNCTIONS,
    library_call_type,
    tensor_attribute_type,
)
from tsinspect.lint.types.memo import file_memo
from tsinspect.lint.types.refinement import Cond, Static, conjunction, disjunction
from tsinspect.lint.types.signatures import (
    callee_def,
    callee_signature,
    declares_return,
    is_method,
    parameter_types,
    return_type,
)
from tsinspect.lint.types.static import is_static_test
from tsinspect.lint.types.values import binary_type, comparison_type, subscript_type, unary_type


@dataclass(frozen=True)
class _Overlay:
    """Refinements and marks that hold inside part of an expression (a ternary arm, the right
    operand of ``and``/``or``), over the statement's state."""

    types: Mapping[str, Type | None] = field(default_factory=dict)
    checks: Mapping[str, tuple[Check, str]] = field(default_factory=dict)

    def with_cond(
        self, refinements: Mapping[str, Type], marks: Mapping[str, tuple[Check, str]]
    ) -> _Overlay:
        if not refinements and not marks:
            return self
        return _Overlay({**self.types, **refinements}, {**self.checks, **marks})


_EMPTY = _Overlay()


class _Dead:
    """The state after ``return``/``raise``: no path goes on."""


DEAD = _Dead()


@dataclass
class _State:
    types: dict[str, Type | None] = field(default_factory=dict)
    # assigned on some paths only: name -> (origin node, kind)
    maybe: dict[str, tuple[cst.CSTNode, str]] = field(default_factory=dict)
    # if-merges with two certain types, reported on a later use: name -> (node, t1, t2)
    conflicts: dict[str, tuple[cst.CSTNode, Type, Type]] = field(default_factory=dict)
    containers: dict[str, EmptyContainer] = field(default_factory=dict)
    # The types of the enclosing blocks (TorchScript's parent frames): an assignment in this
    # block must fit them. None: the function's own block.
    outer: dict[str, Type | None] | None = None
    # None checks TorchScript does not see: key (`x`, `self.x`) -> (check, via)
    checks: dict[str, tuple[Check, str]] = field(default_factory=dict)
    # bool locals holding a None check: name -> (refined when true, refined when false)
    aliases: dict[str, tuple[frozenset[str], frozenset[str]]] = field(default_factory=dict)
    # this code is certainly compiled (not in a branch TorchScript may drop)
    certain: bool = True
    # the blocks around this code are known (not in an unrolled loop, not under a condition
    # that may be static, where TorchScript opens no block)
    framed: bool = True
    # the block ended with `continue`/`break` (which TorchScript does not treat as exits)
    jumped: Check | None = None

    def copy(self) -> _State:
        return _State(
            dict(self.types),
            dict(self.maybe),
            dict(self.conflicts),
            dict(self.containers),
            self.outer,
            dict(self.checks),
            dict(self.aliases),
            self.certain,
            self.framed,
            None,
        )

    def child(self, framed: bool) -> _State:
        """The state at the start of a nested block (a branch, a loop body)."""
        state = self.copy()
        if framed and self.framed:
            state.outer = dict(self.types)
        else:
            state.framed = False
        return state

    def assign(self, name: str, kind: Type | None) -> None:
        self.types[name] = kind
        self.maybe.pop(name, None)
        self.conflicts.pop(name, None)
        self.containers.pop(name, None)
        self.forget(name)

    def forget(self, name: str) -> None:
        """``name`` changes: checks about it and flags that hold a check of it are stale."""
        self.checks.pop(name, None)
        self.aliases.pop(name, None)
        if self.aliases:
            for alias, (when_true, when_false) in list(self.aliases.items()):
                if name in when_true or name in when_false:
                    del self.aliases[alias]

    def refine(
        self, refinements: Mapping[str, Type], marks: Mapping[str, tuple[Check, str]]
    ) -> None:
        """What TorchScript's ``insertRefinements`` does on entering a branch (plus marks)."""
        for name, kind in refinements.items():
            if name in self.types:
                self.types[name] = kind
                self.checks.pop(name, None)
        self.checks.update(marks)


def _target_names(target: cst.BaseExpression) -> Iterator[str]:
    if isinstance(target, cst.Name):
        yield target.value
    elif isinstance(target, cst.Tuple | cst.List):
        for element in target.elements:
            yield from _target_names(element.value)
    elif isinstance(target, cst.StarredElement):
        yield from _target_names(target.value)


class _Uses(cst.CSTVisitor):
    """Names an expression reads, outside lambdas, comprehension targets and pruned ternary arms."""

    def __init__(self, context: LintContext) -> None:
        super().__init__()
        self.context = context
        self.names: list[cst.Name] = []
        self.ternaries: list[cst.IfExp] = []
        self.calls: list[cst.Call] = []
        self.inverts: list[cst.UnaryOperation] = []
        self.subscripts: list[cst.Subscript] = []
        self._bound: list[set[str]] = []

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def _enter_comprehension(self, node: cst.BaseComp | cst.DictComp) -> None:
        bound: set[str] = set()
        for_in: cst.CompFor | None = node.for_in
        while for_in is not None:
            bound |= set(_target_names(for_in.target))
            for_in = for_in.inner_for_in
        self._bound.append(bound)

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._enter_comprehension(node)

    def leave_ListComp(self, original_node: cst.ListComp) -> None:
        self._bound.pop()

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._enter_comprehension(node)

    def leave_GeneratorExp(self, original_node: cst.GeneratorExp) -> None:
        self._bound.pop()

    def visit_SetComp(self, node: cst.SetComp) -> None:
        self._enter_comprehension(node)

    def leave_SetComp(self, original_node: cst.SetComp) -> None:
        self._bound.pop()

    def visit_DictComp(self, node: cst.DictComp) -> None:
        self._enter_comprehension(node)

    def leave_DictComp(self, original_node: cst.DictComp) -> None:
        self._bound.pop()

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        walk(node.value, self)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        walk(node.value, self)
        return False

    def visit_IfExp(self, node: cst.IfExp) -> bool:
        truth = scripting_truth(self.context, node.test)
        walk(node.test, self)
        if truth is not Truth.FALSE:
            walk(node.body, self)
        if truth is not Truth.TRUE:
            walk(node.orelse, self)
        return False

    def visit_Name(self, node: cst.Name) -> None:
        if not any(node.value in bound for bound in self._bound):
            self.names.append(node)

    def leave_IfExp(self, original_node: cst.IfExp) -> None:
        if not self._bound:
            self.ternaries.append(original_node)

    def visit_Call(self, node: cst.Call) -> None:
        if not self._bound:
            self.calls.append(node)

    def visit_Subscript(self, node: cst.Subscript) -> None:
        if not self._bound:
            self.subscripts.append(node)

    def visit_UnaryOperation(self, node: cst.UnaryOperation) -> None:
        if not self._bound and isinstance(node.operator, cst.BitInvert):
            self.inverts.append(node)


def _is_none_literal(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _has_optional(kind: Type | None) -> bool:
    """``kind`` is, or holds (in a list or tuple), a value that may be None."""
    if kind is None:
        return False
    if kind.maybe_none:
        return True
    return kind.name in (LIST, TUPLE) and any(_has_optional(arg) for arg in kind.args)


def _element_type(kind: Type | None) -> Type | None:
    """The type of the elements a ``for`` over a value of type ``kind`` binds."""
    if kind is None:
        return None
    if kind.name == LIST:
        return kind.args[0]
    if kind.name == DICT:
        return kind.args[0]
    if kind in (TENSOR, STR):
        return kind
    return None


class _Flow:
    def __init__(
        self,
        context: LintContext,
        node: cst.FunctionDef,
        self_name: str | None,
        owner: ClassInfo | None,
    ) -> None:
        self.context = context
        self.node = node
        self.self_name = self_name
        # the nn.Module class the method belongs to (its attributes' annotations, its methods)
        self.owner = owner
        self.result = FlowResult()
        self.unannotated: set[str] = set()
        self.returns: list[tuple[cst.Return, Type | None]] = []
        self.declared_return: Type | None = None
        self.reported_undefined: set[str] = set()
        self.reported_conflicts: set[str] = set()
        self.recorded: set[int] = set()
        # id(Name) -> its type where it is read or bound; kept only when asked (the hover)
        self.names: dict[int, Type | None] | None = None

    # --- expressions -------------------------------------------------------------------
    def infer(self, expression: cst.BaseExpression, state: _State) -> Type | None:
        """The certain type of ``expression``, or None (records nothing)."""
        return self._eval(expression, state, _EMPTY, False)

    def _eval(
        self, node: cst.BaseExpression, state: _State, overlay: _Overlay, record: bool
    ) -> Type | None:
        """The type of ``node``; with ``record``, note every Optional used without refinement."""
        if isinstance(node, cst.Name):
            value = node.value
            if value in ("True", "False"):
                return BOOL
            if value == "None":
                return NONE
            found = overlay.types[value] if value in overlay.types else state.types.get(value)
            if self.names is not None:
                self.names[id(node)] = found
            return found
        if isinstance(node, cst.Integer):
            return INT
        if isinstance(node, cst.Float):
            return FLOAT
        if isinstance(node, cst.SimpleString | cst.ConcatenatedString):
            return STR
        if isinstance(node, cst.FormattedString):
            if record:
                for part in node.parts:
                    if isinstance(part, cst.FormattedStringExpression):
                        self._eval(part.expression, state, overlay, record)
            return STR
        if isinstance(node, cst.Attribute):
            found = self._attribute(node, state, overlay, record)
            if self.names is not None:
                self.names[id(node.attr)] = found
            return found
        if isinstance(node, cst.Call):
            return self._call(node, state, overlay, record)
        if isinstance(node, cst.Subscript):
            return self._subscript(node, state, overlay, record)
        if isinstance(node, cst.BinaryOperation):
            left = self._eval(node.left, state, overlay, record)
            right = self._eval(node.right, state, overlay, record)
            formatting = isinstance(node.operator, cst.Modulo) and left == STR
            for side, kind in ((node.left, left), (node.right, right)):
                if kind is not None and kind.maybe_none and not formatting:
                    if record:
                        self._record(node, side, kind, Use.OPERATOR, state, overlay)
                    return None
            return binary_type(node.operator, left, right)
        if isinstance(node, cst.UnaryOperation):
            inner = self._eval(node.expression, state, overlay, record)
            if isinstance(node.operator, cst.Not):
                if record:
                    self._truthy(node.expression, inner, state, overlay)
            elif inner is not None and inner.maybe_none:
                if record:
                    self._record(node, node.expression, inner, Use.OPERATOR, state, overlay)
                return None
            return unary_type(node.operator, inner)
        if isinstance(node, cst.BooleanOperation):
            self.cond(node, state, overlay, record)
            return BOOL
        if isinstance(node, cst.Comparison):
            return self._comparison(node, state, overlay, record)
        if isinstance(node, cst.IfExp):
            return self._ifexp(node, state, overlay, record)
        if isinstance(node, cst.Tuple | cst.List):
            kinds = [self._eval(e.value, state, overlay, record) for e in node.elements]
            if any(kind is None for kind in kinds) or any(
                isinstance(e, cst.StarredElement) for e in node.elements
            ):
                return None
            known = [kind for kind in kinds if kind is not None]
            if isinstance(node, cst.Tuple):
                return tuple_of(*known)
            merged: Type | None = known[0] if known else None
            for kind in known[1:]:
                merged = unify(merged, kind)
            return list_of(merged) if merged is not None else None
        if isinstance(node, cst.Dict):
            if record:
                for element in node.elements:
                    if isinstance(element, cst.DictElement):
                        self._eval(element.key, state, overlay, record)
                    self._eval(element.value, state, overlay, record)
            return None
        if isinstance(node, cst.ListComp | cst.GeneratorExp | cst.SetComp | cst.DictComp):
            return self._comprehension(node, state, overlay, record)
        if isinstance(node, cst.Lambda):
            return None
        if record:
            for child in node.children:
                if isinstance(child, cst.BaseExpression):
                    self._eval(child, state, overlay, record)
        return None

    def _attribute(
        self, node: cst.Attribute, state: _State, overlay: _Overlay, record: bool
    ) -> Type | None:
        value = node.value
        if isinstance(value, cst.Name) and value.value == self.self_name:
            return attribute_type(self.context, self.owner, node.attr.value) if self.owner else None
        receiver = self._eval(value, state, overlay, record)
        if receiver is None:
            return None
        if receiver.maybe_none:
            if record:
                self._record(node, value, receiver, Use.ATTRIBUTE, state, overlay)
            return None
        if receiver == TENSOR:
            return tensor_attribute_type(node.attr.value)
        return None

    def _subscript(
        self, node: cst.Subscript, state: _State, overlay: _Overlay, record: bool
    ) -> Type | None:
        value = self._eval(node.value, state, overlay, record)
        for element in node.slice:
            part = element.slice
            if isinstance(part, cst.Index):
                self._eval(part.value, state, overlay, record)
            elif isinstance(part, cst.Slice):
                for bound in (part.lower, part.upper, part.step):
                    if bound is not None:
                        self._eval(bound, state, overlay, record)
        if value is None:
            return None
        if value.maybe_none:
            if record:
                self._record(node, node.value, value, Use.SUBSCRIPT, state, overlay)
            return None
        if record and (value.name in (LIST, DICT, TUPLE) or value == STR):
            for element in node.slice:
                part = element.slice
                if isinstance(part, cst.Index):
                    key = self._eval(part.value, state, overlay, False)
                    if key is not None and key.maybe_none:
                        self._record(
                            node, part.value, key, Use.ARGUMENT, state, overlay, "an index"
                        )
        return subscript_type(value, node)

    def _comparison(
        self, node: cst.Comparison, state: _State, overlay: _Overlay, record: bool
    ) -> Type | None:
        operands: list[cst.BaseExpression] = [node.left]
        kinds = [self._eval(node.left, state, overlay, record)]
        for target in node.comparisons:
            operands.append(target.comparator)
            kinds.append(self._eval(target.comparator, state, overlay, record))
        if record:
            for index, target in enumerate(node.comparisons):
                if isinstance(target.operator, cst.Is | cst.IsNot):
                    continue
                for position in (index, index + 1):
                    kind = kinds[position]
                    if kind is not None and kind.maybe_none:
                        self._record(node, operands[position], kind, Use.COMPARISON, state, overlay)
                        break
        if len(node.comparisons) != 1:
            return None
        return comparison_type(node.comparisons[0].operator, kinds[0], kinds[1])

    def _ifexp(
        self, node: cst.IfExp, state: _State, overlay: _Overlay, record: bool
    ) -> Type | None:
        cond = self.cond(node.test, state, overlay, record)
        if cond.static is Static.TRUE:
            return self._eval(
                node.body, state, overlay.with_cond(cond.true, cond.marks_true), record
            )
        if cond.static is Static.FALSE:
            return self._eval(
                node.orelse, state, overlay.with_cond(cond.false, cond.marks_false), record
            )
        uncertain = cond.static is Static.UNKNOWN
        body = self._eval(
            node.body,
            state,
            overlay.with_cond(cond.true, cond.marks_true),
            record and not uncertain,
        )
        orelse = self._eval(
            node.orelse,
            state,
            overlay.with_cond(cond.false, cond.marks_false),
            record and not uncertain,
        )
        if uncertain:
            return body if body == orelse else None
        return unify(body, orelse)

    def _comprehension(
        self,
        node: cst.ListComp | cst.GeneratorExp | cst.SetComp | cst.DictComp,
        state: _State,
        overlay: _Overlay,
        record: bool,
    ) -> Type | None:
        types = dict(overlay.types)
        checks = dict(overlay.checks)
        for_in: cst.CompFor | None = node.for_in
        while for_in is not None:
            inner = _Overlay(types, checks)
            iterable = self._eval(for_in.iter, state, inner, record)
            if record and iterable is not None and iterable.maybe_none:
                self._record(for_in.iter, for_in.iter, iterable, Use.ITERATION, state, inner)
            element = _element_type(iterable) if isinstance(for_in.target, cst.Name) else None
            for name in _target_names(for_in.target):
                types[name] = element
                checks.pop(name, None)
            for condition in for_in.ifs:
                self._eval(condition.test, state, _Overlay(types, checks), record)
            for_in = for_in.inner_for_in
        inner = _Overlay(types, checks)
        if isinstance(node, cst.DictComp):
            self._eval(node.key, state, inner, record)
            self._eval(node.value, state, inner, record)
            return None
        element = self._eval(node.elt, state, inner, record)
        if isinstance(node, cst.ListComp | cst.GeneratorExp) and element is not None:
            return list_of(element)
        return None

    def _call(self, call: cst.Call, state: _State, overlay: _Overlay, record: bool) -> Type | None:
        func = call.func
        receiver: Type | None = None
        if isinstance(func, cst.Attribute):
            receiver = self._eval(func.value, state, overlay, record)
            if receiver is not None and receiver.maybe_none:
                if record:
                    self._record(func, func.value, receiver, Use.ATTRIBUTE, state, overlay)
                for arg in call.args:
                    self._eval(arg.value, state, overlay, record)
                return None
        elif not isinstance(func, cst.Name):
            self._eval(func, state, overlay, record)
        args = [self._eval(arg.value, state, overlay, record) for arg in call.args]
        names = self.context.qualified_names(func)
        if record and any(_has_optional(kind) for kind in args):
            self._check_arguments(call, names, receiver, args, state, overlay)
        return self._call_type(call, names, receiver, args)

    def _check_arguments(
        self,
        call: cst.Call,
        names: frozenset[str],
        receiver: Type | None,
        args: list[Type | None],
        state: _State,
        overlay: _Overlay,
    ) -> None:
        """An Optional argument where the callee's parameter certainly is not Optional."""
        positional = [
            index for index, arg in enumerate(call.args) if arg.keyword is None and not arg.star
        ]

        def optional_at(index: int) -> bool:
            kind = args[index]
            return kind is not None and kind.maybe_none

        def report(index: int, use: Use, detail: str) -> None:
            kind = args[index]
            subject = call.args[index].value
            if isinstance(subject, cst.List) and kind is not None and not kind.maybe_none:
                # `torch.cat([x, extra])`: name the Optional element
                for element in subject.elements:
                    element_kind = self._eval(element.value, state, overlay, False)
                    if element_kind is not None and element_kind.maybe_none:
                        subject, kind = element.value, element_kind
                        break
            assert kind is not None
            self._record(call, subject, kind, use, state, overlay, detail)

        func = call.func
        if "builtins.len" in names:
            # `len(Optional[...])` scripts, and is always 1 (the argument is packed into a list)
            if len(call.args) == 1 and positional and optional_at(positional[0]):
                kind = args[positional[0]]
                assert kind is not None
                if id(call) not in self.recorded:
                    self.recorded.add(id(call))
                    self.result.optional_lens.append((call, kind))
            return None
        if names & STRICT_BUILTINS:
            for index in positional:
                if optional_at(index):
                    return report(index, Use.ARGUMENT, f"{full_name(func)}()")
            return None
        if names & ITERATING_BUILTINS:
            for index in positional:
                if optional_at(index):
                    return report(index, Use.ITERATION, f"{full_name(func)}()")
            return None
        if names & TENSOR_LIST_FUNCTIONS:
            if positional:
                listed = args[positional[0]]
                if listed is not None and listed.name == LIST and listed.args[0].maybe_none:
                    return report(positional[0], Use.ARGUMENT, "a List[Tensor]")
            return None
        for name in names & STRICT_POSITIONS.keys():
            strict = STRICT_POSITIONS[name]
            for position, index in enumerate(positional):
                if (strict is None or position in strict) and optional_at(index):
                    return report(index, Use.ARGUMENT, "a Tensor")
        if names & TENSOR_INPUT_FUNCTIONS:
            for index, arg in enumerate(call.args):
                is_first = index == (positional[0] if positional else -1)
                keyword = arg.keyword is not None and arg.keyword.value == "input"
                if (is_first or keyword) and optional_at(index):
                    return report(index, Use.ARGUMENT, "a Tensor")
            return None
        if (
            receiver == TENSOR
            and isinstance(func, cst.Attribute)
            and func.attr.value in STRICT_METHODS
        ):
            for index, arg in enumerate(call.args):
                keyword = arg.keyword is not None and arg.keyword.value == "dim"
                if (index in positional or keyword) and optional_at(index):
                    return report(index, Use.ARGUMENT, f"Tensor.{func.attr.value}()")
            return None
        signature = callee_signature(self.context, func, self.self_name, self.owner)
        bound = signature.bind(call) if signature is not None else None
        for arg, param in bound or ():
            index = call.args.index(arg)
            if optional_mismatch(param.type, args[index]):
                return report(index, Use.ARGUMENT, f"parameter `{param.name}: {param.type}`")
        return None

    def _call_type(
        self,
        call: cst.Call,
        names: frozenset[str],
        receiver: Type | None,
        args: list[Type | None],
    ) -> Type | None:
        func = call.func
        first = next(
            (kind for arg, kind in zip(call.args, args, strict=True) if arg.keyword is None),
            None,
        )
        found = library_call_type(self.context, call, names, receiver, first)
        if found is not None:
            return found
        if isinstance(func, cst.Attribute) and receiver is not None:
            if receiver.name == DICT and func.attr.value == "get" and len(call.args) == 1:
                return optional(receiver.args[1])
            return None
        return callee_return_type(self.context, func, self.self_name, self.owner)

    # --- conditions --------------------------------------------------------------------
    def cond(
        self, test: cst.BaseExpression, state: _State, overlay: _Overlay, record: bool
    ) -> Cond:
        """``test`` as an ``if``/``while``/``assert``/ternary condition (``emitCondExpr``)."""
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            return self.cond(test.expression, state, overlay, record).negate()
        if isinstance(test, cst.BooleanOperation):
            lhs = self.cond(test.left, state, overlay, record)
            is_or = isinstance(test.operator, cst.Or)
            # the right operand is compiled in the branch where the left one did not decide
            inner = (
                overlay.with_cond(lhs.false, lhs.marks_false)
                if is_or
                else overlay.with_cond(lhs.true, lhs.marks_true)
            )
            rhs = self.cond(test.right, state, inner, record)
            return disjunction(lhs, rhs) if is_or else conjunction(lhs, rhs)
        if (
            isinstance(test, cst.Comparison)
            and len(test.comparisons) == 1
            and isinstance(test.comparisons[0].operator, cst.Is | cst.IsNot)
        ):
            return self._is_none(test, state, overlay, record)
        if isinstance(test, cst.Call):
            names = self.context.qualified_names(test.func)
            if names & IS_SCRIPTING and not test.args:
                return Cond(Static.TRUE)
            if names & ISINSTANCE_CALLS:
                return self._isinstance(test, state, overlay, record)
            if names & STATIC_CALLS:
                for arg in test.args:
                    self._eval(arg.value, state, overlay, record)
                return Cond(Static.UNKNOWN)
        if isinstance(test, cst.Name) and test.value in ("True", "False"):
            return Cond(Static.TRUE if test.value == "True" else Static.FALSE)
        kind = self._eval(test, state, overlay, record)
        marks: dict[str, tuple[Check, str]] = {}
        if kind is not None and kind.maybe_none:
            if record:
                self._truthy(test, kind, state, overlay)
            key = self._key(test)
            if key is not None:
                marks[key] = (Check.TRUTHINESS, "")
            return Cond(Static.DYNAMIC, marks_true=marks, marks_false=marks)
        if isinstance(test, cst.Name):
            alias = state.aliases.get(test.value) if test.value not in overlay.types else None
            local = test.value in state.types or test.value in state.maybe
            static = Static.DYNAMIC if local or test.value in overlay.types else Static.UNKNOWN
            if alias is not None:
                mark = (Check.STORED, test.value)
                return Cond(
                    static,
                    marks_true=dict.fromkeys(alias[0], mark),
                    marks_false=dict.fromkeys(alias[1], mark),
                )
            return Cond(static)
        if isinstance(test, cst.Attribute):
            return Cond(self._attribute_static(test, state))
        if isinstance(test, cst.Call):
            # `if self.has_mask(mask):` refines nothing
            via = full_name(test.func) or "a function"
            for arg in test.args:
                value = arg.value
                if isinstance(value, cst.Name):
                    arg_kind = self._eval(value, state, overlay, False)
                    if arg_kind is not None and arg_kind.maybe_none:
                        marks[value.value] = (Check.HELPER, via)
            return Cond(Static.DYNAMIC, marks_true=marks)
        return Cond(Static.DYNAMIC)

    def _attribute_static(self, test: cst.Attribute, state: _State) -> Static:
        """``if self.flag:`` is decided while compiling when ``flag`` is a constant."""
        value = test.value
        if isinstance(value, cst.Name) and value.value == self.self_name:
            if self.owner is None:
                return Static.UNKNOWN
            facts = class_facts(self.context, self.owner)
            name = test.attr.value
            annotation = facts.class_annotations.get(name)
            if (
                facts.opaque
                or name in facts.constants
                or (annotation is not None and is_final(self.context, annotation))
            ):
                return Static.UNKNOWN
            return Static.DYNAMIC
        if isinstance(value, cst.Name) and value.value in state.types:
            return Static.DYNAMIC
        return Static.UNKNOWN

    def _is_none(
        self, test: cst.Comparison, state: _State, overlay: _Overlay, record: bool
    ) -> Cond:
        """``x is None`` / ``x is not None`` (``findIsNoneRefinements``, ``canBeNone``)."""
        target = test.comparisons[0]
        is_not = isinstance(target.operator, cst.IsNot)
        left_kind = self._eval(test.left, state, overlay, record)
        right_kind = self._eval(target.comparator, state, overlay, record)
        if _is_none_literal(test.left) and not _is_none_literal(target.comparator):
            subject, kind = target.comparator, right_kind
        elif _is_none_literal(target.comparator):
            subject, kind = test.left, left_kind
        else:
            known = left_kind is not None and right_kind is not None
            return Cond(Static.DYNAMIC if known else Static.UNKNOWN)
        if kind is None:
            return Cond(Static.UNKNOWN)
        if kind == NONE or not kind.can_be_none:
            # decided while compiling: only one branch is compiled
            holds = (kind == NONE) != is_not
            return Cond(Static.TRUE if holds else Static.FALSE)
        present: dict[str, Type] = {}
        marks: dict[str, tuple[Check, str]] = {}
        remainder = without_none(kind)
        if isinstance(subject, cst.Name) and remainder is not None:
            present[subject.value] = remainder
        else:
            key = self._key(subject)
            if key is not None:
                marks[key] = (Check.ATTRIBUTE, "")
        if is_not:
            return Cond(Static.DYNAMIC, true=present, marks_true=marks)
        return Cond(Static.DYNAMIC, false=present, marks_false=marks)

    def _isinstance(self, test: cst.Call, state: _State, overlay: _Overlay, record: bool) -> Cond:
        """``isinstance(x, T)``: refines ``x`` to ``T`` when true (``emitIsInstance``)."""
        for arg in test.args:
            self._eval(arg.value, state, overlay, record)
        if len(test.args) != 2 or any(arg.star or arg.keyword for arg in test.args):
            return Cond(Static.UNKNOWN)
        subject = test.args[0].value
        kind = self._eval(subject, state, overlay, False)
        wanted = parse_annotation(self.context, test.args[1].value)
        if kind is None or wanted is None:
            return Cond(Static.UNKNOWN)
        if kind == wanted:
            return Cond(Static.TRUE)
        members = (
            kind.args if kind.name == UNION else (kind.args[0], NONE) if kind.is_optional else ()
        )
        if wanted not in members:
            return Cond(Static.UNKNOWN)
        rest = union(member for member in members if member != wanted)
        if not isinstance(subject, cst.Name):
            return Cond(Static.DYNAMIC)
        false = {subject.value: rest} if rest is not None else {}
        return Cond(Static.DYNAMIC, true={subject.value: wanted}, false=false)

    def _truthy(
        self,
        node: cst.BaseExpression,
        kind: Type | None,
        state: _State,
        overlay: _Overlay,
    ) -> None:
        """An Optional converted to bool: "Could not cast value of type Optional[int] to bool"."""
        if kind is not None and kind.maybe_none:
            self._record(node, node, kind, Use.CONDITION, state, overlay)

    # --- findings ----------------------------------------------------------------------
    def _key(self, subject: cst.BaseExpression) -> str | None:
        """What a None check is about: a local's name, or ``self.<attr>``."""
        if isinstance(subject, cst.Name):
            return subject.value
        if (
            isinstance(subject, cst.Attribute)
            and isinstance(subject.value, cst.Name)
            and subject.value.value == self.self_name
        ):
            return f"{self.self_name}.{subject.attr.value}"
        return None

    def _record(
        self,
        node: cst.CSTNode,
        subject: cst.BaseExpression,
        kind: Type,
        use: Use,
        state: _State,
        overlay: _Overlay,
        detail: str = "",
    ) -> None:
        if id(node) in self.recorded:
            return
        key = self._key(subject)
        mark = (overlay.checks.get(key) or state.checks.get(key)) if key is not None else None
        if use is Use.CONDITION:
            mark = (Check.TRUTHINESS, "")
        elif mark is not None and mark[0] is Check.TRUTHINESS:
            return  # reported at the condition, where TorchScript stops
        self.recorded.add(id(node))
        check, via = mark if mark is not None else (None, "")
        self.result.optional_uses.append(OptionalUse(node, subject, kind, use, check, via, detail))

    # --- uses --------------------------------------------------------------------------
    def uses(self, expression: cst.BaseExpression | None, state: _State) -> Type | None:
        """Scan ``expression`` (a statement's expression) and return its type."""
        if expression is None:
            return None
        self._scan(expression, state)
        return self._eval(expression, state, _EMPTY, state.certain)

    def _scan(self, expression: cst.CSTNode | None, state: _State) -> None:
        """Undefined names, ternaries, builtin calls, ``~``, tuple indexing in ``expression``."""
        if expression is None:
            return
        finder = _Uses(self.context)
        walk(expression, finder)
        for name in finder.names:
            self._use(name, state)
        for ternary in finder.ternaries:
            self._ternary(ternary, state)
        for call in finder.calls:
            self._builtin_call(call, state)
        for invert in finder.inverts:
            if self.infer(invert.expression, state) == INT:
                self.result.int_inverts.append(invert)
        for subscript in finder.subscripts:
            self._tuple_index(subscript, state)

    def _tuple_index(self, node: cst.Subscript, state: _State) -> None:
        """A mixed-type tuple indexed by anything but an integer literal."""
        if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
            return
        index = node.slice[0].slice.value
        if isinstance(index, cst.UnaryOperation) and isinstance(index.operator, cst.Minus):
            index = index.expression
        if isinstance(index, cst.Integer):
            return
        if is_mixed_tuple(self.infer(node.value, state)):
            self.result.mixed_tuple_indexes.append(node)

    def _is_unannotated_tensor(self, value: cst.BaseExpression, state: _State) -> bool:
        """An unannotated parameter TorchScript types as Tensor, not reassigned since."""
        return (
            isinstance(value, cst.Name)
            and value.value in self.unannotated
            and state.types.get(value.value) == TENSOR
        )

    def _builtin_call(self, call: cst.Call, state: _State) -> None:
        """``tuple(<list>)``, ``sum([<tensors>])``, ``torch.cat(<unannotated param>)``: no such overloads."""
        if self.context.matches(call.func, *TENSOR_LIST_FUNCTIONS):
            tensors = [
                a.value
                for a in call.args
                if (a.keyword is None and not a.star)
                or (a.keyword is not None and a.keyword.value == "tensors")
            ]
            if tensors and self._is_unannotated_tensor(tensors[0], state):
                name = cst.ensure_type(tensors[0], cst.Name).value
                self.result.unannotated_misuses.append(
                    (call, name, "passed where a list of Tensors is required")
                )
            return
        if len(call.args) != 1 or call.args[0].keyword is not None or call.args[0].star:
            return
        value = call.args[0].value
        if self.context.matches(call.func, "builtins.tuple"):
            if self.infer(value, state) == INT_LIST or isinstance(value, cst.List | cst.ListComp):
                self.result.tuple_of_lists.append(call)
        elif (
            self.context.matches(call.func, "builtins.sum")
            and isinstance(value, cst.List)
            and value.elements
            and all(
                not isinstance(e, cst.StarredElement) and self.infer(e.value, state) == TENSOR
                for e in value.elements
            )
        ):
            self.result.sums_of_tensors.append(call)

    def _ternary(self, node: cst.IfExp, state: _State) -> None:
        if scripting_truth(self.context, node.test) is not Truth.UNKNOWN:
            return
        if is_static_test(self.context, node.test, self.self_name):
            return
        body = self.infer(node.body, state)
        orelse = self.infer(node.orelse, state)
        if body != orelse and body in MERGEABLE_CONFLICTS and orelse in MERGEABLE_CONFLICTS:
            key = f"<ternary {id(node)}>"
            if key not in self.reported_conflicts:
                self.reported_conflicts.add(key)
                self.result.branch_mismatches.append(BranchMismatch("", node, body, orelse))

    def _use(self, name: cst.Name, state: _State) -> None:
        value = name.value
        if value in state.maybe and value not in self.reported_undefined:
            origin, kind = state.maybe[value]
            self.reported_undefined.add(value)
            self.result.undefined_uses.append(UndefinedUse(value, name, origin, kind))
        if value in state.conflicts and value not in self.reported_conflicts:
            node, first, second = state.conflicts[value]
            self.reported_conflicts.add(value)
            self.result.branch_mismatches.append(BranchMismatch(value, node, first, second))

    # --- statements --------------------------------------------------------------------
    def block(
        self, statements: Sequence[cst.BaseStatement], state: _State | _Dead
    ) -> _State | _Dead:
        for statement in statements:
            if isinstance(state, _Dead):
                return state
            state.jumped = None
            state = self.statement(statement, state)
        return state

    def suite(self, suite: cst.BaseSuite, state: _State) -> _State | _Dead:
        if isinstance(suite, cst.IndentedBlock):
            return self.block(suite.body, state)
        assert isinstance(suite, cst.SimpleStatementSuite)
        current: _State | _Dead = state
        for small in suite.body:
            if isinstance(current, _Dead):
                return current
            current = self.small(small, current)
        return current

    def statement(self, statement: cst.BaseStatement, state: _State) -> _State | _Dead:
        if isinstance(statement, cst.SimpleStatementLine):
            current: _State | _Dead = state
            for small in statement.body:
                if isinstance(current, _Dead):
                    return current
                current = self.small(small, current)
            return current
        if isinstance(statement, cst.If):
            return self.if_statement(statement, state)
        if isinstance(statement, cst.For | cst.While):
            return self.loop(statement, state)
        if isinstance(statement, cst.With):
            for item in statement.items:
                self.uses(item.item, state)
                if item.asname is not None:
                    for name in _target_names(item.asname.name):
                        state.assign(name, None)
            return self.suite(statement.body, state)
        if isinstance(statement, cst.FunctionDef | cst.ClassDef):
            state.assign(statement.name.value, None)
            return state
        # try, match...: other rules reject them; forget what they assign
        for name in _assigned_names(statement):
            state.assign(name, None)
        return state

    def small(self, small: cst.BaseSmallStatement, state: _State) -> _State | _Dead:
        if isinstance(small, cst.Assign):
            kind = self.uses(small.value, state)
            for target in small.targets:
                stored = self._reassignment(small, target.target, small.value, kind, state)
                self.assign_target(target.target, small.value, stored, state, small)
            self._alias(small, state)
            return state
        if isinstance(small, cst.AnnAssign):
            value = self.uses(small.value, state)
            kind = annotation_type(self.context, small.annotation)
            if small.value is not None and state.certain and optional_mismatch(kind, value):
                assert value is not None
                self._record(small, small.value, value, Use.ANNOTATION, state, _EMPTY, str(kind))
            self.assign_target(small.target, small.value, kind, state, None)
            return state
        if isinstance(small, cst.AugAssign):
            value = self.uses(small.value, state)
            current = self.uses(small.target, state)
            for side, side_kind in ((small.target, current), (small.value, value)):
                if state.certain and side_kind is not None and side_kind.maybe_none:
                    self._record(small, side, side_kind, Use.OPERATOR, state, _EMPTY)
                    break
            if isinstance(small.target, cst.Name):
                operator = _AUG_TO_BINARY.get(type(small.operator))
                kind = binary_type(operator(), current, value) if operator else None
                kind = self._reassignment(small, small.target, None, kind, state)
                state.assign(small.target.value, kind)
            return state
        if isinstance(small, cst.Return):
            kind = NONE if small.value is None else self.uses(small.value, state)
            if (
                small.value is not None
                and state.certain
                and optional_mismatch(self.declared_return, kind)
            ):
                assert kind is not None
                self._record(
                    small, small.value, kind, Use.RETURN, state, _EMPTY, str(self.declared_return)
                )
            self.returns.append((small, kind))
            return DEAD
        if isinstance(small, cst.Raise):
            self.uses(small.exc, state)
            return DEAD
        if isinstance(small, cst.Continue | cst.Break):
            # not an exit for TorchScript: the rest of the block is compiled, nothing is refined
            state.jumped = Check.CONTINUE if isinstance(small, cst.Continue) else Check.BREAK
            return state
        if isinstance(small, cst.Del):
            for name in _target_names(small.target):
                state.types.pop(name, None)
                state.maybe.pop(name, None)
                state.forget(name)
            return state
        if isinstance(small, cst.Expr):
            self.uses(small.value, state)
            self.expression_events(small.value, state)
            return state
        if isinstance(small, cst.Assert):
            self._scan(small.test, state)
            cond = self.cond(small.test, state, _EMPTY, state.certain)
            self._scan(small.msg, state)
            if cond.static is Static.FALSE:
                return DEAD  # always raises: TorchScript compiles nothing after it
            if cond.static is Static.UNKNOWN:
                state.certain = False  # it may always raise
            state.refine(cond.true, cond.marks_true)
            return state
        return state

    def _reassignment(
        self,
        statement: cst.Assign | cst.AugAssign,
        target: cst.BaseExpression,
        value: cst.BaseExpression | None,
        kind: Type | None,
        state: _State,
    ) -> Type | None:
        """Check an assignment in a nested block against the enclosing blocks' types
        (``setSugaredVar``: the value must be a subtype of the type outside), and return
        the type the local has afterwards (a Tensor assigned to an int local is converted)."""
        if not state.framed or state.outer is None:
            if isinstance(target, cst.Name) and kind == TENSOR:
                outside = state.types.get(target.value)
                if outside in (INT, FLOAT) and not state.framed:
                    return None  # converted or not: depends on blocks we cannot see
            return kind
        pairs: list[tuple[str, Type | None]] = []
        if isinstance(target, cst.Name):
            pairs.append((target.value, kind))
        elif (
            isinstance(target, cst.Tuple | cst.List)
            and isinstance(value, cst.Tuple)
            and len(target.elements) == len(value.elements)
            and not any(
                isinstance(e, cst.StarredElement) for e in (*target.elements, *value.elements)
            )
        ):
            for element, source in zip(target.elements, value.elements, strict=True):
                if isinstance(element.value, cst.Name):
                    pairs.append((element.value.value, self.infer(source.value, state)))
        for name, assigned in pairs:
            previous = state.outer.get(name)
            if previous is None or assigned is None:
                continue
            if fits(previous, assigned) is False and state.certain:
                self.result.type_changes.append(TypeChange(statement, name, previous, assigned))
                break
        if isinstance(target, cst.Name) and kind == TENSOR:
            previous = state.outer.get(target.value)
            if previous in (INT, FLOAT):
                return previous
        return kind

    def _alias(self, statement: cst.Assign, state: _State) -> None:
        """``has_x = x is not None``: remember the check TorchScript will not see in ``if has_x``."""
        value = statement.value
        if len(statement.targets) != 1 or not isinstance(statement.targets[0].target, cst.Name):
            return
        if not isinstance(
            value, cst.Comparison | cst.UnaryOperation | cst.BooleanOperation | cst.Call
        ):
            return
        cond = self.cond(value, state, _EMPTY, False)
        refined_true = frozenset(cond.true) | frozenset(cond.marks_true)
        refined_false = frozenset(cond.false) | frozenset(cond.marks_false)
        if refined_true or refined_false:
            state.aliases[statement.targets[0].target.value] = (refined_true, refined_false)

    def assign_target(
        self,
        target: cst.BaseExpression,
        value: cst.BaseExpression | None,
        kind: Type | None,
        state: _State,
        assign: cst.Assign | None,
    ) -> None:
        if isinstance(target, cst.Name):
            state.assign(target.value, kind)
            if self.names is not None:
                self.names[id(target)] = state.types.get(target.value)
            if assign is not None and value is not None and _is_empty(value):
                container = EmptyContainer(
                    target.value, assign, target, is_dict=isinstance(value, cst.Dict)
                )
                self.result.empty_containers.append(container)
                state.containers[target.value] = container
            return
        if isinstance(target, cst.Tuple | cst.List):
            elements: list[Type | None] = [None] * len(target.elements)
            if kind is not None and kind.name == TUPLE and len(kind.args) == len(target.elements):
                elements = list(kind.args)
            if any(isinstance(e, cst.StarredElement) for e in target.elements):
                elements = [None] * len(target.elements)
            for element, element_kind in zip(target.elements, elements, strict=True):
                self.assign_target(element.value, None, element_kind, state, None)
            return
        if isinstance(target, cst.StarredElement):
            self.assign_target(target.value, None, None, state, None)
            return
        if isinstance(target, cst.Attribute):
            self.uses(target.value, state)
            if isinstance(target.value, cst.Name) and target.value.value == self.self_name:
                self.result.attribute_assignments.append((target, kind))
                state.forget(f"{self.self_name}.{target.attr.value}")
            return
        if isinstance(target, cst.Subscript):
            self.uses(target, state)
            self.subscript_store(target, value, state)

    def subscript_store(
        self, target: cst.Subscript, value: cst.BaseExpression | None, state: _State
    ) -> None:
        if not isinstance(target.value, cst.Name) or len(target.slice) != 1 or value is None:
            return
        container = state.containers.get(target.value.value)
        index = target.slice[0].slice
        if container is None or not container.is_dict or not isinstance(index, cst.Index):
            return
        key = self.infer(index.value, state)
        element = self.infer(value, state) or self._always_a_list(value)
        container.element_types.add(element)
        container.key_types.add(key)
        if _never_tensor(element) or key in (INT, FLOAT, TENSOR):
            container.offences.append((target, f"Dict[{key or '?'}, {element or '?'}]"))
        elif element == TENSOR and key == STR:
            # Dict[str, Tensor]: what `{}` already is; later stores keep that type
            state.containers.pop(target.value.value, None)

    def _always_a_list(self, value: cst.BaseExpression) -> Type | None:
        """``List[?]`` for a local every binding of which is ``name = [...]``, a list
        comprehension or ``list(...)``: a list whatever the path (its elements may be unknown)."""
        if not isinstance(value, cst.Name):
            return None
        values = values_bound_to(self.context, value)
        if values is None:
            return None
        for bound in values:
            if not (
                isinstance(bound, cst.List | cst.ListComp)
                or (
                    isinstance(bound, cst.Call)
                    and self.context.matches(bound.func, "builtins.list")
                )
            ):
                return None
        return list_of(UNKNOWN)

    def expression_events(self, expression: cst.BaseExpression, state: _State) -> None:
        """``xs.append(v)`` on an unannotated ``[]``, and ``range(p)`` on an unannotated parameter."""
        if not isinstance(expression, cst.Call):
            return
        func = expression.func
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value == "append"
            and isinstance(func.value, cst.Name)
            and len(expression.args) == 1
        ):
            container = state.containers.get(func.value.value)
            if container is not None and not container.is_dict:
                element = self.infer(expression.args[0].value, state)
                container.element_types.add(element)
                if _never_tensor(element):
                    container.offences.append((expression, str(element)))
                else:
                    # a Tensor (or unknown) fixes the list's type: stop following it
                    state.containers.pop(func.value.value, None)

    def range_events(self, iterable: cst.BaseExpression, state: _State) -> None:
        if isinstance(iterable, cst.Call) and self.context.matches(iterable.func, "builtins.range"):
            for arg in iterable.args:
                value = arg.value
                if isinstance(value, cst.Name) and self._is_unannotated_tensor(value, state):
                    self.result.unannotated_misuses.append(
                        (iterable, value.value, "passed to range()")
                    )
                    return

    def if_statement(self, node: cst.If, state: _State) -> _State | _Dead:
        self._scan(node.test, state)
        cond = self.cond(node.test, state, _EMPTY, state.certain)
        if cond.static is Static.TRUE:
            # a static if: only this branch is compiled, in the enclosing block
            state.refine(cond.true, cond.marks_true)
            return self.suite(node.body, state)
        if cond.static is Static.FALSE:
            state.refine(cond.false, cond.marks_false)
            return self._orelse(node, state)
        uncertain = cond.static is Static.UNKNOWN
        left = state.child(framed=not uncertain)
        right = state.child(framed=not uncertain)
        if uncertain:
            left.certain = right.certain = False
        left.refine(cond.true, cond.marks_true)
        right.refine(cond.false, cond.marks_false)
        body = self.suite(node.body, left)
        orelse = self._orelse(node, right)
        if isinstance(body, _Dead) and isinstance(orelse, _Dead):
            return DEAD
        if isinstance(body, _Dead) or isinstance(orelse, _Dead):
            live = orelse if isinstance(body, _Dead) else body
            assert isinstance(live, _State)
            live.outer, live.framed, live.jumped = state.outer, state.framed, None
            # the exit may be the only branch compiled: then nothing after the if is
            live.certain = state.certain and not uncertain
            live.checks = {k: v for k, v in live.checks.items() if v[0] is not Check.TRUTHINESS}
            return live
        merged = self.merge(node, state, body, orelse, uncertain)
        # `if x is None: continue`: the code means a check TorchScript does not make
        if body.jumped is not None and orelse.jumped is None:
            merged.checks.update(dict.fromkeys(cond.false, (body.jumped, "")))
        elif orelse.jumped is not None and body.jumped is None:
            merged.checks.update(dict.fromkeys(cond.true, (orelse.jumped, "")))
        return merged

    def _orelse(self, node: cst.If, state: _State) -> _State | _Dead:
        orelse = node.orelse
        if orelse is None:
            return state
        if isinstance(orelse, cst.If):
            return self.if_statement(orelse, state)
        return self.suite(orelse.body, state)

    def merge(
        self, node: cst.If, before: _State, left: _State, right: _State, static: bool
    ) -> _State:
        merged = _State(outer=before.outer, certain=before.certain, framed=before.framed)
        origin = node.test
        for name in set(left.types) | set(right.types):
            in_left, in_right = name in left.types, name in right.types
            if in_left and in_right:
                first, second = left.types[name], right.types[name]
                if first == second:
                    merged.types[name] = first
                elif first is None or second is None or static:
                    merged.types[name] = None
                else:
                    unified = unify(first, second)
                    merged.types[name] = unified
                    if (
                        unified is None
                        and {first, second} <= MERGEABLE_CONFLICTS
                        and name not in before.types
                    ):
                        merged.conflicts[name] = (origin, first, second)
                for source in (left, right):
                    if name in source.conflicts and name not in merged.conflicts:
                        merged.conflicts[name] = source.conflicts[name]
                if name in left.maybe or name in right.maybe:
                    merged.maybe[name] = (origin, "if")
                    merged.types.pop(name, None)
            elif static:
                merged.types[name] = None
            else:
                merged.maybe[name] = (origin, "if")
        for source in (left, right):
            for name, (_, kind) in source.maybe.items():
                if name in merged.types:
                    continue
                if before.maybe.get(name) == source.maybe[name] or kind != "if":
                    merged.maybe.setdefault(name, source.maybe[name])
                else:
                    merged.maybe[name] = (origin, "if")
            for name, container in source.containers.items():
                if (
                    before.containers.get(name) is container
                    and name in left.containers
                    and name in right.containers
                ):
                    merged.containers[name] = container
        merged.checks = {
            key: mark
            for key, mark in left.checks.items()
            if key in right.checks and mark[0] is not Check.TRUTHINESS
        }
        merged.aliases = {
            name: alias for name, alias in left.aliases.items() if right.aliases.get(name) == alias
        }
        return merged

    def loop(self, node: cst.For | cst.While, state: _State) -> _State:
        real = self._real_loop(node, state)
        body_state = state.child(framed=real)
        if isinstance(node, cst.For):
            iterable = self.uses(node.iter, state)
            if state.certain and iterable is not None and iterable.maybe_none:
                self._record(node.iter, node.iter, iterable, Use.ITERATION, state, _EMPTY)
            self.range_events(node.iter, state)
            element = INT if self._is_range(node.iter) else _element_type(iterable)
            single = isinstance(node.target, cst.Name)
            for name in _target_names(node.target):
                body_state.assign(name, element if single else None)
        else:
            self._scan(node.test, state)
            cond = self.cond(node.test, state, _EMPTY, state.certain)
            # a while condition refines nothing in the body (emitLoopCommon)
            body_state.checks.update(dict.fromkeys(cond.true, (Check.WHILE, "")))
            body_state.checks.update(cond.marks_true)
        # A container appended to in the loop body is followed into it.
        after = self.suite(node.body, body_state)
        result = state.copy()
        assigned = set(_assigned_in(node))
        for name in assigned:
            result.forget(name)
            if name in state.types:
                if real:
                    continue  # loop-carried: it keeps its type from before the loop
                if isinstance(after, _State) and after.types.get(name) == state.types.get(name):
                    continue
                result.types[name] = None
                result.containers.pop(name, None)
            elif name not in state.maybe and self._may_not_run(node):
                result.maybe[name] = (node, "loop")
            elif name not in state.maybe:
                # a loop over a module container or a tuple is unrolled: its body runs
                result.types[name] = None
        if isinstance(after, _State):
            for name, container in list(result.containers.items()):
                if after.containers.get(name) is not container:
                    result.containers.pop(name, None)
        return result

    def _real_loop(self, node: cst.For | cst.While, state: _State) -> bool:
        """A loop TorchScript compiles as a loop, with a block of its own (not unrolled over a
        module container or a tuple)."""
        if isinstance(node, cst.While):
            return True
        iterables = [node.iter]
        if isinstance(node.iter, cst.Call) and self.context.matches(
            node.iter.func, "builtins.enumerate", "builtins.zip"
        ):
            iterables = [arg.value for arg in node.iter.args if arg.keyword is None]
        for iterable in iterables:
            if self._is_range(iterable) or isinstance(iterable, cst.List | cst.ListComp):
                continue
            kind = self.infer(iterable, state)
            if kind is None or not (kind.name in (LIST, DICT) or kind in (TENSOR, STR)):
                return False
        return bool(iterables)

    def _may_not_run(self, node: cst.For | cst.While) -> bool:
        """Loops TorchScript compiles as real loops (not unrolled), whose body may run zero times."""
        if isinstance(node, cst.While):
            return True
        iterable = node.iter
        if (
            isinstance(iterable, cst.Call)
            and self.context.matches(iterable.func, "builtins.enumerate")
            and iterable.args
        ):
            iterable = iterable.args[0].value
        return self._is_range(iterable)

    def _is_range(self, iterable: cst.BaseExpression) -> bool:
        return isinstance(iterable, cst.Call) and self.context.matches(
            iterable.func, "builtins.range"
        )

    # --- the function ------------------------------------------------------------------
    def run(self, params: dict[str, Type | None]) -> FlowResult:
        state = _State(types=dict(params))
        self.declared_return = return_type(self.context, self.node)
        end = self.block(
            self.node.body.body if isinstance(self.node.body, cst.IndentedBlock) else [], state
        )
        self._returns()
        self.result.return_type = self.declared_return
        if not declares_return(self.context, self.node):
            # TorchScript unifies the returns (falling off the end returns None)
            kinds = [kind for _, kind in self.returns]
            if isinstance(end, _State):
                kinds.append(NONE)
            unified: Type | None = kinds[0] if kinds else None
            for kind in kinds[1:]:
                unified = unify(unified, kind)
            self.result.return_type = unified
        return self.result

    def _returns(self) -> None:
        annotated = self.declared_return
        if annotated is not None:
            for node, kind in self.returns:
                if kind is None:
                    return
                # a Tensor returned for `-> float` / `-> int` is converted (measured: scripts)
                implicit = kind == TENSOR and annotated in (INT, FLOAT)
                if (
                    kind not in (annotated, NONE)
                    and {kind, annotated} <= MERGEABLE_CONFLICTS
                    and not implicit
                ):
                    self.result.return_mismatches.append(
                        ReturnMismatch(node, annotated, kind, annotated=True)
                    )
                    return
            return
        if declares_return(self.context, self.node):
            return
        expected: Type | None = None
        for node, kind in self.returns:
            if kind is None:
                return
            if kind == NONE:
                continue
            if expected is None:
                expected = kind
            elif kind != expected and {kind, expected} <= MERGEABLE_CONFLICTS:
                self.result.return_mismatches.append(
                    ReturnMismatch(node, expected, kind, annotated=False)
                )
                return


_AUG_TO_BINARY: dict[type[cst.BaseAugOp], type[cst.BaseBinaryOp]] = {
    cst.AddAssign: cst.Add,
    cst.SubtractAssign: cst.Subtract,
    cst.MultiplyAssign: cst.Multiply,
    cst.DivideAssign: cst.Divide,
}


def _is_empty(value: cst.BaseExpression) -> bool:
    return (isinstance(value, cst.List) and not value.elements) or (
        isinstance(value, cst.Dict) and not value.elements
    )


def _assigned_names(node: cst.CSTNode) -> Iterator[str]:
    """Every name a statement assigns anywhere inside it (targets, loop variables, with-as)."""
    finder = _AssignedNames()
    walk(node, finder)
    yield from finder.names


def _assigned_in(node: cst.For | cst.While) -> Iterator[str]:
    if isinstance(node, cst.For):
        yield from _target_names(node.target)
    yield from _assigned_names(node.body)


class _AssignedNames(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.names.append(node.name.value)
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self.names.extend(_target_names(node.target))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.names.extend(_target_names(node.target))

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self.names.extend(_target_names(node.target))

    def visit_For(self, node: cst.For) -> None:
        self.names.extend(_target_names(node.target))

    def visit_AsName(self, node: cst.AsName) -> None:
        self.names.extend(_target_names(node.name))

    def visit_ListComp(self, node: cst.ListComp) -> bool:
        return False

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> bool:
        return False

    def visit_DictComp(self, node: cst.DictComp) -> bool:
        return False


def flow(context: LintContext, node: cst.FunctionDef) -> FlowResult:
    """The propagator's findings for one compiled function (cached per file and function)."""
    results: dict[int, FlowResult] = file_memo(context, "flows")
    if id(node) not in results:
        method = is_method(context, node)
        params = parameter_types(context, node)
        owner: ClassInfo | None = None
        if method and not _has_decorator(node, "classmethod"):
            found = enclosing_class(context, node)
            if found is not None and found[0].is_nn_module:
                owner = found[0]
        walker = _Flow(context, node, _first_param(node) if method else None, owner)
        walker.unannotated = {
            p.name.value
            for p in [*node.params.posonly_params, *node.params.params]
            if p.annotation is None and params.get(p.name.value) == TENSOR
        }
        results[id(node)] = walker.run(params)
    return results[id(node)]


def name_types(context: LintContext, node: cst.FunctionDef) -> dict[int, Type | None]:
    """``id(Name)`` -> the type TorchScript gives the name there, for every name the flow
    pass reads or binds in ``node``, and for the ``attr`` of every attribute it reads
    (``self.scale``: the type of the attribute). A fresh pass: the editor's hover asks for
    one function."""
    method = is_method(context, node)
    owner: ClassInfo | None = None
    if method and not _has_decorator(node, "classmethod"):
        found = enclosing_class(context, node)
        if found is not None and found[0].is_nn_module:
            owner = found[0]
    walker = _Flow(context, node, _first_param(node) if method else None, owner)
    walker.names = {}
    walker.run(parameter_types(context, node))
    return walker.names


def _first_param(node: cst.FunctionDef) -> str | None:
    params = node.params.posonly_params or node.params.params
    return params[0].name.value if params else None


def _has_decorator(node: cst.FunctionDef, name: str) -> bool:
    return any(
        isinstance(d.decorator, cst.Name) and d.decorator.value == name for d in node.decorators
    )


# functions whose return type is being inferred (a recursive call gives up)
_INFERRING: set[int] = set()


def callee_return_type(
    context: LintContext,
    func: cst.BaseExpression,
    self_name: str | None,
    owner: ClassInfo | None,
) -> Type | None:
    """What ``func(...)`` returns when it calls a same-file function: the declared return
    type, else (for a compiled callee) the unification of its returns, as TorchScript infers it."""
    cache: dict[int, Type | None] = file_memo(context, "returns")
    key = id(func)
    if key in cache:
        return cache[key]
    signature = callee_signature(context, func, self_name, owner)
    found = signature.returns if signature is not None else None
    if signature is not None and found is None:
        target = callee_def(context, func, self_name, owner)
        if target is not None and id(target) not in _INFERRING and context.is_compiled_def(target):
            _INFERRING.add(id(target))
            try:
                found = flow(context, target).return_type
            finally:
                _INFERRING.discard(id(target))
    cache[key] = found
    return found


def _never_tensor(kind: Type | None) -> bool:
    """A value TorchScript can never put where a ``Tensor`` element goes: a scalar, or a
    list, tuple or dict whatever its elements (``List[?]`` is still a list)."""
    return kind is not None and (kind in SCALARS or kind.name in (LIST, TUPLE, DICT))
