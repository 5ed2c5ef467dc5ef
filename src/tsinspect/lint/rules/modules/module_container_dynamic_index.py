"""TS308 module-container-dynamic-index."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.classes import (
    class_facts,
    container_kind,
    enclosing_class,
    is_self_attribute,
    method_self_name,
)
from tsinspect.lint.rule import Invalid, Valid
from tsinspect.lint.rules.conservative import ConservativeRule


def _int_literal(expression: cst.BaseExpression) -> bool:
    if isinstance(expression, cst.UnaryOperation) and isinstance(expression.operator, cst.Minus):
        expression = expression.expression
    return isinstance(expression, cst.Integer)


class ModuleContainerIndexRule(ConservativeRule):
    """## What it does
    Reports indexing an `nn.ModuleList` or `nn.Sequential` with anything but an integer
    literal (`self.layers[i]`, also with `i` from `range` or `enumerate`), and an
    `nn.ModuleDict` with anything but a string literal (`self.heads[name]`, a loop over
    `.keys()`), where `__init__` assigns the attribute one of these containers.

    ## Why is this bad?
    TorchScript unrolls module containers at compile time, so each index must be a literal:
    "Expected integer literal for index but got a variable or non-integer.
    ModuleList/Sequential indexing is only supported with integer literals" (measured with
    `range(len(...))` and `enumerate` loop variables too), or "Unable to extract string
    literal index. ModuleDict indexing is only supported with string literals".

    ## Example
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i in range(len(self.layers)):
            x = self.norms[i](self.layers[i](x))
        return x
    ```

    ## Use instead
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer, norm in zip(self.layers, self.norms):
            x = norm(layer(x))
        return x
    ```
    """

    code = "TS308"
    function_local = True
    name = "module-container-dynamic-index"
    message = "TorchScript indexes module containers only with literals"
    fix_hint = "Iterate the container (for m in ..., enumerate, zip, ModuleDict.items()) or use a literal index"

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])
                    self.norms = nn.ModuleList([nn.LayerNorm(4) for _ in range(3)])
                    self.heads = nn.ModuleDict({"a": nn.Linear(4, 4), "b": nn.Linear(4, 4)})
                    self.scales = [1.0, 2.0, 3.0]

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    for i, (layer, norm) in enumerate(zip(self.layers, self.norms)):
                        x = norm(layer(x)) * self.scales[i]
                    for name, head in self.heads.items():
                        x = x + head(x)
                    if not torch.jit.is_scripting():
                        for i in range(3):
                            print(self.layers[i](x).shape)
                    return self.layers[-1](self.heads["a"](x))
            """,
            label="iteration-literals-list-guarded",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    for i in range(len(self.layers)):
                        x = self.layers[i](x)
                    return x
            """,
            label="range-index",
            message="TorchScript indexes module containers only with literals: nn.ModuleList `self.layers` indexed by a variable",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])
                    self.norms = nn.ModuleList([nn.LayerNorm(4) for _ in range(3)])

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    for i, layer in enumerate(self.layers):
                        x = self.norms[i](layer(x))
                    return x
            """,
            label="enumerate-index",
            message="TorchScript indexes module containers only with literals: nn.ModuleList `self.norms` indexed by a variable",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.heads = nn.ModuleDict({"a": nn.Linear(4, 4), "b": nn.Linear(4, 4)})

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self._all(x)

                def _all(self, x: torch.Tensor) -> torch.Tensor:
                    out = x
                    for key in self.heads.keys():
                        out = out + self.heads[key](x)
                    return out
            """,
            label="moduledict-keys-in-helper",
            message="TorchScript indexes module containers only with literals: nn.ModuleDict `self.heads` indexed by a non-literal key",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.body = nn.Sequential(nn.Linear(4, 4), nn.ReLU())

                def forward(self, x: torch.Tensor, i: int = 0) -> torch.Tensor:
                    return self.body[i](x)
            """,
            label="sequential-parameter-index",
            message="TorchScript indexes module containers only with literals: nn.Sequential `self.body` indexed by a variable",
        ),
    )

    def visit_Subscript(self, node: cst.Subscript) -> None:
        value = node.value
        if len(node.slice) != 1 or not isinstance(value, cst.Attribute):
            return
        index = node.slice[0].slice
        if not isinstance(index, cst.Index):
            return
        expression = index.value
        # an attribute index may be a Final constant: not sure
        if not isinstance(expression, cst.Name | cst.BinaryOperation | cst.Call | cst.Subscript):
            return
        found = enclosing_class(self.context, node)
        if found is None:
            return
        info, method = found
        if not info.is_nn_module or not is_self_attribute(value, method_self_name(method)):
            return
        kind = container_kind(self.context, class_facts(self.context, info), value.attr.value)
        if kind is None:
            return
        if kind == "ModuleDict" and not isinstance(expression, cst.SimpleString):
            self.report(
                node,
                f"{self.message}: nn.ModuleDict `self.{value.attr.value}` indexed by a non-literal key",
            )
        elif kind != "ModuleDict" and not _int_literal(expression):
            self.report(
                node, f"{self.message}: nn.{kind} `self.{value.attr.value}` indexed by a variable"
            )
