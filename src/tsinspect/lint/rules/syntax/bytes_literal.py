"""TS121 bytes-literal."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Phase, Rule, Valid


class BytesLiteralRule(Rule):
    """## What it does
    Reports a bytes literal (`b"..."`) in compiled code.

    ## Why is this bad?
    TorchScript has no bytes type: scripting fails with "Unknown Constant expression type".

    ## Example
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tag = b"v1"
        return x
    ```

    ## Use instead
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tag = "v1"
        return x
    ```
    """

    code = "TS121"
    function_local = True
    name = "bytes-literal"
    message = "TorchScript does not support bytes literals"
    fix_hint = "Use a str literal"
    phase = Phase.SYNTAX

    VALID = (
        Valid(
            """
            import torch
            from torch import nn

            MAGIC = b"never read by compiled code"


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> str:
                    return "v1" + str(x.size(0))
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
                    tag = b"v1"
                    return x
            """,
            message="TorchScript does not support bytes literals",
        ),
    )

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if "b" in node.prefix.lower():
            self.report(node)
