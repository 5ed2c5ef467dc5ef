"""TS113 set-in-compiled-code."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Phase, Rule, Valid


class SetLiteralRule(Rule):
    """## What it does
    Reports a set literal (`{a, b}`) or a set comprehension (`{v for v in xs}`) in compiled code.

    ## Why is this bad?
    TorchScript has no set type: scripting fails with "Set aren't supported" or
    "SetComp aren't supported". (`set()` scripts but cannot be saved: another rule.)

    ## Example
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() in {3, 4}:
            x = x.flatten(1)
        return x
    ```

    ## Use instead
    A list or a tuple (`in` works on both), or a `Dict[K, bool]` for a growing set:
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() in [3, 4]:
            x = x.flatten(1)
        return x
    ```
    """

    code = "TS113"
    function_local = True
    name = "set-in-compiled-code"
    message = "TorchScript does not support sets"
    fix_hint = "Use a list or tuple, or a Dict[K, bool] as a set"
    phase = Phase.SYNTAX

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    seen = {k: True for k in [1, 2]}
                    if x.dim() in [3, 4] and 1 in seen:
                        x = x.flatten(1)
                    return x
            """,
            label="list-membership-and-dict-comprehension",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if x.dim() in {3, 4}:
                        x = x.flatten(1)
                    return x
            """,
            label="set-literal",
            message="TorchScript does not support sets",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    dims = {d for d in range(x.dim())}
                    return x * len(dims)
            """,
            label="set-comprehension",
            message="TorchScript does not support sets",
        ),
    )

    def visit_Set(self, node: cst.Set) -> None:
        self.report(node)

    def visit_SetComp(self, node: cst.SetComp) -> None:
        self.report(node)
