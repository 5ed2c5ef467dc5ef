"""TS306 super-call."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Valid
from tsinspect.lint.rules.conservative import ConservativeRule


class SuperCallRule(ConservativeRule):
    """## What it does
    Reports `super().forward(...)`, `super().method(...)` and `super(Cls, self).method(...)`
    in compiled code.

    ## Why is this bad?
    TorchScript supports `super()` only in `__init__`, which it never compiles. In compiled
    code it fails with a misleading message: "'Tensor' object has no attribute or method
    'forward'" (or "Python type cannot be used as a value" for the two-argument form).

    ## Example
    ```python
    class Scaled(Base):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return super().forward(x) * 2
    ```

    ## Use instead
    ```python
    class Base(nn.Module):
        def _body(self, x: torch.Tensor) -> torch.Tensor:
            return x + 1

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self._body(x)

    class Scaled(Base):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self._body(x) * 2
    ```
    """

    code = "TS306"
    function_local = True
    name = "super-call"
    message = "TorchScript does not support super() outside __init__"
    fix_hint = (
        "Move the shared code into a helper method on the base class and call self.helper(...)"
    )

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Base(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.scale = 2.0

                def _body(self, x: torch.Tensor) -> torch.Tensor:
                    return x * self.scale

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self._body(x)


            class Model(Base):
                def __init__(self) -> None:
                    super().__init__()

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if not torch.jit.is_scripting():
                        return super().forward(x) + 1
                    return self._body(x) + 1

                def extra_repr(self) -> str:
                    return super().extra_repr()
            """,
            label="init-guarded-and-unreached",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Base(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return x * 2


            class Model(Base):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return super().forward(x) + 1
            """,
            label="super-forward",
            message="TorchScript does not support super() outside __init__: `super().forward(...)`",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Base(nn.Module):
                def _body(self, x: torch.Tensor) -> torch.Tensor:
                    return x * 2

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self._body(x)


            class Model(Base):
                def _body(self, x: torch.Tensor) -> torch.Tensor:
                    return super(Model, self)._body(x) + 1
            """,
            label="two-argument-super-in-helper",
            message="TorchScript does not support super() outside __init__: `super()._body(...)`",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Call)
            and self.context.matches(func.value.func, "builtins.super")
        ):
            self.report(node, f"{self.message}: `super().{func.attr.value}(...)`")
