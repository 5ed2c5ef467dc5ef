"""The certain TorchScript type of an expression, for the call-level TS22x rules.

Flow-insensitive and small on purpose: a local's type is known only when *every* binding of
the name gives it the same type (so straight-line retyping such as ``n = n / 2`` makes it
unknown), a parameter's type is its declared type (:mod:`._signatures`), and anything else
the rules cannot be sure of is None. Literals, ``len``/``int``/``float``/``str``/``bool``,
``Tensor.item()`` (``number``), ``Tensor.size()`` / ``.shape`` (``List[int]``), ``.size(d)`` /
``.dim()`` / ``.numel()`` (``int``) on a certain Tensor, torch factories and common Tensor
methods (``Tensor``), and arithmetic on those (``int / int`` is ``float``).
"""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import LintContext
from tsinspect.lint.rules._calls import bound_value
from tsinspect.lint.types.annotations import annotation_type
from tsinspect.lint.types.lattice import (
    BOOL,
    FLOAT,
    INT,
    INT_LIST,
    NONE,
    NUMBER,
    STR,
    TENSOR,
    UNKNOWN,
    Type,
)
from tsinspect.lint.types.library import TENSOR_FUNCTIONS, TENSOR_METHODS
from tsinspect.lint.types.signatures import parameters

_CASTS = {"builtins.int": INT, "builtins.float": FLOAT, "builtins.str": STR, "builtins.bool": BOOL}
_INT_METHODS = frozenset({"dim", "numel", "ndimension", "nelement", "element_size"})
# Tensor methods returning List[Tensor] (str.split returns List[str]: a list either way).
LIST_METHODS = frozenset({"chunk", "unbind", "split", "tensor_split", "split_with_sizes"})
_SCALARS = frozenset({INT, FLOAT})
_MAX_DEPTH = 24


class ValueTypes:
    """Certain types of expressions in one file (results cached per node)."""

    def __init__(self, context: LintContext) -> None:
        self.context = context
        self._cache: dict[int, Type | None] = {}
        self._active: set[int] = set()
        # names whose type is being computed -> provisional type (see _name)
        self._provisional: dict[tuple[int, str], Type | None] = {}
        self._assumptions_read = 0
        self._names: dict[tuple[int, str], Type | None] = {}
        self._signatures: dict[int, dict[str, Type | None]] = {}

    def of(self, expression: cst.BaseExpression, depth: int = 0) -> Type | None:
        """The certain type of ``expression``, or None."""
        key = id(expression)
        if key in self._cache:
            return self._cache[key]
        if key in self._active or depth > _MAX_DEPTH:
            return None
        self._active.add(key)
        assumptions = self._assumptions_read
        try:
            found = self._infer(expression, depth + 1)
        finally:
            self._active.discard(key)
        if self._assumptions_read == assumptions:
            self._cache[key] = found  # not computed under a provisional type of some name
        return found

    def is_tensor(self, expression: cst.BaseExpression) -> bool:
        return self.of(expression) == TENSOR

    def _infer(self, node: cst.BaseExpression, depth: int) -> Type | None:
        if isinstance(node, cst.Integer):
            return INT
        if isinstance(node, cst.Float):
            return FLOAT
        if isinstance(node, cst.SimpleString):
            return None if "b" in node.prefix.lower() else STR
        if isinstance(node, cst.FormattedString | cst.ConcatenatedString):
            return STR
        if isinstance(node, cst.Name):
            return self._name(node, depth)
        if isinstance(node, cst.UnaryOperation):
            inner = self.of(node.expression, depth)
            if isinstance(node.operator, cst.Minus | cst.Plus) and inner in (INT, FLOAT, TENSOR):
                return inner
            return None
        if isinstance(node, cst.Comparison):
            return self._comparison(node, depth)
        if isinstance(node, cst.BinaryOperation):
            return _arithmetic(node.operator, self.of(node.left, depth), self.of(node.right, depth))
        if isinstance(node, cst.List):
            return self._elements("List", node.elements, depth)
        if isinstance(node, cst.ListComp):
            return Type("List", (UNKNOWN,))
        if isinstance(node, cst.Tuple):
            return self._elements("Tuple", node.elements, depth)
        if isinstance(node, cst.Dict | cst.DictComp):
            return Type("Dict", (UNKNOWN, UNKNOWN))
        if isinstance(node, cst.IfExp):
            body, orelse = self.of(node.body, depth), self.of(node.orelse, depth)
            return body if body == orelse else None
        if isinstance(node, cst.Attribute):
            if self.of(node.value, depth) == TENSOR:
                return {"shape": INT_LIST, "T": TENSOR, "mT": TENSOR, "ndim": INT}.get(
                    node.attr.value
                )
            return None
        if isinstance(node, cst.Subscript):
            return self._subscript(node, depth)
        if isinstance(node, cst.Call):
            return self._call(node, depth)
        return None

    def _elements(self, kind: str, elements: object, depth: int) -> Type | None:
        assert isinstance(elements, list | tuple)
        types: list[Type] = []
        for element in elements:
            if isinstance(element, cst.StarredElement):
                return None if kind == "Tuple" else Type("List", (UNKNOWN,))
            types.append(self.of(element.value, depth) or UNKNOWN)
        if kind == "Tuple":
            return Type("Tuple", tuple(types))
        distinct = set(types)
        return Type("List", (distinct.pop() if len(distinct) == 1 else UNKNOWN,))

    def _comparison(self, node: cst.Comparison, depth: int) -> Type | None:
        """``x > 0`` on a Tensor is a Tensor; between ints and floats, a bool."""
        if len(node.comparisons) != 1:
            return None
        target = node.comparisons[0]
        order = cst.LessThan | cst.LessThanEqual | cst.GreaterThan | cst.GreaterThanEqual
        if not isinstance(target.operator, order | cst.Equal | cst.NotEqual):
            return None
        left, right = self.of(node.left, depth), self.of(target.comparator, depth)
        if TENSOR in (left, right) and {left, right} <= {TENSOR, INT, FLOAT, BOOL}:
            return TENSOR
        if left in _SCALARS and right in _SCALARS:
            return BOOL
        return None

    def _subscript(self, node: cst.Subscript, depth: int) -> Type | None:
        value = self.of(node.value, depth)
        if value == TENSOR:
            return TENSOR
        if value == INT_LIST and len(node.slice) == 1:
            return INT if isinstance(node.slice[0].slice, cst.Index) else INT_LIST
        return None

    def _call(self, node: cst.Call, depth: int) -> Type | None:
        func = node.func
        names = self.context.qualified_names(func)
        if "builtins.len" in names:
            return INT
        for name, kind in _CASTS.items():
            if name in names:
                return kind
        if names & TENSOR_FUNCTIONS and not any(arg.star for arg in node.args):
            return TENSOR
        if not isinstance(func, cst.Attribute) or self.of(func.value, depth) != TENSOR:
            return None
        method = func.attr.value
        plain = all(arg.keyword is None and not arg.star for arg in node.args)
        if method == "item" and not node.args:
            return NUMBER
        if method == "size" and plain:
            return INT_LIST if not node.args else INT if len(node.args) == 1 else None
        if method in _INT_METHODS and not node.args:
            return INT
        if method in TENSOR_METHODS:
            return TENSOR
        if method in LIST_METHODS:
            return Type("List", (TENSOR,))
        return None

    def _name(self, node: cst.Name, depth: int) -> Type | None:
        if node.value in ("True", "False"):
            return BOOL
        if node.value == "None":
            return NONE
        bindings = self.context.scopes.bindings_of(node)
        if not bindings:
            return None
        key = (id(bindings[0].scope), node.value)
        if key in self._names:
            return self._names[key]
        if key in self._provisional:
            self._assumptions_read += 1
            return self._provisional[key]
        # Optimistic fixpoint for bindings that read the name itself (`x = x + 1`): first
        # without them, then assuming the type the others give; kept only if all agree.
        self._provisional[key] = None
        try:
            first = {self._binding(b.node, depth) for b in bindings} - {None}
            found: Type | None = None
            if len(first) == 1:
                self._provisional[key] = candidate = first.pop()
                again = {self._binding(b.node, depth) for b in bindings}
                found = candidate if again == {candidate} else None
        finally:
            del self._provisional[key]
        if not self._provisional:
            self._names[key] = found
        return found

    def _binding(self, target: cst.CSTNode | None, depth: int) -> Type | None:
        if isinstance(target, cst.Param):
            return self._parameter(target)
        if not isinstance(target, cst.Name):
            return None
        holder = self.context.parent(target)
        if isinstance(holder, cst.AnnAssign) and holder.target is target:
            return annotation_type(self.context, holder.annotation)
        if isinstance(holder, cst.For) and holder.target is target:
            iterable = holder.iter
            if isinstance(iterable, cst.Call) and self.context.matches(
                iterable.func, "builtins.range"
            ):
                return INT
            return None
        value = bound_value(self.context, target)
        return self.of(value, depth) if value is not None else None

    def _parameter(self, param: cst.Param) -> Type | None:
        holder = self.context.parent(self.context.parent(param) or param)
        if not isinstance(holder, cst.FunctionDef):
            return None
        key = id(holder)
        if key not in self._signatures:
            found = parameters(self.context, holder)
            self._signatures[key] = {p.name: p.type for p in found} if found is not None else {}
        return self._signatures[key].get(param.name.value)


_LATEST: list[tuple[LintContext, ValueTypes]] = []


def value_types(context: LintContext) -> ValueTypes:
    """The file's :class:`ValueTypes`, shared by the rules of one traversal (files are linted
    one after the other: only the latest is kept)."""
    if _LATEST and _LATEST[0][0] is context:
        return _LATEST[0][1]
    found = ValueTypes(context)
    _LATEST[:] = [(context, found)]
    return found


def _arithmetic(operator: cst.BaseBinaryOp, left: Type | None, right: Type | None) -> Type | None:
    if left is None or right is None:
        return None
    arithmetic = cst.Add | cst.Subtract | cst.Multiply | cst.Divide | cst.FloorDivide | cst.Modulo
    if not isinstance(operator, arithmetic):
        return None
    if TENSOR in (left, right) and {left, right} <= {TENSOR, INT, FLOAT, NUMBER}:
        return TENSOR
    if NUMBER in (left, right) and {left, right} <= {INT, FLOAT, NUMBER}:
        # a Scalar stays a Scalar (`t.item() + 1`); its divisions are not followed
        return NUMBER if isinstance(operator, cst.Add | cst.Subtract | cst.Multiply) else None
    if left not in _SCALARS or right not in _SCALARS:
        return None
    if isinstance(operator, cst.Divide) or FLOAT in (left, right):
        return FLOAT
    return INT


def may_be_user_call(call: cst.Call) -> bool:
    """``helper(...)`` or ``self.method(...)``: the only calls :func:`called_function` resolves
    (checked first: most calls are ``x.view(...)``, ``torch.cat(...)``...)."""
    func = call.func
    if isinstance(func, cst.Name):
        return True
    return (
        isinstance(func, cst.Attribute)
        and isinstance(func.value, cst.Name)
        and func.value.value in ("self", "cls")
    )
