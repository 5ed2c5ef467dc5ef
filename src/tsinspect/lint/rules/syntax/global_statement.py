"""TS109 global-statement."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Phase, Rule, Valid


class GlobalStatementRule(Rule):
    """## What it does
    Reports `global` and `nonlocal` statements in compiled code.

    ## Why is this bad?
    TorchScript has no mutable globals: scripting fails with "global variables aren't
    supported". (`nonlocal` needs a nested function, which TorchScript rejects first.)

    ## Example
    ```python
    CALLS = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        global CALLS
        CALLS += 1
        return x
    ```

    ## Use instead
    Keep the state on the module:
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return x
    ```
    """

    code = "TS109"
    function_local = True
    name = "global-statement"
    message = "TorchScript does not support global or nonlocal statements"
    fix_hint = "Keep the state on the module (an attribute or a buffer set in __init__)"
    phase = Phase.SYNTAX

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.calls = 0

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    self.calls += 1
                    return x * 2
            """,
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn

            CALLS = 0


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    global CALLS
                    CALLS = 1
                    return x
            """,
            message="TorchScript does not support global or nonlocal statements",
        ),
    )

    def visit_Global(self, node: cst.Global) -> None:
        self.report(node)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self.report(node)
