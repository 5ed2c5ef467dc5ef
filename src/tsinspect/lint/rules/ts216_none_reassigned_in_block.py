"""TS216 none-reassigned-in-block."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Rule, Valid
from tsinspect.lint.rules._types import NONE, flow, torchscript_spelling


class NoneReassignedInBlockRule(Rule):
    """## What it does
    Reports a local variable set to `None` and then, inside an `if` branch or a loop
    body, given a value (`residual = None`, then `residual = x.clone()` under an `if`), and
    the reverse: a local that holds a Tensor, an int... (or an `Optional` narrowed by a
    check) set to `None` inside a nested block. Only certain types count.

    ## Why is this bad?
    TorchScript gives `residual = None` the type `NoneType`, not `Optional[...]`. An
    assignment inside a nested block (a branch of a run-time `if`, a `for`/`while` body)
    must fit the type the variable has outside the block, so scripting fails with
    "Variable 'residual' previously had type NoneType but is now being assigned to a value
    of type Tensor". A straight-line reassignment (`y = None; y = x`), a branch that
    defines the variable first (`if c: y = x else: y = None`), and loops TorchScript
    unrolls (over a `ModuleList` or a tuple) are fine.

    ## Example
    ```python
    def forward(self, x: Tensor) -> Tensor:
        residual = None
        if self.use_residual:
            residual = x.clone()
        ...
    ```

    ## Use instead
    ```python
    def forward(self, x: Tensor) -> Tensor:
        residual: Optional[Tensor] = None
        if self.use_residual:
            residual = x.clone()
        ...
    ```
    """

    code = "TS216"
    name = "none-reassigned-in-block"
    message = "TorchScript cannot change this variable's type inside a nested block"
    fix_hint = "Annotate the first assignment with the Optional type: `y: Optional[Tensor] = None`"

    VALID = (
        Valid(
            """
            from typing import Optional

            import torch
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.blocks = nn.ModuleList([nn.Linear(4, 4), nn.Linear(4, 4)])
                    self.use_residual = True

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    residual: Optional[torch.Tensor] = None
                    if self.use_residual:
                        residual = x.clone()
                    last = None
                    for block in self.blocks:
                        last = block(x)
                    first = None
                    first = x * 2
                    if x.sum() > 0:
                        picked = x
                    else:
                        picked = None
                    if torch.jit.is_scripting():
                        last = x
                    if residual is not None and picked is not None:
                        return first + residual + picked
                    return first
            """,
            label="annotated-unrolled-straight-line",
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
                    self.use_residual = True

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    residual = None
                    if self.use_residual:
                        residual = x.clone()
                    if residual is not None:
                        x = x + residual
                    return x
            """,
            label="none-then-tensor-in-branch",
        ),
        Invalid(
            """
            import torch


            @torch.jit.script
            def fn(x: torch.Tensor) -> torch.Tensor:
                prev = None
                for i in range(3):
                    prev = x * i
                return x
            """,
            label="none-then-tensor-in-loop",
        ),
        Invalid(
            """
            from typing import Optional

            import torch


            @torch.jit.script
            def fn(x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
                if mask is None:
                    return x
                for i in range(2):
                    x = x * mask
                    if x.sum() > 10:
                        mask = None
                return x
            """,
            label="refined-then-none-in-loop",
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self.context.is_compiled_def(node):
            return
        for found in flow(self.context, node).none_assignments:
            previous = torchscript_spelling(found.previous)
            assigned = torchscript_spelling(found.assigned)
            if found.previous == NONE:
                fix = f"Annotate the first assignment: `{found.name}: Optional[{found.assigned}] = None`"
            else:
                fix = (
                    f"Give `{found.name}` an Optional type where it is first assigned, "
                    "or use another variable for the None"
                )
            self.report(
                found.node,
                f"{self.message}: TorchScript says \"Variable '{found.name}' previously had type "
                f'{previous} but is now being assigned to a value of type {assigned}"',
                fix_hint=fix,
            )
