"""TS309 lambda-attribute."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.classes import class_facts, init_only_values, module_data_attribute
from tsinspect.lint.reach import is_property_def
from tsinspect.lint.rule import Invalid, Valid
from tsinspect.lint.rules.conservative import ConservativeRule

PARTIAL = frozenset({"functools.partial"})


class LambdaAttributeRule(ConservativeRule):
    """## What it does
    Reports calling, in compiled code, an attribute that `__init__` sets to a `lambda`, a
    `functools.partial` or a bound method (`self.act = lambda x: x * 2`, or
    `self.act = self._gelu`, then `self.act(x)`).

    ## Why is this bad?
    TorchScript compiles a function stored on the module from its source, and a lambda has
    no top-level source: scripting fails with "This function exists as an attribute on the
    Python module, but we failed to compile it to a TorchScript function ... Expected a
    single top-level function", pointing at the lambda in `__init__`. A `partial` object
    cannot be converted at all ("failed to convert Python type: 'functools.partial'"), at
    the call, and neither can a bound method ("failed to convert Python type: 'method'";
    Hugging Face's `GELUTanh` picks one of the two in `__init__`). An attribute holding
    `torch.relu` or a module-level `def` is fine.

    ## Example
    ```python
    def __init__(self) -> None:
        super().__init__()
        self.act = lambda x: x.clamp(min=0)
    ```

    ## Use instead
    ```python
    def __init__(self) -> None:
        super().__init__()
        self.act = nn.ReLU()
    ```
    """

    code = "TS309"
    function_local = True
    name = "lambda-attribute"
    message = (
        "TorchScript cannot call a lambda, functools.partial or bound method stored on the module"
    )
    fix_hint = "Store an nn.Module (nn.ReLU(), nn.GELU(...)) or a module-level def instead"

    VALID = (
        Valid(
            """
            import functools

            import torch
            import torch.nn.functional as F
            from torch import nn


            def double(x: torch.Tensor) -> torch.Tensor:
                return x * 2


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.act = nn.GELU(approximate="tanh")
                    self.scale = double
                    self.fn = torch.relu
                    self.debug = lambda x: print(x)
                    self.slow = functools.partial(F.gelu, approximate="tanh")

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if not torch.jit.is_scripting():
                        self.debug(x)
                    return self.fn(self.scale(self.act(x)))
            """,
            label="module-function-builtin-guarded",
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
                    self.act = lambda t: t * 2

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self.act(x)
            """,
            label="lambda",
            message="TorchScript cannot call a lambda, functools.partial or bound method stored on the module: `self.act` is a lambda",
        ),
        Invalid(
            """
            import functools

            import torch
            import torch.nn.functional as F
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.act = functools.partial(F.gelu, approximate="tanh")

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self._head(x)

                def _head(self, x: torch.Tensor) -> torch.Tensor:
                    return self.act(x)
            """,
            label="partial-in-helper",
            message="TorchScript cannot call a lambda, functools.partial or bound method stored on the module: `self.act` is a functools.partial",
        ),
        Invalid(
            """
            import functools

            import torch
            from torch import nn


            class Model(nn.Module):
                def __init__(self, python_gelu: bool = False) -> None:
                    super().__init__()
                    if python_gelu:
                        self.act = self._gelu
                    else:
                        self.act = functools.partial(nn.functional.gelu, approximate="tanh")

                def _gelu(self, x: torch.Tensor) -> torch.Tensor:
                    return x * torch.sigmoid(1.702 * x)

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self.act(x)
            """,
            label="bound-method-or-partial",
            message="TorchScript cannot call a lambda, functools.partial or bound method stored on the module: `self.act` is a bound method or a functools.partial",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute):
            return
        info = module_data_attribute(self.context, func)
        if info is None:
            return
        name = func.attr.value
        facts = class_facts(self.context, info)
        values = [] if facts.opaque else init_only_values(facts, name)
        if not values:
            return
        if all(isinstance(value, cst.Lambda) for value in values):
            # TorchScript names the lambda in __init__ first; keep the report only if this call is compiled
            self.report(values[0], f"{self.message}: `self.{name}` is a lambda", anchor=node)
        elif all(self._unconvertible(value) for value in values):
            kinds = sorted({self._unconvertible(value) for value in values})
            self.report(node, f"{self.message}: `self.{name}` is a {' or a '.join(kinds)}")

    def _unconvertible(self, value: cst.BaseExpression) -> str:
        """What a value TorchScript cannot convert to an attribute type is ("" otherwise)."""
        if isinstance(value, cst.Call) and self.context.matches(value.func, *PARTIAL):
            return "functools.partial"
        if (
            isinstance(value, cst.Attribute)
            and isinstance(value.value, cst.Name)
            and value.value.value == "self"
            and self._is_method(value)
        ):
            return "bound method"
        return ""

    def _is_method(self, value: cst.Attribute) -> bool:
        """``self.<name>`` where ``<name>`` is a method of the enclosing class."""
        current = self.context.parent(value)
        while current is not None and not isinstance(current, cst.ClassDef):
            current = self.context.parent(current)
        if current is None:
            return False
        info = self.context.class_info(current.name.value)
        found = info.lookup(value.attr.value) if info is not None else None
        # A property's value is whatever it returns, not a method.
        return found is not None and not any(
            is_property_def(self.context, method) for method in found[1]
        )
