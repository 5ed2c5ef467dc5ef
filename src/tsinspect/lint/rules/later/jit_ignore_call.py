"""TS507 jit-ignore-call."""

from __future__ import annotations

import libcst as cst

from tsinspect.diagnostics import Severity
from tsinspect.lint.calls import called_function, ignore_kind
from tsinspect.lint.rule import Invalid, Rule, Stage, Valid


class IgnoredCallRule(Rule):
    """## What it does
    Reports a call from compiled code to a same-file function or method decorated with
    `@torch.jit.ignore`.

    ## Why is this bad?
    An ignored function is left as a call back into Python. The model scripts and runs in
    the same process, but `torch.jit.save` fails with "Could not export Python function
    call 'stats'": the model cannot be exported to libtorch or Triton. The ignored
    signature is still type-checked (unannotated parameters are `Tensor`).

    ## Example
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.log_stats(x)
        return self.body(x)

    @torch.jit.ignore
    def log_stats(self, x: torch.Tensor) -> None:
        print(x.numpy().mean())
    ```

    ## Use instead
    Keep the Python-only call out of the compiled path:
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not torch.jit.is_scripting():
            self.log_stats(x)
        return self.body(x)
    ```
    """

    code = "TS507"
    function_local = True
    name = "jit-ignore-call"
    message = "Call to a @torch.jit.ignore function: the scripted model cannot be saved"
    fix_hint = (
        "Guard the call with `if not torch.jit.is_scripting():`, or make the function scriptable"
    )
    severity = Severity.WARNING

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            @torch.jit.ignore
            def stats(x: torch.Tensor) -> float:
                return float(x.mean())


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if not torch.jit.is_scripting():
                        self.log(x)
                        print(stats(x))
                    return x

                @torch.jit.ignore
                def log(self, x: torch.Tensor) -> None:
                    print(x.numpy().mean())
            """,
            label="guarded-calls",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    self.log(x)
                    return x

                @torch.jit.ignore
                def log(self, x: torch.Tensor) -> None:
                    print(x.numpy().mean())
            """,
            line=7,
            fails_at=Stage.SAVE,
            label="ignored-method",
            message="Call to a @torch.jit.ignore function: the scripted model cannot be saved: `self.log`",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            @torch.jit.ignore
            def stats(x: torch.Tensor) -> float:
                return float(x.mean())


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return x * stats(x)
            """,
            line=12,
            fails_at=Stage.SAVE,
            label="ignored-function",
            message="Call to a @torch.jit.ignore function: the scripted model cannot be saved: `stats`",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        found = called_function(self.context, node)
        if found is not None and ignore_kind(self.context, found[1]) == "ignore":
            self.report(node, f"{self.message}: `{found[0]}`")
