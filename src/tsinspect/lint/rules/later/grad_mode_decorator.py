"""TS503 grad-mode-decorator."""

from __future__ import annotations

import libcst as cst

from tsinspect.diagnostics import Severity
from tsinspect.lint.rule import Invalid, Rule, Stage, Valid

GRAD_MODE_DECORATORS = frozenset(
    {
        "torch.no_grad",
        "torch.autograd.no_grad",
        "torch.autograd.grad_mode.no_grad",
        "torch.inference_mode",
        "torch.autograd.inference_mode",
        "torch.autograd.grad_mode.inference_mode",
        "torch.enable_grad",
        "torch.autograd.enable_grad",
        "torch.autograd.grad_mode.enable_grad",
    }
)


class GradModeDecoratorRule(Rule):
    """## What it does
    Reports `@torch.no_grad()`, `@torch.inference_mode()` or `@torch.enable_grad()` used
    as a decorator on a compiled function (`forward`, or a method it calls).

    ## Why is this bad?
    TorchScript compiles the undecorated function and silently drops the decorator: the
    scripted model records gradients where the eager model did not (with an input or a
    parameter that requires grad, the scripted output requires grad and the eager one
    does not), which costs memory and time in serving and changes `requires_grad` of
    outputs.

    ## Example
    ```python
    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(x)
    ```

    ## Use instead
    A `with torch.no_grad():` block inside the body, which TorchScript supports:
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return self.head(x)
    ```
    """

    code = "TS503"
    function_local = True
    name = "grad-mode-decorator"
    message = "TorchScript silently drops grad-mode decorators"
    fix_hint = "Use `with torch.no_grad():` inside the function body"
    severity = Severity.WARNING

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.lin = nn.Linear(4, 4)

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    with torch.no_grad():
                        y = self.lin(x)
                    return y

                @torch.no_grad()
                def init_weights(self) -> None:
                    self.lin.weight.zero_()


            def example_inputs():
                return torch.randn(2, 4, requires_grad=True)
            """,
            label="with-block-and-unreached-decorator",
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
                    self.lin = nn.Linear(4, 4)

                @torch.no_grad()
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self.lin(x)


            def example_inputs():
                return torch.randn(2, 4, requires_grad=True)
            """,
            line=10,
            fails_at=Stage.MATCH,
            label="no-grad-on-forward",
            message="TorchScript silently drops grad-mode decorators: `@torch.no_grad` has no effect in TorchScript",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.lin = nn.Linear(4, 4)

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self.embed(x)

                @torch.inference_mode()
                def embed(self, x: torch.Tensor) -> torch.Tensor:
                    return self.lin(x)
            """,
            line=13,
            fails_at=Stage.MATCH,
            label="inference-mode-on-helper",
            message="TorchScript silently drops grad-mode decorators: `@torch.inference_mode` has no effect in TorchScript",
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self.context.is_compiled_def(node):
            return
        for decorator in node.decorators:
            expression = decorator.decorator
            target = expression.func if isinstance(expression, cst.Call) else expression
            names = self.context.qualified_names(target)
            if not names.isdisjoint(GRAD_MODE_DECORATORS):
                name = sorted(names & GRAD_MODE_DECORATORS)[0]
                # anchored on the def's name: the decorator itself lies before the compiled body
                self.report(
                    decorator,
                    f"{self.message}: `@{name}` has no effect in TorchScript",
                    anchor=node.name,
                )
