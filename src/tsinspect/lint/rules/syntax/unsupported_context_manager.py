"""TS108 unsupported-context-manager."""

from __future__ import annotations

import sys

import libcst as cst

from tsinspect.lint.rule import Invalid, Phase, Rule, Valid

# Measured on torch 2.13: these script and run.
SUPPORTED = frozenset(
    {
        "torch.no_grad",
        "torch.autograd.no_grad",
        "torch.autograd.grad_mode.no_grad",
        "torch.autocast",
        "torch.amp.autocast",
        "torch.amp.autocast_mode.autocast",
        "torch.cpu.amp.autocast",
        "torch.cuda.amp.autocast",
        "torch.autograd.profiler.record_function",
        "torch.profiler.record_function",
    }
)
# Measured: rejected ("Unknown builtin op: aten::enable_grad", "Yield aren't supported"...).
REJECTED_TORCH = frozenset(
    {
        "torch.enable_grad",
        "torch.autograd.enable_grad",
        "torch.inference_mode",
        "torch.autograd.inference_mode",
        "torch.set_grad_enabled",
        "torch.autograd.set_grad_enabled",
        "torch.random.fork_rng",
        "torch.device",
    }
)
CONTEXTMANAGER = frozenset({"contextlib.contextmanager", "contextlib.asynccontextmanager"})


class UnsupportedContextManagerRule(Rule):
    """## What it does
    Reports a `with` statement in compiled code whose context manager TorchScript cannot
    use: `torch.enable_grad()`, `torch.inference_mode()`, `torch.set_grad_enabled(...)`,
    `open(...)` and other standard-library context managers, a `@contextlib.contextmanager`
    function, or a same-file class without `__enter__`/`__exit__`.

    `torch.no_grad()`, `torch.autocast(...)`, `record_function(...)` and same-file classes
    with `__enter__`/`__exit__` are supported and not reported; context managers from other
    files are not reported (they may be scriptable classes).

    ## Why is this bad?
    Scripting fails: "Unknown builtin op: aten::enable_grad", "Python builtin <built-in
    function open> is currently not supported", or "Yield aren't supported" inside the
    generator behind a `@contextmanager` function.

    ## Example
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.inference_mode():
            return self.body(x)
    ```

    ## Use instead
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return self.body(x)
    ```
    Or call the model under `torch.inference_mode()` from the serving code.
    """

    code = "TS108"
    function_local = True
    name = "unsupported-context-manager"
    message = "TorchScript does not support this context manager"
    fix_hint = "Use torch.no_grad() or torch.autocast(), a class with __enter__/__exit__, or move it out of the model"
    phase = Phase.SEMANTIC

    VALID = (
        Valid(
            """
            from typing import Any

            import torch
            from torch import nn


            class Counter:
                def __init__(self) -> None:
                    self.entered = 0

                def __enter__(self) -> None:
                    self.entered += 1

                def __exit__(self, kind: Any, value: Any, trace: Any) -> None:
                    pass


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    with torch.no_grad():
                        y = x * 2
                    with torch.autocast("cpu", enabled=False):
                        y = y + 1
                    with Counter():
                        y = y - 1
                    return y
            """,
            label="no-grad-autocast-class",
        ),
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if not torch.jit.is_scripting():
                        with torch.enable_grad():
                            return x * 2
                    return x * 2
            """,
            label="guarded-by-is-scripting",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    with torch.inference_mode():
                        y = x * 2
                    return y
            """,
            label="inference-mode",
            message="TorchScript does not support this context manager",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    with torch.enable_grad():
                        y = x * 2
                    return y
            """,
            label="enable-grad",
            message="TorchScript does not support this context manager",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    with open("/dev/null", "w") as handle:
                        handle.write("x")
                    return x
            """,
            label="open",
            message="TorchScript does not support this context manager",
        ),
        Invalid(
            """
            import contextlib

            import torch
            from torch import nn


            @contextlib.contextmanager
            def timer():
                yield


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    with timer():
                        y = x * 2
                    return y
            """,
            line=14,
            error_has_line=False,
            label="contextmanager-function",
            message="TorchScript does not support this context manager",
        ),
    )

    def visit_With(self, node: cst.With) -> None:
        for item in node.items:
            if self._rejected(item.item):
                self.report(item.item)

    def _rejected(self, expression: cst.BaseExpression) -> bool:
        if not isinstance(expression, cst.Call):
            return False  # `with self.lock:` / `with ctx:`: unknown type, don't guess
        func = expression.func
        names = self.context.qualified_names(func)
        if not names.isdisjoint(SUPPORTED):
            return False
        if not names.isdisjoint(REJECTED_TORCH):
            return True
        if isinstance(func, cst.Name):
            info = self.context.class_info(func.value)
            if info is not None and names == {func.value}:
                if info.has_other_bases:
                    return False  # __enter__/__exit__ may come from a base in another file
                return info.lookup("__enter__") is None or info.lookup("__exit__") is None
            function = self.context.is_module_level_function(func)
            if function is not None:
                return any(
                    not self.context.qualified_names(
                        d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator
                    ).isdisjoint(CONTEXTMANAGER)
                    for d in function.decorators
                )
        # Standard-library context managers are Python code TorchScript cannot compile.
        return any(name.split(".", 1)[0] in sys.stdlib_module_names for name in names)
