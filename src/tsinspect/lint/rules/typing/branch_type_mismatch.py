"""TS204 branch-type-mismatch."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Valid
from tsinspect.lint.rules.conservative import ConservativeRule
from tsinspect.lint.types.flow import flow


class BranchTypeMismatchRule(ConservativeRule):
    """## What it does
    Reports an `if` whose branches assign a variable values of two different types
    (a Tensor and an int, an int and a float...) when the variable is used after the `if`,
    and a ternary `a if c else b` whose arms have different types. Only certain types
    count: literals, annotated and unannotated parameters, `torch` factories and common
    Tensor methods.

    ## Why is this bad?
    TorchScript gives every variable one static type. At the merge after the `if` it fails
    with "Type mismatch: y is set to type Tensor in the true branch and type int in the
    false branch"; a ternary fails with "if-expression's true branch has type Tensor but
    false branch has type int". `None` in one branch is fine (the type becomes Optional),
    and so are straight-line reassignments (`y = 0; y = x.sum()`).

    ## Example
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bias = self.proj(x) if self.use_bias else 0
        return x + bias
    ```

    ## Use instead
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bias = self.proj(x) if self.use_bias else torch.zeros_like(x)
        return x + bias
    ```
    """

    code = "TS204"
    function_local = True
    name = "branch-type-mismatch"
    message = "TorchScript needs the same type on both branches"
    fix_hint = (
        "Give both branches the same type (torch.zeros_like(x) instead of 0, 0.0 instead of 0)"
    )

    VALID = (
        Valid(
            """
            from typing import Optional

            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> Optional[torch.Tensor]:
                    if x.sum() > 0:
                        y = x * 2
                    else:
                        y = 0
                    y = 1.0
                    z = x.sum()
                    z = 0
                    if x.numel() > 1:
                        w = x
                    else:
                        w = None
                    s = 2 if x.dim() == 2 else 3
                    t = x if x.numel() > 0 else torch.zeros_like(x)
                    with torch.no_grad():
                        u = t * s * y * z
                    return w if w is not None else u
            """,
            label="unused-none-straight-line-same-types",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if x.sum() > 0:
                        y = x * 2
                    else:
                        y = 0
                    return x + y
            """,
            label="tensor-and-int",
            message="TorchScript needs the same type on both branches: `y` is Tensor in one branch and int in the other",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self._scale(x)

                def _scale(self, x: torch.Tensor) -> torch.Tensor:
                    if x.dim() == 2:
                        s = 1
                    else:
                        s = 0.5
                    return x * s
            """,
            label="int-and-float-in-helper",
            message="TorchScript needs the same type on both branches: `s` is int in one branch and float in the other",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    y = x if x.sum() > 0 else 0
                    return x + y
            """,
            label="ternary",
            message="TorchScript needs the same type on both branches: the arms are Tensor and int",
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self.context.is_compiled_def(node):
            return
        for mismatch in flow(self.context, node).branch_mismatches:
            if isinstance(mismatch.node, cst.IfExp):
                detail = f"the arms are {mismatch.first} and {mismatch.second}"
            else:
                detail = f"`{mismatch.name}` is {mismatch.first} in one branch and {mismatch.second} in the other"
            self.report(mismatch.node, f"{self.message}: {detail}")
