"""TS205 defined-in-one-branch."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Valid
from tsinspect.lint.rules.conservative import ConservativeRule
from tsinspect.lint.types.flow import flow


class DefinedInOneBranchRule(ConservativeRule):
    """## What it does
    Reports a local variable used after an `if` that assigns it in only one branch, or
    after a `while` loop or a `for` loop over `range(...)` that is the only place it is
    assigned (loop variables included), when no
    earlier assignment covers every path. Branches that end in `return`, `raise`,
    `continue` or `break` do not count, and neither do branches `torch.jit.is_scripting()`
    removes.

    ## Why is this bad?
    Python only fails at run time, on the path that skips the assignment. TorchScript
    checks every path while compiling: "y is not defined in the false branch" (reported at
    the `if`) or "undefined value y" (at the use after a loop), even when that path never
    happens in practice.

    ## Example
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            out = block(x)
        return out
    ```

    ## Use instead
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x
        for block in self.blocks:
            out = block(x)
        return out
    ```
    """

    code = "TS205"
    function_local = True
    name = "defined-in-one-branch"
    message = "TorchScript requires a variable to be assigned on every path before it is used"
    fix_hint = "Assign a default of the same type before the if/loop"

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if x.numel() > 0:
                        y = x * 2
                    else:
                        raise ValueError("empty input")
                    if x.dim() == 2:
                        z = y + 1
                    out = y
                    for i in range(3):
                        out = out + i
                    if not torch.jit.is_scripting():
                        w = x
                        print(w)
                    if torch.jit.is_scripting():
                        v = x
                    else:
                        v = x * 1
                    return out + v
            """,
            label="raise-unused-initialised-pruned",
        ),
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.blocks = nn.ModuleList([nn.Linear(4, 4) for _ in range(2)])

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    for block in self.blocks:
                        out = block(x)
                    for v in (x, x):
                        last = v
                    return out + last
            """,
            label="unrolled-module-list-and-tuple-loops",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if x.numel() > 0:
                        y = x * 2
                    return y
            """,
            label="one-branch",
            message="TorchScript requires a variable to be assigned on every path before it is used: `y` is assigned in only one branch of this if",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self._pick(x)

                def _pick(self, x: torch.Tensor) -> torch.Tensor:
                    if x.sum() > 100:
                        y = x * 2
                    elif x.sum() > -100:
                        y = x * 3
                    return y
            """,
            label="elif-without-else-in-helper",
            message="TorchScript requires a variable to be assigned on every path before it is used: `y` is assigned in only one branch of this if",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    n = 0
                    while n < 2:
                        out = x * n
                        n += 1
                    return out
            """,
            label="assigned-only-in-while",
            message="TorchScript requires a variable to be assigned on every path before it is used: `out` is assigned only inside the loop above",
        ),
        Invalid(
            """
            import torch


            @torch.jit.script
            def fn(x: torch.Tensor) -> torch.Tensor:
                for i in range(3):
                    x = x * 2
                return x * i
            """,
            label="loop-variable-after-loop",
            message="TorchScript requires a variable to be assigned on every path before it is used: `i` is assigned only inside the loop above",
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self.context.is_compiled_def(node):
            return
        for use in flow(self.context, node).undefined_uses:
            if use.kind == "if":
                self.report(
                    use.origin,
                    f"{self.message}: `{use.name}` is assigned in only one branch of this if",
                )
            else:
                self.report(
                    use.use, f"{self.message}: `{use.name}` is assigned only inside the loop above"
                )
