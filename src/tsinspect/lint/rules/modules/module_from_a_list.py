"""TS316 module-from-a-list."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.calls import calls_of
from tsinspect.lint.classes import class_facts, enclosing_class, method_self_name
from tsinspect.lint.rule import Invalid, Valid
from tsinspect.lint.rules.conservative import ConservativeRule


class ModuleFromAListRule(ConservativeRule):
    """## What it does
    Reports calling, in compiled code, a submodule taken from a Python list of submodules
    (`for embed, pos in [(self.embed1, self.pos1), (self.embed2, self.pos2)]: x = embed(x)`),
    where `__init__` builds each of those attributes by calling a class.

    ## Why is this bad?
    TorchScript types a list by its elements, and a module in a list is a plain object there:
    each submodule instance has a type of its own, so the element is a `Union` of them, or a
    module without its call. Scripting fails at the call with "cannot call a value of type
    'Union[PatchEmbed, ...]'" (timm's `Visformer.forward_intermediates`) or "'Linear' object
    has no attribute or method '__call__'".

    ## Example
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for embed, pos in [(self.embed1, self.pos1), (self.embed2, self.pos2)]:
            x = embed(x) + pos
        return x
    ```

    ## Use instead
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.embed1(x) + self.pos1
        x = self.embed2(x) + self.pos2
        return x
    ```
    """

    code = "TS316"
    function_local = True
    name = "module-from-a-list"
    message = "TorchScript cannot call a submodule taken from a list"
    fix_hint = "Call the submodules directly, or keep them in an nn.ModuleList and iterate it"

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.embeds = nn.ModuleList([nn.Linear(4, 4), nn.Linear(4, 4)])
                    self.pos1 = nn.Parameter(torch.zeros(4))
                    self.pos2 = nn.Parameter(torch.zeros(4))

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    for pos in [self.pos1, self.pos2]:
                        x = x + pos
                    for embed in self.embeds:
                        x = embed(x)
                    return x
            """,
            label="parameters-in-a-list",
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
                    self.embed1 = nn.Linear(4, 4)
                    self.embed2 = nn.Linear(4, 4)
                    self.pos1 = nn.Parameter(torch.zeros(4))
                    self.pos2 = nn.Parameter(torch.zeros(4))

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    stages = [(self.embed1, self.pos1), (self.embed2, self.pos2)]
                    for embed, pos in stages:
                        x = embed(x) + pos
                    return x
            """,
            label="tuples-of-submodules",
            message="TorchScript cannot call a submodule taken from a list: `embed` comes from `self.embed1`, `self.embed2`",
        ),
    )

    def visit_For(self, node: cst.For) -> None:
        found = enclosing_class(self.context, node)
        if found is None:
            return
        info, method = found
        self_name = method_self_name(method)
        if not info.is_nn_module or self_name is None:
            return
        iterable: cst.BaseExpression = node.iter
        target: cst.BaseExpression = node.target
        if (
            isinstance(iterable, cst.Call)
            and self.context.matches(iterable.func, "builtins.enumerate")
            and len(iterable.args) == 1
            and isinstance(target, cst.Tuple)
            and len(target.elements) == 2
        ):
            # `for i, (a, b) in enumerate(rows)`: the rows' items are the second element.
            iterable, target = iterable.args[0].value, target.elements[1].value
        rows = self._rows(iterable)
        if not rows:
            return
        names = [e.value for e in target.elements] if isinstance(target, cst.Tuple) else [target]
        facts = class_facts(self.context, info)
        for position, name in enumerate(names):
            if not isinstance(name, cst.Name):
                continue
            attributes: list[str] = []
            for row in rows:
                if position >= len(row):
                    return
                element = row[position]
                if (
                    isinstance(element, cst.Attribute)
                    and isinstance(element.value, cst.Name)
                    and element.value.value == self_name
                    and self._constructed(facts.instance_values.get(element.attr.value))
                ):
                    attributes.append(element.attr.value)
            if not attributes:
                continue
            for call in calls_of(node.body, name.value):
                listed = ", ".join(f"`self.{a}`" for a in dict.fromkeys(attributes))
                self.report(call, f"{self.message}: `{name.value}` comes from {listed}")

    @staticmethod
    def _constructed(values: list[cst.BaseExpression] | None) -> bool:
        """Every value ``__init__`` gives the attribute is a call of a class (``Name(...)``)."""
        if not values:
            return False
        for value in values:
            if not isinstance(value, cst.Call):
                return False
            func = value.func
            last = (
                func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", "")
            )
            if not (isinstance(last, str) and last[:1].isupper() and last != "Parameter"):
                return False
        return True

    def _rows(self, iterable: cst.BaseExpression) -> list[list[cst.BaseExpression]]:
        """The elements of a list display (each a tuple's items, or one item), also through a
        local bound to one display (and to slices of itself)."""
        display: cst.List | None = iterable if isinstance(iterable, cst.List) else None
        if isinstance(iterable, cst.Name):
            bindings = self.context.scopes.bindings_of(iterable)
            for binding in bindings:
                target = self.context.parent(binding.node) if binding.node is not None else None
                assign = (
                    self.context.parent(target) if isinstance(target, cst.AssignTarget) else None
                )
                if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
                    return []
                value = assign.value
                if isinstance(value, cst.List):
                    if display is not None:
                        return []
                    display = value
                elif not (
                    isinstance(value, cst.Subscript)
                    and isinstance(value.value, cst.Name)
                    and value.value.value == iterable.value
                ):
                    return []
        if display is None:
            return []
        rows: list[list[cst.BaseExpression]] = []
        for element in display.elements:
            if isinstance(element, cst.StarredElement):
                return []
            value = element.value
            rows.append(
                [e.value for e in value.elements] if isinstance(value, cst.Tuple) else [value]
            )
        return rows
