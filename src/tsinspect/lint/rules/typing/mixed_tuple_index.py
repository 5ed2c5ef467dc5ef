"""TS211 mixed-tuple-index."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Valid
from tsinspect.lint.rules.conservative import ConservativeRule
from tsinspect.lint.types.flow import flow


class MixedTupleIndexRule(ConservativeRule):
    """## What it does
    Reports indexing a tuple whose elements have different types (`(x, 1)`, a Tensor and
    an int) with anything but an integer literal.

    ## Why is this bad?
    TorchScript must know the type of `t[i]` while compiling; with mixed element types it
    only can for a literal index: "Cannot index into a Tuple[Tensor, int] with a
    non-integer literal because we cannot resolve the output type". A tuple whose elements
    all have one type can be indexed by a variable.

    ## Example
    ```python
    pair = (x, 1)
    return pair[i]
    ```

    ## Use instead
    ```python
    pair = (x, 1)
    return pair[0] if i == 0 else x * pair[1]
    ```
    """

    code = "TS211"
    function_local = True
    name = "mixed-tuple-index"
    message = "TorchScript cannot index a mixed-type tuple with a variable"
    fix_hint = "Index with an integer literal, unpack the tuple, or give every element one type"

    VALID = (
        Valid(
            """
            import torch


            @torch.jit.script
            def fn(x: torch.Tensor) -> torch.Tensor:
                pair = (x, 2)
                same = (x, x * 2)
                i = 1
                return pair[0] * pair[-1] * same[i]
            """,
            label="literal-index-and-same-types",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    t = (x, 1)
                    i = 0
                    return t[i]
            """,
            label="variable-index",
            message="TorchScript cannot index a mixed-type tuple with a variable",
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self.context.is_compiled_def(node):
            for subscript in flow(self.context, node).mixed_tuple_indexes:
                self.report(subscript)
