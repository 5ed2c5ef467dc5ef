"""TS214 optional-without-none-check."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Rule, Valid
from tsinspect.lint.types.findings import Use, subject_text, torchscript_error
from tsinspect.lint.types.flow import flow

_VERBS = {
    Use.ATTRIBUTE: "used",
    Use.SUBSCRIPT: "indexed",
    Use.OPERATOR: "used in arithmetic",
    Use.COMPARISON: "compared",
    Use.ARGUMENT: "passed",
    Use.ITERATION: "iterated",
    Use.RETURN: "returned",
    Use.ANNOTATION: "assigned",
}


class OptionalWithoutCheckRule(Rule):
    """## What it does
    Reports a value whose type is certainly `Optional[...]` (an `Optional` parameter, a
    class-level `Optional` attribute, `None` merged with a value at an `if`, `dict.get`...)
    used where TorchScript needs the value itself, with no `is not None` check on the way:
    an attribute or method (`inputs_embeds.size(0)`), arithmetic or a comparison, indexing,
    iteration, an argument whose parameter cannot be `None` (`torch.cat`, `x.view(k)`,
    `range(k)`, an annotated helper's parameter), a `return` or an annotated assignment of
    a non-Optional type.

    ## Why is this bad?
    TorchScript never unwraps an `Optional` by itself. It narrows `Optional[T]` to `T`
    only for a local variable, in code where a check written in an `if`, a ternary, an
    `and`/`or`, an `assert`, or an `if` that returns or raises guarantees it is not None.
    Otherwise scripting fails with "'Optional[Tensor]' object has no attribute or method
    'size'", "Arguments for call are not valid", "Return value was annotated as having
    type Tensor but is actually of type Optional[Tensor]"...

    ## Example
    ```python
    def forward(self, input_ids: Tensor, inputs_embeds: Optional[Tensor] = None) -> Tensor:
        batch = inputs_embeds.size(0)
        ...
    ```

    ## Use instead
    ```python
    def forward(self, input_ids: Tensor, inputs_embeds: Optional[Tensor] = None) -> Tensor:
        if inputs_embeds is None:
            inputs_embeds = self.embed(input_ids)
        batch = inputs_embeds.size(0)
        ...
    ```
    For an attribute, copy it to a local first: `bias = self.bias`, then check `bias`.
    The legacy dtype-specific classes (`torch.LongTensor`, `torch.FloatTensor`...) are
    plain `Tensor`s to TorchScript: `input_ids: torch.LongTensor | None` is `Optional[Tensor]`.
    """

    code = "TS214"
    function_local = True
    name = "optional-without-none-check"
    message = "TorchScript needs an `is not None` check before this Optional value is used"
    fix_hint = "Check `x is not None` first (in an if, assert, ternary or early return) in the same function"

    VALID = (
        Valid(
            """
            from typing import List, Optional

            import torch
            import torch.nn.functional as F
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.proj = nn.Linear(4, 4)

                def forward(
                    self,
                    x: torch.Tensor,
                    mask: Optional[torch.Tensor] = None,
                    scale: Optional[float] = None,
                    dims: Optional[List[int]] = None,
                ) -> torch.Tensor:
                    if mask is not None:
                        x = x * mask
                    scale = scale if scale is not None else 1.0
                    assert dims is None or len(dims) > 0
                    if dims is None:
                        dims = [0]
                    y = F.linear(x, self.proj.weight, None if mask is None else mask[0])
                    if mask is not None and mask.dim() > 1:
                        y = y + mask.sum()
                    if isinstance(mask, torch.Tensor):
                        y = y * mask
                    return self._shift(y * scale, mask) + dims[0]

                def _shift(self, x: torch.Tensor, bias: Optional[torch.Tensor]) -> torch.Tensor:
                    if bias is None:
                        return x
                    return x + bias


            def example_inputs():
                return (torch.randn(2, 4), torch.ones(2, 4), 2.0)
            """,
            label="checked",
        ),
        Valid(
            """
            from typing import Optional

            import torch
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.downsample = None

                def forward(self, x: torch.Tensor) -> Optional[torch.Tensor]:
                    if self.downsample is not None:
                        x = self.downsample(x)
                    if x is None:
                        return x.foo()
                    if x.sum() > 0:
                        out = x
                    else:
                        out = None
                    return out
            """,
            label="static-checks-and-optional-return",
        ),
        Valid(
            """
            from typing import Optional

            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(
                    self, x: torch.Tensor, limit: Optional[float] = None
                ) -> torch.Tensor:
                    label = f"limit={limit}"
                    pair = [x, None if limit is None else x]
                    return x.clamp(max=limit) * len(label) * len(pair)


            def example_inputs():
                return (torch.randn(2, 4), 0.5)
            """,
            label="uses-that-accept-optional",
        ),
    )
    INVALID = (
        Invalid(
            """
            from typing import Optional

            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(
                    self, input_ids: torch.Tensor, inputs_embeds: Optional[torch.Tensor] = None
                ) -> torch.Tensor:
                    batch = inputs_embeds.size(0)
                    return input_ids * batch


            def example_inputs():
                return (torch.randn(2, 4), torch.randn(2, 4))
            """,
            label="method-on-parameter",
            message="`inputs_embeds` is Optional[Tensor] and is used without a None check: TorchScript says \"'Optional[Tensor]' object has no attribute or method 'size'\"",
        ),
        Invalid(
            """
            from typing import Optional

            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor, extra: Optional[torch.Tensor] = None) -> torch.Tensor:
                    return self._merge(x, extra)

                def _merge(self, x: torch.Tensor, extra: Optional[torch.Tensor]) -> torch.Tensor:
                    return torch.cat([x, extra], dim=1)


            def example_inputs():
                return (torch.randn(2, 4), torch.randn(2, 4))
            """,
            label="torch-cat-in-helper",
            message='`extra` is Optional[Tensor] and is passed without a None check: TorchScript says "Arguments for call are not valid"',
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
                    return x + self.bias
            """,
            label="optional-attribute",
            message='`self.bias` is Optional[Tensor] and is used in arithmetic without a None check: TorchScript says "Arguments for call are not valid"',
        ),
        Invalid(
            """
            from typing import Optional

            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor, factor: Optional[float] = None) -> torch.Tensor:
                    return self._scale(x, factor)

                def _scale(self, x: torch.Tensor, factor: float) -> torch.Tensor:
                    return x * factor


            def example_inputs():
                return (torch.randn(2, 4), 2.0)
            """,
            label="annotated-helper-parameter",
            message="`factor` is Optional[float] and is passed without a None check: TorchScript says \"Expected a value of type 'float' for argument 'factor' but instead found type 'Optional[float]'\"",
        ),
        Invalid(
            """
            import torch


            @torch.jit.script
            def fn(x: torch.Tensor) -> torch.Tensor:
                if x.sum() > 0:
                    best = x
                else:
                    best = None
                return best
            """,
            label="merge-returned-as-tensor",
            message='`best` is Optional[Tensor] and is returned without a None check: TorchScript says "Return value was annotated as having type Tensor but is actually of type Optional[Tensor]"',
        ),
        Invalid(
            """
            from typing import Dict

            import torch


            @torch.jit.script
            def fn(x: torch.Tensor, sizes: Dict[str, int]) -> torch.Tensor:
                n = sizes.get("n")
                return x.view(n, -1)
            """,
            label="dict-get",
            message='`n` is Optional[int] and is passed without a None check: TorchScript says "Arguments for call are not valid"',
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class BertEmbeddings(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.word_embeddings = nn.Embedding(100, 8)
                    self.position_embeddings = nn.Embedding(16, 8)
                    self.LayerNorm = nn.LayerNorm(8)

                def forward(
                    self,
                    input_ids: torch.LongTensor | None = None,
                    position_ids: torch.LongTensor | None = None,
                    inputs_embeds: torch.Tensor | None = None,
                ) -> torch.Tensor:
                    if input_ids is not None:
                        input_shape = input_ids.size()
                    else:
                        input_shape = inputs_embeds.size()[:-1]
                    seq_length = input_shape[1]
                    if position_ids is None:
                        position_ids = torch.arange(seq_length).unsqueeze(0)
                    if inputs_embeds is None:
                        inputs_embeds = self.word_embeddings(input_ids)
                    embeddings = inputs_embeds + self.position_embeddings(position_ids)
                    return self.LayerNorm(embeddings)


            def build():
                return BertEmbeddings()


            def example_inputs():
                return (torch.randint(0, 100, (2, 5)),)
            """,
            label="legacy-tensor-class-annotation",
            message="`inputs_embeds` is Optional[Tensor] and is used without a None check: TorchScript says \"'Optional[Tensor]' object has no attribute or method 'size'\"",
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self.context.is_compiled_def(node):
            return
        for use in flow(self.context, node).optional_uses:
            if use.check is not None:
                continue  # TS215: the code checks, in a way TorchScript does not see
            subject = subject_text(use, self.context)
            attribute = isinstance(use.subject, cst.Attribute)
            self.report(
                use.node,
                f"`{subject}` is {use.kind} and is {_VERBS[use.use]} without a None check: "
                f'TorchScript says "{torchscript_error(use, self.context)}"',
                fix_hint=(
                    f"Copy `{subject}` to a local and check that: `value = {subject}`, then "
                    "`if value is not None:`"
                    if attribute
                    else f"Check `{subject} is not None` first (if, assert, ternary or early "
                    "return) in the same function"
                ),
            )
