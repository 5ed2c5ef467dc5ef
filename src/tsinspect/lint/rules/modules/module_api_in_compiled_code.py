"""TS310 module-api-in-compiled-code."""

from __future__ import annotations

import re

import libcst as cst

from tsinspect.lint.classes import enclosing_class, is_self_attribute, method_self_name
from tsinspect.lint.rule import Invalid, Valid
from tsinspect.lint.rules.conservative import ConservativeRule

GENERATORS = frozenset({"parameters", "named_parameters", "buffers", "named_buffers"})
REGISTRATIONS = frozenset({"register_buffer", "register_parameter"})
PARAMETER = frozenset({"torch.nn.Parameter", "torch.nn.parameter.Parameter"})
# torch.nn names that are classes but not modules (Parameter has its own message above)
NOT_MODULES = frozenset({"Parameter", "UninitializedParameter", "UninitializedBuffer", "Buffer"})
TORCH_MODULE_NAME = re.compile(r"^torch\.nn\.(modules\.[a-z_.]+\.)?(?P<name>[A-Z]\w*)$")


def _is_torch_module_class(qualified: str) -> bool:
    """``torch.nn.Linear`` / ``torch.nn.modules.linear.Linear``; not ``torch.nn.utils.rnn.PackedSequence``."""
    match = TORCH_MODULE_NAME.match(qualified)
    return match is not None and match["name"] not in NOT_MODULES


class ModuleApiRule(ConservativeRule):
    """## What it does
    Reports, in compiled code, the `nn.Module` Python API TorchScript cannot compile:
    `self.parameters()`, `self.named_parameters()`, `self.buffers()`,
    `self.named_buffers()`, `self.__class__`, `self.register_buffer(...)` /
    `self.register_parameter(...)`, and constructing `nn.Parameter(...)` or a `torch.nn`
    module (`nn.Linear(4, 4)`).

    ## Why is this bad?
    These are Python-side APIs. The generators fail inside torch's own source ("Yield
    aren't supported", "Lambda aren't supported") and `self.__class__` with an
    AttributeError, both naming no line of your file; `register_buffer` fails with "Unknown
    type name 'torch.jit.ScriptModule'", `nn.Parameter(...)` with "Cannot instantiate class
    'Parameter' in a script function", and `nn.Linear(...)` with "Class Linear does not have
    an __init__ function defined". `self.children()` and `self.modules()` are fine.

    ## Example
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        norm = sum(p.norm() for p in self.parameters())
        return x / norm
    ```

    ## Use instead
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x / (self.lin.weight.norm() + self.lin.bias.norm())
    ```
    """

    code = "TS310"
    function_local = True
    name = "module-api-in-compiled-code"
    message = "TorchScript cannot compile this nn.Module Python API"
    fix_hint = (
        "Create parameters, buffers and submodules in __init__ and reference them as attributes"
    )

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.lin = nn.Linear(4, 4)
                    self.register_buffer("offset", torch.zeros(4))
                    self.name = self.__class__.__name__

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    for m in self.children():
                        x = m(x)
                    if not torch.jit.is_scripting():
                        print(sum(p.numel() for p in self.parameters()))
                    return x + self.offset

                def count(self) -> int:
                    return sum(p.numel() for p in self.parameters())
            """,
            label="init-children-guarded-unreached",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.lin = nn.Linear(4, 4)

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    for p in self.parameters():
                        x = x + p.sum()
                    return x
            """,
            line=11,
            error_has_line=False,
            label="parameters",
            message="TorchScript cannot compile this nn.Module Python API: `self.parameters(...)`",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.lin = nn.Linear(4, 4)

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self._total(x)

                def _total(self, x: torch.Tensor) -> torch.Tensor:
                    for name, p in self.named_parameters():
                        x = x + p.sum()
                    return x
            """,
            line=14,
            error_has_line=False,
            label="named-parameters-in-helper",
            message="TorchScript cannot compile this nn.Module Python API: `self.named_parameters(...)`",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    print(self.__class__.__name__)
                    return x
            """,
            line=7,
            error_has_line=False,
            label="class-name",
            message="TorchScript cannot compile this nn.Module Python API: `self.__class__`",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    self.register_buffer("b", torch.ones(4))
                    return x
            """,
            label="register-buffer",
            message="TorchScript cannot compile this nn.Module Python API: `self.register_buffer(...)`",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    w = nn.Parameter(torch.ones(4))
                    return x * w
            """,
            label="parameter",
            message="TorchScript cannot compile this nn.Module Python API: `nn.Parameter(...)` outside __init__",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    lin = nn.Linear(4, 4)
                    return lin(x)
            """,
            label="submodule",
            message="TorchScript cannot compile this nn.Module Python API: a torch.nn module is constructed outside __init__",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in GENERATORS | REGISTRATIONS:
            if self._on_self(func):
                self.report(node, f"{self.message}: `self.{func.attr.value}(...)`")
            return
        names = self.context.qualified_names(func)
        if names & PARAMETER:
            self.report(node, f"{self.message}: `nn.Parameter(...)` outside __init__")
        elif any(_is_torch_module_class(name) for name in names):
            self.report(node, f"{self.message}: a torch.nn module is constructed outside __init__")

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value == "__class__" and self._on_self(node):
            self.report(node, f"{self.message}: `self.__class__`")

    def _on_self(self, node: cst.Attribute) -> bool:
        found = enclosing_class(self.context, node)
        if found is None:
            return False
        info, method = found
        return info.is_nn_module and is_self_attribute(node, method_self_name(method))
