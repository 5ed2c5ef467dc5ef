"""TS107 async-function."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Phase, Rule, Valid


class AsyncFunctionRule(Rule):
    """## What it does
    Reports an `async def` that TorchScript compiles (`forward`, a reached method, a
    `@torch.jit.script` function).

    ## Why is this bad?
    TorchScript only compiles plain functions: scripting fails with "Expected a single
    top-level function".

    ## Example
    ```python
    async def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * 2
    ```

    ## Use instead
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * 2
    ```
    """

    code = "TS107"
    function_local = True
    name = "async-function"
    message = "TorchScript does not support async functions"
    fix_hint = "Use a plain `def`; run asynchronous work outside the model"
    phase = Phase.SYNTAX

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return x * 2

                async def warm_up(self) -> None:
                    pass
            """,
            label="unreachable-async-method",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch


            @torch.jit.script
            async def fn(x: torch.Tensor) -> torch.Tensor:
                return x * 2
            """,
            label="script-function",
            message="TorchScript does not support async functions",
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.asynchronous is not None and self.context.is_compiled_def(node):
            # TorchScript names the first line of the source it fetched: the first decorator.
            self.report(node.decorators[0] if node.decorators else node.name, anchor=node.name)
