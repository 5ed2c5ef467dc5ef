"""Read-only traversals of libcst trees, in libcst's order, without libcst's cost.

libcst's ``node.visit(visitor)`` rebuilds every node it passes (``_visit_and_replace_children``
constructs and validates a new node even for read-only visitors) and descends into every
whitespace and punctuation node: over timm's model code (116k lines) a visit with an empty
CSTVisitor costs 4.9 CPU-s, the walks here 0.2 s. They walk the ORIGINAL nodes in the order
libcst visits them, call the same ``visit_<Type>`` / ``leave_<Type>`` methods with the same
arguments, and skip the fields that hold only whitespace and punctuation when no visitor
looks at those node types.

* :func:`visit_batched`: ``MetadataWrapper.visit_batched`` for ``BatchableCSTVisitor``\\ s
  (the engine runs every rule in one pass with it).
* :func:`walk`: ``node.visit(visitor)`` for a read-only ``CSTVisitor`` (``visit_X`` returning
  False skips the children; ``on_visit`` / ``on_leave`` overrides are honoured).
* :func:`parents`: child -> parent, what libcst's ``ParentNodeProvider`` answers.

The order of a node type's children is read once from libcst's own
``_visit_and_replace_children`` (the sequence of its ``visit_required(self, "field", ...)``
calls); where that source is unavailable or unrecognised, the children of each node of that
type are recorded by running libcst's method itself (exact, at libcst's cost).
Metadata is not resolved here: visitors that declare ``METADATA_DEPENDENCIES`` need libcst's
``MetadataWrapper.visit_batched``.
"""

from __future__ import annotations

import ast
import functools
import inspect
import textwrap
import typing
import weakref
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence

import libcst as cst
from libcst import MaybeSentinel

VisitorMethod = Callable[[cst.CSTNode], object]

# The helpers libcst's _visit_and_replace_children calls as helper(self, "field", value, visitor).
_VISIT_HELPERS = frozenset(
    {
        "visit_required",
        "visit_optional",
        "visit_sentinel",
        "visit_sequence",
        "visit_iterable",
        "visit_body_sequence",
        "visit_body_iterable",
    }
)

# Node types that hold only layout: whitespace, comments and punctuation. Their subtrees
# contain only such types (checked by tests/lint/test_traversal.py), so a field that can hold
# nothing else is skipped whenever no visitor has a method for any of them. Operator tokens
# (Add, Is, FloorDivideAssign...) stay in: skipping them too changed a traversal of timm's
# model code by less than the run-to-run noise (0.28 s either way), and parents() then
# answers for them as well.
_LAYOUT_BASES: tuple[type[cst.CSTNode], ...] = (
    cst.BaseParenthesizableWhitespace,  # SimpleWhitespace, ParenthesizedWhitespace
    cst.TrailingWhitespace,
    cst.EmptyLine,
    cst.Newline,
    cst.Comment,
    cst.Comma,
    cst.Dot,
    cst.Colon,
    cst.Semicolon,
    cst.AssignEqual,
    cst.LeftParen,
    cst.RightParen,
    cst.LeftSquareBracket,
    cst.RightSquareBracket,
    cst.LeftCurlyBrace,
    cst.RightCurlyBrace,
)
_PREFIXES = ("visit_", "leave_")
# A type's child fields in visiting order, and those visited only when not None.
_FieldOrder = tuple[tuple[str, ...], frozenset[str]]


def is_layout(node_type: type[cst.CSTNode]) -> bool:
    """True for whitespace, comment and punctuation node types."""
    return issubclass(node_type, _LAYOUT_BASES)


@functools.cache
def layout_type_names() -> frozenset[str]:
    """Names of every layout node type (what a ``visit_<Name>`` method would be called)."""
    names: set[str] = set()
    pending: list[type[cst.CSTNode]] = list(_LAYOUT_BASES)
    while pending:
        node_type = pending.pop()
        names.add(node_type.__name__)
        pending.extend(node_type.__subclasses__())
    return frozenset(names)


# --- the order of a node type's children -------------------------------------------------------
# The expressions a helper call may sit in and still run whenever the method runs.
_UNCONDITIONAL = (ast.Call, ast.keyword, ast.Return, ast.Assign, ast.Expr, ast.Tuple)


def _helper_field(call: ast.AST, visitor_name: str) -> str | None:
    """``"func"`` for ``visit_required(self, "func", self.func, visitor)``, else None."""
    if not (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Name)
        and call.func.id in _VISIT_HELPERS
        and len(call.args) == 4
        and not call.keywords
    ):
        return None
    field_name, visitor_arg = call.args[1], call.args[3]
    if (
        isinstance(field_name, ast.Constant)
        and isinstance(field_name.value, str)
        and isinstance(visitor_arg, ast.Name)
        and visitor_arg.id == visitor_name
    ):
        return field_name.value
    return None


def _reads_field(expression: ast.expr, field_name: str, aliases: Mapping[str, str]) -> bool:
    """``self.<field>``, or a local name assigned from it."""
    if isinstance(expression, ast.Attribute):
        return expression.attr == field_name and isinstance(expression.value, ast.Name)
    return isinstance(expression, ast.Name) and aliases.get(expression.id) == field_name


def _source_fields(node_type: type[cst.CSTNode]) -> _FieldOrder | None:
    """The fields ``_visit_and_replace_children`` visits, in the order it visits them, and
    those it visits (attribute hooks included) only when their value is not None.

    None when the method's source is unavailable or uses ``visitor`` in any way other than
    as the last argument of a recognised helper call with a literal field name, run
    unconditionally or as ``helper(...) if <the field> is not None else None``.
    """
    method = getattr(node_type, "_visit_and_replace_children", None)
    if method is None:
        return None
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(method)))
    except (OSError, TypeError, SyntaxError):
        return None
    function = tree.body[0] if tree.body else None
    if not isinstance(function, ast.FunctionDef) or len(function.args.args) != 2:
        return None
    visitor_name = function.args.args[1].arg
    parents_of = {
        id(child): node for node in ast.walk(function) for child in ast.iter_child_nodes(node)
    }
    aliases = {  # format_spec = self.format_spec
        target.id: statement.value.attr
        for statement in function.body
        if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Attribute)
        for target in statement.targets
        if isinstance(target, ast.Name)
    }
    fields: list[str] = []
    unless_none: set[str] = set()
    helper_uses: set[int] = set()
    # ast.walk is breadth-first; keyword arguments and statements run in source order.
    calls = sorted(
        (node for node in ast.walk(function) if isinstance(node, ast.Call)),
        key=lambda node: (node.lineno, node.col_offset),
    )
    for call in calls:
        field_name = _helper_field(call, visitor_name)
        if field_name is None:
            continue
        helper_uses.add(id(call.args[3]))
        child: ast.AST = call
        holder = parents_of.get(id(call))
        while holder is not None and holder is not function:
            if isinstance(holder, ast.IfExp) and holder.body is child:
                other = _helper_field(holder.orelse, visitor_name)
                test = holder.test
                if other == field_name:  # ImportFrom: names, a node or a sequence
                    pass
                elif (
                    isinstance(holder.orelse, ast.Constant)
                    and holder.orelse.value is None
                    and isinstance(test, ast.Compare)
                    and len(test.ops) == 1
                    and isinstance(test.ops[0], ast.IsNot)
                    and isinstance(test.comparators[0], ast.Constant)
                    and test.comparators[0].value is None
                    and _reads_field(test.left, field_name, aliases)
                ):
                    unless_none.add(field_name)
                else:
                    return None
            elif isinstance(holder, ast.IfExp) and holder.orelse is child:
                if _helper_field(holder.body, visitor_name) != field_name:
                    return None
            elif not isinstance(holder, _UNCONDITIONAL):
                return None
            child, holder = holder, parents_of.get(id(holder))
        if field_name not in fields:
            fields.append(field_name)
    # Any other use of the visitor (a loop calling child.visit(visitor), a new helper) would
    # visit children this reading cannot see.
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and node.id == visitor_name and id(node) not in helper_uses:
            return None
    dataclass_fields = getattr(node_type, "__dataclass_fields__", {})
    if any(name not in dataclass_fields for name in fields):
        return None
    return tuple(fields), frozenset(unless_none)


@functools.cache
def _field_order(node_type: type[cst.CSTNode]) -> _FieldOrder | None:
    return _source_fields(node_type)


def child_fields(node_type: type[cst.CSTNode]) -> tuple[str, ...] | None:
    """The node type's child fields in libcst's visiting (source) order; None if unknown.

    ``Call``: lpar, func, whitespace_after_func, whitespace_before_args, args, rpar.
    Unknown types are walked by recording libcst's own ``_visit_and_replace_children``.
    """
    order = _field_order(node_type)
    return None if order is None else order[0]


def _annotation_types(annotation: object) -> Iterable[object]:
    """The classes a field annotation allows (Union/Optional members, Sequence elements)."""
    origin = typing.get_origin(annotation)
    if origin is None:
        yield annotation
        return
    if origin is typing.Literal:
        yield from (type(value) for value in typing.get_args(annotation))
        return
    for argument in typing.get_args(annotation):
        yield from _annotation_types(argument)


def _holds_only_layout(annotation: object) -> bool:
    for allowed in _annotation_types(annotation):
        if allowed is type(None) or allowed is MaybeSentinel:
            continue
        if not (isinstance(allowed, type) and issubclass(allowed, _LAYOUT_BASES)):
            return False
    return True


@functools.cache
def syntax_fields(node_type: type[cst.CSTNode]) -> tuple[str, ...] | None:
    """:func:`child_fields` without the fields whose annotation allows only layout nodes."""
    fields = child_fields(node_type)
    if fields is None:
        return None
    try:
        hints = typing.get_type_hints(node_type)
    except Exception:  # an annotation that does not resolve: keep every field
        return fields
    return tuple(name for name in fields if not _holds_only_layout(hints.get(name, object)))


class _ChildRecorder(cst.CSTVisitor):
    """Records (field, children) as libcst's own ``_visit_and_replace_children`` visits them."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, list[cst.CSTNode]]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if not self.fields:  # a child visited outside any field: keep it all the same
            self.fields.append(("", []))
        self.fields[-1][1].append(node)
        return False

    def on_leave(self, original_node: cst.CSTNode) -> None:
        return None

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        self.fields.append((attribute, []))

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        return None


def recorded_children(node: cst.CSTNode) -> list[tuple[str, list[cst.CSTNode]]]:
    """``(field, children)`` of ``node`` in visiting order, from libcst's own method (slow, exact)."""
    recorder = _ChildRecorder()
    node._visit_and_replace_children(recorder)
    return recorder.fields


# What a field's value holds, by its type: isinstance(value, cst.CSTNode) goes through
# ABCMeta.__instancecheck__ (a Python-level call), and a traversal asks for every field.
_NOTHING, _NODE, _SEQUENCE = "nothing", "node", "sequence"
_KINDS: dict[type, str] = {
    tuple: _SEQUENCE,
    list: _SEQUENCE,
    type(None): _NOTHING,
    MaybeSentinel: _NOTHING,
}


def _kind(value_type: type) -> str:
    """Classifies a field value's type once: a node, a sequence of nodes, or nothing to visit."""
    if issubclass(value_type, cst.CSTNode):
        kind = _NODE
    elif issubclass(value_type, str | bytes) or not hasattr(value_type, "__iter__"):
        kind = _NOTHING
    else:
        kind = _SEQUENCE
    _KINDS[value_type] = kind
    return kind


def _values(value: object) -> Sequence[cst.CSTNode]:
    """A field's child nodes: none, one, or a sequence's."""
    if isinstance(value, cst.CSTNode):
        return (value,)
    if isinstance(value, tuple | list):
        return value
    return ()


def _method_type_name(name: str) -> str:
    """``visit_Call`` and ``visit_Call_func`` -> ``Call`` (node type names have no underscore)."""
    return name.split("_", 2)[1]


def _is_attribute_method(name: str) -> bool:
    return name.count("_") >= 2


# --- visit_batched -----------------------------------------------------------------------------
# The traversals are module-level recursive functions, not closures: a closure that calls
# itself is a reference cycle, left for the cyclic collector after every call (walk runs
# about a hundred thousand times over timm).

# Per node type: the fields to descend into (None: record them per node), visit and leave methods.
_BatchStep = tuple[tuple[str, ...] | None, list[VisitorMethod], list[VisitorMethod]]


class _BatchSteps(dict[type[cst.CSTNode], _BatchStep]):
    """One batch's step per node type, made on first sight (``__missing__``)."""

    def __init__(self, methods: Mapping[str, list[VisitorMethod]], skip_layout: bool) -> None:
        super().__init__()
        self.methods = methods
        self.skip_layout = skip_layout

    def __missing__(self, node_type: type[cst.CSTNode]) -> _BatchStep:
        name = node_type.__name__
        made = (
            syntax_fields(node_type) if self.skip_layout else child_fields(node_type),
            self.methods.get(f"visit_{name}", []),
            self.methods.get(f"leave_{name}", []),
        )
        self[node_type] = made
        return made


def visit_batched(
    root: cst.CSTNode,
    visitors: Iterable[cst.BatchableCSTVisitor],
    *,
    skipping: Collection[cst.BatchableCSTVisitor] = (),
    skipped: Callable[[cst.FunctionDef], bool] | None = None,
) -> None:
    """Run ``visitors`` in one traversal of ``root``: libcst's ``visit_batched`` semantics.

    For every node in libcst's order, each visitor's ``visit_<Type>`` (from its
    ``get_visitors()``), then the children, then each ``leave_<Type>(original_node)``;
    visitors are called in the order given; return values are ignored and children are
    always visited. Attribute methods (``visit_<Type>_<field>``) are honoured.

    ``skipping`` (some of ``visitors``) and ``skipped``: those visitors see nothing of a
    ``def`` for which ``skipped`` is true (neither the def nor anything in it); the others
    see it all. ``skipped`` is asked once per def, outermost first, and not about the defs
    inside one it answered true for. Ignored when a visitor has attribute methods.
    """
    visitors = list(visitors)
    methods = _methods_of(visitors)
    visited_types = {_method_type_name(name) for name in methods}
    skip_layout = visited_types.isdisjoint(layout_type_names())
    if any(_is_attribute_method(name) for name in methods):
        _visit_with_attributes(root, methods, skip_layout)
    elif skipped is None or not skipping:
        _visit_batched(root, _BatchSteps(methods, skip_layout))
    else:
        rest = _BatchSteps(
            _methods_of([v for v in visitors if not any(v is s for s in skipping)]), skip_layout
        )
        _visit_skipping(root, _BatchSteps(methods, skip_layout), rest, skipped)


def _methods_of(visitors: Iterable[cst.BatchableCSTVisitor]) -> dict[str, list[VisitorMethod]]:
    methods: dict[str, list[VisitorMethod]] = {}
    for visitor in visitors:
        for name, method in visitor.get_visitors().items():
            methods.setdefault(name, []).append(method)
    return methods


def _visit_skipping(
    node: cst.CSTNode,
    steps: _BatchSteps,
    rest: _BatchSteps,
    skipped: Callable[[cst.FunctionDef], bool],
) -> None:
    """:func:`_visit_batched` with every visitor, except in the defs ``skipped`` picks: there
    only the visitors of ``rest``."""
    if isinstance(node, cst.FunctionDef) and skipped(node):
        _visit_batched(node, rest)
        return
    fields, enter, leave = steps[type(node)]
    for method in enter:
        method(node)
    if fields is None:
        for _, children in recorded_children(node):
            for child in children:
                if not (steps.skip_layout and is_layout(type(child))):
                    _visit_skipping(child, steps, rest, skipped)
    else:
        for field_name in fields:
            value = getattr(node, field_name)
            kind = _KINDS.get(type(value)) or _kind(type(value))
            if kind == _SEQUENCE:
                for child in value:
                    _visit_skipping(child, steps, rest, skipped)
            elif kind == _NODE:
                _visit_skipping(value, steps, rest, skipped)
    for method in leave:
        method(node)


def _visit_batched(node: cst.CSTNode, steps: _BatchSteps) -> None:
    fields, enter, leave = steps[type(node)]
    for method in enter:
        method(node)
    if fields is None:
        for _, children in recorded_children(node):
            for child in children:
                if not (steps.skip_layout and is_layout(type(child))):
                    _visit_batched(child, steps)
    else:
        for field_name in fields:
            value = getattr(node, field_name)
            kind = _KINDS.get(type(value)) or _kind(type(value))
            if kind == _SEQUENCE:
                for child in value:
                    _visit_batched(child, steps)
            elif kind == _NODE:
                _visit_batched(value, steps)
    for method in leave:
        method(node)


def _visit_with_attributes(
    node: cst.CSTNode, methods: Mapping[str, list[VisitorMethod]], skip_layout: bool
) -> None:
    """The general batched traversal: also calls ``visit_<Type>_<field>`` / ``leave_...`` hooks,
    for empty fields too (as libcst does)."""
    name = type(node).__name__
    for method in methods.get(f"visit_{name}", ()):
        method(node)
    for field_name, children in _fields_of(node, skip_layout, methods, name):
        for method in methods.get(f"visit_{name}_{field_name}", ()):
            method(node)
        for child in children:
            _visit_with_attributes(child, methods, skip_layout)
        for method in methods.get(f"leave_{name}_{field_name}", ()):
            method(node)
    for method in methods.get(f"leave_{name}", ()):
        method(node)


def _fields_of(
    node: cst.CSTNode,
    skip_layout: bool,
    hooks: Mapping[str, object] | None,
    type_name: str,
) -> list[tuple[str, Sequence[cst.CSTNode]]]:
    """``(field, children)`` for every field libcst visits on ``node``, empty ones included
    (their attribute hooks run too), in visiting order. Layout-only fields are left out when
    ``skip_layout``, unless ``hooks`` has an attribute method for that field."""
    order = _field_order(type(node))
    if order is None:
        recorded = recorded_children(node)
        if not skip_layout:
            return [(name, children) for name, children in recorded]
        return [
            (name, [child for child in children if not is_layout(type(child))])
            for name, children in recorded
        ]
    fields, unless_none = order
    kept = (syntax_fields(type(node)) or ()) if skip_layout else fields
    result: list[tuple[str, Sequence[cst.CSTNode]]] = []
    for field_name in fields:
        value = getattr(node, field_name)
        if value is None and field_name in unless_none:
            continue
        if field_name in kept or (
            hooks is not None
            and (
                f"visit_{type_name}_{field_name}" in hooks
                or f"leave_{type_name}_{field_name}" in hooks
            )
        ):
            result.append((field_name, _values(value)))
    return result


# --- walk --------------------------------------------------------------------------------------
_HOOKS = ("on_visit", "on_leave", "on_visit_attribute", "on_leave_attribute")
_CSTVISITOR_BASES = frozenset(cst.CSTVisitor.__mro__)


def _real_method(visitor_type: type[cst.CSTVisitor], name: str) -> bool:
    """True when the class defines ``name`` as a method that is not one of libcst's no-op stubs."""
    member = getattr(visitor_type, name, None)
    return callable(member) and not getattr(member, "_is_no_op", False)


_WalkStep = tuple[tuple[str, ...] | None, str | None, str | None]


class _WalkPlan(dict[type[cst.CSTNode], _WalkStep]):
    """Per visitor class: how :func:`walk` dispatches, found once per class; per node type,
    the fields to descend into and the visit/leave method names (None: no method), made on
    first sight (``__missing__``).

    Holds no reference to the class (it is the key of a weak mapping).
    """

    def __init__(self, visitor_type: type[cst.CSTVisitor]) -> None:
        super().__init__()
        # The methods the class and its bases define above CSTVisitor, which defines a no-op
        # for every visit_/leave_ name (over a thousand): dir() would cost a millisecond per
        # class, and visitor classes defined inside functions are new on every call.
        candidates = {
            name
            for klass in visitor_type.__mro__
            if klass not in _CSTVISITOR_BASES
            for name in vars(klass)
            if name.startswith(_PREFIXES)
        }
        real = {name for name in candidates if _real_method(visitor_type, name)}
        overrides_hooks = any(
            getattr(visitor_type, hook) is not getattr(cst.CSTVisitor, hook) for hook in _HOOKS
        )
        # on_* overrides see every node and field; attribute methods see every field.
        self.general = overrides_hooks or any(_is_attribute_method(name) for name in real)
        self.skip_layout = not self.general and {
            _method_type_name(name) for name in real
        }.isdisjoint(layout_type_names())
        self.methods = frozenset(real)

    def __missing__(self, node_type: type[cst.CSTNode]) -> _WalkStep:
        name = node_type.__name__
        visit_name, leave_name = f"visit_{name}", f"leave_{name}"
        made = (
            syntax_fields(node_type) if self.skip_layout else child_fields(node_type),
            visit_name if visit_name in self.methods else None,
            leave_name if leave_name in self.methods else None,
        )
        self[node_type] = made
        return made


# Visitor classes defined inside functions are new classes on every call: plans must not keep
# them alive.
_PLANS: weakref.WeakKeyDictionary[type[cst.CSTVisitor], _WalkPlan] = weakref.WeakKeyDictionary()


def walk(node: cst.CSTNode, visitor: cst.CSTVisitor) -> None:
    """``node.visit(visitor)`` for a read-only ``CSTVisitor``, without rebuilding the tree.

    Same calls in the same order: ``visit_<Type>(node)`` (False skips the children), the
    children in source order, ``leave_<Type>(original_node)``; overridden ``on_visit`` /
    ``on_leave`` / ``on_visit_attribute`` / ``on_leave_attribute`` and attribute methods
    (``visit_<Type>_<field>``) are called as libcst calls them. A visitor may call
    ``walk`` again from inside its methods (to visit a child itself, in its own order).
    """
    if isinstance(visitor, cst.CSTTransformer):
        raise TypeError("walk() takes read-only visitors; use node.visit() for a CSTTransformer")
    visitor_type = type(visitor)
    plan = _PLANS.get(visitor_type)
    if plan is None:
        plan = _PLANS[visitor_type] = _WalkPlan(visitor_type)
    instance_methods = getattr(visitor, "__dict__", None)
    if plan.general or (
        instance_methods and any(name.startswith(_PREFIXES) for name in instance_methods)
    ):
        _walk_general(node, visitor)
    else:
        _walk(node, visitor, plan)


def _walk(node: cst.CSTNode, visitor: cst.CSTVisitor, plan: _WalkPlan) -> None:
    fields, visit_name, leave_name = plan[type(node)]
    if visit_name is None or getattr(visitor, visit_name)(node) is not False:
        if fields is None:
            for _, children in recorded_children(node):
                for child in children:
                    _walk(child, visitor, plan)
        else:
            for field_name in fields:
                value = getattr(node, field_name)
                kind = _KINDS.get(type(value)) or _kind(type(value))
                if kind == _SEQUENCE:
                    for child in value:
                        _walk(child, visitor, plan)
                elif kind == _NODE:
                    _walk(value, visitor, plan)
    if leave_name is not None:
        getattr(visitor, leave_name)(node)


def _walk_general(node: cst.CSTNode, visitor: cst.CSTVisitor) -> None:
    """Every node and field through the visitor's ``on_*`` hooks, exactly as libcst does."""
    if visitor.on_visit(node):
        for field_name, children in _fields_of(node, False, None, ""):
            visitor.on_visit_attribute(node, field_name)
            for child in children:
                _walk_general(child, visitor)
            visitor.on_leave_attribute(node, field_name)
    visitor.on_leave(node)


# --- parents -----------------------------------------------------------------------------------
class _ParentLinks(dict[int, cst.CSTNode]):
    """``id(child)`` -> parent, filled by :func:`_link`; the field lists it walks per type."""

    def __init__(self, layout: bool) -> None:
        super().__init__()
        self.layout = layout
        self.fields: dict[type[cst.CSTNode], tuple[str, ...] | None] = {}

    def fields_of(self, node_type: type[cst.CSTNode]) -> tuple[str, ...] | None:
        fields = child_fields(node_type) if self.layout else syntax_fields(node_type)
        self.fields[node_type] = fields
        return fields


def parents(root: cst.CSTNode, *, layout: bool = False) -> dict[int, cst.CSTNode]:
    """``id(child)`` -> parent for the nodes under ``root``: ``ParentNodeProvider``'s answers.

    Layout nodes (whitespace, comments, punctuation) are left out unless
    ``layout``: no rule asks for their parents, and they are most of the tree. Keyed by id
    because ``CSTNode.__hash__`` is a Python-level call; ``root`` keeps the nodes alive.
    """
    links = _ParentLinks(layout)
    _link(root, links)
    return links


def _link(node: cst.CSTNode, links: _ParentLinks) -> None:
    node_type = type(node)
    fields = links.fields[node_type] if node_type in links.fields else links.fields_of(node_type)
    if fields is None:
        for _, children in recorded_children(node):
            for child in children:
                if links.layout or not is_layout(type(child)):
                    links[id(child)] = node
                    _link(child, links)
        return
    for field_name in fields:
        value = getattr(node, field_name)
        kind = _KINDS.get(type(value)) or _kind(type(value))
        if kind == _SEQUENCE:
            for child in value:
                links[id(child)] = node
                _link(child, links)
        elif kind == _NODE:
            links[id(value)] = node
            _link(value, links)
