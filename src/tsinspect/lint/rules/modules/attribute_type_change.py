"""TS304 attribute-type-change."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.classes import class_facts, enclosing_class
from tsinspect.lint.rule import Invalid, Valid
from tsinspect.lint.rules.conservative import ConservativeRule
from tsinspect.lint.types.flow import flow
from tsinspect.lint.types.lattice import BOOL, FLOAT, INT, NONE, STR, TENSOR, Type

# TorchScript's type of a literal attribute value set in __init__
_LITERALS: dict[type[cst.CSTNode], Type] = {
    cst.Integer: INT,
    cst.Float: FLOAT,
    cst.SimpleString: STR,
}
_ASSIGNABLE = frozenset({TENSOR, INT, FLOAT, BOOL, STR})


def _literal_type(value: cst.BaseExpression) -> Type | None:
    if isinstance(value, cst.Name):
        return {"True": BOOL, "False": BOOL, "None": NONE}.get(value.value)
    if isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Minus):
        inner = _literal_type(value.expression)
        return inner if inner in (INT, FLOAT) else None
    return _LITERALS.get(type(value))


class AttributeTypeChangeRule(ConservativeRule):
    """## What it does
    Reports compiled code assigning `self.x` a value whose type differs from the literal
    `__init__` gave it: an int attribute given a float or a Tensor, a bool given an int, an
    attribute initialised to `None` (without a class-level `Optional[...]` annotation)
    given a Tensor. Both types must be certain.

    ## Why is this bad?
    A scripted module's attribute types are fixed from the instance when it is scripted:
    `self.count = 0` makes `count` an `int` and `self.cache = None` makes `cache` a
    `NoneType`. Scripting fails with "Wrong type for attribute assignment. Expected int but
    got float" (or "Expected NoneType but got Tensor").

    ## Example
    ```python
    def __init__(self) -> None:
        super().__init__()
        self.cache = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.cache = x.detach()
        return x
    ```

    ## Use instead
    ```python
    cache: Optional[torch.Tensor]

    def __init__(self) -> None:
        super().__init__()
        self.cache = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.cache = x.detach()
        return x
    ```
    """

    code = "TS304"
    function_local = True
    name = "attribute-type-change"
    message = "TorchScript cannot change an attribute's type"
    fix_hint = "Keep the type __init__ gives it (0.0 for a float), or annotate it at class level (Optional[Tensor])"

    VALID = (
        Valid(
            """
            from typing import Optional

            import torch
            from torch import nn


            class Model(nn.Module):
                cache: Optional[torch.Tensor]

                def __init__(self) -> None:
                    super().__init__()
                    self.cache = None
                    self.steps = 0
                    self.total = 0.0

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    self.cache = x
                    self.steps = self.steps + 1
                    self.steps += 1
                    self.total = self.total + 0.5
                    if not torch.jit.is_scripting():
                        self.steps = x.sum()
                    return x
            """,
            label="annotated-same-type-guarded",
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
                    self.cache = None

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    self.cache = x
                    return x
            """,
            label="none-to-tensor",
            message="TorchScript cannot change an attribute's type: `self.cache` is None after __init__, assigned Tensor here",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.scale = 1

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self._update(x)

                def _update(self, x: torch.Tensor) -> torch.Tensor:
                    self.scale = 0.5
                    return x * self.scale
            """,
            label="int-to-float-in-helper",
            message="TorchScript cannot change an attribute's type: `self.scale` is int after __init__, assigned float here",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.seen = False

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    self.seen = 1
                    return x
            """,
            label="bool-to-int",
            message="TorchScript cannot change an attribute's type: `self.seen` is bool after __init__, assigned int here",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.scale = 1.0

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    self.scale = 2
                    return x * self.scale
            """,
            label="float-to-int",
            message="TorchScript cannot change an attribute's type: `self.scale` is float after __init__, assigned int here",
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self.context.is_compiled_def(node):
            return
        assignments = flow(self.context, node).attribute_assignments
        if not assignments:
            return
        found = enclosing_class(self.context, node.body)
        if found is None or not found[0].is_nn_module:
            return
        facts = class_facts(self.context, found[0])
        if facts.opaque or facts.self_escapes:
            return
        for target, kind in assignments:
            name = target.attr.value
            if (
                kind not in _ASSIGNABLE
                or name in facts.class_annotations
                or name in facts.class_values
            ):
                continue
            if name in facts.registered or name in facts.constants:
                continue
            initial = {_literal_type(value) for value in facts.instance_values.get(name, [])}
            if len(initial) != 1:
                continue
            (before,) = initial
            if before is None or before == kind:
                continue
            self.report(
                target,
                f"{self.message}: `self.{name}` is {before} after __init__, assigned {kind} here",
            )
