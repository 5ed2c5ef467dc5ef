"""TS209 sum-of-tensors."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Valid
from tsinspect.lint.rules.conservative import ConservativeRule
from tsinspect.lint.types.flow import flow


class SumOfTensorsRule(ConservativeRule):
    """## What it does
    Reports the builtin `sum` applied to a list literal of Tensors (`sum([a, b, c])`).

    ## Why is this bad?
    TorchScript's `sum` builtin only adds lists of numbers; with a list of Tensors it
    resolves to `torch.sum` and fails with "Arguments for call are not valid ...
    Expected a value of type 'Tensor' for argument 'self'".

    ## Example
    ```python
    return sum([a, b, c])
    ```

    ## Use instead
    ```python
    return torch.stack([a, b, c]).sum(0)  # or a + b + c
    ```
    """

    code = "TS209"
    function_local = True
    name = "sum-of-tensors"
    message = "TorchScript's sum() does not add Tensors"
    fix_hint = "Use torch.stack(tensors).sum(0), or add them with +"

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    n = sum([1, 2, x.dim()])
                    return torch.stack([x, x * 2]).sum(0) * n
            """,
            label="ints-and-stack",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return sum([x, x * 2])
            """,
            label="list-of-tensors",
            message="TorchScript's sum() does not add Tensors",
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self.context.is_compiled_def(node):
            for call in flow(self.context, node).sums_of_tensors:
                self.report(call)
