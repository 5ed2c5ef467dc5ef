"""TS502 ignore-on-forward."""

from __future__ import annotations

import libcst as cst

from tsinspect.diagnostics import Severity
from tsinspect.lint.calls import IGNORE, UNUSED, method_owner
from tsinspect.lint.rule import Invalid, Rule, Stage, Valid


class IgnoreOnForwardRule(Rule):
    """## What it does
    Reports `@torch.jit.ignore` or `@torch.jit.unused` on the `forward` of an `nn.Module`.

    ## Why is this bad?
    Scripting succeeds, calls in the same process go through Python and work, and
    `torch.jit.save` writes an archive, but the archive has no `forward`: loading it in
    Python, libtorch or Triton gives "'RecursiveScriptModule' object has no attribute
    'forward'". Nothing fails until the model is served.

    ## Example
    ```python
    class Model(nn.Module):
        @torch.jit.ignore
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.body(x.numpy())
    ```

    ## Use instead
    Make `forward` scriptable and move the Python-only part out of it (into `__init__`,
    the caller, or an `if not torch.jit.is_scripting():` branch):
    ```python
    class Model(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.body(x)
    ```
    """

    code = "TS502"
    name = "ignore-on-forward"
    message = (
        "`forward` marked @torch.jit.ignore/@torch.jit.unused: the saved archive has no forward"
    )
    fix_hint = "Remove the decorator and make forward scriptable"
    severity = Severity.WARNING
    # The decorated forward is not compiled, so the report is outside compiled code.
    compiled_only = False

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return x * 2

                @torch.jit.ignore
                def summary(self, x: torch.Tensor) -> str:
                    return str(x.numpy())

                @torch.jit.unused
                def set_grad_checkpointing(self, enable: bool = True) -> None:
                    self.grad_checkpointing = enable
            """,
            label="ignore-on-other-methods",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                @torch.jit.ignore
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return x * 2
            """,
            line=6,
            fails_at=Stage.RUN,
            label="ignore",
            message="`forward` marked @torch.jit.ignore: the saved archive has no forward",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                @torch.jit.unused
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return x * 2
            """,
            line=6,
            fails_at=Stage.RUN,
            label="unused",
            message="`forward` marked @torch.jit.unused: the saved archive has no forward",
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.name.value != "forward":
            return
        owner = method_owner(self.context, node)
        info = self.context.class_info(owner.name.value) if owner is not None else None
        if info is None or info.node is not owner or not info.is_nn_module:
            return
        for decorator in node.decorators:
            expression = decorator.decorator
            target = expression.func if isinstance(expression, cst.Call) else expression
            names = self.context.qualified_names(target)
            if not names.isdisjoint(IGNORE | UNUSED):
                kind = "unused" if not names.isdisjoint(UNUSED) else "ignore"
                self.report(
                    decorator,
                    f"`forward` marked @torch.jit.{kind}: the saved archive has no forward",
                )
                return
