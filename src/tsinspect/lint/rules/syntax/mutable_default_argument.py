"""TS122 mutable-default-argument."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Phase, Rule, Valid

MUTABLE = (cst.List, cst.Dict, cst.Set, cst.ListComp, cst.DictComp, cst.SetComp)


class MutableDefaultRule(Rule):
    """## What it does
    Reports a list, dict or set literal used as a parameter default in a compiled
    function's signature (`dims: List[int] = [0]`).

    ## Why is this bad?
    Scripting fails with "Mutable default parameters are not supported because Python binds
    them to the function and they persist across function calls". Tuple and tensor defaults
    are fine.

    ## Example
    ```python
    def forward(self, x: torch.Tensor, dims: List[int] = [0]) -> torch.Tensor:
        return x.sum(dims)
    ```

    ## Use instead
    ```python
    def forward(self, x: torch.Tensor, dims: Tuple[int] = (0,)) -> torch.Tensor:
        return x.sum(list(dims))
    ```
    or `dims: Optional[List[int]] = None` and a default inside the body.
    """

    code = "TS122"
    function_local = True
    name = "mutable-default-argument"
    message = "TorchScript does not support mutable default arguments"
    fix_hint = "Use a tuple default, or Optional[...] = None and build the value in the body"
    phase = Phase.SYNTAX

    VALID = (
        Valid(
            """
            from typing import List, Optional, Tuple

            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor, dims: Tuple[int, int] = (0, 1)) -> torch.Tensor:
                    return self._sum(x, None) + x.sum(list(dims))

                def _sum(self, x: torch.Tensor, dims: Optional[List[int]] = None) -> torch.Tensor:
                    if dims is None:
                        dims = [0]
                    return x.sum(dims)
            """,
        ),
    )
    INVALID = (
        Invalid(
            """
            from typing import List

            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor, dims: List[int] = [0]) -> torch.Tensor:
                    return x.sum(dims)
            """,
            message="TorchScript does not support mutable default arguments: `dims` of `forward`",
        ),
        Invalid(
            """
            from typing import Dict

            import torch
            from torch import nn


            def scale(
                x: torch.Tensor,
                factors: Dict[str, float] = {"a": 2.0},
            ) -> torch.Tensor:
                return x * factors["a"]


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return scale(x)
            """,
            label="multi-line-signature-helper",
            message="TorchScript does not support mutable default arguments: `factors` of `scale`",
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self.context.is_compiled_def(node):
            return
        params = node.params
        names = [
            param.name.value
            for param in (*params.posonly_params, *params.params, *params.kwonly_params)
            if isinstance(param.default, MUTABLE)
        ]
        if names:
            # TorchScript names the whole function, starting at the `def` line.
            listed = ", ".join(f"`{name}`" for name in names)
            self.report(node.name, f"{self.message}: {listed} of `{node.name.value}`")
