"""TS112 loop-else."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Phase, Rule, Valid


class LoopElseRule(Rule):
    """## What it does
    Reports a `for ... else` or `while ... else` loop in compiled code.

    ## Why is this bad?
    Scripting fails: "else branches of for loops aren't supported"; for `while ... else`
    the error is an internal one ("incompatible constructor arguments") with no line.

    ## Example
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        else:
            x = x * 2
        return x
    ```

    ## Use instead
    A flag variable, or the code after the loop:
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        x = x * 2
        return x
    ```
    """

    code = "TS112"
    function_local = True
    name = "loop-else"
    message = "TorchScript does not support else branches on for/while loops"
    fix_hint = "Use a found/broke flag variable, or put the code after the loop"
    phase = Phase.SYNTAX

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    found = False
                    for i in range(3):
                        if i == 2:
                            found = True
                            break
                    if not found:
                        x = x * 2
                    else:
                        x = x + 1
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
                    for i in range(3):
                        x = x + i
                    else:
                        x = x * 2
                    return x
            """,
            label="for-else",
            message="TorchScript does not support else branches on for/while loops",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    i = 0
                    while i < 3:
                        i += 1
                    else:
                        x = x * 2
                    return x
            """,
            line=8,
            error_has_line=False,
            label="while-else",
            message="TorchScript does not support else branches on for/while loops",
        ),
    )

    def visit_For(self, node: cst.For) -> None:
        if node.orelse is not None:
            self.report(node)

    def visit_While(self, node: cst.While) -> None:
        if node.orelse is not None:
            self.report(node)
