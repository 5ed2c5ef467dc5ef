"""TS115 variadic-signature."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Phase, Rule, Valid


class VariadicSignatureRule(Rule):
    """## What it does
    Reports `*args`, `**kwargs`, or a keyword-only parameter with a default in the
    signature of a compiled function (`forward`, a reached method or function, a hook...).

    ## Why is this bad?
    Scripting fails with "Compiled functions can't take variable number of arguments or
    use keyword-only arguments with defaults", at the `def` line. Keyword-only parameters
    *without* a default are fine.

    ## Example
    ```python
    def forward(self, x: torch.Tensor, **kwargs) -> torch.Tensor:
        return x * kwargs.get("scale", 1.0)
    ```

    ## Use instead
    ```python
    def forward(self, x: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
        return x * scale
    ```
    """

    code = "TS115"
    function_local = True
    name = "variadic-signature"
    message = (
        "TorchScript does not support *args, **kwargs or keyword-only parameters with defaults"
    )
    fix_hint = "Use explicit positional parameters (with defaults where needed)"
    phase = Phase.SYNTAX

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor, scale: float = 2.0) -> torch.Tensor:
                    return self._apply(x, scale=scale)

                def _apply(self, x: torch.Tensor, *, scale: float) -> torch.Tensor:
                    return x * scale

                def extra_repr(self, *args, **kwargs) -> str:
                    return "not compiled"
            """,
            label="keyword-only-without-default",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor, **kwargs) -> torch.Tensor:
                    return x
            """,
            label="kwargs-in-forward",
            message="TorchScript does not support *args, **kwargs or keyword-only parameters with defaults: `forward` takes **kwargs",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            def combine(*tensors: torch.Tensor) -> torch.Tensor:
                return tensors[0]


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return combine(x, x)
            """,
            label="star-args-in-called-function",
            message="TorchScript does not support *args, **kwargs or keyword-only parameters with defaults: `combine` takes *tensors",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor, *, scale: float = 2.0) -> torch.Tensor:
                    return x * scale
            """,
            label="keyword-only-with-default",
            message="TorchScript does not support *args, **kwargs or keyword-only parameters with defaults: `forward` has keyword-only `scale` with a default",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(
                    self,
                    x: torch.Tensor,
                    *extra: torch.Tensor,
                ) -> torch.Tensor:
                    return x
            """,
            label="multi-line-signature",
            message="TorchScript does not support *args, **kwargs or keyword-only parameters with defaults: `forward` takes *extra",
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self.context.is_compiled_def(node):
            return
        params = node.params
        function = node.name.value
        # TorchScript names the offending parameter (or the keyword-only default), not the def.
        if params.star_kwarg is not None:
            self.report(
                params.star_kwarg,
                f"{self.message}: `{function}` takes **{params.star_kwarg.name.value}",
            )
        if isinstance(params.star_arg, cst.Param):
            self.report(
                params.star_arg, f"{self.message}: `{function}` takes *{params.star_arg.name.value}"
            )
        for param in params.kwonly_params:
            if param.default is not None:
                self.report(
                    param.default,
                    f"{self.message}: `{function}` has keyword-only `{param.name.value}` with a default",
                )
