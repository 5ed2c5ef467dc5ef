"""TS220 default-type-mismatch."""

from __future__ import annotations

import libcst as cst

from tsinspect.diagnostics import Edit, Span
from tsinspect.lint.calls import global_assignment_value
from tsinspect.lint.fix import import_edits
from tsinspect.lint.rule import Invalid, Rule, Valid
from tsinspect.lint.types.lattice import BOOL, COMPLEX, FLOAT, INT, STR, TENSOR, Type
from tsinspect.lint.types.signatures import Parameter, parameters
from tsinspect.lint.types.values import literal_type

_SCALAR_DEFAULTS = frozenset({INT, FLOAT, BOOL, STR})


class DefaultTypeMismatchRule(Rule):
    """## What it does
    Reports a parameter of a compiled function whose default value TorchScript cannot
    convert to the parameter's type: an unannotated parameter (typed `Tensor`) with a
    number, string, bool or tuple default (`scale=2`), or an annotated one whose literal
    default does not fit (`k: int = 0.5`, `mode: str = 1`, `size: Tuple[int, int] = (1, 2, 3)`).
    The type also comes from a `# type: (...) -> ...` signature comment, which TorchScript
    prefers to the annotations.

    ## Why is this bad?
    TorchScript converts every default while compiling the signature, so the function
    fails to script even when no call omits the argument: 'Expected a default value of
    type Tensor (inferred) on parameter "scale"', or 'Expected a default value of type int
    on parameter "k"', at the `def` line. Measured on torch 2.13: an `int` parameter accepts
    an `int` or `bool` default but not `0.5` or `2.0`; `float`, `bool` and `complex` accept
    any number (`flag: bool = 1` scripts); `str` accepts only a string; a `List[int]`
    accepts a tuple of ints; a `Tuple[...]` needs the same length and element types. A
    `None` default on an unannotated parameter is TS501's.

    ## Example
    ```python
    def forward(self, x: torch.Tensor, scale=2) -> torch.Tensor:
        return x * scale
    ```

    ## Use instead
    ```python
    def forward(self, x: torch.Tensor, scale: int = 2) -> torch.Tensor:
        return x * scale
    ```

    ## Fix safety
    `tsinspect check --fix` adds the annotation of the default's type to an unannotated
    parameter (`int`, `float`, `bool`, `str`, `Tuple[...]`, importing `Tuple` when
    needed); a wrong annotation is left to you.
    """

    code = "TS220"
    function_local = True
    name = "default-type-mismatch"
    fixable = True
    message = "TorchScript cannot convert this default to the parameter's type"
    fix_hint = "Annotate the parameter with the default's type (`scale: int = 2`)"

    VALID = (
        Valid(
            """
            from typing import List, Optional, Tuple

            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor, scale: int = 2, eps: float = 1) -> torch.Tensor:
                    return self.shift(x, 1) * scale + eps

                def shift(
                    self,
                    x: torch.Tensor,
                    k: int,
                    flag: bool = 1,
                    dims: List[int] = (0, 1),
                    size: Tuple[float, float] = (1, 2),
                    bias: Optional[float] = 0,
                    offset: torch.Tensor = torch.zeros(1),
                ) -> torch.Tensor:
                    return x + k + offset

                def unused(self, x, scale=2):
                    return x * scale
            """,
            label="convertible-defaults-and-unreached",
        ),
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x, scale=2):
                    # type: (Tensor, int) -> Tensor
                    return self.helper(x) * scale

                def helper(self,
                           x,  # type: Tensor
                           eps=1e-6,  # type: float
                           ):
                    # type: (...) -> Tensor
                    return x + eps
            """,
            label="signature-comments",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor, scale=2) -> torch.Tensor:
                    return x * scale
            """,
            label="unannotated-int",
            message="TorchScript cannot convert this default to the parameter's type: `scale=2` (no annotation: Tensor) of `forward`",
            fixed="""
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor, scale: int = 2) -> torch.Tensor:
                    return x * scale
            """,
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self.norm(x)

                @staticmethod
                def norm(
                    x: torch.Tensor,
                    eps=1e-6,
                    mode="mean",
                    dims=(0, 1),
                ) -> torch.Tensor:
                    return x + eps
            """,
            label="helper-several-multiline",
            message='TorchScript cannot convert this default to the parameter\'s type: `eps=1e-6` (no annotation: Tensor), `mode="mean"` (no annotation: Tensor), `dims=(0, 1)` (no annotation: Tensor) of `norm`',
            fixed="""
            from typing import Tuple
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self.norm(x)

                @staticmethod
                def norm(
                    x: torch.Tensor,
                    eps: float = 1e-6,
                    mode: str = "mean",
                    dims: Tuple[int, int] = (0, 1),
                ) -> torch.Tensor:
                    return x + eps
            """,
        ),
        Invalid(
            """
            import torch
            from torch import nn

            SCALE = 2


            class Model(nn.Module):
                def forward(self, x: torch.Tensor, scale=SCALE) -> torch.Tensor:
                    return x * scale
            """,
            label="module-constant",
            message="TorchScript cannot convert this default to the parameter's type: `scale=SCALE` (no annotation: Tensor) of `forward`",
            fixed="""
            import torch
            from torch import nn

            SCALE = 2


            class Model(nn.Module):
                def forward(self, x: torch.Tensor, scale: int = SCALE) -> torch.Tensor:
                    return x * scale
            """,
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor, k: int = 0.5, mode: str = 1) -> torch.Tensor:
                    return x * k
            """,
            label="annotated-wrong-type",
            message="TorchScript cannot convert this default to the parameter's type: `k` (int) = `0.5`, `mode` (str) = `1` of `forward`",
        ),
        Invalid(
            """
            import torch


            @torch.jit.script
            def fn(x, k=0.5):
                # type: (Tensor, int) -> Tensor
                return x * k
            """,
            label="signature-comment",
            message="TorchScript cannot convert this default to the parameter's type: `k` (int) = `0.5` of `fn`",
        ),
        Invalid(
            """
            from typing import List, Tuple

            import torch
            from torch import nn


            class Model(nn.Module):
                @torch.jit.export
                def resize(self, x: torch.Tensor, size: Tuple[int, int] = (1, 2, 3)) -> torch.Tensor:
                    return x

                def forward(self, x: torch.Tensor, dims: List[int] = (0.5, 1)) -> torch.Tensor:
                    return x
            """,
            label="tuple-length-and-element",
            message="TorchScript cannot convert this default to the parameter's type: `dims` (List[int]) = `(0.5, 1)` of `forward`",
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self.context.is_compiled_def(node) or not any(
            p.default is not None
            for p in (*node.params.posonly_params, *node.params.params, *node.params.kwonly_params)
        ):
            return
        found = parameters(self.context, node)
        if found is None:
            return
        described: list[str] = []
        edits: list[Edit] = []
        fixable = True
        for parameter in found:
            default = parameter.default
            if default is None or parameter.type is None:
                continue
            value = self._default_type(default)
            if value is None or not default_rejected(parameter.type, value):
                continue
            code = self.context.module.code_for_node(default)
            if parameter.source == "implicit":
                described.append(f"`{parameter.name}={code}` (no annotation: Tensor)")
                fix = self._annotate(parameter, value)
                if fix is None:
                    fixable = False
                else:
                    edits.extend(fix)
            else:
                described.append(f"`{parameter.name}` ({parameter.type}) = `{code}`")
                fixable = False
        if not described:
            return
        message = f"{self.message}: {', '.join(described)} of `{node.name.value}`"
        # TorchScript names the `def` line, whatever line the parameter is on; with a signature
        # comment, the first decorator's (measured).
        commented = any(p.source == "comment" for p in found)
        where = node.decorators[0] if commented and node.decorators else node.name
        self.report(where, message, edits=edits if fixable else (), anchor=node.name)

    def _default_type(self, default: cst.BaseExpression) -> Type | None:
        if isinstance(default, cst.Name) and default.value not in ("True", "False", "None"):
            constant = global_assignment_value(self.context, default)
            return literal_type(constant) if constant is not None else None
        return literal_type(default)

    def _annotate(self, parameter: Parameter, value: Type) -> list[Edit] | None:
        """``name=default`` -> ``name: <type> = default``, with the typing import it needs."""
        edits: list[Edit] = []
        if value.name == "Tuple":
            if not value.args or any(arg not in _SCALAR_DEFAULTS for arg in value.args):
                return None
            tuple_edits, spelled = import_edits(self.context, "typing", "Tuple")
            edits.extend(tuple_edits)
            annotation = f"{spelled}[{', '.join(str(arg) for arg in value.args)}]"
        elif value in _SCALAR_DEFAULTS:
            annotation = str(value)
        else:
            return None
        node = parameter.node
        if node is None or not isinstance(node.equal, cst.AssignEqual):
            return None
        # Positions leave out a default's parentheses: replace `name=` only, keep the default.
        start = self.context.position(node.name).start
        end = self.context.position(node.equal).end
        spacing = " " if node.equal.whitespace_after.empty else ""
        edits.append(
            Edit(
                Span(start.line, start.column + 1, end.line, end.column + 1),
                f"{parameter.name}: {annotation} ={spacing}",
            )
        )
        return edits


def default_rejected(declared: Type, value: Type) -> bool:
    """True when TorchScript's conversion of the Python default ``value`` to ``declared`` fails
    (measured with torch 2.13; unknown combinations count as accepted)."""
    if declared.name == "Optional" and declared.args:
        declared = declared.args[0]
    scalar = value in (INT, FLOAT, BOOL)
    if declared == TENSOR:
        return True
    if declared == INT:
        return value != INT and value != BOOL
    if declared in (FLOAT, BOOL, COMPLEX):
        return not scalar
    if declared == STR:
        return value != STR
    if declared.name == "List" and declared.args:
        if value.name != "Tuple":
            return value in _SCALAR_DEFAULTS
        element = declared.args[0]
        return element == INT and any(arg in (FLOAT, STR) for arg in value.args)
    if declared.name == "Tuple":
        if value.name != "Tuple":
            return value in _SCALAR_DEFAULTS
        if len(value.args) != len(declared.args):
            return True
        return any(
            default_rejected(slot, arg)
            for slot, arg in zip(declared.args, value.args, strict=True)
            if slot in (TENSOR, INT, FLOAT, BOOL, STR)
        )
    return False
