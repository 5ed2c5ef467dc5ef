"""TS114 complex-comprehension."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Phase, Rule, Valid


class ComplexComprehensionRule(Rule):
    """## What it does
    Reports a list or dict comprehension, or a generator expression, with an `if` clause
    or with more than one `for`.

    ## Why is this bad?
    TorchScript compiles only the simplest comprehensions: scripting fails with
    "Comprehension ifs are not supported yet" or "Only a single generator is currently
    supported". Plain one-`for` list and dict comprehensions and generator expressions
    are fine.

    ## Example
    ```python
    def forward(self, xs: List[torch.Tensor]) -> List[torch.Tensor]:
        return [x * 2 for x in xs if x.numel() > 0]
    ```

    ## Use instead
    ```python
    def forward(self, xs: List[torch.Tensor]) -> List[torch.Tensor]:
        out: List[torch.Tensor] = []
        for x in xs:
            if x.numel() > 0:
                out.append(x * 2)
        return out
    ```
    """

    code = "TS114"
    function_local = True
    name = "complex-comprehension"
    message = "TorchScript does not support comprehensions with an if clause or several for clauses"
    fix_hint = "Write an explicit loop with append (nested loops for several for clauses)"
    phase = Phase.SYNTAX

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    doubled = [v * 2 for v in x.unbind(0)]
                    sizes = {str(i): i for i in range(3)}
                    total = sum(n for n in [1, 2, 3])
                    return torch.stack(doubled) * total + sizes["1"]
            """,
            label="simple-list-dict-generator",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    kept = [v for v in x.unbind(0) if v.sum() > 0]
                    return torch.stack(kept + [x[0]])
            """,
            label="list-if",
            message="TorchScript does not support comprehensions with an if clause or several for clauses",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    pairs = [i * j for i in range(2) for j in range(3)]
                    return x * len(pairs)
            """,
            label="two-fors",
            message="TorchScript does not support comprehensions with an if clause or several for clauses",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    sizes = {str(i): i for i in range(4) if i > 1}
                    return x * len(sizes)
            """,
            label="dict-if",
            message="TorchScript does not support comprehensions with an if clause or several for clauses",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    total = sum(i for i in range(4) if i > 1)
                    return x * total
            """,
            label="generator-if",
            message="TorchScript does not support comprehensions with an if clause or several for clauses",
        ),
    )

    def _check(self, node: cst.ListComp | cst.DictComp | cst.GeneratorExp) -> None:
        clause = node.for_in
        if clause.ifs or clause.inner_for_in is not None:
            self.report(node)

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._check(node)

    def visit_DictComp(self, node: cst.DictComp) -> None:
        self._check(node)

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._check(node)
