"""TS208 tuple-of-list."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Valid
from tsinspect.lint.rules.conservative import ConservativeRule
from tsinspect.lint.types.flow import flow


class TupleOfListRule(ConservativeRule):
    """## What it does
    Reports `tuple(...)` applied to a list: `tuple(x.shape)`, `tuple(x.size())`, a list
    literal or a list comprehension.

    ## Why is this bad?
    A TorchScript tuple has a fixed length in its type, and a list's length is only known at
    run time: scripting fails with "cannot statically infer the expected size of a list in
    this context".

    ## Example
    ```python
    shape = tuple(x.shape)
    ```

    ## Use instead
    ```python
    shape = x.shape  # a List[int]; or unpack: b, c, h, w = x.shape
    ```
    """

    code = "TS208"
    function_local = True
    name = "tuple-of-list"
    message = "TorchScript cannot convert a list to a tuple"
    fix_hint = "Keep the list, or unpack it into a fixed number of names"

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    shape = x.shape
                    b, c = x.shape
                    return x.reshape(shape) * b * c
            """,
            label="list-and-unpacking",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    s = tuple(x.shape)
                    return x.reshape(s)
            """,
            label="shape",
            message="TorchScript cannot convert a list to a tuple",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self._flat(x)

                def _flat(self, x: torch.Tensor) -> torch.Tensor:
                    sizes = x.size()
                    return x.view(tuple(sizes[:1]) + (-1,))
            """,
            label="size-slice-in-helper",
            message="TorchScript cannot convert a list to a tuple",
        ),
        Invalid(
            """
            import torch


            @torch.jit.script
            def fn(x: torch.Tensor) -> torch.Tensor:
                dims = tuple([0, 1])
                return x.permute(dims)
            """,
            label="list-literal",
            message="TorchScript cannot convert a list to a tuple",
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self.context.is_compiled_def(node):
            for call in flow(self.context, node).tuple_of_lists:
                self.report(call)
