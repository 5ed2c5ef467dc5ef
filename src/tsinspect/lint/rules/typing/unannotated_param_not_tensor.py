"""TS202 unannotated-param-used-as-number."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Valid
from tsinspect.lint.rules.conservative import ConservativeRule
from tsinspect.lint.types.flow import flow


class UnannotatedNumberRule(ConservativeRule):
    """## What it does
    Reports a parameter without an annotation (and without a `# type:` signature comment)
    that compiled code uses as something a `Tensor` cannot be: passed to `range(n)`, or as
    the list of `torch.cat` / `torch.stack` (`torch.cat(xs, dim=1)`).

    ## Why is this bad?
    TorchScript assumes every unannotated parameter is a `Tensor`. Scripting fails with "all
    inputs of range must be ints, found Tensor (inferred) in argument 0", or "Expected a
    value of type 'List[Tensor]' for argument 'tensors' but instead found type 'Tensor
    (inferred)'". (Indexing, `x.view(n)`, `torch.zeros(n)` and `[0] * n` convert a Tensor
    to an int implicitly and script.)

    ## Example
    ```python
    def _repeat(self, x: torch.Tensor, times) -> torch.Tensor:
        for _ in range(times):
            x = self.block(x)
        return x
    ```

    ## Use instead
    ```python
    def _repeat(self, x: torch.Tensor, times: int) -> torch.Tensor:
        for _ in range(times):
            x = self.block(x)
        return x
    ```
    """

    code = "TS202"
    function_local = True
    name = "unannotated-param-not-tensor"
    message = "TorchScript types an unannotated parameter as Tensor"
    fix_hint = "Annotate the parameter (`n: int`, `xs: List[torch.Tensor]`)"

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x):
                    return self._repeat(x, 3) + self._legacy(x, 2)

                def _repeat(self, x: torch.Tensor, times: int) -> torch.Tensor:
                    for _ in range(times):
                        x = x * 2
                    return x

                def _legacy(self, x, times):
                    # type: (torch.Tensor, int) -> torch.Tensor
                    for _ in range(times):
                        x = x + 1
                    return x

                def describe(self, n):
                    return [i for i in range(n)]

                def merge(self, xs):
                    return torch.cat(xs)
            """,
            label="annotated-type-comment-unreached",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self._repeat(x, 3)

                def _repeat(self, x, times):
                    for _ in range(times):
                        x = x * 2
                    return x
            """,
            label="helper",
            message="TorchScript types an unannotated parameter as Tensor: `times` has no annotation and is passed to range()",
        ),
        Invalid(
            """
            import torch


            @torch.jit.script
            def fn(x: torch.Tensor, n=None) -> torch.Tensor:
                for i in range(0, n):
                    x = x + i
                return x
            """,
            label="none-default",
            message="TorchScript types an unannotated parameter as Tensor: `n` has no annotation and is passed to range()",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.mode = "cat"

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self.select([x, x])

                def select(self, xs) -> torch.Tensor:
                    if self.mode == "index":
                        return xs[0]
                    return torch.cat(xs, dim=1)
            """,
            label="cat-of-unannotated-list",
            message="TorchScript types an unannotated parameter as Tensor: `xs` has no annotation and is passed where a list of Tensors is required",
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self.context.is_compiled_def(node):
            return
        for call, name, use in flow(self.context, node).unannotated_misuses:
            self.report(call, f"{self.message}: `{name}` has no annotation and is {use}")
