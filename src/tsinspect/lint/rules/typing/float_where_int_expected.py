"""TS222 float-where-int-expected."""

from __future__ import annotations

import libcst as cst

from tsinspect.diagnostics import Edit
from tsinspect.lint.classes import enclosing_class, method_self_name
from tsinspect.lint.fix import insert_after, insert_before
from tsinspect.lint.rule import Invalid, LintContext, Valid
from tsinspect.lint.rules.conservative import ConservativeRule
from tsinspect.lint.types.lattice import FLOAT, NUMBER, Type
from tsinspect.lint.types.library import SIZE_FACTORIES
from tsinspect.lint.types.static import in_static_branch
from tsinspect.lint.types.values import value_types

# Tensor methods whose positional arguments are all ints (a float is rejected; measured).
_INT_METHODS = frozenset(
    {
        "view",
        "reshape",
        "expand",
        "repeat",
        "permute",
        "new_zeros",
        "new_ones",
        "unsqueeze",
        "squeeze",
        "flatten",
        "movedim",
        "transpose",
        "narrow",
        "select",
        "chunk",
        "split",
        "roll",
        "topk",
    }
)
# ... and those of them (and the factories) that also take the sizes as one list.
_SIZE_LIST_METHODS = frozenset({"view", "reshape", "expand", "repeat", "new_zeros", "new_ones"})
_FULL = frozenset({"torch.full"})
# the last name of every call checked, to skip the others cheaply
_CALLED = _INT_METHODS | {"range", "full"} | {name.rsplit(".", 1)[1] for name in SIZE_FACTORIES}


class FloatWhereIntExpectedRule(ConservativeRule):
    """## What it does
    Reports a `float` or a `number` (what `Tensor.item()` returns) where TorchScript needs
    an `int`: an argument of `range`, a size or dimension of a tensor method or factory
    (`x.view(n / 2, -1)`, `torch.zeros([t.item()])`), or a tensor index.

    ## Why is this bad?
    TorchScript types `x.size(0) / 2` as `float` and `t.item()` as `number` (a Scalar: int
    or float, decided at run time), and has no implicit conversion to `int` for these:
    "all inputs of range must be ints, found number in argument 0", or "Expected a value
    of type 'int' for argument '<varargs>' but instead found type 'float'". Measured with
    torch 2.13, a `number` *is* accepted as a plain int argument (`x.view(n)`,
    `x.unsqueeze(n)`, `torch.zeros(n)`, `xs[n]` on a list) but not by `range`, not inside
    a list of sizes (`List[number]`), and not as a tensor index; a `float` is rejected by
    all of them.

    ## Example
    ```python
    for i in range(count.item()):
        ...
    y = x.view(x.size(0) / 2, -1)
    ```

    ## Use instead
    ```python
    for i in range(int(count.item())):
        ...
    y = x.view(x.size(0) // 2, -1)
    ```

    ## Fix safety
    `tsinspect check --fix` wraps a `number` in `int(...)` (eager Python needs an int
    there too); a `float` is left to you (`//` and `int(...)` round differently).
    """

    code = "TS222"
    function_local = True
    name = "float-where-int-expected"
    fixable = True
    message = "TorchScript needs an int here"
    fix_hint = "Use integer arithmetic (`//`) or convert with `int(...)`"

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    count = (x > 100).sum().item()
                    half = x.size(0) // 2
                    for i in range(int(count)):
                        x = x + i
                    xs = [1, 2, 3]
                    y = x.view(x.numel() // 2, -1).unsqueeze(count)
                    w = torch.zeros(count + 2)
                    return y[:half] * w + xs[count] + x.size(0) / 2
            """,
            label="ints-and-accepted-numbers",
        ),
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    count = (x > 100).sum().item()
                    if not torch.jit.is_scripting():
                        for i in range(count):
                            x = x + 1
                    return x
            """,
            label="guarded-by-is-scripting",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    count = (x > 100).sum().item()
                    for i in range(count):
                        x = x + i
                    return x
            """,
            label="range-of-item",
            message="TorchScript needs an int here: `range()` gets `count`, a `number` (Tensor.item())",
            fixed="""
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    count = (x > 100).sum().item()
                    for i in range(int(count)):
                        x = x + i
                    return x
            """,
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if x.size(0) > 100:
                        return x.view(x.size(0) / 2, -1)
                    return x
            """,
            label="view-of-true-division",
            message="TorchScript needs an int here: `Tensor.view()` gets `x.size(0) / 2`, a `float`",
        ),
        Invalid(
            """
            import torch


            @torch.jit.script
            def fn(x: torch.Tensor) -> torch.Tensor:
                n = (x > 100).sum().item()
                return torch.zeros([n, 4]) + x[n]
            """,
            label="size-list-and-index",
            message="TorchScript needs an int here: a tensor index gets `n`, a `number` (Tensor.item())",
            fixed="""
            import torch


            @torch.jit.script
            def fn(x: torch.Tensor) -> torch.Tensor:
                n = (x > 100).sum().item()
                return torch.zeros([int(n), 4]) + x[int(n)]
            """,
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    steps = x.size(0) * 0.5
                    if steps > 100:
                        for i in range(0, steps):
                            x = x + 1
                    return x
            """,
            label="range-of-float-local",
            message="TorchScript needs an int here: `range()` gets `steps`, a `float`",
        ),
    )

    def __init__(self, context: LintContext) -> None:
        super().__init__(context)
        self.values = value_types(self.context)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Name):
            name = func.value
        elif isinstance(func, cst.Attribute):
            name = func.attr.value
        else:
            return
        if name not in _CALLED or not node.args:
            return
        positional = [arg.value for arg in node.args if arg.keyword is None and not arg.star]
        if isinstance(func, cst.Name) and self.context.matches(func, "builtins.range"):
            self._check(node, "`range()`", positional, {FLOAT, NUMBER})
            return
        if isinstance(func, cst.Attribute) and func.attr.value in _INT_METHODS:
            if not self.values.is_tensor(func.value):
                return
            where = f"`Tensor.{func.attr.value}()`"
            self._check(node, where, positional, {FLOAT})
            if func.attr.value in _SIZE_LIST_METHODS and len(positional) == 1:
                self._check_sizes(node, where, positional[0])
            return
        if self.context.matches(func, *SIZE_FACTORIES):
            where = f"`{self.context.module.code_for_node(func)}()`"
            self._check(node, where, positional, {FLOAT})
            if len(positional) == 1:
                self._check_sizes(node, where, positional[0])
        elif self.context.matches(func, *_FULL) and positional:
            self._check_sizes(node, f"`{self.context.module.code_for_node(func)}()`", positional[0])

    def visit_Subscript(self, node: cst.Subscript) -> None:
        receiver = self.values.of(node.value)
        if receiver is None or len(node.slice) != 1:
            return
        element = node.slice[0].slice
        if receiver.name == "Tensor":
            if isinstance(element, cst.Index):
                self._check(node, "a tensor index", [element.value], {FLOAT, NUMBER})
            elif isinstance(element, cst.Slice):
                bounds = [b for b in (element.lower, element.upper, element.step) if b is not None]
                self._check(node, "a tensor slice", bounds, {FLOAT})
        elif receiver.name == "List" and isinstance(element, cst.Index):
            self._check(node, "a list index", [element.value], {FLOAT})

    def _check(
        self,
        node: cst.CSTNode,
        where: str,
        values: list[cst.BaseExpression],
        rejected: set[Type],
    ) -> None:
        for value in values:
            kind = self.values.of(value)
            if kind in rejected:
                self._report(node, where, value, kind)
                return

    def _check_sizes(self, node: cst.CSTNode, where: str, sizes: cst.BaseExpression) -> None:
        """A list or tuple of sizes: one `float` or `number` makes it `List[number]`..."""
        if not isinstance(sizes, cst.List | cst.Tuple):
            return
        for element in sizes.elements:
            if isinstance(element, cst.StarredElement):
                return
        for element in sizes.elements:
            kind = self.values.of(element.value)
            if kind in (FLOAT, NUMBER):
                self._report(node, f"the sizes of {where}", element.value, kind)
                return

    def _report(
        self, node: cst.CSTNode, where: str, value: cst.BaseExpression, kind: Type | None
    ) -> None:
        found = enclosing_class(self.context, node)
        if in_static_branch(self.context, node, method_self_name(found[1]) if found else None):
            return
        code = self.context.module.code_for_node(value)
        described = "a `number` (Tensor.item())" if kind == NUMBER else "a `float`"
        message = f"{self.message}: {where} gets `{code}`, {described}"
        edits: list[Edit] = []
        if kind == NUMBER:
            edits = [
                insert_before(self.context, value, "int("),
                insert_after(self.context, value, ")"),
            ]
            self.report(node, message, fix_hint="Convert it: `int(...)`", edits=edits)
        else:
            self.report(node, message)
