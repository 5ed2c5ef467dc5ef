"""TS307 module-container-slice."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.calls import calls_of
from tsinspect.lint.classes import self_container_kind
from tsinspect.lint.rule import Invalid, Valid
from tsinspect.lint.rules.conservative import ConservativeRule


class ModuleContainerSliceRule(ConservativeRule):
    """## What it does
    Reports calling the modules of a sliced `nn.ModuleList` / `nn.Sequential`
    (`for layer in self.layers[1:]: x = layer(x)`, `self.layers[::-1]`, `self.body[:2](x)`)
    and `reversed(self.layers)`, where `__init__` assigns `self.layers` a `ModuleList` or
    `Sequential`.

    ## Why is this bad?
    A slice of a module container is a tuple of modules in TorchScript, and its elements
    cannot be called: scripting fails with "'Linear' object has no attribute or method
    '__call__'", or "cannot call a value of type 'Tuple[Linear, ReLU]'" for a called slice.
    `reversed` has no module-container overload ("reversed(Tensor 0) -> Tensor 0: Expected a
    value of type 'Tensor'"). Taking `len` of a slice is fine.

    ## Example
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layers[0](x)
        for layer in self.layers[1:]:
            x = layer(x) + x
        return x
    ```

    ## Use instead
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, layer in enumerate(self.layers):
            x = layer(x) if i == 0 else layer(x) + x
        return x
    ```
    """

    code = "TS307"
    function_local = True
    name = "module-container-slice"
    message = "TorchScript cannot call modules from a sliced or reversed ModuleList/Sequential"
    fix_hint = "Iterate the whole container with enumerate() and skip indices, or build the sub-list in __init__"

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])
                    self.sizes = [1, 2, 3]

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    for i, layer in enumerate(self.layers):
                        if i > 0:
                            x = layer(x)
                    n = len(self.layers[1:])
                    for s in self.sizes[::-1]:
                        x = x * s
                    if not torch.jit.is_scripting():
                        for layer in reversed(self.layers):
                            print(layer(x).shape)
                    return self.layers[-1](x) * n
            """,
            label="enumerate-len-list-guarded",
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
                    self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    for layer in self.layers[1:]:
                        x = layer(x)
                    return x
            """,
            label="loop-over-slice",
            message="TorchScript cannot call modules from a sliced or reversed ModuleList/Sequential: `layer` comes from a slice of a module container",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self._run(x)

                def _run(self, x: torch.Tensor) -> torch.Tensor:
                    for layer in reversed(self.layers):
                        x = layer(x)
                    return x
            """,
            label="reversed-in-helper",
            message="TorchScript cannot call modules from a sliced or reversed ModuleList/Sequential: `reversed` of an nn.ModuleList",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.body = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 4))

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self.body[:2](x)
            """,
            label="called-sequential-slice",
            message="TorchScript cannot call modules from a sliced or reversed ModuleList/Sequential: a slice of a module container is called",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    for layer in self.layers[::-1]:
                        x = layer(x)
                    return x
            """,
            label="reversed-by-step",
            message="TorchScript cannot call modules from a sliced or reversed ModuleList/Sequential: `layer` comes from a slice of a module container",
        ),
    )

    def _container(self, node: cst.BaseExpression) -> str | None:
        """``ModuleList``/``Sequential`` when ``node`` is ``self.<attr>`` holding one."""
        return self_container_kind(self.context, node)

    def _sliced_container(self, node: cst.BaseExpression) -> str | None:
        if not isinstance(node, cst.Subscript) or len(node.slice) != 1:
            return None
        if not isinstance(node.slice[0].slice, cst.Slice):
            return None
        return self._container(node.value)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if self.context.matches(func, "builtins.reversed") and len(node.args) == 1:
            kind = self._container(node.args[0].value)
            if kind is not None:
                self.report(node, f"{self.message}: `reversed` of an nn.{kind}")
        elif self._sliced_container(func) is not None:
            self.report(node, f"{self.message}: a slice of a module container is called")

    def visit_For(self, node: cst.For) -> None:
        if not isinstance(node.target, cst.Name) or self._sliced_container(node.iter) is None:
            return
        for call in calls_of(node.body, node.target.value):
            self.report(
                call,
                f"{self.message}: `{node.target.value}` comes from a slice of a module container",
            )
