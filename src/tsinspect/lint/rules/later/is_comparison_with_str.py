"""TS510 is-comparison-with-str."""

from __future__ import annotations

import libcst as cst

from tsinspect.diagnostics import Severity
from tsinspect.lint.calls import string_value
from tsinspect.lint.rule import Invalid, Rule, Stage, Valid


class IsStrRule(Rule):
    """## What it does
    Reports `is` / `is not` comparisons with a string literal in compiled code
    (`if self.mode is "sum":`).

    ## Why is this bad?
    In Python, equal short strings are usually the same interned object, so the check
    happens to work. TorchScript compares string identity differently: `mode is "sum"` is
    False even when `mode == "sum"`, so the scripted model silently takes the other branch.

    ## Example
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.reduction is "sum":
            return x.sum()
        return x.mean()
    ```

    ## Use instead
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.reduction == "sum":
            return x.sum()
        return x.mean()
    ```
    """

    code = "TS510"
    function_local = True
    name = "is-comparison-with-str"
    message = "`is` with a string literal: TorchScript's result differs from Python's"
    fix_hint = "Compare strings with `==` / `!=`"
    severity = Severity.WARNING

    VALID = (
        Valid(
            """
            from typing import Optional

            import torch
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.reduction = "sum"

                def forward(self, x: torch.Tensor, name: Optional[str] = None) -> torch.Tensor:
                    if name is None and self.reduction == "sum":
                        return x.sum()
                    return x.mean()
            """,
            label="equality-and-none-check",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.reduction = "sum"

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if self.reduction is "sum":
                        return x.sum()
                    return x.mean()
            """,
            line=11,
            fails_at=Stage.MATCH,
            label="attribute-is-literal",
            message="`is` with a string literal: TorchScript's result differs from Python's",
        ),
    )

    def visit_Comparison(self, node: cst.Comparison) -> None:
        left = node.left
        for target in node.comparisons:
            if isinstance(target.operator, cst.Is | cst.IsNot) and (
                string_value(left) is not None or string_value(target.comparator) is not None
            ):
                self.report(node)
                return
            left = target.comparator
