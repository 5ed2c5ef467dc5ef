"""TS312 set-attribute."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.classes import (
    class_facts,
    init_only_values,
    is_assignment_target,
    module_data_attribute,
)
from tsinspect.lint.rule import Invalid, LintContext, Valid
from tsinspect.lint.rules.conservative import ConservativeRule

SET_FACTORIES = frozenset({"builtins.set", "builtins.frozenset"})


class SetAttributeRule(ConservativeRule):
    """## What it does
    Reports reading, in compiled code, an attribute that `__init__` sets to a set: a set
    literal, a set comprehension, `set(...)` or `frozenset(...)`
    (`self.out_idx = {f["index"] for f in info}`, then `if 0 in self.out_idx:`).

    ## Why is this bad?
    When TorchScript compiles `forward` it converts each attribute the code reads to a
    TorchScript type, and it has no set type: scripting fails at the read with "Module 'Net'
    has no attribute 'out_idx' (This attribute exists on the Python module, but we failed to
    convert Python type: 'set' to a TorchScript type...)". A set that only Python code reads
    (in `__init__`, or under `if not torch.jit.is_scripting():`) is fine. Measured on timm:
    `HighResolutionNetFeatures` (`features_only=True` HRNets) fails this way.

    ## Example
    ```python
    def __init__(self, out_indices: tuple[int, ...]) -> None:
        super().__init__()
        self.out_idx = set(out_indices)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        out = []
        if 0 in self.out_idx:
            out.append(x)
        return out
    ```

    ## Use instead
    ```python
    def __init__(self, out_indices: tuple[int, ...]) -> None:
        super().__init__()
        self.out_idx: list[int] = sorted(set(out_indices))
    ```
    """

    code = "TS312"
    function_local = True
    name = "set-attribute"
    message = "TorchScript cannot convert an attribute holding a set"
    fix_hint = "Store a sorted list (or a tuple) instead: `x in list` works in TorchScript"

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    seen = {0, 2}
                    self.python_only = {1, 2}
                    self.out_idx = sorted(seen)

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if not torch.jit.is_scripting():
                        if 1 in self.python_only:
                            x = x + 0
                    if 0 in self.out_idx:
                        x = x + 1
                    return x
            """,
            label="list-and-guarded-set",
        ),
    )
    INVALID = (
        Invalid(
            """
            from typing import List

            import torch
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.out_idx = {index for index in range(3) if index != 1}

                def forward(self, x: torch.Tensor) -> List[torch.Tensor]:
                    out = []
                    if 0 in self.out_idx:
                        out.append(x)
                    return out
            """,
            label="set-comprehension",
            message="TorchScript cannot convert an attribute holding a set: `self.out_idx` is a set",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.skip = frozenset(["a", "b"])

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self._head(x)

                def _head(self, x: torch.Tensor) -> torch.Tensor:
                    if "a" in self.skip:
                        return x
                    return x * 2
            """,
            label="frozenset-in-helper",
            message="TorchScript cannot convert an attribute holding a set: `self.skip` is a set",
        ),
    )

    def __init__(self, context: LintContext) -> None:
        super().__init__(context)
        self._set_names: frozenset[str] | None = None

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if (
            not isinstance(node.value, cst.Name)
            or node.attr.value not in self._names_holding_sets()
        ):
            return
        if is_assignment_target(self.context, node):
            return
        info = module_data_attribute(self.context, node)
        if info is None:
            return
        name = node.attr.value
        facts = class_facts(self.context, info)
        # Unlike the other attribute rules this one does not give up on classes with dynamic
        # setattr/register calls (`setattr(self, n, nn.Identity())` in HRNet's features class):
        # every visible assignment holds a set, and a dynamic name that rebinds this very
        # attribute to a convertible value is not something model code does.
        values = [] if name in facts.constants else init_only_values(facts, name)
        if values and all(self._is_set(value) for value in values):
            self.report(node, f"{self.message}: `self.{name}` is a set")

    def _names_holding_sets(self) -> frozenset[str]:
        """Attribute names any module class of the file sets to a set (most files: none), so
        that most attributes are dismissed before the walk up to their method."""
        if self._set_names is None:
            names: set[str] = set()
            for info in self.context.reach.classes.values():
                if info.is_nn_module:
                    values = class_facts(self.context, info).instance_values
                    names.update(
                        name
                        for name, assigned in values.items()
                        if any(self._is_set(value) for value in assigned)
                    )
            self._set_names = frozenset(names)
        return self._set_names

    def _is_set(self, value: cst.BaseExpression) -> bool:
        if isinstance(value, cst.Set | cst.SetComp):
            return True
        return isinstance(value, cst.Call) and self.context.matches(value.func, *SET_FACTORIES)
