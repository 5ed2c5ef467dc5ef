"""TS411 tensor-attribute-assignment."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Valid
from tsinspect.lint.rules.conservative import ConservativeRule

# Attributes that only a Tensor has: assigning one means the object is a Tensor.
TENSOR_ONLY_ATTRIBUTES = frozenset({"requires_grad", "grad", "data"})


class TensorAttributeAssignmentRule(ConservativeRule):
    """## What it does
    Reports an assignment to a Tensor's `requires_grad`, `grad` or `data` in compiled code
    (`hidden_states.requires_grad = True`).

    ## Why is this bad?
    TorchScript can set attributes only on modules and TorchScript classes: scripting
    fails with "Tried to set an attribute: requires_grad on a non-class: Tensor". (Hugging
    Face's Wav2Vec2 feature encoder does this during training.)

    ## Example
    ```python
    hidden = self.conv(x)
    hidden.requires_grad = True
    ```

    ## Use instead
    ```python
    hidden = self.conv(x)
    hidden = hidden.requires_grad_(True)  # or keep it out of the scripted forward
    ```
    """

    code = "TS411"
    function_local = True
    name = "tensor-attribute-assignment"
    message = "TorchScript cannot set an attribute of a Tensor"
    fix_hint = "Use the in-place method (x.requires_grad_(True)), or move this out of compiled code"

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    h = x * 2
                    h = h.requires_grad_(False)
                    return h + int(h.requires_grad)
            """,
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    h = x * 2
                    h.requires_grad = False
                    return h
            """,
            label="requires-grad",
            message="TorchScript cannot set an attribute of a Tensor: `.requires_grad`",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    x.data = x.data * 2
                    return x
            """,
            label="data",
            message="TorchScript cannot set an attribute of a Tensor: `.data`",
        ),
    )

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._check(target.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._check(node.target)

    def _check(self, target: cst.BaseExpression) -> None:
        if not (isinstance(target, cst.Attribute) and target.attr.value in TENSOR_ONLY_ATTRIBUTES):
            return
        owner = target.value
        # `self.data = ...` sets a module attribute (other rules judge that).
        if isinstance(owner, cst.Name) and owner.value == "self":
            return
        self.report(target, f"{self.message}: `.{target.attr.value}`")
