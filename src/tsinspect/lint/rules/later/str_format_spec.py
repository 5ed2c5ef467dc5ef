"""TS504 str-format-spec."""

from __future__ import annotations

import string

import libcst as cst

from tsinspect.diagnostics import Severity
from tsinspect.lint.calls import string_value
from tsinspect.lint.rule import Invalid, Rule, Stage, Valid


def format_problem(template: str) -> str | None:
    """What TorchScript's ``str.format`` gets wrong in ``template``, or None for plain ``{}`` fields.

    Measured on torch 2.13: a spec (``{:.2f}``), a conversion (``{!r}``) or an explicit index
    (``{0}``) is printed literally; a name (``{n}``) fails to script; ``{{``/``}}`` stay doubled
    (or fail at run time, for ``{{}}``).
    """
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError:
        return None
    for literal, field, spec, conversion in fields:
        if "{" in literal or "}" in literal:
            return "escaped braces `{{`/`}}`"
        if field is None:
            continue
        if conversion:
            return f"a conversion `!{conversion}`"
        if spec:
            return f"a format spec `:{spec}`"
        if field:
            return f"an explicit field `{{{field}}}`"
    return None


class StrFormatSpecRule(Rule):
    """## What it does
    Reports `str.format` on a string literal, in compiled code, whose fields are not plain
    `{}`: a format spec (`"{:.2f}".format(v)`), a conversion (`"{!r}"`), an explicit index
    or name (`"{0}x{1}"`, `"{n}"`), or escaped braces (`"{{"`).

    ## Why is this bad?
    TorchScript's `format` only substitutes `{}` fields in order. Specs, conversions and
    indices script but are **printed literally** (`v={:.2f}`), so logs and returned strings
    differ from eager; escaped braces stay doubled (`{{shape}}`, and `"{{}}"` fails at run
    time); named fields fail to script ("Keyword argument n unknown"). f-strings with a spec are rejected outright (TS119).

    ## Example
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        print("loss={:.4f}".format(float(x.mean())))
        return x
    ```

    ## Use instead
    Plain `{}` fields (round the value first if needed) or a plain f-string:
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        print("loss={}".format(round(float(x.mean()) * 10000) / 10000))
        return x
    ```
    """

    code = "TS504"
    function_local = True
    name = "str-format-spec"
    message = "TorchScript's str.format only supports plain `{}` fields"
    fix_hint = "Use plain `{}` fields in order (round values first), or an f-string without a spec"
    severity = Severity.WARNING

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> str:
                    n = x.size(0)
                    if not torch.jit.is_scripting():
                        print("{:.2f}".format(float(x.sum())))
                    return "{}x{}".format(n, x.size(1)) + f"/{n}"

                def describe(self) -> str:
                    return "{0:>4}".format(3)
            """,
            label="plain-fields-guarded-unreached",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> str:
                    return "v={:.2f}".format(x.sum().item())
            """,
            line=7,
            fails_at=Stage.MATCH,
            label="format-spec",
            message="TorchScript's str.format only supports plain `{}` fields; this template has a format spec `:.2f`",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> str:
                    return "{0}x{1}".format(x.size(0), x.size(1))
            """,
            line=7,
            fails_at=Stage.MATCH,
            label="explicit-index",
            message="TorchScript's str.format only supports plain `{}` fields; this template has an explicit field `{0}`",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> str:
                    return "{n} rows".format(n=x.size(0))
            """,
            label="named-field",
            message="TorchScript's str.format only supports plain `{}` fields; this template has an explicit field `{n}`",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> str:
                    return "{{shape}} {}".format(x.size(0))
            """,
            line=7,
            fails_at=Stage.MATCH,
            label="escaped-braces",
            message="TorchScript's str.format only supports plain `{}` fields; this template has escaped braces `{{`/`}}`",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "format"):
            return
        template = string_value(func.value)
        if template is None:
            return
        problem = format_problem(template)
        if problem is not None:
            self.report(node, f"{self.message}; this template has {problem}")
