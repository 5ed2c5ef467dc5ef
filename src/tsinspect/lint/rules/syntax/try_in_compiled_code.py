"""TS105 try-in-compiled-code."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Phase, Rule, Valid


class TryRule(Rule):
    """## What it does
    Reports a `try` statement (`try/except`, `try/finally`, `try/except*`) in compiled code.

    ## Why is this bad?
    TorchScript has no exception handling: scripting fails with "try blocks aren't
    supported", even under an `is_scripting()` guard.

    ## Example
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        try:
            return self.fast(x)
        except RuntimeError:
            return self.slow(x)
    ```

    ## Use instead
    Check the condition with `if` and `raise`; keep Python-only handling in a
    `@torch.jit.ignore` helper (which cannot be exported).
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 2:
            raise ValueError("expected a 2-D input")
        return self.fast(x)
    ```
    """

    code = "TS105"
    function_local = True
    name = "try-in-compiled-code"
    message = "TorchScript does not support try blocks"
    fix_hint = "Check with `if` and `raise`, or move the handling out of the compiled code"
    phase = Phase.SYNTAX

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if x.dim() != 2:
                        raise ValueError("expected a 2-D input")
                    return x * 2

                @torch.jit.ignore
                def load(self, path: str) -> None:
                    try:
                        open(path).close()
                    except OSError:
                        pass
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
                    try:
                        y = x * 2
                    except RuntimeError:
                        y = x
                    return y
            """,
            message="TorchScript does not support try blocks",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            def _safe(x: torch.Tensor) -> torch.Tensor:
                try:
                    return x.relu()
                finally:
                    pass


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return _safe(x)
            """,
            label="try-finally-in-called-function",
            message="TorchScript does not support try blocks",
        ),
    )

    def visit_Try(self, node: cst.Try) -> None:
        self.report(node)

    def visit_TryStar(self, node: cst.TryStar) -> None:
        self.report(node)
