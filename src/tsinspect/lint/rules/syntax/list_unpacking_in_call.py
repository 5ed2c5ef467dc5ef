"""TS117 list-unpacking-in-call."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Phase, Rule, Valid

LIST_ANNOTATIONS = frozenset({"typing.List", "builtins.list"})


class ListUnpackingRule(Rule):
    """## What it does
    Reports `*value` in a call in compiled code when `value` is certainly a list: a
    tensor's `.shape` or `.size()` (or a slice of them), a list literal or comprehension,
    or a name annotated `List[...]` / `list[...]`.

    ## Why is this bad?
    TorchScript must know the number of arguments at compile time. A list's length is not
    known, so scripting fails with "cannot statically infer the expected size of a list in
    this context". `*tuple` is fine: a tuple's length is part of its type.

    ## Example
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.view(*x.shape[:1], -1)
    ```

    ## Use instead
    Pass a list (a tensor's shape methods accept one), or unpack a tuple:
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.view([x.size(0), -1])
    ```
    """

    code = "TS117"
    function_local = True
    name = "list-unpacking-in-call"
    message = "TorchScript cannot unpack a list (*list) into call arguments"
    fix_hint = "Pass a list instead, e.g. x.view([x.size(0), -1]), or unpack a tuple"
    phase = Phase.SEMANTIC

    VALID = (
        Valid(
            """
            from typing import Tuple

            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    dims: Tuple[int, int] = (1, 0)
                    y = x.permute(*dims)
                    return y.reshape([x.size(1), -1])
            """,
            label="star-tuple-and-list-argument",
        ),
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if not torch.jit.is_scripting():
                        return x.view(*x.shape)
                    return x.view(x.shape)
            """,
            label="guarded-by-is-scripting",
        ),
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return x.reshape(*((1,) + (x.size(0), x.size(1))))
            """,
            label="star-tuple-concatenation",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    b, c = x.shape
                    return x.view(*([b] + [c]))
            """,
            label="list-concatenation",
            message="TorchScript cannot unpack a list (*list) into call arguments",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return x.view(*x.shape[:1], -1)
            """,
            label="shape-slice",
            message="TorchScript cannot unpack a list (*list) into call arguments",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return x.new_zeros(*x.size())
            """,
            label="size-call",
            message="TorchScript cannot unpack a list (*list) into call arguments",
        ),
        Invalid(
            """
            from typing import List

            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    order: List[int] = [1, 0]
                    return x.permute(*order)
            """,
            label="annotated-list-name",
            message="TorchScript cannot unpack a list (*list) into call arguments",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return x.permute(*[1, 0])
            """,
            label="list-literal",
            message="TorchScript cannot unpack a list (*list) into call arguments",
        ),
    )

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.star == "*" and self._is_list(node.value):
            self.report(node)

    def _is_list(self, value: cst.BaseExpression) -> bool:
        if isinstance(value, cst.List | cst.ListComp):
            return True
        if isinstance(value, cst.Subscript):
            # a slice of a list is a list; an index of one is an element
            return all(isinstance(e.slice, cst.Slice) for e in value.slice) and self._is_shape(
                value.value
            )
        if isinstance(value, cst.Name):
            return self._annotated_list(value)
        if isinstance(value, cst.BinaryOperation) and isinstance(
            value.operator, cst.Add | cst.Multiply
        ):
            # `[b] + sizes + [c]`, `[1] * n`: a list as soon as one operand is one
            return self._is_list(value.left) or self._is_list(value.right)
        return self._is_shape(value)

    @staticmethod
    def _is_shape(value: cst.BaseExpression) -> bool:
        if isinstance(value, cst.Attribute):
            return value.attr.value == "shape"
        return (
            isinstance(value, cst.Call)
            and not value.args
            and isinstance(value.func, cst.Attribute)
            and value.func.attr.value == "size"
        )

    def _annotated_list(self, name: cst.Name) -> bool:
        bindings = self.context.scopes.bindings_of(name)
        if not bindings:
            return False
        for binding in bindings:
            annotation = _annotation_of(binding.node, self.context.parent)
            if annotation is None:
                return False
            base = annotation.value if isinstance(annotation, cst.Subscript) else annotation
            if not self.context.qualified_names(base) & LIST_ANNOTATIONS:
                return False
        return True


def _annotation_of(node: object, parent: object) -> cst.BaseExpression | None:
    """The annotation of a parameter or annotated assignment binding ``node``, if any."""
    if isinstance(node, cst.Param):
        return node.annotation.annotation if node.annotation else None
    if isinstance(node, cst.AnnAssign):
        return node.annotation.annotation
    if isinstance(node, cst.Name) and callable(parent):
        owner = parent(node)
        if isinstance(owner, cst.Param | cst.AnnAssign):
            return _annotation_of(owner, None)
    return None
