"""TS402 tensor-to-python."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.calls import enclosing_function
from tsinspect.lint.rule import Invalid, Phase, Rule, Valid

ANNOTATE = frozenset(
    {"torch.jit.annotate", "torch.jit._script.annotate", "torch._jit_internal.annotate"}
)


class TensorToPythonRule(Rule):
    """## What it does
    Reports `tensor.numpy()` in compiled code, and `tensor.tolist()` whose result type
    TorchScript cannot know: not the value of an annotated assignment
    (`vals: List[float] = x.tolist()`), not returned from a function with a return
    annotation, not wrapped in `torch.jit.annotate(...)`.

    ## Why is this bad?
    TorchScript has no numpy arrays: scripting fails with "'Tensor' object has no
    attribute or method 'numpy'". `tolist()` returns a nested list whose depth and element
    type depend on the tensor, so TorchScript requires a type hint: "Expected type hint
    for result of tolist()".

    ## Example
    ```python
    def forward(self, boxes: torch.Tensor) -> torch.Tensor:
        for row in boxes.tolist():
            ...
    ```

    ## Use instead
    Stay in torch where possible; otherwise annotate the result:
    ```python
    def forward(self, boxes: torch.Tensor) -> torch.Tensor:
        rows: List[List[float]] = boxes.tolist()
        for row in rows:
            ...
    ```
    """

    code = "TS402"
    function_local = True
    name = "tensor-to-python"
    message = "TorchScript has no `.numpy()`, and needs a type hint for `.tolist()`"
    fix_hint = "Stay in torch instead of numpy; annotate `.tolist()` results (`vals: List[float] = x.tolist()`)"
    phase = Phase.SEMANTIC

    VALID = (
        Valid(
            """
            from typing import List

            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> List[List[float]]:
                    rows: List[List[float]] = x.tolist()
                    total = torch.jit.annotate(List[List[float]], x.tolist())
                    if not torch.jit.is_scripting():
                        print(x.detach().numpy())
                    return self.values(x) + rows + total

                def values(self, x: torch.Tensor) -> List[List[float]]:
                    return x.tolist()

                def debug(self, x: torch.Tensor) -> None:
                    print(x.numpy(), x.tolist())
            """,
            label="annotated-guarded-unreached",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    mean = x.detach().cpu().numpy().mean()
                    return x - float(mean)
            """,
            label="numpy",
            message="TorchScript has no `Tensor.numpy()`",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    for row in x.tolist():
                        print(row)
                    return x
            """,
            label="tolist-in-for",
            message="TorchScript needs a type hint for the result of `.tolist()`",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    sizes = x.sum(0).tolist()
                    return x * len(sizes)
            """,
            label="tolist-unannotated-assignment",
            message="TorchScript needs a type hint for the result of `.tolist()`",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute):
            return
        receiver = func.value
        # `self.numpy()` would be a method of the model itself, not a tensor's.
        if isinstance(receiver, cst.Name) and receiver.value == "self":
            return
        if func.attr.value == "numpy":
            self.report(
                node,
                "TorchScript has no `Tensor.numpy()`",
                fix_hint="Stay in torch: use the tensor ops directly",
            )
        elif func.attr.value == "tolist" and not node.args and not self._typed(node):
            self.report(
                node,
                "TorchScript needs a type hint for the result of `.tolist()`",
                fix_hint="Annotate the result: `vals: List[List[float]] = x.tolist()`",
            )

    def _typed(self, call: cst.Call) -> bool:
        parent = self.context.parent(call)
        if isinstance(parent, cst.AnnAssign) and parent.value is call:
            return True
        if isinstance(parent, cst.Return):
            function = enclosing_function(self.context, call)
            return function is not None and function.returns is not None
        if isinstance(parent, cst.Arg):
            outer = self.context.parent(parent)
            return isinstance(outer, cst.Call) and self.context.matches(outer.func, *ANNOTATE)
        return False
