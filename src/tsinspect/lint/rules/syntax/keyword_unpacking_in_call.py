"""TS116 keyword-unpacking-in-call."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Phase, Rule, Valid


class KeywordUnpackingRule(Rule):
    """## What it does
    Reports `**mapping` in a call in compiled code (`f(**options)`).

    ## Why is this bad?
    Scripting fails with "keyword-arg expansion is not supported".

    ## Example
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        options = {"dim": 1}
        return torch.softmax(x, **options)
    ```

    ## Use instead
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(x, dim=1)
    ```
    """

    code = "TS116"
    function_local = True
    name = "keyword-unpacking-in-call"
    message = "TorchScript does not support **mapping in calls"
    fix_hint = "Spell out the keyword arguments"
    phase = Phase.SYNTAX

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    merged = dict(dim=1)
                    return torch.softmax(x, dim=merged["dim"])
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
                    options = {"dim": 1}
                    return torch.softmax(x, **options)
            """,
            message="TorchScript does not support **mapping in calls",
        ),
    )

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.star == "**":
            self.report(node)
