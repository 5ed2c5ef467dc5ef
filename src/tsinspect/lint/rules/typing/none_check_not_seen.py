"""TS215 none-check-not-seen."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, LintContext, Rule, Valid
from tsinspect.lint.types.findings import Check, OptionalUse, Use, subject_text, torchscript_error
from tsinspect.lint.types.flow import flow


def _form(use: OptionalUse, subject: str, context: LintContext) -> str:
    """How the code tests the Optional as a bool: `if x:`, `x or ...`, `not x`."""
    parent = context.parent(use.node)
    if isinstance(parent, cst.BooleanOperation):
        operator = "or" if isinstance(parent.operator, cst.Or) else "and"
        return (
            f"{subject} {operator} ..." if parent.left is use.node else f"... {operator} {subject}"
        )
    if isinstance(parent, cst.UnaryOperation):
        return f"not {subject}"
    if isinstance(parent, cst.While):
        return f"while {subject}:"
    if isinstance(parent, cst.Assert):
        return f"assert {subject}"
    if isinstance(parent, cst.IfExp):
        return f"... if {subject} else ..."
    return f"if {subject}:"


def _explain(use: OptionalUse, subject: str, context: LintContext) -> tuple[str, str]:
    """(why TorchScript does not see the check, how to write it so that it does)."""
    check = use.check
    if check is Check.TRUTHINESS:
        return (
            f"`{subject}` is {use.kind}, and `{_form(use, subject, context)}` is not a None "
            "check for TorchScript",
            f"Compare with None: `if {subject} is not None:`, "
            f"`{subject} if {subject} is not None else default`",
        )
    if check is Check.STORED:
        return (
            f"the None check of `{subject}` is stored in `{use.via}`, and TorchScript refines "
            "only a check written in the condition itself",
            f"Write `{subject} is not None` in the if/assert itself (or `assert {subject} is not "
            "None` before the use)",
        )
    if check is Check.ATTRIBUTE:
        return (
            f"TorchScript does not refine attributes: the check of `{subject}` does not make "
            "it non-Optional",
            f"Copy it to a local first: `value = {subject}`, check `value is not None`, "
            "and use `value`",
        )
    if check is Check.WHILE:
        return (
            f"a while condition does not refine `{subject}` inside the loop",
            f"Add `assert {subject} is not None` at the top of the loop body",
        )
    if check in (Check.CONTINUE, Check.BREAK):
        word = "continue" if check is Check.CONTINUE else "break"
        return (
            f"TorchScript does not treat `{word}` as leaving the branch, so "
            f"`if {subject} is None: {word}` does not refine `{subject}`",
            f"Put the rest under `if {subject} is not None:` or add `assert {subject} is not "
            "None` after the check",
        )
    return (
        f"TorchScript does not refine `{subject}` through the call to `{use.via}`",
        f"Write `{subject} is not None` in the condition itself",
    )


class NoneCheckNotSeenRule(Rule):
    """## What it does
    Reports an `Optional` value that the code does check for `None`, but in a way
    TorchScript does not understand, then uses as if it were not `None`:

    - the check stored in a variable: `has_mask = mask is not None` then `if has_mask:`;
    - an attribute checked without a local copy: `if self.bias is not None: x + self.bias`
      (for an attribute annotated `Optional[...]` in the class body);
    - truthiness: `if mask:`, `scale or 1.0`, `not k` on an Optional;
    - `if x is None: continue` (or `break`), a `while x is not None:` loop, or a check in
      a helper function (`if self.has(x):`).

    ## Why is this bad?
    TorchScript narrows `Optional[T]` to `T` only for a local variable named in an
    `is None` / `is not None` / `isinstance` check written in the condition of an `if`,
    a ternary, an `and`/`or`, or an `assert`, and after an `if` that returns or raises.
    Nothing else refines: a stored flag, an attribute, a loop condition, `continue` and
    `break` (they do not end the branch for TorchScript), a function call. Truthiness is an
    error by itself: "Could not cast value of type Optional[int] to bool". The use that
    follows fails like an unchecked one ("'Optional[Tensor]' object has no attribute or
    method 'size'", "Arguments for call are not valid").

    ## Example
    ```python
    def forward(self, x: Tensor, mask: Optional[Tensor] = None) -> Tensor:
        has_mask = mask is not None
        if has_mask:
            x = x * mask
        if self.bias is not None:
            x = x + self.bias
        return x
    ```

    ## Use instead
    ```python
    def forward(self, x: Tensor, mask: Optional[Tensor] = None) -> Tensor:
        if mask is not None:
            x = x * mask
        bias = self.bias
        if bias is not None:
            x = x + bias
        return x
    ```
    """

    code = "TS215"
    function_local = True
    name = "none-check-not-seen"
    message = "TorchScript does not see this None check"
    fix_hint = (
        "Write `x is not None` in the if/assert itself, on a local (copy `self.x` to a local first)"
    )

    VALID = (
        Valid(
            """
            from typing import List, Optional

            import torch
            from torch import nn


            class Model(nn.Module):
                bias: Optional[torch.Tensor]

                def __init__(self) -> None:
                    super().__init__()
                    self.bias = torch.zeros(4)

                def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
                    has_mask = mask is not None
                    if has_mask:
                        assert mask is not None
                        x = x * mask
                    bias = self.bias
                    if bias is not None:
                        x = x + bias
                    return self._total([x, mask]) + x

                def _total(self, xs: List[Optional[torch.Tensor]]) -> torch.Tensor:
                    total = torch.zeros(4)
                    for m in xs:
                        if m is None:
                            continue
                        else:
                            total = total + m
                    return total


            def example_inputs():
                return (torch.randn(2, 4), torch.ones(2, 4))
            """,
            label="checks-torchscript-sees",
        ),
    )
    INVALID = (
        Invalid(
            """
            from typing import Optional

            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
                    has_mask = mask is not None
                    if has_mask:
                        x = x * mask
                    return x


            def example_inputs():
                return (torch.randn(2, 4), torch.ones(2, 4))
            """,
            label="stored-check",
            message='TorchScript does not see this None check: the None check of `mask` is stored in `has_mask`, and TorchScript refines only a check written in the condition itself; TorchScript says "Arguments for call are not valid"',
        ),
        Invalid(
            """
            from typing import Optional

            import torch
            from torch import nn


            class Model(nn.Module):
                bias: Optional[torch.Tensor]

                def __init__(self) -> None:
                    super().__init__()
                    self.bias = torch.zeros(4)

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if self.bias is not None:
                        x = x + self.bias
                    return x
            """,
            label="attribute-without-local-copy",
            message='TorchScript does not see this None check: TorchScript does not refine attributes: the check of `self.bias` does not make it non-Optional; TorchScript says "Arguments for call are not valid"',
        ),
        Invalid(
            """
            from typing import Optional

            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor, scale: Optional[float] = None) -> torch.Tensor:
                    if scale:
                        x = x * scale
                    return x


            def example_inputs():
                return (torch.randn(2, 4), 2.0)
            """,
            label="truthiness",
            message='`scale` is Optional[float], and `if scale:` is not a None check for TorchScript: TorchScript says "Could not cast value of type Optional[float] to bool"',
        ),
        Invalid(
            """
            from typing import List, Optional

            import torch


            @torch.jit.script
            def fn(xs: List[Optional[torch.Tensor]]) -> torch.Tensor:
                total = torch.zeros(4)
                for m in xs:
                    if m is None:
                        continue
                    total = total + m
                return total
            """,
            label="continue",
            message='TorchScript does not see this None check: TorchScript does not treat `continue` as leaving the branch, so `if m is None: continue` does not refine `m`; TorchScript says "Arguments for call are not valid"',
        ),
        Invalid(
            """
            from typing import Optional

            import torch


            @torch.jit.script
            def fn(x: torch.Tensor, steps: Optional[int] = None) -> torch.Tensor:
                steps = steps or 2
                return x * steps
            """,
            label="or-default",
            message='`steps` is Optional[int], and `steps or ...` is not a None check for TorchScript: TorchScript says "Could not cast value of type Optional[int] to bool"',
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self.context.is_compiled_def(node):
            return
        for use in flow(self.context, node).optional_uses:
            if use.check is None:
                continue
            subject = subject_text(use, self.context)
            why, fix = _explain(use, subject, self.context)
            says = torchscript_error(use, self.context)
            if use.use is Use.CONDITION:
                message = f'{why}: TorchScript says "{says}"'
            else:
                message = f'{self.message}: {why}; TorchScript says "{says}"'
            self.report(use.node, message, fix_hint=fix)
