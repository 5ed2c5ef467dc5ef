"""TS201 module-level-value."""

from __future__ import annotations

import re

import libcst as cst

from tsinspect.lint.calls import bound_value
from tsinspect.lint.rule import Invalid, LintContext, Valid
from tsinspect.lint.rules.conservative import ConservativeRule
from tsinspect.lint.scopes import Access, Binding, ScopeKind

# `from cfg import EPS`: the imported object is unknown, so only constant-style names count.
CONSTANT_NAME = re.compile(r"^_*[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$")
# Imports that are values for sure whatever their spelling.
VALUE_IMPORTS = frozenset({"math.pi", "math.e", "math.inf", "math.nan", "math.tau"})
# Never values we could judge: typing names, torch's own names, future flags.
SKIPPED_IMPORT_ROOTS = ("typing", "typing_extensions", "torch", "__future__", "collections")
TORCH_VALUE_CALLS = frozenset(
    {
        "torch.tensor",
        "torch.zeros",
        "torch.ones",
        "torch.empty",
        "torch.full",
        "torch.arange",
        "torch.linspace",
        "torch.randn",
        "torch.rand",
        "torch.eye",
        "torch.device",
        "builtins.float",
        "builtins.int",
        "builtins.str",
        "builtins.bool",
    }
)
TORCH_DTYPES = frozenset(
    f"torch.{name}"
    for name in [
        "float32",
        "float",
        "float64",
        "double",
        "float16",
        "half",
        "bfloat16",
        "int8",
        "int16",
        "short",
        "int32",
        "int",
        "int64",
        "long",
        "uint8",
        "bool",
        "complex64",
        "complex128",
        "cfloat",
        "cdouble",
    ]
)


def _is_value(expression: cst.BaseExpression, context: LintContext) -> bool:
    """A module-level value TorchScript cannot read: literals, literal containers, dtypes, tensors."""
    if isinstance(
        expression,
        cst.Integer
        | cst.Float
        | cst.Imaginary
        | cst.SimpleString
        | cst.ConcatenatedString
        | cst.FormattedString,
    ):
        return True
    if isinstance(expression, cst.Name):
        return expression.value in {"True", "False", "None"}
    if isinstance(expression, cst.UnaryOperation):
        return _is_value(expression.expression, context)
    if isinstance(expression, cst.BinaryOperation):
        return _is_value(expression.left, context) and _is_value(expression.right, context)
    if isinstance(expression, cst.Tuple | cst.List):
        return all(
            not isinstance(element, cst.StarredElement) and _is_value(element.value, context)
            for element in expression.elements
        )
    if isinstance(expression, cst.Dict):
        return all(
            isinstance(element, cst.DictElement)
            and _is_value(element.key, context)
            and _is_value(element.value, context)
            for element in expression.elements
        )
    if isinstance(expression, cst.Attribute):
        return context.matches(expression, *TORCH_DTYPES, *VALUE_IMPORTS)
    if isinstance(expression, cst.Call):
        return context.matches(expression.func, *TORCH_VALUE_CALLS) and all(
            _is_value(arg.value, context) for arg in expression.args
        )
    return False


class ModuleLevelValueRule(ConservativeRule):
    """## What it does
    Reports a bare read, in compiled code, of a name bound at module level to a value: a
    flag, a number, a string, a tuple, a dtype, a tensor, or a constant imported with
    `from cfg import EPS`.

    ## Why is this bad?
    TorchScript can only reference modules, functions and classes as globals. Reading any
    other global fails with "python value of type 'float' cannot be used as a value.
    Perhaps it is a closed over global variable?" (for a `None` global: "undefined value
    X"), even when the global is annotated `Final`. An attribute of an imported module
    (`import cfg; cfg.EPS`, `math.pi`) is fine: it is frozen as a constant.

    ## Example
    ```python
    EPS = 1e-6

    class Norm(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x / (x.norm() + EPS)
    ```

    ## Use instead
    ```python
    EPS = 1e-6

    class Norm(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.eps = EPS

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x / (x.norm() + self.eps)
    ```
    """

    code = "TS201"
    name = "module-level-value"
    message = "TorchScript cannot read a module-level value"
    fix_hint = "Store it on self in __init__ (Final for constants, register_buffer for tensors), or read it as module.NAME"

    VALID = (
        Valid(
            """
            import math

            import torch
            from torch import nn

            EPS = 1e-6
            DEBUG = False


            def scale(x: torch.Tensor) -> torch.Tensor:
                return x * math.pi


            class Model(nn.Module):
                def __init__(self, eps: float = EPS) -> None:
                    super().__init__()
                    self.eps = eps
                    self.debug = DEBUG

                def forward(self, x: torch.Tensor, k: float = EPS) -> torch.Tensor:
                    if not torch.jit.is_scripting():
                        x = x + EPS * 0
                    return scale(x) + self.eps + k

                def describe(self) -> str:
                    return f"eps={EPS}"
            """,
            label="module-attribute-defaults-and-unreached",
        ),
        Valid(
            """
            from typing import List

            import torch
            from torch import nn

            Shape = List[int]


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    EPS = 2.0
                    shape: Shape = [2, 4]
                    return x.reshape(shape) * EPS
            """,
            label="local-shadow-and-type-alias",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn

            EPS = 1e-6


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return x / (x.norm() + EPS)
            """,
            label="float-in-forward",
            message="TorchScript cannot read a module-level value: `EPS` is bound at module level",
        ),
        Invalid(
            """
            import torch
            from torch import nn

            CACHE = None


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self._head(x)

                def _head(self, x: torch.Tensor) -> torch.Tensor:
                    if CACHE is None:
                        return x
                    return x * 2
            """,
            label="none-in-helper",
            message='TorchScript cannot read a module-level value: `CACHE` is None at module level ("undefined value CACHE")',
        ),
        Invalid(
            """
            from typing import Final

            import torch
            from torch import nn

            DTYPE: Final = torch.float64


            def cast(x: torch.Tensor) -> torch.Tensor:
                return x.to(DTYPE)


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return cast(x)
            """,
            label="final-dtype-in-function",
            message="TorchScript cannot read a module-level value: `DTYPE` is bound at module level",
        ),
        Invalid(
            """
            from math import pi

            import torch


            @torch.jit.script
            def fn(x: torch.Tensor) -> torch.Tensor:
                return x * pi
            """,
            label="from-import-in-script-function",
            message="TorchScript cannot read a module-level value: `pi` is bound at module level",
        ),
    )

    def __init__(self, context: LintContext) -> None:
        super().__init__(context)
        # Filled during the one batched traversal: a second walk of the module would cost as
        # much as all the other rules together.
        self._class_like = _ClassLikeNames()

    def visit_Call(self, node: cst.Call) -> None:
        self._class_like.visit_Call(node)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._class_like.visit_ClassDef(node)

    def visit_Decorator(self, node: cst.Decorator) -> None:
        self._class_like.visit_Decorator(node)

    def leave_Module(self, original_node: cst.Module) -> None:
        # At the end, when every call, base class and decorator of the file has been seen.
        by_name: dict[str, list[Binding]] = {}
        for binding in self.context.scopes.module_scope.all_bindings():
            by_name.setdefault(binding.name, []).append(binding)
        for name, assignments in by_name.items():
            kinds = [self._value_kind(assignment) for assignment in assignments]
            if not kinds or None in kinds:
                continue
            is_none = all(kind == "None" for kind in kinds)
            for assignment in assignments:
                for access in assignment.references:
                    if self._is_value_read(access):
                        message = (
                            f'{self.message}: `{name}` is None at module level ("undefined value {name}")'
                            if is_none
                            else f"{self.message}: `{name}` is bound at module level"
                        )
                        self.report(access.node, message)

    def _value_kind(self, assignment: Binding) -> str | None:
        """ "value", "None" or None (not a value, or not sure)."""
        node = assignment.node
        if assignment.is_import:
            return self._import_kind(assignment)
        value = bound_value(self.context, node)
        if value is None:
            return None
        if isinstance(value, cst.Name) and value.value == "None":
            return "None"
        return "value" if _is_value(value, self.context) else None

    def _import_kind(self, assignment: Binding) -> str | None:
        node = assignment.node
        if not isinstance(node, cst.ImportFrom) or (node.relative and node.module is None):
            return None
        if isinstance(node.names, cst.ImportStar):
            return None
        module = _dotted(node.module) if node.module is not None else ""
        if not node.relative and module.split(".")[0] in SKIPPED_IMPORT_ROOTS:
            return None
        for alias in node.names:
            bound = alias.evaluated_alias or alias.evaluated_name
            if bound != assignment.name:
                continue
            imported = alias.evaluated_name
            if f"{module}.{imported}" in VALUE_IMPORTS and not node.relative:
                return "value"
            if not CONSTANT_NAME.match(imported) or assignment.name in self._class_like_names():
                return None
            return "value"
        return None

    def _class_like_names(self) -> frozenset[str]:
        """Names the file calls, subclasses or passes to isinstance: classes or functions, not constants."""
        return frozenset(self._class_like.names)

    def _is_value_read(self, access: Access) -> bool:
        if access.is_annotation or access.is_type_hint:
            return False
        # defaults and decorators are evaluated by Python, in the enclosing scope
        if access.scope.kind in (ScopeKind.MODULE, ScopeKind.CLASS):
            return False
        node = access.node
        if not isinstance(node, cst.Name):
            return False
        parent = self.context.parent(node)
        # a called or dotted name is a class or a namespace, not a constant we can judge
        if isinstance(parent, cst.Call) and parent.func is node:
            return False
        return not (isinstance(parent, cst.Attribute) and parent.value is node)


def _dotted(expression: cst.BaseExpression) -> str:
    if isinstance(expression, cst.Name):
        return expression.value
    if isinstance(expression, cst.Attribute):
        return f"{_dotted(expression.value)}.{expression.attr.value}"
    return ""


class _ClassLikeNames(cst.CSTVisitor):
    """Bare names used as callees, base classes, decorators or isinstance/issubclass targets."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def _add(self, expression: cst.BaseExpression) -> None:
        if isinstance(expression, cst.Name):
            self.names.add(expression.value)
        elif isinstance(expression, cst.Tuple):
            for element in expression.elements:
                self._add(element.value)

    def visit_Call(self, node: cst.Call) -> None:
        self._add(node.func)
        if (
            isinstance(node.func, cst.Name)
            and node.func.value in ("isinstance", "issubclass")
            and len(node.args) == 2
        ):
            self._add(node.args[1].value)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        for base in node.bases:
            self._add(base.value)

    def visit_Decorator(self, node: cst.Decorator) -> None:
        self._add(node.decorator)
