"""TS206 return-type-mismatch."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Valid
from tsinspect.lint.rules.conservative import ConservativeRule
from tsinspect.lint.types.flow import flow


class ReturnTypeMismatchRule(ConservativeRule):
    """## What it does
    Reports a `return` whose value has a different type than an earlier `return` of the
    same compiled function (a Tensor, then an int), or than the return annotation (an int
    for `-> float` too). Only certain types count; `None` next to a Tensor is fine (the type
    becomes Optional), and so is a Tensor returned for `-> float` or `-> int` (converted).

    ## Why is this bad?
    A TorchScript function has one return type. Scripting fails with "Previous return
    statement returned a value of type Tensor but this return statement returns a value
    of type int", or "Return value was annotated as having type Tensor but is actually of
    type int", at the offending `return`.

    ## Example
    ```python
    def forward(self, x: torch.Tensor):
        if x.numel() == 0:
            return 0
        return x.mean()
    ```

    ## Use instead
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.numel() == 0:
            return torch.zeros(())
        return x.mean()
    ```
    """

    code = "TS206"
    function_local = True
    name = "return-type-mismatch"
    message = "TorchScript needs every return of a function to have the same type"
    fix_hint = "Return one type on every path (torch.zeros(()) instead of 0, 0.0 instead of 0)"

    VALID = (
        Valid(
            """
            from typing import Optional

            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    y = self._maybe(x)
                    if y is None:
                        return x
                    return y * self._count(x)

                def _maybe(self, x: torch.Tensor) -> Optional[torch.Tensor]:
                    if x.numel() == 0:
                        return None
                    return x * 2

                def _count(self, x: torch.Tensor) -> float:
                    if x.dim() == 2:
                        return float(1)
                    if x.dim() == 3:
                        return x.sum()
                    return 0.5
            """,
            label="optional-same-types-tensor-for-float",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x):
                    if x.sum() > 0:
                        return x
                    return 0
            """,
            label="tensor-then-int",
            message="TorchScript needs every return of a function to have the same type: this return gives int, an earlier return gives Tensor",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return x * self._factor(x)

                def _factor(self, x: torch.Tensor):
                    if x.dim() == 2:
                        return 1
                    return 0.5
            """,
            label="int-then-float-in-helper",
            message="TorchScript needs every return of a function to have the same type: this return gives float, an earlier return gives int",
        ),
        Invalid(
            """
            import torch


            @torch.jit.script
            def fn(x: torch.Tensor) -> torch.Tensor:
                if x.sum() > 0:
                    return x
                return 0
            """,
            label="annotated",
            message="TorchScript needs every return of a function to have the same type: this return gives int, the annotation says Tensor",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return x * self._factor(x)

                def _factor(self, x: torch.Tensor) -> float:
                    if x.dim() == 2:
                        return 1
                    return 0.5
            """,
            label="int-for-float-annotation",
            message="TorchScript needs every return of a function to have the same type: this return gives int, the annotation says float",
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self.context.is_compiled_def(node):
            return
        for mismatch in flow(self.context, node).return_mismatches:
            earlier = "the annotation says" if mismatch.annotated else "an earlier return gives"
            self.report(
                mismatch.node,
                f"{self.message}: this return gives {mismatch.actual}, {earlier} {mismatch.expected}",
            )
