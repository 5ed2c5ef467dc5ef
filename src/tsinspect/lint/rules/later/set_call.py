"""TS506 set-call."""

from __future__ import annotations

import libcst as cst

from tsinspect.diagnostics import Severity
from tsinspect.lint.rule import Invalid, Rule, Stage, Valid


class SetCallRule(Rule):
    """## What it does
    Reports a call to the builtin `set(...)` in compiled code.

    ## Why is this bad?
    TorchScript has no set type, but it does not reject `set()`: the call is kept as an
    opaque Python call. `set()` scripts, then fails when it runs ("The following operation
    failed in the TorchScript interpreter") and cannot be saved ("Could not export Python
    function call 'set'"). `set(xs)` of a list fails to script ("Expected a value of type
    'Tensor' for argument '0'"). Set literals and comprehensions are TS113.

    ## Example
    ```python
    def forward(self, labels: List[int]) -> int:
        seen = set(labels)
        return len(seen)
    ```

    ## Use instead
    A `Dict[K, bool]` as a set, or a list with `in` checks:
    ```python
    def forward(self, labels: List[int]) -> int:
        seen: Dict[int, bool] = {}
        for label in labels:
            seen[label] = True
        return len(seen)
    ```
    """

    code = "TS506"
    function_local = True
    name = "set-call"
    message = "TorchScript has no sets: `set()` scripts as a Python call that fails at run time and on save"
    fix_hint = "Use a Dict[K, bool] as a set, or a list"
    severity = Severity.WARNING

    VALID = (
        Valid(
            """
            from typing import Dict

            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    seen: Dict[int, bool] = {}
                    for d in x.shape:
                        seen[d] = True
                    return x * len(seen)

                def unique_names(self) -> int:
                    return len(set(["a", "b"]))
            """,
            label="dict-as-set-and-unreached",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    seen = set()
                    return x
            """,
            line=7,
            fails_at=Stage.RUN,
            label="empty-set",
            message="TorchScript has no sets: `set()` scripts as a Python call that fails at run time and on save",
        ),
        Invalid(
            """
            from typing import List

            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    dims: List[int] = [2, 2, 4]
                    return x * len(set(dims))
            """,
            label="set-of-list",
            message="TorchScript has no sets: `set()` scripts as a Python call that fails at run time and on save",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        if self.context.matches(node.func, "builtins.set"):
            self.report(node)
