"""TS505 autograd-function-apply."""

from __future__ import annotations

import libcst as cst

from tsinspect.diagnostics import Severity
from tsinspect.lint.reach import ClassInfo
from tsinspect.lint.rule import Invalid, Rule, Stage, Valid

AUTOGRAD_FUNCTION = frozenset({"torch.autograd.Function", "torch.autograd.function.Function"})


class AutogradFunctionApplyRule(Rule):
    """## What it does
    Reports `X.apply(...)` in compiled code where `X` is a same-file subclass of
    `torch.autograd.Function` (directly or through another same-file class).

    ## Why is this bad?
    TorchScript cannot compile a custom autograd Function, but it does not reject it either:
    the call is kept as an opaque Python call. The model scripts and runs in the same
    process, then `torch.jit.save` fails with "Could not export Python function call
    'Double'", so it can never be deployed to libtorch or Triton. (torch 2.14 rejects it
    already at scripting: "Python builtin <built-in method apply of FunctionMeta object> is
    currently not supported".)

    ## Example
    ```python
    class ScaleGrad(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x): return x * 2
        @staticmethod
        def backward(ctx, g): return g * 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ScaleGrad.apply(x)
    ```

    ## Use instead
    Express the forward computation with torch ops for export (the custom backward only
    matters for training), or register a custom operator (C++ or `torch.library`):
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if torch.jit.is_scripting():
            return x * 2
        return ScaleGrad.apply(x)
    ```
    """

    code = "TS505"
    function_local = True
    name = "autograd-function-apply"
    message = "A custom autograd Function scripts as a Python call: torch.jit.save fails"
    fix_hint = "Use torch ops under `if torch.jit.is_scripting():`, or a custom operator"
    severity = Severity.WARNING

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Double(torch.autograd.Function):
                @staticmethod
                def forward(ctx, x):
                    return x * 2

                @staticmethod
                def backward(ctx, g):
                    return g * 2


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if torch.jit.is_scripting():
                        return x * 2
                    return Double.apply(x)
            """,
            label="scripting-path-without-apply",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Double(torch.autograd.Function):
                @staticmethod
                def forward(ctx, x):
                    return x * 2

                @staticmethod
                def backward(ctx, g):
                    return g * 2


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return Double.apply(x) + 1
            """,
            line=17,
            fails_at=Stage.SAVE,
            label="apply-in-forward",
            message="A custom autograd Function scripts as a Python call: torch.jit.save fails: `Double.apply`",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (
            isinstance(func, cst.Attribute)
            and func.attr.value == "apply"
            and isinstance(func.value, cst.Name)
        ):
            return
        info = self.context.class_info(func.value.value)
        if info is None or not self._is_function_class(info):
            return
        # the name must really be that class here (not a local that shadows it)
        if func.value.value not in self.context.qualified_names(func.value):
            return
        self.report(node, f"{self.message}: `{info.name}.apply`")

    def _is_function_class(self, info: ClassInfo) -> bool:
        for cls in info.mro():
            for arg in cls.node.bases:
                if self.context.matches(arg.value, *AUTOGRAD_FUNCTION):
                    return True
        return False
