"""TS223 starred-assignment-from-list."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, LintContext, Valid
from tsinspect.lint.rules.conservative import ConservativeRule
from tsinspect.lint.types.values import value_types


class StarredAssignmentFromListRule(ConservativeRule):
    """## What it does
    Reports an assignment with a starred target (`b, *rest = ...`) whose value is certainly
    a list: a tensor's `.shape` or `.size()` (or a slice of them), `x.chunk(...)`,
    `x.split(...)`, `x.unbind()`, a list literal or comprehension, or a local that only
    ever holds a list. (TS117 is the same problem in a call, `f(*xs)`.)

    ## Why is this bad?
    A starred target needs the number of elements at compile time, and a list's length is
    not part of its type: "cannot statically infer the expected size of a list in this
    context". A tuple's length is, so `a, *rest = (1, 2, 3)` scripts; so does unpacking a
    list without a star (`b, c = x.shape`), which is checked at run time.

    ## Example
    ```python
    b, *spatial = x.shape
    ```

    ## Use instead
    ```python
    b = x.shape[0]
    spatial = x.shape[1:]
    ```
    """

    code = "TS223"
    function_local = True
    name = "starred-assignment-from-list"
    message = "TorchScript cannot unpack a list into a starred target"
    fix_hint = "Index and slice the list instead: `b = xs[0]; rest = xs[1:]`"

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    b, c = x.shape
                    first, *rest = (b, c, 1)
                    spatial = x.shape[1]
                    return x.view([first, spatial]) * len(rest)
            """,
            label="tuple-and-plain-unpacking",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    b, *spatial = x.shape
                    return x.view(b, -1)
            """,
            label="shape",
            message="TorchScript cannot unpack a list into a starred target",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    head, *tail = x.chunk(2, dim=1)
                    return head
            """,
            label="chunk",
            message="TorchScript cannot unpack a list into a starred target",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    sizes = [x.size(0), x.size(1)]
                    *lead, last = sizes
                    return x * last
            """,
            label="list-local",
            message="TorchScript cannot unpack a list into a starred target",
        ),
    )

    def __init__(self, context: LintContext) -> None:
        super().__init__(context)
        self.values = value_types(self.context)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if self._unpacks_list(target.target, node.value):
                self.report(node)
                return

    def _unpacks_list(self, target: cst.BaseExpression, value: cst.BaseExpression) -> bool:
        if not isinstance(target, cst.Tuple):
            return False
        if any(isinstance(e, cst.StarredElement) for e in target.elements):
            found = self.values.of(value)
            return found is not None and found.name == "List"
        if isinstance(value, cst.Tuple) and len(value.elements) == len(target.elements):
            return any(
                self._unpacks_list(t.value, v.value)
                for t, v in zip(target.elements, value.elements, strict=True)
                if not isinstance(v, cst.StarredElement)
            )
        return False
