"""TS216 type-change-in-block."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Rule, Valid
from tsinspect.lint.types.flow import flow
from tsinspect.lint.types.lattice import FLOAT, INT, NONE, torchscript_spelling


class TypeChangeInBlockRule(Rule):
    """## What it does
    Reports a local variable assigned, inside an `if` branch or a loop body, a value whose
    type does not fit the type it has outside that block: `residual = None` then
    `residual = x.clone()` under an `if`; a Tensor (or an `Optional` narrowed by a check)
    then `None`; `scale = 1` then `scale = scale / 2` in a loop; `n = 0` then `n = 0.5`.
    Both types must be certain.

    ## Why is this bad?
    TorchScript gives a variable the type of its first value: `residual = None` is a
    `NoneType`, not an `Optional[...]`, and `scale = 1` an `int`. An assignment inside a
    nested block (a branch of a run-time `if`, a `for`/`while` body) must fit the type the
    variable has outside the block, so scripting fails with "Variable 'residual' previously
    had type NoneType but is now being assigned to a value of type Tensor". A
    straight-line reassignment (`y = None; y = x`), a branch that defines the variable first
    (`if c: y = x else: y = None`), a loop TorchScript unrolls (over a `ModuleList` or a
    tuple), a `bool` for an `int`, and a Tensor for an `int` or `float` (converted) are fine.

    ## Example
    ```python
    def forward(self, x: Tensor) -> Tensor:
        residual = None
        if self.use_residual:
            residual = x.clone()
        scale = 1
        for _ in range(self.steps):
            scale = scale / 2
        ...
    ```

    ## Use instead
    ```python
    def forward(self, x: Tensor) -> Tensor:
        residual: Optional[Tensor] = None
        if self.use_residual:
            residual = x.clone()
        scale = 1.0
        for _ in range(self.steps):
            scale = scale / 2
        ...
    ```
    """

    code = "TS216"
    function_local = True
    name = "type-change-in-block"
    message = "TorchScript cannot change this variable's type inside a nested block"
    fix_hint = "Give the first assignment the type the block needs: `y: Optional[Tensor] = None`, `y = 1.0`"

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
                    count = 0
                    total = 0.5
                    for i in range(2):
                        count = i > 0
                        total = x.sum()
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
            message="TorchScript cannot change this variable's type inside a nested block: TorchScript says \"Variable 'residual' previously had type NoneType but is now being assigned to a value of type Tensor\"",
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
            message="TorchScript cannot change this variable's type inside a nested block: TorchScript says \"Variable 'prev' previously had type NoneType but is now being assigned to a value of type Tensor\"",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.steps = 2

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    scale = 1
                    for _ in range(self.steps):
                        scale = scale / 2
                    return x * scale
            """,
            label="int-then-float-in-loop",
            message="TorchScript cannot change this variable's type inside a nested block: TorchScript says \"Variable 'scale' previously had type int but is now being assigned to a value of type float\"",
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
            message="TorchScript cannot change this variable's type inside a nested block: TorchScript says \"Variable 'mask' previously had type Tensor but is now being assigned to a value of type NoneType\"",
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self.context.is_compiled_def(node):
            return
        for found in flow(self.context, node).type_changes:
            previous = torchscript_spelling(found.previous)
            assigned = torchscript_spelling(found.assigned)
            if found.previous == NONE:
                fix = f"Annotate the first assignment: `{found.name}: Optional[{found.assigned}] = None`"
            elif found.assigned == NONE:
                fix = (
                    f"Use another variable for the None (outside this block `{found.name}` is "
                    f"{found.previous}), or give it an Optional type where it is first assigned"
                )
            elif found.previous == INT and found.assigned == FLOAT:
                fix = f"Start `{found.name}` as a float (`{found.name} = 1.0`)"
            else:
                fix = f"Keep `{found.name}` one type, or use another variable inside the block"
            self.report(
                found.node,
                f"{self.message}: TorchScript says \"Variable '{found.name}' previously had type "
                f'{previous} but is now being assigned to a value of type {assigned}"',
                fix_hint=fix,
            )
