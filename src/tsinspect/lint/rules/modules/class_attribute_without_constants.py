"""TS301 class-attribute-without-constants."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.classes import (
    class_facts,
    enclosing_class,
    is_assignment_target,
    is_final,
    is_self_attribute,
    method_self_name,
)
from tsinspect.lint.rule import Invalid, LintContext, Valid
from tsinspect.lint.rules.conservative import ConservativeRule


def _is_literal(expression: cst.BaseExpression) -> bool:
    """Numbers, strings, booleans, None, and tuples/lists of them: values, not callables or modules."""
    if isinstance(expression, cst.Integer | cst.Float | cst.SimpleString | cst.ConcatenatedString):
        return True
    if isinstance(expression, cst.Name):
        return expression.value in {"True", "False", "None"}
    if isinstance(expression, cst.UnaryOperation):
        return _is_literal(expression.expression)
    if isinstance(expression, cst.Tuple | cst.List):
        return all(
            not isinstance(element, cst.StarredElement) and _is_literal(element.value)
            for element in expression.elements
        )
    return False


class ClassAttributeRule(ConservativeRule):
    """## What it does
    Reports `self.NAME` in compiled code when `NAME` is a class-level attribute of the module
    (`SCALE = 2`, `MODE = "fast"`, `DIMS = (1, 2)`, `CACHE = None`) that is neither listed
    in `__constants__` nor annotated `Final`, and that `__init__` never sets on `self`.

    ## Why is this bad?
    TorchScript builds the module's type from the instance's attributes, `__constants__`
    and `Final` annotations; plain class attributes are invisible to it, whatever their
    type. Scripting fails with "Module 'Model' has no attribute 'SCALE'" (measured for
    ints, floats, bools, strings, tuples and None; `SCALE: int = 2` fails too).

    ## Example
    ```python
    class Model(nn.Module):
        SCALE = 2

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x * self.SCALE
    ```

    ## Use instead
    ```python
    class Model(nn.Module):
        SCALE: Final[int] = 2  # or __constants__ = ["SCALE"]

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x * self.SCALE
    ```
    """

    code = "TS301"
    function_local = True
    name = "class-attribute-without-constants"
    message = "TorchScript does not see class-level attributes"
    fix_hint = "Annotate it `NAME: Final[int] = ...`, list it in __constants__, or set it on self in __init__"

    VALID = (
        Valid(
            """
            from typing import Final

            import torch
            from torch import nn


            class Model(nn.Module):
                __constants__ = ["OFFSET"]
                SCALE: Final[int] = 2
                OFFSET = 1.0
                MODE = "fast"
                WIDTH = 4

                def __init__(self) -> None:
                    super().__init__()
                    self.WIDTH = 8

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if not torch.jit.is_scripting():
                        print(self.MODE)
                    return x * self.SCALE + self.OFFSET + self.WIDTH

                def describe(self) -> str:
                    return self.MODE
            """,
            label="final-constants-init-guarded-unreached",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                SCALE = 2

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return x * self.SCALE
            """,
            label="int-in-forward",
            message="TorchScript does not see class-level attributes: `self.SCALE` is a class attribute, not in __constants__ or Final",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Base(nn.Module):
                MODE: str = "fast"


            class Model(Base):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self._head(x)

                def _head(self, x: torch.Tensor) -> torch.Tensor:
                    if self.MODE == "fast":
                        return x
                    return x * 2
            """,
            label="annotated-str-from-base-in-helper",
            message="TorchScript does not see class-level attributes: `self.MODE` is a class attribute, not in __constants__ or Final",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                DIMS = (0, 1)

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return x.sum(self.DIMS[1])
            """,
            label="tuple",
            message="TorchScript does not see class-level attributes: `self.DIMS` is a class attribute, not in __constants__ or Final",
        ),
    )

    def __init__(self, context: LintContext) -> None:
        super().__init__(context)
        self._class_level_names: frozenset[str] | None = None

    def visit_Attribute(self, node: cst.Attribute) -> None:
        name = node.attr.value
        if name.startswith("__") or not isinstance(node.value, cst.Name):
            return
        # Most attributes are not class-level names of any class in the file: skip them
        # before the walk up to the enclosing method (once per attribute, a tenth of the run).
        if self._class_level_names is None:
            self._class_level_names = frozenset(
                name
                for info in self.context.reach.classes.values()
                for name in _class_names(info.node)
            )
        if name not in self._class_level_names:
            return
        found = enclosing_class(self.context, node)
        if found is None:
            return
        info, method = found
        if not info.is_nn_module or not is_self_attribute(node, method_self_name(method)):
            return
        if is_assignment_target(self.context, node):
            return
        # the value must come from the class's own MRO, not from a subclass
        value: cst.BaseExpression | None = None
        for cls in info.mro():
            if name in cls.methods:
                return
            value = value or _class_value(cls.node, name)
        if value is None or not _is_literal(value):
            return
        facts = class_facts(self.context, info)
        if (
            facts.opaque
            or name in facts.constants
            or name in facts.assigned_anywhere
            or name in facts.registered
        ):
            return
        annotation = facts.class_annotations.get(name)
        if annotation is not None and is_final(self.context, annotation):
            return
        self.report(
            node,
            f"{self.message}: `self.{name}` is a class attribute, not in __constants__ or Final",
        )


def _class_names(node: cst.ClassDef) -> set[str]:
    """Names a class body binds by plain or annotated assignment (a superset of _class_value's)."""
    names: set[str] = set()
    body = node.body
    if not isinstance(body, cst.IndentedBlock):
        return names
    for item in body.body:
        if not isinstance(item, cst.SimpleStatementLine):
            continue
        for small in item.body:
            if isinstance(small, cst.Assign):
                names.update(
                    t.target.value for t in small.targets if isinstance(t.target, cst.Name)
                )
            elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                names.add(small.target.value)
    return names


def _class_value(node: cst.ClassDef, name: str) -> cst.BaseExpression | None:
    body = node.body
    if not isinstance(body, cst.IndentedBlock):
        return None
    found: cst.BaseExpression | None = None
    for item in body.body:
        if not isinstance(item, cst.SimpleStatementLine):
            continue
        for small in item.body:
            if (
                isinstance(small, cst.Assign)
                and any(
                    isinstance(t.target, cst.Name) and t.target.value == name for t in small.targets
                )
            ) or (
                isinstance(small, cst.AnnAssign)
                and isinstance(small.target, cst.Name)
                and small.target.value == name
                and small.value is not None
            ):
                found = small.value
    return found
