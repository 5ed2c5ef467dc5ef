"""TS303 attribute-not-in-init."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.classes import (
    MODULE_BUILTIN_ATTRIBUTES,
    class_facts,
    enclosing_class,
    is_self_attribute,
    method_self_name,
)
from tsinspect.lint.rule import Invalid, Rule, Valid
from tsinspect.lint.rules.conservative import ConservativeRule


def assigned_self_attribute(rule: Rule, node: cst.Attribute) -> tuple[str, cst.ClassDef] | None:
    """``(name, class)`` when ``node`` is ``self.<name>`` as an assignment target in a module method."""
    parent = rule.context.parent(node)
    if not (
        isinstance(parent, cst.AssignTarget)
        or (isinstance(parent, cst.AnnAssign) and parent.target is node)
    ):
        return None
    found = enclosing_class(rule.context, node)
    if found is None:
        return None
    info, method = found
    if not info.is_nn_module or not is_self_attribute(node, method_self_name(method)):
        return None
    return node.attr.value, info.node


class AttributeNotInInitRule(ConservativeRule):
    """## What it does
    Reports an assignment `self.x = ...` in compiled code when no method outside compiled
    code (`__init__` or what it calls) creates `self.x`, and the class declares no `x`.

    ## Why is this bad?
    A scripted module's attributes and their types are fixed when it is scripted, from the
    instance. Compiled code cannot add one: scripting fails with "Tried to set nonexistent
    attribute: cache. Did you forget to initialize it in __init__()?".

    ## Example
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.last = x.detach()
        return x
    ```

    ## Use instead
    ```python
    def __init__(self) -> None:
        super().__init__()
        self.last = torch.zeros(0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.last = x.detach()
        return x
    ```
    """

    code = "TS303"
    function_local = True
    name = "attribute-not-in-init"
    message = "TorchScript cannot create an attribute outside __init__"
    fix_hint = "Create the attribute in __init__ with the type forward assigns (annotate Optional[...] for None)"

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
                    self.reset()

                def reset(self) -> None:
                    self.calls = 0

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    self.cache = x
                    self.calls = self.calls + 1
                    if not torch.jit.is_scripting():
                        self.debug_last = x
                    return x

                def remember(self, x: torch.Tensor) -> None:
                    self.seen = x
            """,
            label="init-helper-guarded-unreached",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    self.cache = x
                    return x
            """,
            label="forward",
            message="TorchScript cannot create an attribute outside __init__: `self.cache` is never set in __init__",
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
                    y = self.lin(x)
                    self._remember(y)
                    return y

                def _remember(self, y: torch.Tensor) -> None:
                    self.last = y.detach()
            """,
            label="in-helper",
            message="TorchScript cannot create an attribute outside __init__: `self.last` is never set in __init__",
        ),
    )

    def visit_Attribute(self, node: cst.Attribute) -> None:
        target = assigned_self_attribute(self, node)
        if target is None:
            return
        name, _ = target
        if name in MODULE_BUILTIN_ATTRIBUTES or name.startswith("__"):
            return
        found = enclosing_class(self.context, node)
        assert found is not None
        info, _ = found
        if any(name in cls.methods for cls in info.mro()):
            return
        facts = class_facts(self.context, info)
        if facts.opaque or facts.self_escapes:
            return
        if (
            name in facts.instance_values
            or name in facts.class_values
            or name in facts.class_annotations
            or name in facts.constants
            or name in facts.registered
        ):
            return
        self.report(node, f"{self.message}: `self.{name}` is never set in __init__")
