"""TS227 int-for-float-argument."""

from __future__ import annotations

import re

import libcst as cst

from tsinspect.diagnostics import Edit
from tsinspect.lint.fix import replace_node
from tsinspect.lint.rule import Invalid, Valid
from tsinspect.lint.rules.conservative import ConservativeRule
from tsinspect.lint.types.schema_data import OperatorSchema, resolve

# Schema spellings of the parameter types an int literal is not converted to.
FLOAT_TYPES = frozenset({"float", "float?", "float[]", "float[]?"})
DECIMAL = re.compile(r"[0-9][0-9_]*")


def _int_literal(node: cst.BaseExpression) -> cst.Integer | None:
    """``3`` or ``-3``: the Integer node, else None."""
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        node = node.expression
    return node if isinstance(node, cst.Integer) else None


def _bind(schema: OperatorSchema, call: cst.Call) -> dict[str, cst.BaseExpression] | None:
    """Parameter name -> argument expression, or None when the call does not bind plainly."""
    bound: dict[str, cst.BaseExpression] = {}
    positional = [a for a in schema.arguments if not a.kwarg_only]
    index = 0
    for arg in call.args:
        if arg.star:
            return None
        if arg.keyword is None:
            if index >= len(positional):
                return None
            bound[positional[index].name] = arg.value
            index += 1
        else:
            bound[arg.keyword.value] = arg.value
    return bound


class IntForFloatArgumentRule(ConservativeRule):
    """## What it does
    Reports an int literal passed to a `float` parameter of a torch function that
    TorchScript compiles from its Python source: `F.pad(x, pad, value=0)`,
    `F.dropout(x, p=0)`, `F.leaky_relu(x, 0)`, `F.interpolate(x, scale_factor=2)`.

    ## Why is this bad?
    Many `torch.nn.functional` functions are not operators but Python functions that
    TorchScript compiles, and a call to a compiled function converts no int to a float
    (operators such as `torch.clamp` take a `Scalar` and would accept it). Scripting fails
    with the function's schema: "pad(Tensor input, int[] pad, str mode="constant", float?
    value=None) -> Tensor: Expected a value of type 'Optional[float]' for argument 'value'
    but instead found type 'int'". The parameter types come from the operator schemas
    shipped with tsinspect (`scripts/gen_schemas.py`, generated from torch 2.13).

    ## Example
    ```python
    x = F.pad(x, [1, 1], value=0)
    ```

    ## Use instead
    ```python
    x = F.pad(x, [1, 1], value=0.0)
    ```

    ## Fix safety
    The fix rewrites a decimal int literal as the same float (`0` -> `0.0`); the function
    computes the same value with it in eager Python. Any other int expression is only
    reported: converting it is a choice about the value (`float(n)`), left to you.
    """

    code = "TS227"
    function_local = True
    name = "int-for-float-argument"
    fixable = True
    message = "TorchScript does not convert an int to this float parameter"
    fix_hint = "Write the literal as a float (0.0)"

    VALID = (
        Valid(
            """
            import torch
            import torch.nn.functional as F
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    x = F.pad(x, [1, 1], value=0.0)
                    x = torch.clamp(x, min=0, max=6)
                    x = F.softmax(x, 1)
                    return F.dropout(x, p=0.1, training=False)
            """,
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
                    return F.pad(x, [1, 1], value=0)
            """,
            label="pad-value",
            message="TorchScript does not convert an int to this float parameter: `pad`'s `value` is `float?`",
            fixed="""
            import torch
            import torch.nn.functional as F
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return F.pad(x, [1, 1], value=0.0)
            """,
        ),
        Invalid(
            """
            import torch
            from torch import nn
            from torch.nn import functional


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return functional.leaky_relu(x, -1)
            """,
            label="positional-negative",
            message="TorchScript does not convert an int to this float parameter: `leaky_relu`'s `negative_slope` is `float`",
            fixed="""
            import torch
            from torch import nn
            from torch.nn import functional


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return functional.leaky_relu(x, -1.0)
            """,
        ),
        Invalid(
            """
            import torch
            import torch.nn.functional as F
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return F.dropout(x, p=0, training=False)
            """,
            label="dropout-p",
            message="TorchScript does not convert an int to this float parameter: `dropout`'s `p` is `float`",
            fixed="""
            import torch
            import torch.nn.functional as F
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return F.dropout(x, p=0.0, training=False)
            """,
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        # The cheap test first: most calls pass no int literal.
        if not any(_int_literal(arg.value) is not None for arg in node.args):
            return
        # The engine drops what is reported outside compiled code: its fix's position (a
        # pass over the statement's code) would be paid for nothing.
        if not self.context.is_compiled(node):
            return
        for name in self.context.qualified_names(node.func):
            callable_ = resolve(name)
            if callable_ is None or callable_.kind != "script" or not callable_.schemas:
                continue
            rejected = [self._rejected(schema, node) for schema in callable_.schemas]
            # An overloaded function fails only if no overload takes the call.
            if all(rejected):
                function = name.rpartition(".")[2]
                for parameter, literal, spelled in rejected[0]:
                    self.report(
                        literal,
                        f"{self.message}: `{function}`'s `{parameter}` is `{spelled}`",
                        edits=self._edits(literal),
                    )
            return

    def _rejected(
        self, schema: OperatorSchema, call: cst.Call
    ) -> list[tuple[str, cst.BaseExpression, str]]:
        bound = _bind(schema, call)
        if bound is None:
            return []
        types = {argument.name: str(argument.type) for argument in schema.arguments}
        return [
            (name, value, types[name])
            for name, value in bound.items()
            if types.get(name) in FLOAT_TYPES and _int_literal(value) is not None
        ]

    def _edits(self, literal: cst.BaseExpression) -> list[Edit]:
        integer = _int_literal(literal)
        if integer is None or not DECIMAL.fullmatch(integer.value):
            return []
        return [replace_node(self.context, integer, f"{integer.value}.0")]
