"""A small, conservative forward type propagator for the TS2xx rules (and TS304).

It walks one compiled function's statements in order, the way TorchScript's front end
does, and keeps for every local that is *definitely* assigned its type when the type is
certain: literals, annotations, unannotated parameters (TorchScript types them
``Tensor``), ``len``/``int``/``float``, ``torch`` factories and a table of Tensor methods
(``x.shape`` is ``List[int]``, ``x.size(d)`` and ``x.dim()`` are ``int``...). Anything else
is unknown (``None``) and no rule reports on unknown types.

What it records, for the rules to report:

- uses of a local assigned on only some paths (one branch of an ``if``, or only inside a
  loop body, loop variables included): TorchScript's "y is not defined in the false
  branch" / "undefined value y" (TS205);
- ``if`` merges where both branches give a used-after variable different certain types,
  and ternaries with different certain arm types (TS204);
- returns of different certain types (TS206);
- ``[]`` / ``{}`` later filled with non-Tensor values (TS203);
- ``range(p)`` on an unannotated parameter (TS202);
- assignments to ``self.x`` with their value type (TS304).

Branches that ``torch.jit.is_scripting()`` decides are followed the way TorchScript
prunes them. Branches whose condition TorchScript may decide at compile time (``is None``
checks, ``isinstance``, ``hasattr``, ``self`` attributes that may be constants) merge
without findings: either branch may be the only one compiled.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import libcst as cst

from tsinspect.lint.reach import Truth, scripting_truth
from tsinspect.lint.rule import LintContext
from tsinspect.lint.traversal import walk

TENSOR = "Tensor"
INT = "int"
FLOAT = "float"
BOOL = "bool"
STR = "str"
NONE = "None"
INT_LIST = "List[int]"
EMPTY_LIST = "[]"
# a tuple literal whose elements have certain, different types: Tuple[Tensor, int]...
MIXED_TUPLE = "Tuple[mixed]"
EMPTY_DICT = "{}"
# Types whose pairwise merge TorchScript rejects (None merges into Optional: fine).
MERGEABLE_CONFLICTS = frozenset({TENSOR, INT, FLOAT, BOOL, STR})
SCALARS = frozenset({INT, FLOAT, BOOL, STR})

TENSOR_FUNCTIONS = frozenset(
    f"torch.{name}"
    for name in [
        "zeros",
        "ones",
        "empty",
        "full",
        "rand",
        "randn",
        "randint",
        "arange",
        "linspace",
        "eye",
        "tensor",
        "as_tensor",
        "zeros_like",
        "ones_like",
        "empty_like",
        "full_like",
        "rand_like",
        "randn_like",
        "cat",
        "concat",
        "stack",
        "matmul",
        "mm",
        "bmm",
        "einsum",
        "relu",
        "sigmoid",
        "tanh",
        "exp",
        "log",
        "sqrt",
        "rsqrt",
        "abs",
        "where",
        "softmax",
        "log_softmax",
        "flatten",
        "reshape",
        "transpose",
        "permute",
        "clamp",
        "clip",
        "sum",
        "mean",
        "cumsum",
        "prod",
        "neg",
        "sin",
        "cos",
        "floor",
        "ceil",
        "round",
        "sign",
        "erf",
        "outer",
        "addmm",
        "baddbmm",
    ]
) | frozenset(
    f"torch.nn.functional.{name}"
    for name in [
        "relu",
        "gelu",
        "silu",
        "sigmoid",
        "tanh",
        "softmax",
        "log_softmax",
        "linear",
        "conv1d",
        "conv2d",
        "conv3d",
        "layer_norm",
        "group_norm",
        "batch_norm",
        "dropout",
        "pad",
        "normalize",
        "interpolate",
        "avg_pool2d",
        "adaptive_avg_pool2d",
        "embedding",
        "leaky_relu",
        "hardswish",
        "hardsigmoid",
        "mish",
        "elu",
        "softplus",
        "cross_entropy",
        "mse_loss",
        "l1_loss",
    ]
)
TENSOR_METHODS = frozenset(
    [
        "view",
        "reshape",
        "permute",
        "transpose",
        "contiguous",
        "float",
        "half",
        "double",
        "long",
        "int",
        "bool",
        "to",
        "clone",
        "detach",
        "sum",
        "mean",
        "flatten",
        "unsqueeze",
        "squeeze",
        "relu",
        "sigmoid",
        "softmax",
        "log_softmax",
        "exp",
        "log",
        "abs",
        "pow",
        "mul",
        "add",
        "sub",
        "div",
        "matmul",
        "expand",
        "expand_as",
        "repeat",
        "masked_fill",
        "clamp",
        "clip",
        "type_as",
        "sqrt",
        "rsqrt",
        "neg",
        "narrow",
        "index_select",
        "gather",
        "new_zeros",
        "new_ones",
        "new_full",
        "new_empty",
        "cumsum",
        "argmax",
        "argmin",
        "flip",
        "roll",
        "unflatten",
        "std",
        "var",
        "amax",
        "amin",
        "floor",
        "ceil",
        "round",
        "reciprocal",
        "tanh",
        "sin",
        "cos",
        "exp_",
        "mul_",
        "add_",
        "div_",
        "sub_",
        "clamp_",
        "zero_",
        "fill_",
        "copy_",
        "repeat_interleave",
        "tril",
        "triu",
        "norm",
        "softplus",
        "sign",
        "bmm",
        "mm",
        "t",
    ]
)
INT_METHODS = frozenset({"dim", "numel", "ndimension", "element_size", "nelement", "get_device"})
BOOL_METHODS = frozenset({"is_contiguous", "is_floating_point", "is_complex"})
SIMPLE_ANNOTATIONS = {
    "builtins.int": INT,
    "builtins.float": FLOAT,
    "builtins.bool": BOOL,
    "builtins.str": STR,
    "torch.Tensor": TENSOR,
}
# functions whose first argument is a List[Tensor]
TENSOR_LIST_FUNCTIONS = frozenset(
    f"torch.{name}"
    for name in ("cat", "concat", "concatenate", "stack", "hstack", "vstack", "dstack")
)
STATIC_CALLS = frozenset(
    {
        "builtins.isinstance",
        "builtins.hasattr",
        "builtins.getattr",
        "builtins.callable",
        "torch.jit.isinstance",
    }
)


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
    first: str
    second: str


@dataclass(frozen=True)
class ReturnMismatch:
    """A return whose certain type differs from an earlier return's or the annotation (TS206)."""

    node: cst.Return
    expected: str
    actual: str
    annotated: bool


@dataclass
class EmptyContainer:
    """``xs = []`` / ``d = {}`` without annotation, and what is later put into it (TS203)."""

    name: str
    assignment: cst.Assign
    target: cst.Name
    is_dict: bool
    offences: list[tuple[cst.CSTNode, str]] = field(default_factory=list)
    element_types: set[str | None] = field(default_factory=set)
    key_types: set[str | None] = field(default_factory=set)


@dataclass
class FlowResult:
    """Everything the propagator found in one compiled function."""

    undefined_uses: list[UndefinedUse] = field(default_factory=list)
    branch_mismatches: list[BranchMismatch] = field(default_factory=list)
    return_mismatches: list[ReturnMismatch] = field(default_factory=list)
    empty_containers: list[EmptyContainer] = field(default_factory=list)
    unannotated_misuses: list[tuple[cst.Call, str, str]] = field(default_factory=list)
    attribute_assignments: list[tuple[cst.Attribute, str | None]] = field(default_factory=list)
    tuple_of_lists: list[cst.Call] = field(default_factory=list)
    sums_of_tensors: list[cst.Call] = field(default_factory=list)
    int_inverts: list[cst.UnaryOperation] = field(default_factory=list)
    mixed_tuple_indexes: list[cst.Subscript] = field(default_factory=list)


class _Dead:
    """The state after ``return``/``raise``/``continue``/``break``: no path goes on."""


DEAD = _Dead()


@dataclass
class _State:
    types: dict[str, str | None] = field(default_factory=dict)
    # assigned on some paths only: name -> (origin node, kind)
    maybe: dict[str, tuple[cst.CSTNode, str]] = field(default_factory=dict)
    # if-merges with two certain types, reported on a later use: name -> (node, t1, t2)
    conflicts: dict[str, tuple[cst.CSTNode, str, str]] = field(default_factory=dict)
    containers: dict[str, EmptyContainer] = field(default_factory=dict)

    def copy(self) -> _State:
        return _State(
            dict(self.types), dict(self.maybe), dict(self.conflicts), dict(self.containers)
        )

    def assign(self, name: str, kind: str | None) -> None:
        self.types[name] = kind
        self.maybe.pop(name, None)
        self.conflicts.pop(name, None)
        self.containers.pop(name, None)


def annotation_type(context: LintContext, annotation: cst.Annotation | None) -> str | None:
    """``int``/``float``/``bool``/``str``/``Tensor`` for a simple annotation, else None."""
    if annotation is None:
        return None
    expression = annotation.annotation
    if (isinstance(expression, cst.Name) and expression.value == "Tensor") or (
        isinstance(expression, cst.Attribute) and expression.attr.value == "Tensor"
    ):
        names = context.qualified_names(expression)
        return TENSOR if not names or "torch.Tensor" in names else None
    for name in context.qualified_names(expression):
        if name in SIMPLE_ANNOTATIONS:
            return SIMPLE_ANNOTATIONS[name]
    return None


def has_type_comment(context: LintContext, node: cst.FunctionDef) -> bool:
    """A ``# type: (...) -> ...`` signature comment: TorchScript reads parameter types from it."""
    if "# type:" not in context.source:  # positions cost a pass over the file; most files have none
        return False
    start = context.position(node).start.line
    body = context.position(node.body).start.line
    lines = context.source.splitlines()
    return any("# type:" in lines[i - 1] for i in range(start, min(body + 2, len(lines) + 1)))


def parameter_types(
    context: LintContext, node: cst.FunctionDef, is_method: bool
) -> dict[str, str | None]:
    """Parameter name -> certain type (unannotated parameters are Tensor, as TorchScript types them)."""
    params = [*node.params.posonly_params, *node.params.params, *node.params.kwonly_params]
    typed_by_comment = has_type_comment(context, node)
    types: dict[str, str | None] = {}
    for index, param in enumerate(params):
        name = param.name.value
        if index == 0 and is_method:
            types[name] = None
            continue
        if param.annotation is not None:
            types[name] = annotation_type(context, param.annotation)
        elif typed_by_comment:
            types[name] = None
        elif param.default is None or (
            isinstance(param.default, cst.Name) and param.default.value == "None"
        ):
            types[name] = TENSOR
        else:
            types[name] = None
    for star in (node.params.star_arg, node.params.star_kwarg):
        if isinstance(star, cst.Param):
            types[star.name.value] = None
    return types


def is_static_test(context: LintContext, test: cst.BaseExpression, self_name: str | None) -> bool:
    """A condition TorchScript may fold at compile time, so that only one branch is compiled."""
    finder = _StaticFinder(context, self_name)
    walk(test, finder)
    return finder.static


class _StaticFinder(cst.CSTVisitor):
    def __init__(self, context: LintContext, self_name: str | None) -> None:
        super().__init__()
        self.context = context
        self.self_name = self_name
        self.static = False

    def visit_ComparisonTarget(self, node: cst.ComparisonTarget) -> None:
        if isinstance(node.operator, cst.Is | cst.IsNot):
            self.static = True

    def visit_Call(self, node: cst.Call) -> None:
        if self.context.matches(node.func, *STATIC_CALLS):
            self.static = True

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if (
            isinstance(node.value, cst.Name)
            and node.value.value == self.self_name
            and node.attr.value != "training"
        ):
            self.static = True


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


def _target_names(target: cst.BaseExpression) -> Iterator[str]:
    if isinstance(target, cst.Name):
        yield target.value
    elif isinstance(target, cst.Tuple | cst.List):
        for element in target.elements:
            yield from _target_names(element.value)
    elif isinstance(target, cst.StarredElement):
        yield from _target_names(target.value)


class _Flow:
    def __init__(self, context: LintContext, node: cst.FunctionDef, self_name: str | None) -> None:
        self.context = context
        self.node = node
        self.self_name = self_name
        self.result = FlowResult()
        self.unannotated: set[str] = set()
        self.returns: list[tuple[cst.Return, str | None]] = []
        self.reported_undefined: set[str] = set()
        self.reported_conflicts: set[str] = set()

    # --- expressions -------------------------------------------------------------------
    def infer(self, expression: cst.BaseExpression, state: _State) -> str | None:
        """The certain type of ``expression``, or None."""
        if isinstance(expression, cst.Integer):
            return INT
        if isinstance(expression, cst.Float):
            return FLOAT
        if isinstance(expression, cst.SimpleString | cst.FormattedString | cst.ConcatenatedString):
            return STR
        if isinstance(expression, cst.Name):
            if expression.value in ("True", "False"):
                return BOOL
            if expression.value == "None":
                return NONE
            return state.types.get(expression.value)
        if isinstance(expression, cst.UnaryOperation):
            inner = self.infer(expression.expression, state)
            if isinstance(expression.operator, cst.Not):
                return BOOL if inner in (BOOL, INT, FLOAT, STR) else None
            if isinstance(expression.operator, cst.Minus | cst.Plus) and inner in (
                INT,
                FLOAT,
                TENSOR,
            ):
                return inner
            return None
        if isinstance(expression, cst.BinaryOperation):
            left = self.infer(expression.left, state)
            right = self.infer(expression.right, state)
            return _binary(expression.operator, left, right)
        if isinstance(expression, cst.Comparison):
            if len(expression.comparisons) != 1:
                return None
            operator = expression.comparisons[0].operator
            if isinstance(operator, cst.Is | cst.IsNot | cst.In | cst.NotIn):
                return BOOL
            left = self.infer(expression.left, state)
            right = self.infer(expression.comparisons[0].comparator, state)
            if TENSOR in (left, right) and {left, right} <= {TENSOR, INT, FLOAT, BOOL}:
                return TENSOR
            if left in (INT, FLOAT) and right in (INT, FLOAT):
                return BOOL
            return None
        if isinstance(expression, cst.Tuple):
            kinds = {
                None if isinstance(e, cst.StarredElement) else self.infer(e.value, state)
                for e in expression.elements
            }
            if None not in kinds and len(kinds) > 1 and kinds <= MERGEABLE_CONFLICTS:
                return MIXED_TUPLE
            return None
        if isinstance(expression, cst.IfExp):
            body = self.infer(expression.body, state)
            orelse = self.infer(expression.orelse, state)
            return body if body == orelse else None
        if isinstance(expression, cst.Subscript):
            value = self.infer(expression.value, state)
            if value == TENSOR:
                return TENSOR
            if value == INT_LIST and len(expression.slice) == 1:
                return INT if isinstance(expression.slice[0].slice, cst.Index) else INT_LIST
            return None
        if isinstance(expression, cst.Attribute):
            receiver = self.infer(expression.value, state)
            if receiver == TENSOR:
                return {
                    "shape": INT_LIST,
                    "ndim": INT,
                    "T": TENSOR,
                    "mT": TENSOR,
                    "data": TENSOR,
                }.get(expression.attr.value)
            return None
        if isinstance(expression, cst.Call):
            return self._call(expression, state)
        return None

    def _call(self, call: cst.Call, state: _State) -> str | None:
        context = self.context
        func = call.func
        names = context.qualified_names(func)
        if "builtins.len" in names:
            return INT
        for name, kind in (
            ("builtins.int", INT),
            ("builtins.float", FLOAT),
            ("builtins.str", STR),
            ("builtins.bool", BOOL),
        ):
            if name in names:
                return kind
        if names & TENSOR_FUNCTIONS and not any(arg.star for arg in call.args):
            return TENSOR
        if isinstance(func, cst.Attribute) and self.infer(func.value, state) == TENSOR:
            method = func.attr.value
            if method in TENSOR_METHODS:
                return TENSOR
            if method in INT_METHODS:
                return INT
            if method in BOOL_METHODS:
                return BOOL
            if method == "size":
                positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
                if len(call.args) == 1 and positional:
                    return INT
                if not call.args:
                    return INT_LIST
        return None

    # --- uses --------------------------------------------------------------------------
    def uses(self, expression: cst.CSTNode | None, state: _State) -> None:
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
        if self.infer(node.value, state) == MIXED_TUPLE:
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
            self.uses(small.value, state)
            kind = self.infer(small.value, state)
            for target in small.targets:
                self.assign_target(target.target, small.value, kind, state, small)
            return state
        if isinstance(small, cst.AnnAssign):
            self.uses(small.value, state)
            kind = annotation_type(self.context, small.annotation)
            self.assign_target(small.target, small.value, kind, state, None)
            return state
        if isinstance(small, cst.AugAssign):
            self.uses(small.value, state)
            self.uses(small.target, state)
            if isinstance(small.target, cst.Name):
                left = state.types.get(small.target.value)
                operator = _AUG_TO_BINARY.get(type(small.operator))
                kind = (
                    _binary(operator(), left, self.infer(small.value, state)) if operator else None
                )
                state.assign(small.target.value, kind)
            elif isinstance(small.target, cst.Attribute):
                self.uses(small.target.value, state)
            return state
        if isinstance(small, cst.Return):
            self.uses(small.value, state)
            kind = NONE if small.value is None else self.infer(small.value, state)
            self.returns.append((small, kind))
            return DEAD
        if isinstance(small, cst.Raise):
            self.uses(small.exc, state)
            return DEAD
        if isinstance(small, cst.Continue | cst.Break):
            return DEAD
        if isinstance(small, cst.Del):
            for name in _target_names(small.target):
                state.types.pop(name, None)
                state.maybe.pop(name, None)
            return state
        if isinstance(small, cst.Expr):
            self.uses(small.value, state)
            self.expression_events(small.value, state)
            return state
        if isinstance(small, cst.Assert):
            self.uses(small.test, state)
            self.uses(small.msg, state)
            return state
        return state

    def assign_target(
        self,
        target: cst.BaseExpression,
        value: cst.BaseExpression | None,
        kind: str | None,
        state: _State,
        assign: cst.Assign | None,
    ) -> None:
        if isinstance(target, cst.Name):
            state.assign(target.value, kind)
            if assign is not None and value is not None and _is_empty(value):
                container = EmptyContainer(
                    target.value, assign, target, is_dict=isinstance(value, cst.Dict)
                )
                self.result.empty_containers.append(container)
                state.containers[target.value] = container
            return
        if isinstance(target, cst.Tuple | cst.List):
            for element in target.elements:
                self.assign_target(element.value, None, None, state, None)
            return
        if isinstance(target, cst.StarredElement):
            self.assign_target(target.value, None, None, state, None)
            return
        if isinstance(target, cst.Attribute):
            self.uses(target.value, state)
            if isinstance(target.value, cst.Name) and target.value.value == self.self_name:
                self.result.attribute_assignments.append((target, kind))
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
        element = self.infer(value, state)
        container.element_types.add(element)
        container.key_types.add(key)
        if element in SCALARS or element == INT_LIST or key in (INT, FLOAT, TENSOR):
            container.offences.append((target, f"Dict[{key or '?'}, {element or '?'}]"))
        elif element == TENSOR and key == STR:
            # Dict[str, Tensor]: what `{}` already is; later stores keep that type
            state.containers.pop(target.value.value, None)

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
                if element in SCALARS or element == INT_LIST:
                    container.offences.append((expression, element))
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
        self.uses(node.test, state)
        truth = scripting_truth(self.context, node.test)
        if truth is Truth.TRUE:
            return self.suite(node.body, state)
        if truth is Truth.FALSE:
            return self._orelse(node, state)
        static = is_static_test(self.context, node.test, self.self_name)
        body = self.suite(node.body, state.copy())
        orelse = self._orelse(node, state.copy())
        if isinstance(body, _Dead):
            return orelse
        if isinstance(orelse, _Dead):
            return body
        return self.merge(node, state, body, orelse, static)

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
        merged = _State()
        origin = node.test
        for name in set(left.types) | set(right.types):
            in_left, in_right = name in left.types, name in right.types
            if in_left and in_right:
                first, second = left.types[name], right.types[name]
                if first == second:
                    merged.types[name] = first
                elif first == NONE or second == NONE or first is None or second is None or static:
                    merged.types[name] = None
                elif {first, second} <= MERGEABLE_CONFLICTS and name not in before.types:
                    merged.types[name] = None
                    merged.conflicts[name] = (origin, first, second)
                else:
                    merged.types[name] = None
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
        return merged

    def loop(self, node: cst.For | cst.While, state: _State) -> _State:
        body_state = state.copy()
        if isinstance(node, cst.For):
            self.uses(node.iter, state)
            self.range_events(node.iter, state)
            for name in _target_names(node.target):
                body_state.assign(name, INT if self._is_range(node.iter) else None)
        else:
            self.uses(node.test, state)
        # A container appended to in the loop body is followed into it.
        after = self.suite(node.body, body_state)
        result = state.copy()
        assigned = set(_assigned_in(node))
        for name in assigned:
            if name in state.types:
                # loop-carried: the type after the loop is the merge of both; keep it only if unchanged
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
    def run(self, params: dict[str, str | None]) -> FlowResult:
        state = _State(types=dict(params))
        self.block(
            self.node.body.body if isinstance(self.node.body, cst.IndentedBlock) else [], state
        )
        self._returns()
        return self.result

    def _returns(self) -> None:
        annotated = annotation_type(self.context, self.node.returns)
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
        if self.node.returns is not None:
            return
        expected: str | None = None
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


def _binary(operator: cst.BaseBinaryOp, left: str | None, right: str | None) -> str | None:
    if left is None or right is None:
        return None
    if TENSOR in (left, right):
        return TENSOR if {left, right} <= {TENSOR, INT, FLOAT, BOOL} else None
    if isinstance(operator, cst.Add | cst.Subtract | cst.Multiply | cst.FloorDivide | cst.Modulo):
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


_CACHE: dict[int, tuple[cst.Module, dict[int, FlowResult]]] = {}


def flow(context: LintContext, node: cst.FunctionDef) -> FlowResult:
    """The propagator's findings for one compiled function (cached per file and function)."""
    entry = _CACHE.get(id(context.module))
    if entry is None or entry[0] is not context.module:
        _CACHE.clear()
        entry = (context.module, {})
        _CACHE[id(context.module)] = entry
    results = entry[1]
    if id(node) not in results:
        is_method = _is_method(context, node)
        params = parameter_types(context, node, is_method)
        walker = _Flow(context, node, _first_param(node) if is_method else None)
        walker.unannotated = {
            p.name.value
            for p in [*node.params.posonly_params, *node.params.params]
            if p.annotation is None and params.get(p.name.value) == TENSOR
        }
        results[id(node)] = walker.run(params)
    return results[id(node)]


def _first_param(node: cst.FunctionDef) -> str | None:
    params = node.params.posonly_params or node.params.params
    return params[0].name.value if params else None


def _is_method(context: LintContext, node: cst.FunctionDef) -> bool:
    parent = context.parent(node)
    grandparent = context.parent(parent) if parent is not None else None
    if not isinstance(grandparent, cst.ClassDef):
        return False
    return not any(
        isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod"
        for d in node.decorators
    )
