"""TS224 unsupported-type-annotation."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Valid
from tsinspect.lint.rules.conservative import ConservativeRule
from tsinspect.lint.types.annotations import type_line

_LIST = "`List[...]`"
_DICT = "`Dict[K, V]`"
# Subscripted types TorchScript does not know: "Unknown type constructor Sequence" (measured).
_CONSTRUCTORS = {
    "typing.Sequence": _LIST,
    "typing.Iterable": _LIST,
    "typing.Collection": _LIST,
    "typing.Iterator": _LIST,
    "typing.Generator": _LIST,
    "typing.Deque": _LIST,
    "typing.Set": f"{_LIST} or `Dict[K, bool]`",
    "typing.FrozenSet": f"{_LIST} or `Dict[K, bool]`",
    "typing.AbstractSet": f"{_LIST} or `Dict[K, bool]`",
    "typing.Mapping": _DICT,
    "typing.MutableMapping": _DICT,
    "typing.DefaultDict": _DICT,
    "typing.OrderedDict": _DICT,
    "typing.Callable": "a submodule or a method instead of a callable",
    "typing.Type": "the class itself, or a `str` naming it",
    "builtins.type": "the class itself, or a `str` naming it",
    "typing.Literal": "its value type (`str`, `int`)",
    "collections.abc.Sequence": _LIST,
    "collections.abc.Iterable": _LIST,
    "collections.abc.Mapping": _DICT,
    "collections.abc.Callable": "a submodule or a method instead of a callable",
}
# Bare names it does not know: "Unknown type name 'torch.Size'" (measured).
_NAMES = {
    "torch.Size": "`List[int]`",
    "builtins.set": f"{_LIST} or `Dict[K, bool]`",
    "builtins.dict": _DICT,
    "builtins.bytes": "`str`",
    "builtins.object": "`Any`",
    "builtins.type": "the class itself, or a `str` naming it",
    "typing.Hashable": "the concrete type",
    "typing.NoReturn": "`None`",
    "typing.Sequence": _LIST,
    "typing.Iterable": _LIST,
    "typing.Callable": "a submodule or a method instead of a callable",
    "numpy.ndarray": "`torch.Tensor`",
}
# typing generics used without their element types (the error names no line).
_BARE_GENERICS = {
    "typing.List": "`List[int]`",
    "typing.Dict": "`Dict[str, int]`",
    "typing.Tuple": "`Tuple[int, int]`",
    "typing.Optional": "`Optional[int]`",
}
_TUPLES = frozenset({"typing.Tuple", "builtins.tuple"})


class UnsupportedAnnotationRule(ConservativeRule):
    """## What it does
    Reports a type annotation TorchScript cannot read, in a compiled signature or on a
    local: abstract collection types (`Sequence[int]`, `Iterable`, `Mapping`, `Set`...),
    `Callable`, `Type[...]`, `Literal[...]`, variable-length tuples `Tuple[int, ...]`,
    names such as `torch.Size`, `set`, `dict`, `object` or `np.ndarray`, and `List`,
    `Dict`, `Tuple` or `Optional` without their element types.

    ## Why is this bad?
    TorchScript resolves every annotation of a compiled function to one of its own types,
    and has no abstract or variable-length ones: "Unknown type constructor Sequence",
    "Expression of type dots cannot be used in a type expression", "Unknown type name
    'torch.Size'", or, with no line, "Attempted to use List without a contained type".
    Measured with torch 2.13: `Any`, `typing.Text`, `Union`, `X | None`, `list[int]`,
    `tuple` and `Tuple[()]` are fine; a `# type: (...) -> ...` signature comment replaces
    the annotations, unreadable ones included. A bare `list` on a local makes torch 2.13
    crash (segmentation fault), so it is not reported here: it cannot be measured safely.

    ## Example
    ```python
    def forward(self, x: torch.Tensor, dims: Sequence[int] = (2, 3)) -> Tuple[torch.Tensor, ...]:
        ...
    ```

    ## Use instead
    ```python
    def forward(self, x: torch.Tensor, dims: List[int] = (2, 3)) -> Tuple[torch.Tensor, torch.Tensor]:
        ...
    ```
    """

    code = "TS224"
    function_local = True
    name = "unsupported-type-annotation"
    message = "TorchScript cannot read this type annotation"
    fix_hint = (
        "Use a concrete TorchScript type: `List[int]`, a fixed `Tuple[int, int]`, `Dict[str, int]`"
    )

    VALID = (
        Valid(
            """
            from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor, dims: List[int] = (0, 1)) -> torch.Tensor:
                    pairs: Dict[str, Tuple[int, int]] = {"a": (1, 2)}
                    extra: Optional[Union[int, float]] = None
                    value: Any = 1
                    return self.scale(x, 2.0) * len(pairs) + len(dims)

                def scale(self, x: torch.Tensor, factor: float | None) -> torch.Tensor:
                    if factor is None:
                        return x
                    return x * factor

                def configure(self, dims: Sequence[int]) -> Tuple[int, ...]:
                    return tuple(dims)
            """,
            label="supported-and-unreached",
        ),
        Valid(
            """
            from typing import List, Sequence

            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor, dims: Sequence[int] = (0,)):
                    # type: (torch.Tensor, List[int]) -> torch.Tensor
                    if not torch.jit.is_scripting():
                        shape: Sequence[int] = x.shape
                    return x
            """,
            label="signature-comment-and-guarded-local",
        ),
    )
    INVALID = (
        Invalid(
            """
            from typing import Sequence

            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self.pool(x, [1])

                def pool(self, x: torch.Tensor, dims: Sequence[int]) -> torch.Tensor:
                    return x
            """,
            label="sequence-parameter",
            message="TorchScript cannot read this type annotation: `Sequence[int]`",
        ),
        Invalid(
            """
            from typing import Tuple

            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(
                    self,
                    x: torch.Tensor,
                ) -> Tuple[torch.Tensor, ...]:
                    return (x, x)
            """,
            label="variadic-tuple-return-multiline",
            message="TorchScript cannot read this type annotation: `Tuple[torch.Tensor, ...]` (variable length)",
        ),
        Invalid(
            """
            from typing import Callable, Optional

            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self.apply_fn(x, None)

                def apply_fn(
                    self, x: torch.Tensor, fn: Optional[Callable[[torch.Tensor], torch.Tensor]]
                ) -> torch.Tensor:
                    return x
            """,
            label="nested-callable",
            message="TorchScript cannot read this type annotation: `Callable[[torch.Tensor], torch.Tensor]`",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    shape: torch.Size = x.shape
                    return x.view(shape)
            """,
            label="torch-size-local",
            message="TorchScript cannot read this type annotation: `torch.Size` (unknown type)",
        ),
        Invalid(
            """
            from typing import List

            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    outs: List = [x]
                    return outs[0]
            """,
            line=9,
            error_has_line=False,
            label="bare-list-local",
            message="TorchScript cannot read this type annotation: `List` (no element types)",
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self.context.is_compiled_def(node):
            return
        line = type_line(self.context, node)
        if line.text is not None or line.problem is not None:
            return  # the signature comment replaces the annotations (TS225 if unreadable)
        params = node.params
        annotations = [
            p.annotation
            for p in (*params.posonly_params, *params.params, *params.kwonly_params)
            if p.annotation is not None
        ]
        if node.returns is not None:
            annotations.append(node.returns)
        for annotation in annotations:
            self._check(annotation)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._check(node.annotation)

    def _check(self, annotation: cst.Annotation) -> None:
        found = self._unsupported(annotation.annotation)
        if found is not None:
            what, instead = found
            self.report(
                annotation.annotation,
                f"{self.message}: {what}",
                fix_hint=f"Use {instead}",
            )

    def _unsupported(self, node: cst.BaseExpression) -> tuple[str, str] | None:
        """(what TorchScript rejects, what to use instead), or None."""
        code = self.context.module.code_for_node
        if isinstance(node, cst.Name | cst.Attribute):
            names = self.context.qualified_names(node)
            for table, what in ((_NAMES, "unknown type"), (_BARE_GENERICS, "no element types")):
                for name in names:
                    if name in table:
                        return f"`{code(node)}` ({what})", table[name]
            return None
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
            return self._unsupported(node.left) or self._unsupported(node.right)
        if not isinstance(node, cst.Subscript):
            return None
        names = self.context.qualified_names(node.value)
        for name in names:
            if name in _CONSTRUCTORS:
                return f"`{code(node)}`", _CONSTRUCTORS[name]
        elements = [e.slice.value for e in node.slice if isinstance(e.slice, cst.Index)]
        if names & _TUPLES and any(isinstance(e, cst.Ellipsis) for e in elements):
            return f"`{code(node)}` (variable length)", "a fixed `Tuple[T, T]` or a `List[T]`"
        for element in elements:
            if isinstance(element, cst.List):  # Callable's parameter list
                continue
            inner = self._unsupported(element)
            if inner is not None:
                return inner
        return None
