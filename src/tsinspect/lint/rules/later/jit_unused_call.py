"""TS508 jit-unused-call."""

from __future__ import annotations

import libcst as cst

from tsinspect.diagnostics import Severity
from tsinspect.lint.calls import called_function, ignore_kind
from tsinspect.lint.rule import Invalid, Rule, Stage, Valid


class UnusedCallRule(Rule):
    """## What it does
    Reports a call from compiled code to a same-file function or method decorated with
    `@torch.jit.unused` (or `@torch.jit.ignore(drop=True)`), unless the call is under
    `if self.training:`.

    ## Why is this bad?
    TorchScript replaces the body of an unused function with a `raise`. The model scripts
    and saves, but every call that reaches it fails at run time, in the same process and in
    libtorch or Triton ("The following operation failed in the TorchScript interpreter").
    Calls under `if self.training:` are the intended use: they never run once the model is
    put in `.eval()` before export.

    ## Example
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.aux_head(x)

    @torch.jit.unused
    def aux_head(self, x: torch.Tensor) -> torch.Tensor:
        ...
    ```

    ## Use instead
    Only call it on training paths, and export the model in `.eval()` mode:
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            return self.aux_head(x)
        return self.head(x)
    ```
    """

    code = "TS508"
    function_local = True
    name = "jit-unused-call"
    message = "Call to a @torch.jit.unused function: it raises when the scripted model runs it"
    fix_hint = (
        "Call it only under `if self.training:` (and export in eval mode), or make it scriptable"
    )
    severity = Severity.WARNING

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if self.training:
                        return self.aux(x)
                    return x * 2

                @torch.jit.unused
                def aux(self, x: torch.Tensor) -> torch.Tensor:
                    return x.numpy()


            def build() -> nn.Module:
                return Model().eval()
            """,
            label="training-only-call",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self.aux(x)

                @torch.jit.unused
                def aux(self, x: torch.Tensor) -> torch.Tensor:
                    return x * 2
            """,
            line=7,
            fails_at=Stage.RUN,
            label="unused-method",
            message="Call to a @torch.jit.unused function: it raises when the scripted model runs it: `self.aux`",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            @torch.jit.ignore(drop=True)
            def aux(x: torch.Tensor) -> torch.Tensor:
                return x * 2


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return aux(x)
            """,
            line=12,
            fails_at=Stage.RUN,
            label="ignore-drop-function",
            message="Call to a @torch.jit.unused function: it raises when the scripted model runs it: `aux`",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        found = called_function(self.context, node)
        if (
            found is None
            or ignore_kind(self.context, found[1]) != "unused"
            or self._training_only(node)
        ):
            return
        self.report(node, f"{self.message}: `{found[0]}`")

    def _training_only(self, node: cst.CSTNode) -> bool:
        """Inside `if self.training:` (or the `else` of `if not self.training:`)."""
        child = node
        parent = self.context.parent(node)
        while parent is not None and not isinstance(parent, cst.FunctionDef):
            if isinstance(parent, cst.If):
                if child is parent.body and _mentions_training(parent.test, negated=False):
                    return True
                if child is parent.orelse and _mentions_training(parent.test, negated=True):
                    return True
            if isinstance(parent, cst.IfExp):
                if child is parent.body and _mentions_training(parent.test, negated=False):
                    return True
                if child is parent.orelse and _mentions_training(parent.test, negated=True):
                    return True
            child, parent = parent, self.context.parent(parent)
        return False


def _is_self_training(node: cst.BaseExpression) -> bool:
    return (
        isinstance(node, cst.Attribute)
        and node.attr.value == "training"
        and isinstance(node.value, cst.Name)
        and node.value.value == "self"
    )


def _mentions_training(test: cst.BaseExpression, negated: bool) -> bool:
    """`self.training` (or `not self.training` when ``negated``), alone or as an `and` conjunct."""
    if (
        isinstance(test, cst.BooleanOperation)
        and isinstance(test.operator, cst.And)
        and not negated
    ):
        return _mentions_training(test.left, negated) or _mentions_training(test.right, negated)
    if negated:
        return (
            isinstance(test, cst.UnaryOperation)
            and isinstance(test.operator, cst.Not)
            and _is_self_training(test.expression)
        )
    return _is_self_training(test)
