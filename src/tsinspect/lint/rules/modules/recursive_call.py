"""TS311 recursive-call."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.classes import enclosing_class, family, is_self_attribute, method_self_name
from tsinspect.lint.rule import Invalid, Valid
from tsinspect.lint.rules.conservative import ConservativeRule


class RecursiveCallRule(ConservativeRule):
    """## What it does
    Reports a compiled function that calls itself directly: a module-level function calling
    its own name, or a method calling `self.<its own name>(...)`.

    ## Why is this bad?
    TorchScript inlines calls while compiling and has no recursion: scripting fails with
    "function 'fact' is called recursively. Recursive calls are not supported" (or "method
    'go' is called recursively"), at the recursive call.

    ## Example
    ```python
    def depth(n: int) -> int:
        if n <= 1:
            return 1
        return 1 + depth(n // 2)
    ```

    ## Use instead
    ```python
    def depth(n: int) -> int:
        count = 1
        while n > 1:
            n = n // 2
            count += 1
        return count
    ```
    """

    code = "TS311"
    function_local = True
    name = "recursive-call"
    message = "TorchScript does not support recursive calls"
    fix_hint = "Rewrite the recursion as a loop"

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            def fact(n: int) -> int:
                if n <= 1:
                    return 1
                return n * fact(n - 1)


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self.go(x, 2)

                def go(self, x: torch.Tensor, n: int) -> torch.Tensor:
                    for _ in range(n):
                        x = x * 2
                    return x

                def describe(self, n: int) -> int:
                    return fact(n) + self.describe(n - 1) if n > 0 else 0
            """,
            label="loop-and-unreached-recursion",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch


            def fact(n: int) -> int:
                if n <= 1:
                    return 1
                return n * fact(n - 1)


            @torch.jit.script
            def fn(x: torch.Tensor) -> torch.Tensor:
                return x * fact(3)
            """,
            label="function",
            message="TorchScript does not support recursive calls: `fact` calls itself",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self.go(x, 2)

                def go(self, x: torch.Tensor, n: int) -> torch.Tensor:
                    if n == 0:
                        return x
                    return self.go(x * 2, n - 1)
            """,
            label="method",
            message="TorchScript does not support recursive calls: `go` calls itself",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Name):
            target = self.context.is_module_level_function(func)
            if (
                target is not None
                and target.name.value == func.value
                and self._innermost_def(node) is target
            ):
                self.report(node, f"{self.message}: `{func.value}` calls itself")
        elif isinstance(func, cst.Attribute):
            found = enclosing_class(self.context, node)
            if found is None:
                return
            info, method = found
            name = func.attr.value
            if method.name.value != name or not is_self_attribute(func, method_self_name(method)):
                return
            # an override in a same-file subclass would make it a call to another method
            defs = [d for cls in family(self.context, info) for d in cls.methods.get(name, [])]
            if defs == [method]:
                self.report(node, f"{self.message}: `{name}` calls itself")

    def _innermost_def(self, node: cst.CSTNode) -> cst.FunctionDef | None:
        current = self.context.parent(node)
        while current is not None and not isinstance(current, cst.FunctionDef | cst.Lambda):
            current = self.context.parent(current)
        return current if isinstance(current, cst.FunctionDef) else None
