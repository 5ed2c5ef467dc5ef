"""TS314 module-container-zip-list."""

from __future__ import annotations

import dataclasses

import libcst as cst

from tsinspect.lint.classes import REGISTRATIONS, ClassFacts, self_container_kind
from tsinspect.lint.reach import ClassInfo
from tsinspect.lint.rule import Invalid, Valid
from tsinspect.lint.rules.conservative import ConservativeRule

_LIST_ANNOTATIONS = frozenset({"typing.List", "builtins.list"})


class ModuleContainerZipRule(ConservativeRule):
    """## What it does
    Reports `zip(self.layers, xs)` in compiled code, where `__init__` assigns `self.layers` an
    `nn.ModuleList` or `nn.Sequential` and `xs` is a list (a list display or comprehension,
    or a local every binding of which is one, or annotated `List[...]`).

    ## Why is this bad?
    TorchScript unrolls a loop over a module container at compile time, so everything zipped
    with it must have a length known while compiling: a tuple or another module container.
    A list's length is known only at run time: scripting fails with "Can not iterate over a
    module list or tuple with a value that does not have a statically determinable length"
    at the `zip` (timm's `CrossVit.forward_intermediates`).

    ## Example
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = [x, x * 2]
        for layer, f in zip(self.layers, feats):
            x = x + layer(f)
        return x
    ```

    ## Use instead
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = (x, x * 2)
        for layer, f in zip(self.layers, feats):
            x = x + layer(f)
        return x
    ```
    """

    code = "TS314"
    function_local = True
    name = "module-container-zip-list"
    message = "TorchScript cannot zip a module container with a list"
    fix_hint = "Zip with a tuple or another module container, or index the list with enumerate()"

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(2)])
                    self.norms = nn.ModuleList([nn.LayerNorm(4) for _ in range(2)])

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    feats = (x, x * 2)
                    out = x
                    for layer, norm, f in zip(self.layers, self.norms, feats):
                        out = out + norm(layer(f))
                    return out
            """,
            label="tuple-and-containers",
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
                    self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(2)])

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    feats: List[torch.Tensor] = [x, x * 2]
                    out = x
                    for layer, f in zip(self.layers, feats):
                        out = out + layer(f)
                    return out
            """,
            label="annotated-list",
            message="TorchScript cannot zip a module container with a list: `feats` is a list, `self.layers` an nn.ModuleList",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.layers = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4))

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    feats = [x, x * 2]
                    out = x
                    for f, layer in zip(feats, self.layers):
                        out = out + layer(f)
                    return out
            """,
            label="list-first",
            message="TorchScript cannot zip a module container with a list: `feats` is a list, `self.layers` an nn.Sequential",
        ),
        Invalid(
            """
            from typing import List

            import torch
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.patch_embed = nn.ModuleList()
                    for i in range(2):
                        setattr(self, f"pos_embed_{i}", nn.Parameter(torch.zeros(4)))
                        self.patch_embed.append(nn.Linear(4, 4))

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    branches: List[List[torch.Tensor]] = [[x], [x * 2]]
                    out = x + self.pos_embed_0
                    for embed, feats in zip(self.patch_embed, branches):
                        out = out + embed(feats[0])
                    return out
            """,
            label="setattr-of-other-names",
            message="TorchScript cannot zip a module container with a list: `branches` is a list, `self.patch_embed` an nn.ModuleList",
        ),
    )

    def _container(self, node: cst.BaseExpression) -> str | None:
        """``ModuleList``/``Sequential`` when ``node`` is ``self.<attr>`` holding one."""
        return self_container_kind(self.context, node, _known_despite_setattr)

    def _is_list(self, node: cst.BaseExpression) -> bool:
        """A list display or comprehension, or a local bound only to lists."""
        if isinstance(node, cst.List | cst.ListComp):
            return True
        if not isinstance(node, cst.Name):
            return False
        bindings = self.context.scopes.bindings_of(node)
        if not bindings:
            return False
        for binding in bindings:
            target = self.context.parent(binding.node) if binding.node is not None else None
            if isinstance(target, cst.AnnAssign):
                annotation = target.annotation.annotation
                if isinstance(annotation, cst.Subscript):
                    annotation = annotation.value
                if not self.context.qualified_names(annotation) & _LIST_ANNOTATIONS:
                    return False
                continue
            assign = self.context.parent(target) if isinstance(target, cst.AssignTarget) else None
            if not (
                isinstance(assign, cst.Assign)
                and len(assign.targets) == 1
                and isinstance(assign.value, cst.List | cst.ListComp)
            ):
                return False
        return True

    def visit_Call(self, node: cst.Call) -> None:
        if not self.context.matches(node.func, "builtins.zip") or len(node.args) < 2:
            return
        values = [arg.value for arg in node.args if arg.keyword is None and not arg.star]
        containers = [(v, kind) for v in values if (kind := self._container(v)) is not None]
        lists = [v for v in values if self._is_list(v)]
        if containers and lists:
            container, kind = containers[0]
            listed = lists[0]
            name = f"`{listed.value}` is" if isinstance(listed, cst.Name) else "a list display is"
            attribute = container.attr.value if isinstance(container, cst.Attribute) else ""
            self.report(node, f"{self.message}: {name} a list, `self.{attribute}` an nn.{kind}")


def _known_despite_setattr(info: ClassInfo, facts: ClassFacts, name: str) -> ClassFacts:
    if facts.opaque and _only_other_names_set_dynamically(info, name):
        # timm's CrossVit sets `pos_embed_{i}` with setattr: that cannot be `patch_embed`.
        return dataclasses.replace(facts, opaque=False)
    return facts


def _literal_head(node: cst.BaseExpression) -> str | None:
    """The name a string literal gives, or the literal text an f-string starts with."""
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    if isinstance(node, cst.FormattedString) and node.parts:
        first = node.parts[0]
        if isinstance(first, cst.FormattedStringText) and first.value:
            return first.value + "\0"  # a prefix: never equal to a whole name
    return None


def _only_other_names_set_dynamically(info: ClassInfo, name: str) -> bool:
    """The class's only dynamic attribute writes (``setattr``, ``register_*``, ``add_module``)
    name other attributes than ``name``: literal names, or f-strings whose literal start
    ``name`` does not have. False for anything else that makes a class opaque."""
    if info.bases or info.has_other_bases:
        return False
    for node in _walk(info.node):
        if isinstance(node, cst.Attribute) and node.attr.value == "__dict__":
            return False
        if not isinstance(node, cst.Call):
            continue
        func = node.func
        if isinstance(func, cst.Name) and func.value == "setattr":
            argument = node.args[1].value if len(node.args) > 1 else None
        elif isinstance(func, cst.Attribute) and func.attr.value in REGISTRATIONS:
            argument = node.args[0].value if node.args else None
        else:
            continue
        head = _literal_head(argument) if argument is not None else None
        if head is None:
            return False
        if (head.endswith("\0") and name.startswith(head[:-1])) or head == name:
            return False
    return True


def _walk(node: cst.CSTNode) -> list[cst.CSTNode]:
    found: list[cst.CSTNode] = []
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(current.children)
    return found
