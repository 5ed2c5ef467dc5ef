"""TS102 nested-function."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, LintContext, Phase, Rule, Valid


class NestedFunctionRule(Rule):
    """## What it does
    Reports a `def` inside a compiled function (a nested function or closure).

    ## Why is this bad?
    TorchScript fails with "function definitions aren't supported", at the inner `def`,
    with or without captured variables, and even under an `is_scripting()` guard.

    ## Example
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        def scale(v: torch.Tensor) -> torch.Tensor:
            return v * self.factor
        return scale(x)
    ```

    ## Use instead
    ```python
    def _scale(self, v: torch.Tensor) -> torch.Tensor:
        return v * self.factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._scale(x)
    ```
    """

    code = "TS102"
    function_local = True
    name = "nested-function"
    message = "TorchScript does not support nested function definitions"
    fix_hint = (
        "Hoist it to a method or a module-level function and pass captured values as arguments"
    )
    phase = Phase.SYNTAX

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self._scale(x)

                def _scale(self, v: torch.Tensor) -> torch.Tensor:
                    return v * 2

                def make_callback(self):
                    # not compiled: nothing reaches it
                    def callback(v):
                        return v
                    return callback
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
                    def scale(v: torch.Tensor) -> torch.Tensor:
                        return v * 2

                    return scale(x)
            """,
            message="TorchScript does not support nested function definitions",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if not torch.jit.is_scripting():
                        def scale(v: torch.Tensor) -> torch.Tensor:
                            return v * 2

                        return scale(x)
                    return x
            """,
            label="under-is-scripting-guard",
            message="TorchScript does not support nested function definitions",
        ),
    )

    def __init__(self, context: LintContext) -> None:
        super().__init__(context)
        # the enclosing defs and classes: a def is nested when the innermost one is a def
        self._stack: list[cst.CSTNode] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self._stack and isinstance(self._stack[-1], cst.FunctionDef):
            self.report(node.name)
        self._stack.append(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._stack.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._stack.append(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._stack.pop()
