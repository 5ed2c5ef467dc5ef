"""TS101 lambda-in-compiled-code."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Phase, Rule, Valid


class LambdaRule(Rule):
    """## What it does
    Reports a `lambda` in code that `torch.jit.script` compiles: `forward`, what it calls,
    `@torch.jit.export` methods, properties, hooks, and `@torch.jit.script` functions. A
    lambda passed to `register_forward_hook` is reported too.

    ## Why is this bad?
    TorchScript has no lambdas: scripting fails with "Lambda aren't supported". The
    front end rejects them before it prunes branches, so even a lambda under
    `if not torch.jit.is_scripting():` fails.

    ## Example
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        double = lambda v: v * 2
        return double(x)
    ```

    ## Use instead
    ```python
    def _double(v: torch.Tensor) -> torch.Tensor:
        return v * 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _double(x)
    ```
    """

    code = "TS101"
    function_local = True
    name = "lambda-in-compiled-code"
    message = "TorchScript does not support lambda"
    fix_hint = "Use a module-level `def` with annotations, or a method"
    phase = Phase.SYNTAX

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            def double(v: torch.Tensor) -> torch.Tensor:
                return v * 2


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return double(x)

                def describe(self):
                    # never compiled: nothing reaches it
                    return sorted([3, 1], key=lambda v: -v)
            """,
            label="unreachable-method",
        ),
        Valid(
            """
            import torch
            from torch import nn

            ACTIVATIONS = {"relu": lambda: nn.ReLU()}


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.act = ACTIVATIONS["relu"]()

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self.act(x)
            """,
            label="lambda-at-module-level-and-init",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    double = lambda v: v * 2
                    return double(x)
            """,
            label="in-forward",
            message="TorchScript does not support lambda",
        ),
        Invalid(
            """
            import torch
            import torch.nn as tnn


            class Model(tnn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self._head(x)

                def _head(self, x: torch.Tensor) -> torch.Tensor:
                    if not torch.jit.is_scripting():
                        scale = lambda v: v * 2
                        return scale(x)
                    return x
            """,
            label="reached-helper-under-is-scripting-guard",
            message="TorchScript does not support lambda",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.register_forward_hook(lambda module, inputs, output: output)

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return x
            """,
            label="forward-hook",
            message="TorchScript does not support lambda",
        ),
        Invalid(
            """
            import torch


            @torch.jit.script
            def fn(x: torch.Tensor) -> torch.Tensor:
                return (lambda v: v + 1)(x)
            """,
            label="script-function",
            message="TorchScript does not support lambda",
        ),
    )

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.report(node)
