"""TS104 import-in-compiled-code."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Phase, Rule, Valid


class ImportRule(Rule):
    """## What it does
    Reports an `import` or `from ... import` statement inside a compiled function.

    ## Why is this bad?
    TorchScript fails with "import statements aren't supported", even under an
    `is_scripting()` guard. Imports done lazily to save start-up time must move.

    ## Example
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        import torch.nn.functional as F
        return F.relu(x)
    ```

    ## Use instead
    ```python
    import torch.nn.functional as F

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x)
    ```
    """

    code = "TS104"
    function_local = True
    name = "import-in-compiled-code"
    message = "TorchScript does not support import statements inside compiled functions"
    fix_hint = "Import at the top of the module"
    phase = Phase.SYNTAX

    VALID = (
        Valid(
            """
            import torch
            import torch.nn.functional as F
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return F.relu(x)

                def export_onnx(self, path: str) -> None:
                    import io  # not compiled: nothing reaches it

                    io.BytesIO()
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
                    import torch.nn.functional as F

                    return F.relu(x)
            """,
            message="TorchScript does not support import statements inside compiled functions",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    from math import sqrt

                    return x * sqrt(2.0)
            """,
            label="from-import",
            message="TorchScript does not support import statements inside compiled functions",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if not torch.jit.is_scripting():
                        import math

                        return x * math.sqrt(2.0)
                    return x
            """,
            label="under-is-scripting-guard",
            message="TorchScript does not support import statements inside compiled functions",
        ),
    )

    def visit_Import(self, node: cst.Import) -> None:
        self.report(node)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self.report(node)
