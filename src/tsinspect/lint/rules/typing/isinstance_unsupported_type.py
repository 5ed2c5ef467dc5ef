"""TS212 isinstance-unsupported-type."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Rule, Valid

# What TorchScript cannot resolve as the class argument of isinstance (measured, torch 2.13):
# the builtin `dict`, and the bare typing generics without their element types.
_UNSUPPORTED = {
    "builtins.dict": "`dict`; use torch.jit.isinstance(x, Dict[str, torch.Tensor])",
    "typing.Dict": "a bare `Dict`; use torch.jit.isinstance(x, Dict[str, torch.Tensor])",
    "typing.List": "a bare `List`; use torch.jit.isinstance(x, List[torch.Tensor])",
}


class IsinstanceUnsupportedTypeRule(Rule):
    """## What it does
    Reports `isinstance(x, dict)` and `isinstance(x, Dict)` / `isinstance(x, List)` with
    bare typing generics in compiled code, alone or inside a tuple of classes.

    ## Why is this bad?
    TorchScript refines types with `isinstance`, so it must know the exact type. It
    cannot resolve the builtin `dict` ("Unknown type name 'dict'"), and a bare `Dict` or
    `List` fails with "Attempted to use Dict without contained types". `list`, `tuple`,
    `str`, `int`, `float` and `torch.Tensor` are fine (measured with torch 2.13).

    ## Example
    ```python
    if isinstance(x, dict):
        x = x["image"]
    ```

    ## Use instead
    ```python
    if torch.jit.isinstance(x, Dict[str, torch.Tensor]):  # from typing import Dict
        x = x["image"]
    ```
    (`torch.jit.isinstance` also works in eager Python, where `isinstance` rejects a
    subscripted generic.)
    """

    code = "TS212"
    function_local = True
    name = "isinstance-unsupported-type"
    message = "TorchScript cannot check isinstance against this type"
    fix_hint = "Use torch.jit.isinstance(x, Dict[str, torch.Tensor]) with the full type"

    VALID = (
        Valid(
            """
            from typing import Any, Dict

            import torch
            from torch import nn


            def pick(x: Any) -> int:
                if torch.jit.isinstance(x, Dict[str, torch.Tensor]):
                    return 2
                if isinstance(x, (list, tuple)):
                    return 1
                return 0


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return x * pick(x)
            """,
            label="full-types-list-tuple",
        ),
        Valid(
            """
            import torch
            from torch import nn


            def unused(x: torch.Tensor) -> bool:
                return isinstance(x, dict)


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return x + 1
            """,
            label="not-compiled",
        ),
    )
    INVALID = (
        Invalid(
            """
            from typing import Any

            import torch
            from torch import nn


            def pick(x: Any) -> int:
                if isinstance(x, dict):
                    return 1
                return 0


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return x * pick(x)
            """,
            label="builtin-dict",
            message="TorchScript cannot check isinstance against this type: `dict`; use torch.jit.isinstance(x, Dict[str, torch.Tensor])",
        ),
        Invalid(
            """
            from typing import Any, List

            import torch
            from torch import nn


            def pick(x: Any) -> int:
                if isinstance(x, (tuple, List)):
                    return 1
                return 0


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return x * pick(x)
            """,
            line=8,
            error_has_line=False,
            label="bare-list-in-tuple",
            message="TorchScript cannot check isinstance against this type: a bare `List`; use torch.jit.isinstance(x, List[torch.Tensor])",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        if len(node.args) != 2 or not self.context.matches(node.func, "builtins.isinstance"):
            return
        target = node.args[1].value
        classes = (
            [element.value for element in target.elements]
            if isinstance(target, cst.Tuple)
            else [target]
        )
        for cls in classes:
            for qualified, why in _UNSUPPORTED.items():
                if self.context.matches(cls, qualified):
                    self.report(cls, f"{self.message}: {why}")
                    return
