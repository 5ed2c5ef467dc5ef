"""TS119 fstring-format-spec."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Phase, Rule, Valid


class FStringFormatRule(Rule):
    """## What it does
    Reports an f-string field with a format spec (`{v:.2f}`), a conversion (`{x!r}`) or the
    `=` debugging form (`{x=}`) in compiled code.

    ## Why is this bad?
    Scripting fails with "Don't support formatting in JoinedStr" or "Don't support
    conversion in JoinedStr". Plain `{v}` fields are fine. (`"{:.2f}".format(v)` scripts but
    prints the braces literally: round the value instead.)

    ## Example
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        print(f"mean={x.mean().item():.3f}")
        return x
    ```

    ## Use instead
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        print(f"mean={round(x.mean().item() * 1000) / 1000}")
        return x
    ```
    """

    code = "TS119"
    function_local = True
    name = "fstring-format-spec"
    message = "TorchScript does not support format specs or conversions in f-strings"
    fix_hint = "Use a plain {value} field (round the value first if needed)"
    phase = Phase.SYNTAX

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> str:
                    return f"rows={x.size(0)} cols={x.size(1)}"
            """,
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> str:
                    return f"mean={x.mean().item():.3f}"
            """,
            label="format-spec",
            message="TorchScript does not support format specs or conversions in f-strings",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> str:
                    name = "rows"
                    return f"{name!r}={x.size(0)}"
            """,
            label="conversion",
            message="TorchScript does not support format specs or conversions in f-strings",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> str:
                    rows = x.size(0)
                    return f"{rows=}"
            """,
            label="debug-equals",
            message="TorchScript does not support format specs or conversions in f-strings",
        ),
    )

    def visit_FormattedStringExpression(self, node: cst.FormattedStringExpression) -> None:
        if node.format_spec is not None or node.conversion is not None or node.equal is not None:
            self.report(node)
