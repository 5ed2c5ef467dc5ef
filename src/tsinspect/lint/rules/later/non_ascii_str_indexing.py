"""TS509 non-ascii-str-indexing."""

from __future__ import annotations

import libcst as cst

from tsinspect.diagnostics import Severity
from tsinspect.lint.calls import bound_value, string_value
from tsinspect.lint.rule import Invalid, Rule, Stage, Valid
from tsinspect.lint.scopes import ScopeKind


class NonAsciiStrIndexingRule(Rule):
    """## What it does
    Reports `len`, indexing, slicing and iteration of a string with non-ASCII characters in
    compiled code: a literal (`len("température")`) or a local variable assigned one literal.

    ## Why is this bad?
    TorchScript strings are byte strings: `len`, indices and slices count UTF-8 bytes, not
    characters. `len("température")` is 12 scripted and 11 in Python, `"température"[6]`
    is `'r'` instead of `'a'`, and iterating such a string yields broken bytes that fail to
    decode. The model scripts and saves but computes something else.

    ## Example
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        unit = "°C"
        return x[..., : len(unit)]
    ```

    ## Use instead
    Keep non-ASCII text out of computations (compute lengths in `__init__`, or use ASCII):
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        unit = "degC"
        return x[..., : len(unit)]
    ```
    """

    code = "TS509"
    function_local = True
    name = "non-ascii-str-indexing"
    message = "TorchScript counts UTF-8 bytes in strings: len/index/slice of non-ASCII text differs"
    fix_hint = "Compute it in `__init__`, or use ASCII text"
    severity = Severity.WARNING

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> str:
                    label = "température"
                    print(label, len("temperature"))
                    return label + "ascii"[1:3]
            """,
            label="non-ascii-printed-ascii-measured",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return x * len("température")
            """,
            line=7,
            fails_at=Stage.MATCH,
            label="len-literal",
            message="TorchScript counts UTF-8 bytes in strings: len/index/slice of non-ASCII text differs",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> str:
                    name = "température"
                    return name[:6]
            """,
            line=8,
            fails_at=Stage.MATCH,
            label="slice-local",
            message="TorchScript counts UTF-8 bytes in strings: len/index/slice of non-ASCII text differs",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        if self.context.matches(node.func, "builtins.len") and len(node.args) == 1:
            self._check(node.args[0].value, node)

    def visit_Subscript(self, node: cst.Subscript) -> None:
        self._check(node.value, node)

    def visit_For(self, node: cst.For) -> None:
        self._check(node.iter, node.iter)

    def _check(self, expression: cst.BaseExpression, reported: cst.CSTNode) -> None:
        text = self._text(expression)
        if text is not None and not text.isascii():
            self.report(reported)

    def _text(self, expression: cst.BaseExpression) -> str | None:
        value = string_value(expression)
        if value is not None or not isinstance(expression, cst.Name):
            return value
        # a local bound exactly once, by `name = "literal"`
        scope = self.context.scope(expression)
        binding = self.context.scopes.sole_binding(expression)
        if scope is None or scope.kind is not ScopeKind.FUNCTION or binding is None:
            return None
        bound = bound_value(self.context, binding.node)
        return string_value(bound) if bound is not None else None
