"""TS203 empty-container-non-tensor."""

from __future__ import annotations

import re

import libcst as cst

from tsinspect.diagnostics import Edit, Span
from tsinspect.lint.fix import import_edits
from tsinspect.lint.rule import Invalid, Valid
from tsinspect.lint.rules.conservative import ConservativeRule
from tsinspect.lint.types.findings import EmptyContainer
from tsinspect.lint.types.flow import flow
from tsinspect.lint.types.lattice import FLOAT, INT, INT_LIST, SCALARS, STR


class EmptyContainerRule(ConservativeRule):
    """## What it does
    Reports an unannotated empty list `xs = []` later given non-Tensor elements
    (`xs.append(1)`, `xs.append(x.size(1))`, a list or a tuple), and an unannotated empty
    dict `d = {}` later given a non-Tensor value or a non-`str` key (`d["n"] = 3`,
    `d["all"] = [x, y]`). When the element type is
    certain, the fix annotates the assignment (`xs: List[int] = []`, adding the `typing`
    import when it is missing, or `list[int]` in files that already use builtin generics).

    ## Why is this bad?
    TorchScript types `[]` as `List[Tensor]` and `{}` as `Dict[str, Tensor]`. Appending an
    int fails with "Could not match type int to t in argument 'el': Type variable 't'
    previously matched to type Tensor is matched to type int"; storing one fails with
    "Arguments for call are not valid".

    ## Example
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = []
        for d in range(x.dim()):
            shape.append(x.size(d))
        return x.reshape(shape)
    ```

    ## Use instead
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape: List[int] = []
        for d in range(x.dim()):
            shape.append(x.size(d))
        return x.reshape(shape)
    ```

    ## Fix safety
    The fix annotates the assignment only when every element (and key) given to the
    container has one certain type (an `int`, `float`, `bool`, `str` or `List[int]`, with
    `str`, `int` or `float` keys), and the assignment has a single target. Annotations do not
    change what eager Python runs; anything less certain is only reported.
    """

    code = "TS203"
    function_local = True
    name = "empty-container-non-tensor"
    fixable = True
    message = "TorchScript types an empty [] as List[Tensor] and {} as Dict[str, Tensor]"
    fix_hint = "Annotate the empty container with its element type, e.g. `xs: List[int] = []`"

    VALID = (
        Valid(
            """
            from typing import Dict, List

            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    outs = []
                    outs.append(x * 2)
                    outs.append(x.size(0) * x)
                    sizes: List[int] = []
                    sizes.append(x.size(1))
                    named = {}
                    named["a"] = x
                    counts: Dict[str, int] = {}
                    counts["n"] = 1
                    other = torch.jit.annotate(List[float], [])
                    other.append(0.5)
                    return torch.stack(outs).sum(0) * len(sizes) * len(named) * len(counts) * len(other)
            """,
            label="tensor-elements-and-annotated",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    shape = []
                    for d in range(x.dim()):
                        shape.append(x.size(d))
                    return x.reshape(shape)
            """,
            label="list-of-sizes",
            message="TorchScript types an empty [] as List[Tensor] and {} as Dict[str, Tensor]: `shape = []` is given int elements",
            fixed="""
            from typing import List
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    shape: List[int] = []
                    for d in range(x.dim()):
                        shape.append(x.size(d))
                    return x.reshape(shape)
            """,
        ),
        Invalid(
            """
            from typing import List

            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return x * self._count(x)

                def _count(self, x: torch.Tensor) -> int:
                    flags = []
                    flags.append(True)
                    return len(flags)
            """,
            label="list-of-bools-in-helper",
            message="TorchScript types an empty [] as List[Tensor] and {} as Dict[str, Tensor]: `flags = []` is given bool elements",
            fixed="""
            from typing import List

            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return x * self._count(x)

                def _count(self, x: torch.Tensor) -> int:
                    flags: List[bool] = []
                    flags.append(True)
                    return len(flags)
            """,
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    stats = {}
                    stats["n"] = 1
                    return x * len(stats)
            """,
            label="dict-of-ints",
            message="TorchScript types an empty [] as List[Tensor] and {} as Dict[str, Tensor]: `stats = {}` is used as a Dict[str, int]",
            fixed="""
            from typing import Dict
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    stats: Dict[str, int] = {}
                    stats["n"] = 1
                    return x * len(stats)
            """,
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    by_index = {}
                    by_index[0] = x
                    return by_index[0]
            """,
            label="dict-with-int-key",
            message="TorchScript types an empty [] as List[Tensor] and {} as Dict[str, Tensor]: `by_index = {}` is used as a Dict[int, Tensor]",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor):
                    features = {}
                    features["all"] = [x, x * 2]
                    return features
            """,
            label="dict-of-lists",
            message="TorchScript types an empty [] as List[Tensor] and {} as Dict[str, Tensor]: `features = {}` is used as a Dict[str, List[Tensor]]",
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self.context.is_compiled_def(node):
            return
        for container in flow(self.context, node).empty_containers:
            if not container.offences:
                continue
            offence, kind = container.offences[0]
            found = self._annotation(container)
            if container.is_dict:
                message = f"{self.message}: `{container.name} = {{}}` is used as a {kind}"
            else:
                message = f"{self.message}: `{container.name} = []` is given {kind} elements"
            if found is None:
                self.report(offence, message)
            else:
                annotation, imports = found
                self.report(
                    offence,
                    message,
                    fix_hint=f"Annotate it: `{container.name}: {annotation} = {'{}' if container.is_dict else '[]'}`",
                    edits=self._edits(container, annotation, imports),
                )

    def _annotation(self, container: EmptyContainer) -> tuple[str, tuple[Edit, ...]] | None:
        """(annotation, import edits) when every element (and key) type is certain and one."""
        elements = container.element_types
        if len(elements) != 1 or len(container.assignment.targets) != 1:
            return None
        (element,) = elements
        if element not in SCALARS and element != INT_LIST:
            return None
        list_name, dict_name, imports = self._generics(container.is_dict, element == INT_LIST)
        element_text = f"{list_name}[int]" if element == INT_LIST else str(element)
        if not container.is_dict:
            return f"{list_name}[{element_text}]", imports
        if len(container.key_types) != 1:
            return None
        (key,) = container.key_types
        # TorchScript dict keys: str, int, float (and Tensor, device, complex); never bool
        if key not in (STR, INT, FLOAT):
            return None
        return f"{dict_name}[{key}, {element_text}]", imports

    def _generics(self, is_dict: bool, nested_list: bool) -> tuple[str, str, tuple[Edit, ...]]:
        """The spelling of List/Dict for this file, and the import edits the fix needs."""
        needed = ["Dict"] if is_dict else []
        if nested_list or not is_dict:
            needed.append("List")
        spellings: dict[str, str] = {}
        imports: list[Edit] = []
        for name in needed:
            edits, spelling = import_edits(self.context, "typing", name)
            spellings[name] = spelling
            imports.extend(edits)
        if imports and PEP585.search(self.context.source):
            return "list", "dict", ()  # the file already writes builtin generics
        return spellings.get("List", "List"), spellings.get("Dict", "Dict"), tuple(imports)

    def _edits(
        self, container: EmptyContainer, annotation: str, imports: tuple[Edit, ...]
    ) -> list[Edit]:
        position = self.context.position(container.target)
        return [
            *imports,
            Edit(
                Span(
                    position.start.line,
                    position.start.column + 1,
                    position.end.line,
                    position.end.column + 1,
                ),
                f"{container.name}: {annotation}",
            ),
        ]


PEP585 = re.compile(r"(?<![\w.])(list|dict)\[")
