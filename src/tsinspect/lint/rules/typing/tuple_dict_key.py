"""TS207 tuple-dict-key."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Valid
from tsinspect.lint.rules.conservative import ConservativeRule


class TupleDictKeyRule(ConservativeRule):
    """## What it does
    Reports a dict literal or dict comprehension in compiled code whose key is a tuple
    (`{(0, 1): x}`).

    ## Why is this bad?
    TorchScript dict keys must be `str`, `int`, `float`, `complex`, `Tensor` or `device`.
    Scripting fails with "Cannot create dict for key type '(int, int)', only int, float,
    complex, Tensor, device and string keys are supported", naming no line.

    ## Example
    ```python
    cache = {(0, 1): x, (1, 0): y}
    ```

    ## Use instead
    ```python
    cache = {"0,1": x, "1,0": y}
    ```
    """

    code = "TS207"
    function_local = True
    name = "tuple-dict-key"
    message = "TorchScript dict keys cannot be tuples"
    fix_hint = 'Use str or int keys (e.g. f"{i},{j}" or i * n + j)'

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    by_name = {"a": x, "b": x * 2}
                    by_index = {0: x, 1: x * 3}
                    return by_name["b"] + by_index[1]

                def table(self) -> dict:
                    return {(0, 1): 1}
            """,
            label="str-and-int-keys-unreached",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    d = {(1, 2): x}
                    return d[(1, 2)]
            """,
            line=7,
            error_has_line=False,
            label="literal",
            message="TorchScript dict keys cannot be tuples",
        ),
    )

    def visit_Dict(self, node: cst.Dict) -> None:
        for element in node.elements:
            if isinstance(element, cst.DictElement) and isinstance(element.key, cst.Tuple):
                self.report(node)
                return

    def visit_DictComp(self, node: cst.DictComp) -> None:
        if isinstance(node.key, cst.Tuple):
            self.report(node)
