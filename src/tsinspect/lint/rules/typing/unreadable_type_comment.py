"""TS225 unreadable-type-comment."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, LintContext, Phase, Rule, Valid
from tsinspect.lint.traversal import walk
from tsinspect.lint.types.annotations import type_line
from tsinspect.lint.types.signatures import is_method


class UnreadableTypeCommentRule(Rule):
    """## What it does
    Reports a `# type:` comment in a compiled function that TorchScript tries, and fails,
    to read as the function's signature: a variable comment (`n = x.size(0)  # type: int`),
    a signature comment on the `def` line, a mypy `# type: ignore[a, b]` with more than
    one code (or any text after it), a signature comment whose count of types does not
    match the parameters, or a misspelt prefix (`#type: int`) in a function without one.

    ## Why is this bad?
    TorchScript does not parse comments: it searches the function's source text for lines
    containing `# type:` (pytorch@v2.13.0:torch/jit/annotations.py:243) and reads the one
    it finds as `# type: (...) -> ...`, merged over the annotations. Only a plain
    `# type: ignore` or `# type: ignore[one-code]` ending its line is skipped. Anything
    else fails, mostly with no line: "expected type comment but found 'ident' here",
    "Return type line '# type: (...) -> ...' not found on multiline type annotation",
    "The annotation prefix in line 1 is probably invalid", "Number of type annotations
    (2) did not match the number of method parameters (1)". The search is textual: an
    `is_scripting()` guard does not help, and the text `# type:` in a string counts too.

    ## Example
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.size(0)  # type: int
        return x.sum(0)  # type: ignore[no-any-return, misc]
    ```

    ## Use instead
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n: int = x.size(0)
        return x.sum(0)  # type: ignore[no-any-return]
    ```
    """

    code = "TS225"
    function_local = True
    name = "unreadable-type-comment"
    message = "TorchScript reads `# type:` comments as the signature and cannot read this one"
    fix_hint = "Use an annotation (`n: int = ...`); keep `# type: ignore[code]` to one code, last on its line"
    phase = Phase.SYNTAX

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x, k=2):
                    # type: (Tensor, int) -> Tensor
                    return self.helper(x) * k  # noqa: E501

                def helper(self,
                           x,  # type: Tensor
                           ):
                    # type: (...) -> Tensor
                    n = x.size(0)  # type: int
                    return x * n

                def unused(self, x):
                    y = x  # type: int
                    return y
            """,
            label="signature-comments-and-unreached",
        ),
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    y = x * 2  # type: ignore[operator]
                    return y  # type: ignore
            """,
            label="type-ignore",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    n = x.size(0)  # type: int
                    return x * n
            """,
            line=7,
            error_has_line=False,
            label="variable-comment",
            message="TorchScript reads `# type:` comments as the signature and cannot read this one: code precedes it on its line",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return x.sum(0)  # type: ignore[no-any-return, misc]
            """,
            line=7,
            error_has_line=False,
            label="ignore-with-two-codes",
            message="TorchScript reads `# type:` comments as the signature and cannot read this one: code precedes it on its line",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x, k=2):  # type: (Tensor, int) -> Tensor
                    return x * k
            """,
            line=6,
            error_has_line=False,
            label="signature-on-def-line",
            message="TorchScript reads `# type:` comments as the signature and cannot read this one: code precedes it on its line",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x):
                    # type: (Tensor) -> Tensor
                    n = x.size(0)  # type: int
                    return x * n
            """,
            line=8,
            error_has_line=False,
            label="signature-and-variable-comment",
            message="TorchScript reads `# type:` comments as the signature and cannot read this one: several `# type:` comments, and none is the `# type: (...) -> ...` line that closes a per-argument signature",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x):
                    #type: (Tensor) -> Tensor
                    return x
            """,
            line=7,
            error_has_line=False,
            label="misspelt-prefix",
            message="TorchScript reads `# type:` comments as the signature and cannot read this one: its prefix is not exactly `# type:`",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x):
                    # type: (Model, Tensor) -> Tensor
                    return x
            """,
            label="counts-self",
            message="TorchScript reads `# type:` comments as the signature and cannot read this one: it has 2 types for 1 parameters (`self` is not counted)",
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self.context.is_compiled_def(node):
            return
        found = type_line(self.context, node)
        if found.text is None and found.problem is None:
            return
        if found.problem is not None:
            self.report(
                _node_on_line(self.context, node, found.line) or node.name,
                f"{self.message}: {found.problem}",
                anchor=node.name,
            )
            return
        if found.arguments is None:
            return
        params = node.params
        count = len(params.posonly_params) + len(params.params) + len(params.kwonly_params)
        if isinstance(params.star_arg, cst.Param) or params.star_kwarg is not None:
            return
        if is_method(self.context, node):
            count -= 1
        if len(found.arguments) != count:
            # TorchScript names the `def`; with decorators, the first one.
            where: cst.CSTNode = node.decorators[0] if node.decorators else node.name
            self.report(
                where,
                f"{self.message}: it has {len(found.arguments)} types for {count} parameters"
                + (" (`self` is not counted)" if is_method(self.context, node) else ""),
                anchor=node.name,
            )


class _OnLine(cst.CSTVisitor):
    """The first comment (else string) starting on one line."""

    def __init__(self, context: LintContext, line: int) -> None:
        super().__init__()
        self.position = context.position
        self.line = line
        self.comment: cst.CSTNode | None = None
        self.string: cst.CSTNode | None = None

    def visit_Comment(self, node: cst.Comment) -> None:
        if self.comment is None and self.position(node).start.line == self.line:
            self.comment = node

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if (
            self.string is None
            and self.position(node).start.line <= self.line <= self.position(node).end.line
        ):
            self.string = node


def _node_on_line(context: LintContext, function: cst.FunctionDef, line: int) -> cst.CSTNode | None:
    finder = _OnLine(context, line)
    walk(function, finder)
    return finder.comment or finder.string
