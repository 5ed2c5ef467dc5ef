"""TS106 yield-in-compiled-code."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Phase, Rule, Valid


class YieldRule(Rule):
    """## What it does
    Reports `yield` and `yield from` in compiled code.

    ## Why is this bad?
    TorchScript has no generators: scripting fails with "Yield aren't supported".

    ## Example
    ```python
    def _chunks(self, x: torch.Tensor):
        for part in x.split(2):
            yield part * 2
    ```

    ## Use instead
    Build and return a list:
    ```python
    def _chunks(self, x: torch.Tensor) -> List[torch.Tensor]:
        parts: List[torch.Tensor] = []
        for part in x.split(2):
            parts.append(part * 2)
        return parts
    ```
    """

    code = "TS106"
    function_local = True
    name = "yield-in-compiled-code"
    message = "TorchScript does not support generators (yield)"
    fix_hint = "Build and return a list instead"
    phase = Phase.SYNTAX

    VALID = (
        Valid(
            """
            from typing import List

            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return torch.cat(self._chunks(x))

                def _chunks(self, x: torch.Tensor) -> List[torch.Tensor]:
                    return [part * 2 for part in x.split(1)]

                def named_things(self):
                    yield "never compiled", self
            """,
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return torch.cat(list(self._chunks(x)))

                def _chunks(self, x: torch.Tensor):
                    for part in x.split(1):
                        yield part * 2
            """,
            message="TorchScript does not support generators (yield)",
        ),
    )

    def visit_Yield(self, node: cst.Yield) -> None:
        self.report(node)
