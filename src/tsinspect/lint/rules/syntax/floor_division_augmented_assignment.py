"""TS118 floor-division-augmented-assignment."""

from __future__ import annotations

import libcst as cst

from tsinspect.diagnostics import Edit, Span
from tsinspect.lint.rule import Invalid, Phase, Rule, Valid


class FloorDivAssignRule(Rule):
    """## What it does
    Reports the augmented assignment `n //= k` in compiled code.

    ## Why is this bad?
    Scripting fails with "unsupported kind of augmented assignment: FloorDiv". The other
    augmented assignments (`+=`, `*=`, `**=`...) and `n = n // k` are fine.

    ## Example
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.size(0)
        n //= 2
        return x[:n]
    ```

    ## Use instead
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.size(0)
        n = n // 2
        return x[:n]
    ```

    ## Fix safety
    The fix rewrites `n //= k` on a plain name as `n = n // k` (parenthesizing a compound
    `k`), which Python evaluates identically. A target that is an attribute or a subscript
    (`self.n //= 2`, `xs[i] //= 2`) is only reported: rewriting it would evaluate the target
    expression twice.
    """

    code = "TS118"
    function_local = True
    name = "floor-division-augmented-assignment"
    fixable = True
    message = "TorchScript does not support `//=`"
    fix_hint = "Write `n = n // k`"
    phase = Phase.SYNTAX

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    n = x.size(0)
                    n = n // 2
                    n *= 1
                    n += 1
                    return x[:n]
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
                    n = x.size(0)
                    n //= 2
                    return x[:n]
            """,
            message="TorchScript does not support `//=`",
            fixed="""
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    n = x.size(0)
                    n = n // 2
                    return x[:n]
            """,
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    n = x.size(0)
                    if not torch.jit.is_scripting():
                        n //= 2
                    return x[:n]
            """,
            label="under-is-scripting-guard",
            message="TorchScript does not support `//=`",
            fixed="""
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    n = x.size(0)
                    if not torch.jit.is_scripting():
                        n = n // 2
                    return x[:n]
            """,
        ),
    )

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if not isinstance(node.operator, cst.FloorDivideAssign):
            return
        edits: list[Edit] = []
        # Mechanical rewrite for a simple name target: `n //= k` -> `n = n // (k)`.
        if isinstance(node.target, cst.Name):
            span = self.context.position(node)
            value = self.context.module.code_for_node(node.value)
            needs_parens = not isinstance(
                node.value, cst.Name | cst.Integer | cst.Float | cst.Attribute | cst.Call
            )
            right = f"({value})" if needs_parens else value
            edits.append(
                Edit(
                    Span(
                        span.start.line, span.start.column + 1, span.end.line, span.end.column + 1
                    ),
                    f"{node.target.value} = {node.target.value} // {right}",
                )
            )
        self.report(node, edits=edits)
