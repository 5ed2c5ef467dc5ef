"""TS305 dynamic-getattr-setattr."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Valid
from tsinspect.lint.rules.conservative import ConservativeRule


class DynamicAttributeRule(ConservativeRule):
    """## What it does
    Reports `getattr` or `hasattr` with a name that is not a string literal, and every
    `setattr`, in compiled code.

    ## Why is this bad?
    TorchScript resolves `getattr(self, "lin")` and `hasattr(self, "lin")` at compile time,
    so the name must be a literal: otherwise scripting fails with "getattr's second argument
    must be a string literal". `setattr` is not supported at all, even with a literal name
    ("Python builtin <built-in function setattr> is currently not supported").

    ## Example
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for name in ["a", "b"]:
            x = getattr(self, name)(x)
        setattr(self, "calls", self.calls + 1)
        return x
    ```

    ## Use instead
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:  # an nn.ModuleList built in __init__
            x = block(x)
        self.calls = self.calls + 1
        return x
    ```
    """

    code = "TS305"
    function_local = True
    name = "dynamic-getattr-setattr"
    message = (
        "TorchScript needs a string literal name in getattr/hasattr and does not support setattr"
    )
    fix_hint = (
        "Use literal names, an nn.ModuleList/ModuleDict, or plain attribute assignment self.x = ..."
    )

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.lin = nn.Linear(4, 4)
                    self.calls = 0

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if hasattr(self, "extra"):
                        x = x * 2
                    scale = getattr(self, "missing", 1.0)
                    self.calls = self.calls + 1
                    if not torch.jit.is_scripting():
                        setattr(self, "calls", 0)
                    return getattr(self, "lin")(x) * scale

                def reset(self, name: str) -> None:
                    setattr(self, name, 0)
            """,
            label="literal-names-guarded-and-unreached",
        ),
        Valid(
            """
            from typing import Final

            import torch
            from torch import nn


            class Model(nn.Module):
                fork_feat: Final[bool]

                def __init__(self, fork_feat: bool = False) -> None:
                    super().__init__()
                    self.fork_feat = fork_feat
                    self.norm0 = nn.Identity()

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if self.fork_feat:
                        # folded away: fork_feat is a Final constant, False here
                        return getattr(self, f"norm{0}")(x)
                    return x
            """,
            label="final-flag-folds-the-branch",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.lin = nn.Linear(4, 4)

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    name = "lin"
                    return getattr(self, name)(x)
            """,
            label="getattr-variable",
            message="TorchScript needs a string literal name in getattr/hasattr and does not support setattr: the name passed to `getattr` is not a string literal",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self._maybe(x, "extra")

                def _maybe(self, x: torch.Tensor, name: str) -> torch.Tensor:
                    if hasattr(self, name):
                        return x * 2
                    return x
            """,
            label="hasattr-parameter-in-helper",
            message="TorchScript needs a string literal name in getattr/hasattr and does not support setattr: the name passed to `hasattr` is not a string literal",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.calls = 0

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    setattr(self, "calls", self.calls + 1)
                    return x
            """,
            label="setattr-literal",
            message="TorchScript needs a string literal name in getattr/hasattr and does not support setattr: `setattr` is not supported",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if self.context.matches(func, "builtins.setattr"):
            self.report(node, f"{self.message}: `setattr` is not supported")
        elif self.context.matches(func, "builtins.getattr", "builtins.hasattr"):
            if len(node.args) < 2 or node.args[1].keyword is not None:
                return
            if not isinstance(node.args[1].value, cst.SimpleString):
                builtin = "getattr" if self.context.matches(func, "builtins.getattr") else "hasattr"
                self.report(
                    node, f"{self.message}: the name passed to `{builtin}` is not a string literal"
                )
