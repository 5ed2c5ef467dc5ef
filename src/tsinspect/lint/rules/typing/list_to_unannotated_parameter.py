"""TS213 list-to-unannotated-parameter."""

from __future__ import annotations

from typing import Literal

import libcst as cst

from tsinspect.lint.calls import bound_value
from tsinspect.lint.classes import enclosing_class, method_self_name
from tsinspect.lint.reach import ClassInfo
from tsinspect.lint.rule import Invalid, LintContext, Valid
from tsinspect.lint.rules.conservative import ConservativeRule
from tsinspect.lint.traversal import walk
from tsinspect.lint.types.annotations import NO_TYPE_LINE, type_line


class ListToUnannotatedParameterRule(ConservativeRule):
    """## What it does
    Reports a call of a submodule, `self.stage(xs)`, that passes a list where the
    submodule's `forward` parameter has no annotation. The submodule's class is read from
    `__init__`: `self.stage = Stage(...)`, or `self.stage, n = self._make_stage(...)` when
    every `return` of that same-file helper builds the class at that position.

    ## Why is this bad?
    TorchScript types an unannotated parameter as `Tensor`, so the call fails to script:
    "Expected a value of type 'Tensor (inferred)' for argument 'x' but instead found type
    'List[Tensor]'", at the call. Eager Python does not care, which is why the mistake
    survives until export (timm's HRNet `SequentialList` is one example).

    ## Example
    ```python
    class Stage(nn.Sequential):
        def forward(self, x) -> List[torch.Tensor]:
            ...

    ys = self.stage([x, x * 2])
    ```

    ## Use instead
    ```python
    class Stage(nn.Sequential):
        def forward(self, x: List[torch.Tensor]) -> List[torch.Tensor]:
            ...
    ```
    """

    code = "TS213"
    function_local = True
    name = "list-to-unannotated-parameter"
    message = "A list passed to an unannotated forward parameter, which TorchScript types as Tensor"
    fix_hint = "Annotate the submodule's forward parameter, e.g. `x: List[torch.Tensor]`"

    VALID = (
        Valid(
            """
            from typing import List, Tuple

            import torch
            from torch import nn


            class Stage(nn.Sequential):
                def forward(self, x: List[torch.Tensor]) -> List[torch.Tensor]:
                    for module in self:
                        x = module(x)
                    return x


            class Branches(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.convs = nn.ModuleList([nn.Linear(4, 4), nn.Linear(4, 4)])

                def forward(self, xs: List[torch.Tensor]) -> List[torch.Tensor]:
                    out: List[torch.Tensor] = []
                    for i, conv in enumerate(self.convs):
                        out.append(conv(xs[i]))
                    return out


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.stage, self.width = self._make_stage(4)

                def _make_stage(self, width: int) -> Tuple[nn.Module, int]:
                    return Stage(Branches()), width

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    xs = [x, x * 2]
                    ys = self.stage(xs)
                    return ys[0] + ys[1]
            """,
            label="annotated-list-parameter",
        ),
        Valid(
            """
            from typing import List

            import torch
            from torch import nn


            class Head(nn.Module):
                def forward(self, xs):
                    # type: (List[torch.Tensor]) -> torch.Tensor
                    return xs[0] + xs[1]


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.head = Head()

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self.head([x, x])
            """,
            label="signature-comment",
        ),
    )
    INVALID = (
        Invalid(
            """
            from typing import List, Tuple

            import torch
            from torch import nn


            class Stage(nn.Sequential):
                def forward(self, x) -> List[torch.Tensor]:
                    for module in self:
                        x = module(x)
                    return x


            class Branches(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.convs = nn.ModuleList([nn.Linear(4, 4), nn.Linear(4, 4)])

                def forward(self, xs: List[torch.Tensor]) -> List[torch.Tensor]:
                    out: List[torch.Tensor] = []
                    for i, conv in enumerate(self.convs):
                        out.append(conv(xs[i]))
                    return out


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.stage, self.width = self._make_stage(4)

                def _make_stage(self, width: int) -> Tuple[nn.Module, int]:
                    return Stage(Branches()), width

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    xs = [x, x * 2]
                    ys = self.stage(xs)
                    return ys[0] + ys[1]
            """,
            label="built-by-a-helper",
            message="A list passed to an unannotated forward parameter, which TorchScript types as Tensor",
        ),
        Invalid(
            """
            from typing import List

            import torch
            from torch import nn


            class Head(nn.Module):
                def forward(self, xs) -> torch.Tensor:
                    return xs[0] + xs[1]


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.head = Head()

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self.head([x, x])
            """,
            label="list-literal-argument",
            message="A list passed to an unannotated forward parameter, which TorchScript types as Tensor",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)):
            return
        found = enclosing_class(self.context, node)
        if found is None:
            return
        info, method = found
        if func.value.value != method_self_name(method):
            return
        parameters = self._unannotated_parameters(
            submodule_class(self.context, info, func.attr.value)
        )
        if parameters is None:
            return
        for index, argument in enumerate(node.args):
            if argument.keyword is not None or argument.star:
                return  # keyword and starred calls: positions are not certain
            if index < len(parameters) and parameters[index] and self._is_list(argument.value):
                self.report(node)
                return

    def _unannotated_parameters(self, cls: ClassInfo | None) -> list[bool] | None:
        """For each positional parameter of the class's single forward: unannotated, no default."""
        if cls is None or not cls.is_nn_module:
            return None
        found = cls.lookup("forward")
        if found is None or len(found[1]) != 1:
            return None  # overloads (@torch.jit._overload_method) type the parameters
        forward = found[1][0]
        if forward.decorators or type_line(self.context, forward) != NO_TYPE_LINE:
            return None
        params = list(forward.params.params)[1:]
        return [param.annotation is None and param.default is None for param in params]

    def _is_list(self, value: cst.BaseExpression) -> bool:
        if isinstance(value, cst.List | cst.ListComp):
            return True
        if not isinstance(value, cst.Name):
            return False
        bindings = self.context.scopes.bindings_of(value)
        return bool(bindings) and all(
            isinstance(bound_value(self.context, binding.node), cst.List | cst.ListComp)
            for binding in bindings
        )


def submodule_class(context: LintContext, info: ClassInfo, attribute: str) -> ClassInfo | None:
    """The same-file class every assignment of ``self.<attribute>`` in ``__init__`` builds."""
    classes: set[str] = set()
    for owner in info.mro():
        for init in owner.methods.get("__init__", []):
            self_name = method_self_name(init)
            for statement in _statements(init.body):
                built = _assigned_class(owner, statement, self_name, attribute)
                if built is False:
                    return None
                if built is not None:
                    classes.add(built)
    if len(classes) != 1:
        return None
    return context.class_info(classes.pop())


def _assigned_class(
    owner: ClassInfo,
    statement: cst.BaseSmallStatement,
    self_name: str | None,
    attribute: str,
) -> str | Literal[False] | None:
    """The class name built for ``self.<attribute>``; None: not assigned here; False: unknown."""
    if not isinstance(statement, cst.Assign) or len(statement.targets) != 1:
        return None
    target = statement.targets[0].target
    if _is_self_attribute(target, self_name, attribute):
        return _constructed(statement.value) or False
    if not isinstance(target, cst.Tuple):
        return None
    positions = [
        i
        for i, element in enumerate(target.elements)
        if _is_self_attribute(element.value, self_name, attribute)
    ]
    if not positions:
        return None
    value = statement.value
    if not (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Attribute)
        and isinstance(value.func.value, cst.Name)
        and value.func.value.value == self_name
    ):
        return False
    helper = owner.lookup(value.func.attr.value)
    if helper is None or len(helper[1]) != 1:
        return False
    built = {_returned_class(ret, positions[0]) for ret in _returns(helper[1][0])}
    if len(built) != 1 or None in built:
        return False
    return built.pop()


def _statements(body: cst.BaseSuite) -> list[cst.BaseSmallStatement]:
    """The simple statements of a function body, including those of its top-level ``if``s."""
    found: list[cst.BaseSmallStatement] = []
    if not isinstance(body, cst.IndentedBlock):
        return found
    for statement in body.body:
        if isinstance(statement, cst.SimpleStatementLine):
            found.extend(statement.body)
        elif isinstance(statement, cst.If):
            found.extend(_statements(statement.body))
            if isinstance(statement.orelse, cst.Else):
                found.extend(_statements(statement.orelse.body))
    return found


def _is_self_attribute(node: cst.BaseExpression, self_name: str | None, attribute: str) -> bool:
    return (
        isinstance(node, cst.Attribute)
        and isinstance(node.value, cst.Name)
        and node.value.value == self_name
        and node.attr.value == attribute
    )


def _constructed(value: cst.BaseExpression) -> str | None:
    """``Cls(...)`` -> "Cls" (a bare name: same-file classes are looked up by the caller)."""
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name):
        return value.func.value
    return None


def _returns(function: cst.FunctionDef) -> list[cst.Return]:
    class _Returns(cst.CSTVisitor):
        def __init__(self) -> None:
            super().__init__()
            self.found: list[cst.Return] = []

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is function  # nested defs return for themselves

        def visit_Return(self, node: cst.Return) -> None:
            self.found.append(node)

    finder = _Returns()
    walk(function, finder)
    return finder.found


def _returned_class(statement: cst.Return, position: int) -> str | None:
    value = statement.value
    if not isinstance(value, cst.Tuple) or position >= len(value.elements):
        return None
    return _constructed(value.elements[position].value)
