"""TS302 dataclass-in-compiled-code."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.reach import SCRIPT_DECORATORS, decorator_names
from tsinspect.lint.rule import Invalid, Valid
from tsinspect.lint.rules.conservative import ConservativeRule

DATACLASS = frozenset({"dataclasses.dataclass"})


class DataclassRule(ConservativeRule):
    """## What it does
    Reports compiled code that constructs a same-file `@dataclass` that is not itself
    decorated with `@torch.jit.script`.

    ## Why is this bad?
    TorchScript compiles a class it meets in compiled code from its source, and a
    dataclass's `__init__` is generated, so it has none: scripting fails with "Failed to
    get source for <function Output.__init__> using inspect.getsource", naming no line.

    ## Example
    ```python
    @dataclass
    class Output:
        logits: torch.Tensor

    class Model(nn.Module):
        def forward(self, x: torch.Tensor) -> Output:
            return Output(x * 2)
    ```

    ## Use instead
    ```python
    class Output(NamedTuple):
        logits: torch.Tensor
    ```
    """

    code = "TS302"
    function_local = True
    name = "dataclass-in-compiled-code"
    message = "TorchScript cannot compile a @dataclass"
    fix_hint = "Use a typing.NamedTuple, or decorate the dataclass with @torch.jit.script as well"

    VALID = (
        Valid(
            """
            from dataclasses import dataclass
            from typing import NamedTuple

            import torch
            from torch import nn


            @dataclass
            class Config:
                scale: float = 2.0


            class Output(NamedTuple):
                y: torch.Tensor


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.scale = Config().scale

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return Output(x * self.scale).y
            """,
            label="namedtuple-and-init-only",
        ),
    )
    INVALID = (
        Invalid(
            """
            from dataclasses import dataclass

            import torch
            from torch import nn


            @dataclass
            class Output:
                y: torch.Tensor


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    o = Output(x * 2)
                    return o.y
            """,
            line=14,
            error_has_line=False,
            label="constructed-in-forward",
            message="TorchScript cannot compile a @dataclass: `Output` is a dataclass",
        ),
        Invalid(
            """
            import dataclasses

            import torch
            from torch import nn


            @dataclasses.dataclass(frozen=True)
            class Output:
                y: torch.Tensor


            def wrap(x: torch.Tensor) -> Output:
                return Output(x)


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return wrap(x).y
            """,
            line=13,
            error_has_line=False,
            label="frozen-in-helper",
            message="TorchScript cannot compile a @dataclass: `Output` is a dataclass",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Name):
            return
        info = self.context.class_info(func.value)
        if info is None or not self.context.matches(func, func.value):
            return
        names = decorator_names(self.context, info.node)
        if not names.isdisjoint(DATACLASS) and names.isdisjoint(SCRIPT_DECORATORS):
            self.report(node, f"{self.message}: `{func.value}` is a dataclass")
