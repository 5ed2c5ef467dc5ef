"""TS226 dropped-default-argument."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.calls import called_function, ignore_kind, may_be_user_call
from tsinspect.lint.fix import replace_node
from tsinspect.lint.reach import EXPORT_DECORATORS, decorator_names
from tsinspect.lint.rule import Invalid, Valid
from tsinspect.lint.rules.conservative import ConservativeRule
from tsinspect.lint.types.signatures import parameters
from tsinspect.lint.types.values import literal_type


class DroppedDefaultArgumentRule(ConservativeRule):
    """## What it does
    Reports a call in compiled code that leaves out an argument with a default value when
    the function called is a `@torch.jit.ignore` or `@torch.jit.unused` function, or a
    `@torch.jit.export` method called through `self`.

    ## Why is this bad?
    Measured with torch 2.13, TorchScript does not keep those functions' default values
    in the signature it calls them with, so the call fails to script with "Argument k not
    provided", at the call. An ignored function's signature is built from its annotations
    only; an exported method is compiled as an entry point of its own, and a call from
    `forward` (or from another exported method) sees it without defaults. Plain methods and
    `@torch.jit.script` functions keep their defaults. Passing the omitted argument by
    keyword works for an exported method, but not for an ignored one: keyword arguments to
    an ignored function are mixed up at run time.

    ## Example
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.embed(x)

    @torch.jit.export
    def embed(self, x: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
        return x * scale
    ```

    ## Use instead
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.embed(x, 1.0)
    ```

    ## Fix safety
    `tsinspect check --fix` passes literal defaults positionally when the call passes
    only positional arguments.
    """

    code = "TS226"
    function_local = True
    name = "dropped-default-argument"
    fixable = True
    message = "TorchScript drops the defaults of @torch.jit.export/ignore/unused functions"
    fix_hint = "Pass the argument explicitly (positionally for an ignored function)"

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            @torch.jit.script
            def shift(x: torch.Tensor, k: int = 1) -> torch.Tensor:
                return x + k


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self.embed(x, 2.0) + self.scale(x) + shift(x) + self.embed(x, scale=3.0)

                @torch.jit.export
                def embed(self, x: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
                    return self.scale(x) * scale

                def scale(self, x: torch.Tensor, factor: float = 2.0) -> torch.Tensor:
                    return x * factor
            """,
            label="passed-plain-and-script-function",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self.embed(x)

                @torch.jit.export
                def embed(self, x: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
                    return x * scale
            """,
            label="export",
            message="TorchScript drops the defaults of @torch.jit.export/ignore/unused functions: `scale` not passed to `self.embed`",
            fixed="""
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self.embed(x, 1.0)

                @torch.jit.export
                def embed(self, x: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
                    return x * scale
            """,
        ),
        Invalid(
            """
            import torch
            from torch import nn


            @torch.jit.unused
            def debug_stats(x: torch.Tensor, weight: torch.Tensor = torch.ones(1)) -> torch.Tensor:
                return x * weight


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if self.training:
                        x = debug_stats(x)
                    return x
            """,
            label="unused-function",
            message="TorchScript drops the defaults of @torch.jit.export/ignore/unused functions: `weight` not passed to `debug_stats`",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self.python_part(x, bins=4)

                @torch.jit.ignore
                def python_part(self, x: torch.Tensor, bins: int = 10, mode: str = "a") -> torch.Tensor:
                    return x
            """,
            label="ignored-keyword-call",
            message="TorchScript drops the defaults of @torch.jit.export/ignore/unused functions: `mode` not passed to `self.python_part`",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        if not may_be_user_call(node) or any(arg.star for arg in node.args):
            return
        found = called_function(self.context, node)
        if found is None:
            return
        display, target = found
        exported = isinstance(node.func, cst.Attribute) and bool(
            decorator_names(self.context, target) & EXPORT_DECORATORS
        )
        if ignore_kind(self.context, target) is None and not exported:
            return
        declared = parameters(self.context, target)
        if declared is None or any(p.keyword_only for p in declared):
            return
        keywords = {arg.keyword.value for arg in node.args if arg.keyword is not None}
        positional = sum(1 for arg in node.args if arg.keyword is None)
        omitted = [
            p
            for index, p in enumerate(declared)
            if index >= positional and p.name not in keywords and p.default is not None
        ]
        if not omitted:
            return
        names = ", ".join(f"`{p.name}`" for p in omitted)
        message = f"{self.message}: {names} not passed to `{display}`"
        defaults = [p.default for p in omitted]
        trailing = positional + len(omitted) == len(declared) and not keywords
        if not trailing or not node.args or not all(_literal(d) for d in defaults if d):
            self.report(node, message)
            return
        code = self.context.module.code_for_node
        added = [cst.Arg(value=d) for d in defaults if d is not None]
        args = [*node.args[:-1], node.args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)]
        # positions leave out the call's own parentheses: so does the replacement
        fixed = node.with_changes(args=[*args, *added], lpar=[], rpar=[])
        self.report(node, message, edits=[replace_node(self.context, node, code(fixed))])


def _literal(node: cst.BaseExpression) -> bool:
    return literal_type(node) is not None or (isinstance(node, cst.Name) and node.value == "None")
