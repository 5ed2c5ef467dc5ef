"""The certain TorchScript type of an expression, and the typing of operators, literals and
subscripts that the flow pass (:mod:`.flow`) shares.

:class:`ValueTypes` serves the call-level TS22x rules. It is flow-insensitive and small on
purpose: a local's type is known only when *every* binding of the name gives it the same type
(so straight-line retyping such as ``n = n / 2`` makes it unknown), a parameter's type is its
declared type (:mod:`.signatures`), and anything else the rules cannot be sure of is None.
Literals, builtins, torch's calls and Tensor members (:mod:`.library`: ``Tensor.item()`` is a
``number``, ``Tensor.size()`` / ``.shape`` ``List[int]``), arithmetic on those (``int / int``
is ``float``), and containers whose elements may be unknown (``[f(x)]`` is ``List[?]``).
"""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.calls import bound_value
from tsinspect.lint.rule import LintContext
from tsinspect.lint.types.annotations import annotation_type
from tsinspect.lint.types.lattice import (
    BOOL,
    DICT,
    FLOAT,
    INT,
    LIST,
    NONE,
    NUMBER,
    STR,
    TENSOR,
    TUPLE,
    UNKNOWN,
    Type,
    dict_of,
    list_of,
    tuple_of,
)
from tsinspect.lint.types.library import (
    TENSOR_FUNCTIONS,
    library_call_type,
    tensor_attribute_type,
)
from tsinspect.lint.types.memo import file_memo
from tsinspect.lint.types.signatures import parameters

_MAX_DEPTH = 24
_ARITHMETIC = cst.Add | cst.Subtract | cst.Multiply | cst.FloorDivide | cst.Modulo


def literal_type(node: cst.BaseExpression) -> Type | None:
    """The Python type of a literal default: number, string, bool, or a tuple of those."""
    if isinstance(node, cst.Integer):
        return INT
    if isinstance(node, cst.Float):
        return FLOAT
    if isinstance(node, cst.SimpleString):
        return None if "b" in node.prefix.lower() else STR
    if isinstance(node, cst.ConcatenatedString):
        return STR
    if isinstance(node, cst.Name) and node.value in ("True", "False"):
        return BOOL
    if (
        isinstance(node, cst.UnaryOperation)
        and isinstance(node.operator, cst.Minus | cst.Plus)
        and isinstance(node.expression, cst.Integer | cst.Float)
    ):
        return literal_type(node.expression)
    if isinstance(node, cst.Tuple):
        elements: list[Type] = []
        for element in node.elements:
            if isinstance(element, cst.StarredElement):
                return None
            inner = literal_type(element.value)
            if inner is None:
                return None
            elements.append(inner)
        return tuple_of(*elements)
    return None


def binary_type(operator: cst.BaseBinaryOp, left: Type | None, right: Type | None) -> Type | None:
    """The type of ``left <operator> right`` (measured with torch 2.13: a Tensor with a
    number, a bool or a ``Tensor.item()`` is a Tensor, ``x ** 2`` too; ``t.item() * 2`` is a
    ``number``; ``int / int`` is a ``float``; ``"a" + "b"`` a ``str``)."""
    if left is None or right is None:
        return None
    if TENSOR in (left, right):
        return TENSOR if {left, right} <= {TENSOR, INT, FLOAT, BOOL, NUMBER} else None
    if NUMBER in (left, right) and {left, right} <= {INT, FLOAT, NUMBER}:
        # a Scalar stays a Scalar (`t.item() + 1`); its divisions are not followed
        return NUMBER if isinstance(operator, cst.Add | cst.Subtract | cst.Multiply) else None
    if isinstance(operator, _ARITHMETIC):
        if left == right == INT:
            return INT
        if {left, right} <= {INT, FLOAT}:
            return FLOAT
        if isinstance(operator, cst.Add) and left == right == STR:
            return STR
        return None
    if isinstance(operator, cst.Divide) and {left, right} <= {INT, FLOAT}:
        return FLOAT
    return None


def unary_type(operator: cst.BaseUnaryOp, operand: Type | None) -> Type | None:
    """The type of ``-x``, ``+x``, ``not x``."""
    if isinstance(operator, cst.Not):
        return BOOL if operand in (BOOL, INT, FLOAT, STR) else None
    if isinstance(operator, cst.Minus | cst.Plus) and operand in (INT, FLOAT, TENSOR):
        return operand
    return None


def comparison_type(operator: cst.BaseCompOp, left: Type | None, right: Type | None) -> Type | None:
    """The type of one comparison: a Tensor compared with a Tensor or a number is a Tensor."""
    if isinstance(operator, cst.Is | cst.IsNot | cst.In | cst.NotIn):
        return BOOL
    if TENSOR in (left, right) and {left, right} <= {TENSOR, INT, FLOAT, BOOL}:
        return TENSOR
    if left in (INT, FLOAT) and right in (INT, FLOAT):
        return BOOL
    return None


def subscript_type(value: Type | None, node: cst.Subscript) -> Type | None:
    """The type of ``value[...]``: a Tensor's is a Tensor, a list's its element (a slice, the
    list), a dict's its value, a tuple's the element at a literal index."""
    if value is None or value.maybe_none:
        return None
    if value == TENSOR:
        return TENSOR
    if len(node.slice) != 1:
        return None
    part = node.slice[0].slice
    found: Type | None = None
    if value.name == LIST:
        found = value.args[0] if isinstance(part, cst.Index) else value
    elif value == STR:
        found = STR
    elif not isinstance(part, cst.Index):
        return None
    elif value.name == DICT:
        found = value.args[1]
    elif value.name == TUPLE:
        index = part.value
        negative = isinstance(index, cst.UnaryOperation) and isinstance(index.operator, cst.Minus)
        if isinstance(index, cst.UnaryOperation) and negative:
            index = index.expression
        if isinstance(index, cst.Integer):
            position = -int(index.value) if negative else int(index.value)
            if -len(value.args) <= position < len(value.args):
                found = value.args[position]
    return None if found == UNKNOWN else found


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
        """``expression`` is certainly a Tensor."""
        return self.of(expression) == TENSOR

    def _infer(self, node: cst.BaseExpression, depth: int) -> Type | None:
        if isinstance(node, cst.Integer | cst.Float | cst.SimpleString | cst.ConcatenatedString):
            return literal_type(node)
        if isinstance(node, cst.FormattedString):
            return STR
        if isinstance(node, cst.Name):
            return self._name(node, depth)
        if isinstance(node, cst.UnaryOperation):
            return unary_type(node.operator, self.of(node.expression, depth))
        if isinstance(node, cst.Comparison):
            if len(node.comparisons) != 1:
                return None
            target = node.comparisons[0]
            left, right = self.of(node.left, depth), self.of(target.comparator, depth)
            return comparison_type(target.operator, left, right)
        if isinstance(node, cst.BinaryOperation):
            left, right = self.of(node.left, depth), self.of(node.right, depth)
            return binary_type(node.operator, left, right)
        if isinstance(node, cst.List):
            return self._elements(LIST, node.elements, depth)
        if isinstance(node, cst.ListComp):
            return list_of(UNKNOWN)
        if isinstance(node, cst.Tuple):
            return self._elements(TUPLE, node.elements, depth)
        if isinstance(node, cst.Dict | cst.DictComp):
            return dict_of(UNKNOWN, UNKNOWN)
        if isinstance(node, cst.IfExp):
            body, orelse = self.of(node.body, depth), self.of(node.orelse, depth)
            return body if body == orelse else None
        if isinstance(node, cst.Attribute):
            if self.of(node.value, depth) == TENSOR:
                return tensor_attribute_type(node.attr.value)
            return None
        if isinstance(node, cst.Subscript):
            return subscript_type(self.of(node.value, depth), node)
        if isinstance(node, cst.Call):
            return self._call(node, depth)
        return None

    def _call(self, node: cst.Call, depth: int) -> Type | None:
        names = self.context.qualified_names(node.func)
        positional = [arg.value for arg in node.args if arg.keyword is None and not arg.star]
        typed = positional and names & TENSOR_FUNCTIONS  # the only calls whose input matters
        first = self.of(positional[0], depth) if typed else None
        found = library_call_type(self.context, node, names, None, first)
        if found is None and isinstance(node.func, cst.Attribute):
            receiver = self.of(node.func.value, depth)
            if receiver == TENSOR:
                found = library_call_type(self.context, node, names, receiver, first)
        return found

    def _elements(self, kind: str, elements: object, depth: int) -> Type | None:
        assert isinstance(elements, list | tuple)
        types: list[Type] = []
        for element in elements:
            if isinstance(element, cst.StarredElement):
                return None if kind == TUPLE else list_of(UNKNOWN)
            types.append(self.of(element.value, depth) or UNKNOWN)
        if kind == TUPLE:
            return tuple_of(*types)
        distinct = set(types)
        return list_of(distinct.pop() if len(distinct) == 1 else UNKNOWN)

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


def value_types(context: LintContext) -> ValueTypes:
    """The file's :class:`ValueTypes`, shared by the rules of one traversal (kept in the
    file's memos: dropped with them when the file is done)."""
    memo = file_memo(context, "value types")
    found: ValueTypes | None = memo.get("latest")
    if found is None or found.context is not context:
        found = ValueTypes(context)
        memo["latest"] = found
    return found
