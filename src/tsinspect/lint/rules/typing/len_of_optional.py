"""TS217 len-of-optional."""

from __future__ import annotations

import libcst as cst

from tsinspect.diagnostics import Severity
from tsinspect.lint.rule import Invalid, Rule, Stage, Valid
from tsinspect.lint.types.flow import flow


class LenOfOptionalRule(Rule):
    """## What it does
    Reports `len(x)` where `x` is certainly an `Optional[...]` (an `Optional[List[int]]`
    parameter, an `Optional` attribute, a `dict.get` result...) not narrowed by an
    `is not None` check.

    ## Why is this bad?
    TorchScript accepts it, and gets it wrong: with no `len` for an `Optional`, it packs the
    argument into a one-element `List[Any]` and returns that list's length, so `len(x)` is
    `1` whatever `x` holds (measured for `Optional` lists, strings, dicts, tuples and
    Tensors: `len(dims)` gives 1 for `dims=[0, 1, 2]`). Eager Python gives the real length,
    so the scripted model silently computes something else.

    ## Example
    ```python
    def forward(self, x: Tensor, dims: Optional[List[int]] = None) -> Tensor:
        if len(dims) > 1:
            ...
    ```

    ## Use instead
    ```python
    def forward(self, x: Tensor, dims: Optional[List[int]] = None) -> Tensor:
        if dims is not None and len(dims) > 1:
            ...
    ```
    """

    code = "TS217"
    function_local = True
    name = "len-of-optional"
    message = "In TorchScript `len()` of an Optional value is always 1"
    fix_hint = "Check `x is not None` first: `len(x)` then counts the elements"
    severity = Severity.WARNING

    VALID = (
        Valid(
            """
            from typing import List, Optional

            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor, dims: Optional[List[int]] = None) -> torch.Tensor:
                    if dims is not None and len(dims) > 1:
                        return x * len(dims)
                    return x


            def example_inputs():
                return (torch.randn(2, 4), [0, 1, 2])
            """,
            label="checked-first",
        ),
    )
    INVALID = (
        Invalid(
            """
            from typing import List, Optional

            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor, dims: Optional[List[int]] = None) -> torch.Tensor:
                    return x * len(dims)


            def example_inputs():
                return (torch.randn(2, 4), [0, 1, 2])
            """,
            line=9,
            fails_at=Stage.MATCH,
            label="optional-list",
            message="In TorchScript `len()` of an Optional value is always 1: `dims` is Optional[List[int]], and `len(dims)` gives 1 whatever it holds",
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self.context.is_compiled_def(node):
            return
        for call, kind in flow(self.context, node).optional_lens:
            argument = self.context.module.code_for_node(call.args[0].value)
            self.report(
                call,
                f"{self.message}: `{argument}` is {kind}, and `len({argument})` gives 1 "
                "whatever it holds",
            )
