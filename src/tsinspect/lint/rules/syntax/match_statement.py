"""TS111 match-statement."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Phase, Rule, Valid


class MatchRule(Rule):
    """## What it does
    Reports a `match` statement in compiled code.

    ## Why is this bad?
    Scripting fails with "Match aren't supported".

    ## Example
    ```python
    def forward(self, x: torch.Tensor, mode: str) -> torch.Tensor:
        match mode:
            case "double":
                return x * 2
            case _:
                return x
    ```

    ## Use instead
    ```python
    def forward(self, x: torch.Tensor, mode: str) -> torch.Tensor:
        if mode == "double":
            return x * 2
        return x
    ```
    """

    code = "TS111"
    function_local = True
    name = "match-statement"
    message = "TorchScript does not support match statements"
    fix_hint = "Use if/elif"
    phase = Phase.SYNTAX

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor, mode: str = "double") -> torch.Tensor:
                    if mode == "double":
                        return x * 2
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
                def forward(self, x: torch.Tensor, mode: str = "double") -> torch.Tensor:
                    match mode:
                        case "double":
                            return x * 2
                        case _:
                            return x
            """,
            message="TorchScript does not support match statements",
        ),
    )

    def visit_Match(self, node: cst.Match) -> None:
        self.report(node)
