"""TS110 walrus-operator."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Phase, Rule, Valid


class WalrusRule(Rule):
    """## What it does
    Reports an assignment expression (`:=`, the walrus operator) in compiled code.

    ## Why is this bad?
    Scripting fails with "NamedExpr aren't supported".

    ## Example
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if (n := x.size(0)) > 1:
            x = x / n
        return x
    ```

    ## Use instead
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.size(0)
        if n > 1:
            x = x / n
        return x
    ```
    """

    code = "TS110"
    function_local = True
    name = "walrus-operator"
    message = "TorchScript does not support assignment expressions (:=)"
    fix_hint = "Assign in a separate statement"
    phase = Phase.SYNTAX

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    n = x.size(0)
                    if n > 1:
                        x = x / n
                    return x
            """,
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if (n := x.size(0)) > 1:
                        x = x / n
                    return x
            """,
            message="TorchScript does not support assignment expressions (:=)",
        ),
    )

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self.report(node)
