"""TS202 unannotated-param-used-as-number."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Valid
from tsinspect.lint.rules._classes import ConservativeRule
from tsinspect.lint.rules._types import flow


class UnannotatedNumberRule(ConservativeRule):
    """## What it does
    Reports `range(n)` in compiled code where `n` is a parameter of the compiled function
    without an annotation (and without a `# type:` signature comment), so that TorchScript
    types it `Tensor`.

    ## Why is this bad?
    TorchScript assumes every unannotated parameter is a `Tensor`. Scripting fails with "all
    inputs of range must be ints, found Tensor (inferred) in argument 0".

    ## Example
    ```python
    def _repeat(self, x: torch.Tensor, times) -> torch.Tensor:
        for _ in range(times):
            x = self.block(x)
        return x
    ```

    ## Use instead
    ```python
    def _repeat(self, x: torch.Tensor, times: int) -> torch.Tensor:
        for _ in range(times):
            x = self.block(x)
        return x
    ```
    """

    code = "TS202"
    name = "unannotated-param-used-as-number"
    message = "TorchScript types an unannotated parameter as Tensor"
    fix_hint = "Annotate the parameter (`n: int`)"

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x):
                    return self._repeat(x, 3) + self._legacy(x, 2)

                def _repeat(self, x: torch.Tensor, times: int) -> torch.Tensor:
                    for _ in range(times):
                        x = x * 2
                    return x

                def _legacy(self, x, times):
                    # type: (torch.Tensor, int) -> torch.Tensor
                    for _ in range(times):
                        x = x + 1
                    return x

                def describe(self, n):
                    return [i for i in range(n)]
            """,
            label="annotated-type-comment-unreached",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self._repeat(x, 3)

                def _repeat(self, x, times):
                    for _ in range(times):
                        x = x * 2
                    return x
            """,
            label="helper",
        ),
        Invalid(
            """
            import torch


            @torch.jit.script
            def fn(x: torch.Tensor, n=None) -> torch.Tensor:
                for i in range(0, n):
                    x = x + i
                return x
            """,
            label="none-default",
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self.context.is_compiled_def(node):
            return
        for call, name in flow(self.context, node).range_of_unannotated:
            self.report(
                call, f"{self.message}: `{name}` has no annotation and is passed to range()"
            )
