"""TS103 class-in-compiled-code."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, LintContext, Phase, Rule, Valid


class NestedClassRule(Rule):
    """## What it does
    Reports a `class` statement inside a compiled function.

    ## Why is this bad?
    TorchScript fails with "class definitions aren't supported": classes used by compiled
    code must be defined at module level, where TorchScript compiles them as TorchScript
    classes.

    ## Example
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        class Pair:
            def __init__(self, a: torch.Tensor) -> None:
                self.a = a
        return Pair(x).a
    ```

    ## Use instead
    ```python
    class Pair:
        def __init__(self, a: torch.Tensor) -> None:
            self.a = a

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return Pair(x).a
    ```
    """

    code = "TS103"
    function_local = True
    name = "class-in-compiled-code"
    message = "TorchScript does not support class definitions inside compiled functions"
    fix_hint = "Define the class at module level"
    phase = Phase.SYNTAX

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Pair:
                def __init__(self, a: torch.Tensor) -> None:
                    self.a = a


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return Pair(x * 2).a
            """,
            label="module-level-class",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    class Pair:
                        def __init__(self, a: torch.Tensor) -> None:
                            self.a = a

                    return Pair(x).a
            """,
            message="TorchScript does not support class definitions inside compiled functions",
        ),
    )

    def __init__(self, context: LintContext) -> None:
        super().__init__(context)
        self._stack: list[cst.CSTNode] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if self._stack and isinstance(self._stack[-1], cst.FunctionDef):
            self.report(node.name)
        self._stack.append(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._stack.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._stack.append(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._stack.pop()
