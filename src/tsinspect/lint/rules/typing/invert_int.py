"""TS210 invert-int."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Valid
from tsinspect.lint.rules.conservative import ConservativeRule
from tsinspect.lint.types.flow import flow


class InvertIntRule(ConservativeRule):
    """## What it does
    Reports the bitwise inversion `~n` of a value that is certainly an `int` (an int
    literal or parameter, `len(...)`, `x.dim()`, `x.size(d)`...).

    ## Why is this bad?
    TorchScript has `~` only for Tensors (`aten::bitwise_not`): on an int, scripting fails
    with "Arguments for call are not valid ... Expected a value of type 'Tensor' for
    argument 'self' but instead found type 'int'".

    ## Example
    ```python
    last = x.size(~0)
    ```

    ## Use instead
    ```python
    last = x.size(-1)  # ~n == -n - 1
    ```
    """

    code = "TS210"
    function_local = True
    name = "invert-int"
    message = "TorchScript does not support ~ on an int"
    fix_hint = "Write -n - 1 instead of ~n"

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    mask = x > 0
                    n = x.dim()
                    return x * (~mask) * (-n - 1)
            """,
            label="tensor-mask-and-negation",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    n = x.dim()
                    return x * ~n
            """,
            label="dim",
            message="TorchScript does not support ~ on an int",
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self.context.is_compiled_def(node):
            for invert in flow(self.context, node).int_inverts:
                self.report(invert)
