"""TS404 unsupported-builtin."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.calls import keyword, positional_count
from tsinspect.lint.rule import Invalid, Phase, Rule, Valid

# Builtins that fail to script whatever their arguments (measured on torch 2.13), with the fix.
ALWAYS: dict[str, str] = {
    "map": "Use a list comprehension: `[f(v) for v in xs]`",
    "filter": "Use an explicit loop with `if` and `append`",
    "reversed": "Index backwards (`for i in range(len(xs) - 1, -1, -1)`) or slice `xs[::-1]`",
    "iter": "Loop over the container directly",
    "next": "Index the container (`xs[0]`) or loop over it",
    "vars": "Read the attributes you need explicitly",
    "globals": "Pass the values in, or set them on `self` in `__init__`",
    "locals": "Use the local variables directly",
    "eval": "Write the expression as code",
    "exec": "Write the statements as code",
    "callable": "Decide in `__init__` and store a bool attribute",
    "repr": "Use `str(...)` or an f-string without conversion",
    "ascii": "Use `str(...)`",
    "format": "Use an f-string without a format spec, or `str(...)`",
    "dir": "Read the attributes you need explicitly",
    "issubclass": "Decide in `__init__` and store a bool attribute",
    "open": "Do file I/O outside the model (in `__init__` or the caller)",
    "frozenset": "Use a list, or a `Dict[K, bool]` as a set",
    "bytes": "Keep data as tensors or `str`",
    "bytearray": "Keep data as tensors or `str`",
}
SORT_LIKE = frozenset({"sorted", "min", "max"})


class UnsupportedBuiltinRule(Rule):
    """## What it does
    Reports Python builtins and builtin forms TorchScript does not support, in compiled code:
    `map`, `filter`, `reversed`, `iter`, `next`, `vars`, `globals`, `locals`, `eval`,
    `exec`, `callable`, `repr`, `ascii`, `format`, `dir`, `issubclass`, `open`,
    `frozenset`, `bytes`, `bytearray`; `type(x)` used as a value (`type(x).__name__`,
    `type(x) == ...`); `sorted`/`min`/`max` with `key=`, `sorted(..., reverse=True)`,
    `min`/`max` with `default=`; `round(v, ndigits)` and three-argument `pow`.
    (`set()` scripts but breaks later: TS506. `getattr`/`setattr`/`hasattr`, and `reversed` of
    a `self.` container, are TS3xx; `with open(...)` is TS108.)

    ## Why is this bad?
    TorchScript implements only some builtins, and only some of their forms. Scripting fails
    with "Python builtin <built-in function iter> is currently not supported", "function
    cannot be used as a value" (`map`), "builtin cannot be used as a value" (`key=`), or
    "Arguments for call are not valid" (`round(v, 2)`, `reverse=`). `filter`, `reversed`
    and friends are compiled as unknown Python functions that only accept tensors.
    Plain `sorted(xs)`, `xs.sort(reverse=True)`, `min`/`max`/`sum`/`any`/`all`, `zip`,
    `enumerate`, `round(v)`, `divmod`, `isinstance` are fine.

    ## Example
    ```python
    def forward(self, feats: List[torch.Tensor]) -> torch.Tensor:
        for f in reversed(feats):
            ...
        scales = sorted(self.scales, reverse=True)
    ```

    ## Use instead
    ```python
    def forward(self, feats: List[torch.Tensor]) -> torch.Tensor:
        for f in feats[::-1]:
            ...
        scales = sorted(self.scales)
        scales.reverse()
    ```
    """

    code = "TS404"
    function_local = True
    name = "unsupported-builtin"
    message = "TorchScript does not support this builtin"
    fix_hint = "Rewrite without the builtin (a loop, a comprehension, or plain indexing)"
    phase = Phase.SEMANTIC

    VALID = (
        Valid(
            """
            from typing import List

            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    xs: List[int] = [3, 1, 2]
                    ys = sorted(xs)
                    xs.sort(reverse=True)
                    for i, v in enumerate(zip(ys, xs)):
                        x = x + v[0] * i
                    total = sum(ys) + min(xs) + max(3, 4) + round(2.4) + abs(-1)
                    if not torch.jit.is_scripting():
                        print(list(map(str, xs)), type(x).__name__)
                    return x * total * float(isinstance(x, torch.Tensor)) * len(xs[::-1])

                def describe(self) -> str:
                    return repr(self) + str(sorted([3, 1], key=abs))
            """,
            label="supported-forms-guarded-unreached",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            import torch.nn.functional as F
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    parts = list(map(F.relu, x.chunk(2)))
                    return torch.cat(parts)
            """,
            label="map",
            message="TorchScript does not support the builtin `map()`",
        ),
        Invalid(
            """
            from typing import List

            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    feats: List[torch.Tensor] = [x, x * 2]
                    for f in reversed(feats):
                        x = x + f
                    return x
            """,
            label="reversed",
            message="TorchScript does not support the builtin `reversed()`",
        ),
        Invalid(
            """
            from typing import List

            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    xs: List[int] = [1, 2]
                    return x * next(iter(xs))
            """,
            label="next-iter",
            message="TorchScript does not support the builtin `iter()`",
        ),
        Invalid(
            """
            from typing import List

            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    sizes: List[int] = [3, 1, 2]
                    order = sorted(sizes, reverse=True)
                    return x * order[0]
            """,
            label="sorted-reverse",
            message="TorchScript's `sorted` takes no `reverse=`",
        ),
        Invalid(
            """
            from typing import List

            import torch
            from torch import nn


            def pick(sizes: List[int]) -> int:
                return max(sizes, key=abs)


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return x * pick([1, -3])
            """,
            label="max-key-in-helper",
            message="TorchScript's `max` takes no `key=`",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    scale = round(float(x.shape[-1]) / 3.0, 2)
                    return x * scale
            """,
            label="round-ndigits",
            message="TorchScript's `round` takes no `ndigits`",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if type(x) == torch.Tensor:
                        x = x * 2
                    return x
            """,
            label="type-compared",
            message="TorchScript does not support `type(...)` as a value",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    print(type(self).__name__)
                    return x
            """,
            label="type-name",
            message="TorchScript does not support `type(...)` as a value",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    handle = open(__file__)
                    print(handle.readline())
                    return x
            """,
            label="open",
            message="TorchScript does not support the builtin `open()`",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            @torch.jit.script
            def fn(x: torch.Tensor) -> str:
                return repr(x.shape)
            """,
            label="repr-script-function",
            message="TorchScript does not support the builtin `repr()`",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    print(format(float(x.sum()), ".2f"))
                    return x
            """,
            label="format-builtin",
            message="TorchScript does not support the builtin `format()`",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        names = self.context.qualified_names(node.func)
        builtin = next(
            (n.removeprefix("builtins.") for n in sorted(names) if n.startswith("builtins.")), None
        )
        if builtin is None:
            return
        if builtin in ALWAYS:
            if self._reported_elsewhere(node, builtin):
                return
            self.report(
                node,
                f"TorchScript does not support the builtin `{builtin}()`",
                fix_hint=ALWAYS[builtin],
            )
        elif builtin == "type" and self._type_used_as_value(node):
            self.report(
                node,
                "TorchScript does not support `type(...)` as a value",
                fix_hint="Use `isinstance(...)`, or store the class name as a str attribute in `__init__`",
            )
        elif builtin in SORT_LIKE:
            self._sort_like(node, builtin)
        elif builtin == "round" and (
            positional_count(node) == 2 or keyword(node, "ndigits") is not None
        ):
            self.report(
                node,
                "TorchScript's `round` takes no `ndigits`",
                fix_hint="Use `round(v * 100) / 100`, or `torch.round(t, decimals=2)` on a tensor",
            )
        elif builtin == "pow" and positional_count(node) == 3:
            self.report(node, "TorchScript's `pow` takes no modulus", fix_hint="Use `(a ** b) % m`")

    def _reported_elsewhere(self, node: cst.Call, builtin: str) -> bool:
        """`with open(...)` is TS108's; `reversed(self.layers)` on a module container is TS307's."""
        if builtin == "open":
            return isinstance(self.context.parent(node), cst.WithItem)
        if builtin == "reversed" and len(node.args) == 1:
            argument = node.args[0].value
            return (
                isinstance(argument, cst.Attribute)
                and isinstance(argument.value, cst.Name)
                and argument.value.value == "self"
            )
        return False

    def _sort_like(self, node: cst.Call, builtin: str) -> None:
        for name in ("key", "default", "reverse"):
            if keyword(node, name) is None or (name == "reverse" and builtin != "sorted"):
                continue
            hint = {
                "key": "Sort or compare explicitly: TorchScript cannot pass functions as values",
                "default": "Check for an empty list before calling",
                "reverse": "Call `sorted(xs)` then `.reverse()`, or `xs.sort(reverse=True)`",
            }[name]
            self.report(node, f"TorchScript's `{builtin}` takes no `{name}=`", fix_hint=hint)
            return

    def _type_used_as_value(self, node: cst.Call) -> bool:
        """`type(x).__name__`, `type(x) == T`, `type(x)(...)` fail to script.

        A bare `t = type(x)` or `type(a) is type(b)` scripts as an opaque Python call (and fails at
        run time), so it is not a scripting error.
        """
        parent = self.context.parent(node)
        if isinstance(parent, cst.Attribute) and parent.value is node:
            return True
        if isinstance(parent, cst.Call) and parent.func is node:
            return True
        comparison = (
            self.context.parent(parent) if isinstance(parent, cst.ComparisonTarget) else parent
        )
        if not isinstance(comparison, cst.Comparison):
            return False
        # `type(a) is type(b)` scripts (as opaque Python calls); comparing with a class does not.
        operands = [comparison.left, *(target.comparator for target in comparison.comparisons)]
        return not all(self._is_type_call(operand) for operand in operands)

    def _is_type_call(self, node: cst.BaseExpression) -> bool:
        return isinstance(node, cst.Call) and self.context.matches(node.func, "builtins.type")
