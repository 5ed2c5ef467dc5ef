"""TS406 factory-requires-grad."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.calls import keyword
from tsinspect.lint.rule import Invalid, Phase, Rule, Valid
from tsinspect.lint.types.library import FACTORIES, FACTORY_METHODS, OTHER_FACTORIES

# Tensor factories whose TorchScript schema has no `requires_grad` (each measured on torch 2.13).
# `torch.tensor(..., requires_grad=...)` is the exception: it scripts.
TORCH_FACTORIES = FACTORIES | OTHER_FACTORIES


class FactoryRequiresGradRule(Rule):
    """## What it does
    Reports `requires_grad=` passed to a tensor factory in compiled code: `torch.zeros`,
    `ones`, `empty`, `full`, `rand`, `randn`, `randint`, `randperm`, `arange`, `linspace`,
    `logspace`, `eye`, the `*_like` functions, and `x.new_zeros`/`new_ones`/`new_empty`/
    `new_full`. Even `requires_grad=False` is rejected.

    ## Why is this bad?
    TorchScript's schemas for these factories have no `requires_grad` argument: scripting
    fails with "Arguments for call are not valid ... Keyword argument requires_grad
    unknown". (`torch.tensor(data, requires_grad=...)` is the one factory that accepts it.)

    ## Example
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        offset = torch.zeros(x.shape[-1], requires_grad=False)
        return x + offset
    ```

    ## Use instead
    Drop the argument (new tensors do not require grad), or call `.requires_grad_()`:
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        offset = torch.zeros(x.shape[-1])
        return x + offset
    ```
    """

    code = "TS406"
    function_local = True
    name = "factory-requires-grad"
    message = "TorchScript's tensor factories take no `requires_grad=`"
    fix_hint = "Drop `requires_grad=` (or call `.requires_grad_()` on the result)"
    phase = Phase.SEMANTIC

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    bias = torch.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=False)
                    return x + torch.zeros(4) + x.new_ones(4) + bias

                def init_state(self) -> torch.Tensor:
                    return torch.zeros(4, requires_grad=True)
            """,
            label="torch-tensor-and-unreached",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return x + torch.zeros(4, requires_grad=False)
            """,
            label="zeros",
            message="TorchScript's tensor factories take no `requires_grad=`",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    noise = torch.randn_like(x, requires_grad=False)
                    return x + 0 * noise
            """,
            label="randn-like",
            message="TorchScript's tensor factories take no `requires_grad=`",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return x + x.new_full((4,), 1.0, requires_grad=False)
            """,
            label="new-full-method",
            message="TorchScript's tensor factories take no `requires_grad=`",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        argument = keyword(node, "requires_grad")
        if argument is None:
            return
        func = node.func
        if self.context.matches(func, *TORCH_FACTORIES) or (
            isinstance(func, cst.Attribute)
            and func.attr.value in FACTORY_METHODS
            and not (isinstance(func.value, cst.Name) and func.value.value == "self")
        ):
            self.report(argument)
