"""TS120 print-keyword-arguments."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Phase, Rule, Valid


class PrintKeywordRule(Rule):
    """## What it does
    Reports `print(...)` with keyword arguments (`sep=`, `end=`, `file=`, `flush=`) in
    compiled code.

    ## Why is this bad?
    Scripting fails with "print doesn't accept any keyword arguments".

    ## Example
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        print("shape", x.shape, sep=": ", flush=True)
        return x
    ```

    ## Use instead
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        print("shape:", x.shape)
        return x
    ```
    """

    code = "TS120"
    function_local = True
    name = "print-keyword-arguments"
    message = "TorchScript's print does not accept keyword arguments"
    fix_hint = "Pass only positional arguments to print"
    phase = Phase.SEMANTIC

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    print("rows:", x.size(0))
                    if not torch.jit.is_scripting():
                        print("eager only", flush=True)
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
                    print("rows", x.size(0), sep=": ")
                    return x
            """,
            message="TorchScript's print does not accept keyword arguments",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        if any(arg.keyword is not None for arg in node.args) and self.context.matches(
            node.func, "builtins.print"
        ):
            self.report(node)
