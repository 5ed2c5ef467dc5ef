"""TS221 argument-type-mismatch."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.calls import bound_value, called_function, may_be_user_call
from tsinspect.lint.classes import enclosing_class, method_self_name
from tsinspect.lint.reach import ClassInfo
from tsinspect.lint.rule import Invalid, LintContext, Valid
from tsinspect.lint.rules.conservative import ConservativeRule
from tsinspect.lint.rules.typing.list_to_unannotated_parameter import submodule_class
from tsinspect.lint.types.lattice import BOOL, FLOAT, INT, NONE, NUMBER, STR, TENSOR, Type
from tsinspect.lint.types.signatures import Parameter, parameters
from tsinspect.lint.types.static import in_static_branch
from tsinspect.lint.types.values import value_types

# Decorators whose function TorchScript still types from its own signature.
_KNOWN_DECORATORS = frozenset(
    {
        "builtins.staticmethod",
        "builtins.classmethod",
        "torch.jit.export",
        "torch._jit_internal.export",
        "torch.jit.ignore",
        "torch._jit_internal.ignore",
        "torch.jit.unused",
        "torch._jit_internal.unused",
        "torch.jit.script",
        "torch.jit._script.script",
    }
)
_CONTAINERS = frozenset({"List", "Tuple", "Dict"})


class ArgumentTypeMismatchRule(ConservativeRule):
    """## What it does
    Reports a call in compiled code to a same-file function or method (`helper(x, 3)`,
    `self._helper(x, 3)`), or to a same-file submodule built in `__init__` (`self.block(x,
    3)`; lists into its unannotated parameters are TS213's), that passes an argument of a certain type the parameter cannot
    take: above all a number, string, list or tuple passed to a parameter without
    annotation, which TorchScript types `Tensor`. The parameter's type comes from its
    annotation or a `# type: (...) -> ...` comment; `@torch.jit.ignore` and
    `@torch.jit.unused` functions are typed the same way.

    ## Why is this bad?
    Scripting fails at the call with "Expected a value of type 'Tensor (inferred)' for
    argument 'k' but instead found type 'int'". Calls between user functions convert less
    than calls of torch's own operators (measured, torch 2.13): an `int` is **not** accepted
    for a `float` parameter ("Expected a value of type 'float' for argument 'k' but instead
    found type 'int'"), nor for a `bool`; a `Tensor` or a `Tensor.item()` number is accepted
    for an `int` or `float` parameter, never for a `bool`; a list is not accepted for a
    `Tuple`, while a tuple of ints is accepted for a `List[int]`.

    ## Example
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._shift(x, 3)

    def _shift(self, x: torch.Tensor, k) -> torch.Tensor:
        return x + k
    ```

    ## Use instead
    ```python
    def _shift(self, x: torch.Tensor, k: int) -> torch.Tensor:
        return x + k
    ```
    (and pass `1.0`, not `1`, to a `float` parameter).
    """

    code = "TS221"
    function_local = True
    name = "argument-type-mismatch"
    message = "TorchScript rejects an argument of this type for the parameter"
    fix_hint = "Annotate the parameter with the type passed (`k: int`), or pass its type (`1.0` for a float)"

    VALID = (
        Valid(
            """
            from typing import List, Optional, Tuple

            import torch
            from torch import nn


            def scale(x: torch.Tensor, factor: float, steps: int, size: List[int]) -> torch.Tensor:
                return x * factor * steps + len(size)


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    n = x.size(0)
                    y = self.shift(x, x.sum(), None) + self.legacy(x, 3)
                    return scale(y, 2.0, n, (1, 2)) + scale(y, x.sum().item(), True, x.shape)

                def shift(self, x, offset, bias: Optional[int]):
                    return x + offset

                def legacy(self, x, k):
                    # type: (Tensor, int) -> Tensor
                    return x + k
            """,
            label="matching-arguments",
        ),
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return x

                def unused(self, x: torch.Tensor) -> torch.Tensor:
                    return self.shift(x, 3)

                def shift(self, x, k):
                    return x + k
            """,
            label="unreached-call",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self._shift(x, 3)

                def _shift(self, x: torch.Tensor, k) -> torch.Tensor:
                    return x + k
            """,
            label="int-to-unannotated-method-parameter",
            message="TorchScript rejects an argument of this type for the parameter: `k` is `Tensor` (no annotation), got `int` (calling `self._shift`)",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            def pad_to(x, size):
                return x


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return pad_to(
                        x,
                        x.shape,
                    )
            """,
            label="shape-to-unannotated-function-parameter",
            message="TorchScript rejects an argument of this type for the parameter: `size` is `Tensor` (no annotation), got `List[int]` (calling `pad_to`)",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    n = x.size(1)
                    return self.stats(x, n)

                @torch.jit.ignore
                def stats(self, x, n):
                    return x
            """,
            label="ignored-helper",
            message="TorchScript rejects an argument of this type for the parameter: `n` is `Tensor` (no annotation), got `int` (calling `self.stats`)",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            def scale(x: torch.Tensor, factor: float) -> torch.Tensor:
                return x * factor


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return scale(x, 2)
            """,
            label="int-to-float-parameter",
            message="TorchScript rejects an argument of this type for the parameter: `factor` is `float`, got `int` (calling `scale`)",
        ),
        Invalid(
            """
            from typing import Tuple

            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self.crop(x, size=[2, 2], center=1)

                def crop(self, x: torch.Tensor, size: Tuple[int, int], center: bool) -> torch.Tensor:
                    return x
            """,
            label="list-to-tuple-and-int-to-bool-keywords",
            message="TorchScript rejects an argument of this type for the parameter: `size` is `Tuple[int, int]`, got `List[int]`; `center` is `bool`, got `int` (calling `self.crop`)",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Block(nn.Module):
                def forward(self, x, depth):
                    return x


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.block = Block()

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self.block(x, x.dim())
            """,
            label="submodule-forward",
            message="TorchScript rejects an argument of this type for the parameter: `depth` is `Tensor` (no annotation), got `int` (calling `self.block`)",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self.legacy(x, "sum")

                def legacy(self, x, mode):
                    # type: (Tensor, int) -> Tensor
                    return x
            """,
            label="signature-comment",
            message="TorchScript rejects an argument of this type for the parameter: `mode` is `int`, got `str` (calling `self.legacy`)",
        ),
    )

    def __init__(self, context: LintContext) -> None:
        super().__init__(context)
        self.values = value_types(self.context)
        self._submodules: dict[tuple[str, str], ClassInfo | None] = {}

    def visit_Call(self, node: cst.Call) -> None:
        if not node.args or not may_be_user_call(node) or any(arg.star for arg in node.args):
            return
        found = called_function(self.context, node)
        submodule = False
        if found is None:
            found = self._submodule_forward(node)
            submodule = True
        if found is None:
            return
        display, target = found
        declared = (
            self._signature(node, target) if not submodule else parameters(self.context, target)
        )
        if declared is None:
            return
        by_name = {p.name: p for p in declared}
        mismatches: list[str] = []
        for index, arg in enumerate(node.args):
            if arg.keyword is not None:
                parameter = by_name.get(arg.keyword.value)
            elif index < len(declared) and not declared[index].keyword_only:
                parameter = declared[index]
            else:
                return  # too many positional arguments: not this rule's error
            if parameter is None or parameter.type is None:
                continue
            if submodule and parameter.source == "implicit" and self._list_literal(arg.value):
                continue  # TS213's
            value = self.values.of(arg.value)
            if value is not None and argument_rejected(parameter.type, value):
                mismatches.append(_describe(parameter, value))
        if not mismatches or self._in_static_branch(node):
            return
        self.report(node, f"{self.message}: {'; '.join(mismatches)} (calling `{display}`)")

    def _submodule_forward(self, call: cst.Call) -> tuple[str, cst.FunctionDef] | None:
        """``self.block(...)`` where ``__init__`` sets ``self.block`` to a same-file module whose
        single ``forward`` has no decorator: that forward."""
        func = call.func
        if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)):
            return None
        found = enclosing_class(self.context, call)
        if found is None or func.value.value != method_self_name(found[1]):
            return None
        key = (found[0].name, func.attr.value)
        if key not in self._submodules:
            self._submodules[key] = submodule_class(self.context, found[0], func.attr.value)
        cls = self._submodules[key]
        if cls is None or not cls.is_nn_module:
            return None
        forward = cls.lookup("forward")
        if forward is None or len(forward[1]) != 1 or forward[1][0].decorators:
            return None
        return f"{func.value.value}.{func.attr.value}", forward[1][0]

    def _list_literal(self, value: cst.BaseExpression) -> bool:
        if isinstance(value, cst.List | cst.ListComp):
            return True
        if not isinstance(value, cst.Name):
            return False
        bindings = self.context.scopes.bindings_of(value)
        return bool(bindings) and all(
            isinstance(bound_value(self.context, b.node), cst.List | cst.ListComp) for b in bindings
        )

    def _signature(self, call: cst.Call, target: cst.FunctionDef) -> tuple[Parameter, ...] | None:
        for decorator in target.decorators:
            expression = decorator.decorator
            if isinstance(expression, cst.Call):
                expression = expression.func
            if not self.context.qualified_names(expression) & _KNOWN_DECORATORS:
                return None  # a decorator that may change the signature (overloads included)
        if isinstance(call.func, cst.Name):
            if len(self.context.scopes.bindings_of(call.func)) != 1:
                return None  # a name bound more than once
        elif self._overridden(call, target):
            return None
        return parameters(self.context, target)

    def _overridden(self, call: cst.Call, target: cst.FunctionDef) -> bool:
        """``self.method`` where a same-file subclass (or the class itself) defines it more than
        once: TorchScript compiles the method of the class being scripted."""
        found = enclosing_class(self.context, call)
        if found is None or not isinstance(call.func, cst.Attribute):
            return True
        info = found[0]
        name = call.func.attr.value
        for other in self.context.reach.subclasses(info):
            defs = other.methods.get(name, [])
            if len(defs) > 1 or (defs and defs[-1] is not target):
                return True
        return False

    def _in_static_branch(self, node: cst.Call) -> bool:
        found = enclosing_class(self.context, node)
        self_name = method_self_name(found[1]) if found is not None else None
        return in_static_branch(self.context, node, self_name)


def _describe(parameter: Parameter, value: Type) -> str:
    how = " (no annotation)" if parameter.source == "implicit" else ""
    return f"`{parameter.name}` is `{parameter.type}`{how}, got `{value}`"


def argument_rejected(declared: Type, value: Type) -> bool:
    """True when TorchScript's schema matching for a call of a user function rejects a value
    of type ``value`` for a parameter of type ``declared`` (measured with torch 2.13; unknown
    combinations count as accepted)."""
    if declared.name == "Optional" and declared.args:
        if value == NONE:
            return False
        declared = declared.args[0]
    container = value.name in _CONTAINERS
    if declared == TENSOR:
        return value != TENSOR and (value in (INT, FLOAT, BOOL, STR, NONE, NUMBER) or container)
    if declared in (INT, FLOAT):
        other = FLOAT if declared == INT else INT
        return value in (other, STR, NONE) or container
    if declared in (BOOL, STR):
        return value != declared and (
            value in (INT, FLOAT, BOOL, STR, NONE, NUMBER, TENSOR) or container
        )
    if declared.name == "List" and declared.args and declared.args[0] in (INT, FLOAT):
        element = declared.args[0]
        other = FLOAT if element == INT else INT
        if value in (other, STR, NONE):
            return True
        if value.name in ("List", "Tuple"):
            return any(arg in (other, STR, TENSOR) for arg in value.args)
        return False
    if declared.name == "Tuple" and declared.args:
        if value in (INT, FLOAT, BOOL, STR, NONE, NUMBER, TENSOR) or value.name == "List":
            return True
        if value.name != "Tuple":
            return False
        if len(value.args) != len(declared.args):
            return True
        return any(
            argument_rejected(slot, arg)
            for slot, arg in zip(declared.args, value.args, strict=True)
            if arg.known
        )
    return False
