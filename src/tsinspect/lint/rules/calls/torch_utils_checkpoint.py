"""TS403 torch-utils-checkpoint."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Phase, Rule, Valid

CHECKPOINT_MODULE = "torch.utils.checkpoint."


class CheckpointRule(Rule):
    """## What it does
    Reports calls to `torch.utils.checkpoint` (`checkpoint`, `checkpoint_sequential`...)
    in compiled code, whatever the import alias.

    ## Why is this bad?
    TorchScript tries to compile torch's own checkpoint implementation and fails on its
    `**kwargs` ("Compiled functions can't take variable number of arguments"). The error
    points into torch's sources and names no line of your file. Activation checkpointing
    only matters for training, so an exported model does not need it.

    ## Example
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.grad_checkpointing:
            return checkpoint(self.blocks, x, use_reentrant=False)
        return self.blocks(x)
    ```

    ## Use instead
    Guard the training-only path so TorchScript never compiles it:
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.grad_checkpointing and not torch.jit.is_scripting():
            return checkpoint(self.blocks, x, use_reentrant=False)
        return self.blocks(x)
    ```
    """

    code = "TS403"
    function_local = True
    name = "torch-utils-checkpoint"
    message = "TorchScript cannot compile torch.utils.checkpoint"
    fix_hint = "Guard the call with `and not torch.jit.is_scripting()`, or call the module directly"
    phase = Phase.SEMANTIC

    VALID = (
        Valid(
            """
            import torch
            from torch import nn
            from torch.utils.checkpoint import checkpoint


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.body = nn.Sequential(nn.Linear(4, 4), nn.ReLU())
                    self.grad_checkpointing = False

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if self.grad_checkpointing and not torch.jit.is_scripting():
                        return checkpoint(self.body, x, use_reentrant=False)
                    return self.body(x)
            """,
            label="guarded-by-is-scripting",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn
            from torch.utils.checkpoint import checkpoint


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.body = nn.Sequential(nn.Linear(4, 4), nn.ReLU())

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if self.training:
                        return checkpoint(self.body, x, use_reentrant=False)
                    return self.body(x)


            def build() -> nn.Module:
                return Model().eval()
            """,
            line=13,
            error_has_line=False,
            label="checkpoint",
            message="TorchScript cannot compile torch.utils.checkpoint: `torch.utils.checkpoint.checkpoint`",
        ),
        Invalid(
            """
            import torch
            import torch.utils.checkpoint as cp
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.body = nn.Sequential(nn.Linear(4, 4), nn.ReLU())

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if self.training:
                        x = cp.checkpoint_sequential(self.body, 2, x, use_reentrant=False)
                    return x


            def build() -> nn.Module:
                return Model().eval()
            """,
            line=13,
            error_has_line=False,
            label="checkpoint-sequential-module-alias",
            message="TorchScript cannot compile torch.utils.checkpoint: `torch.utils.checkpoint.checkpoint_sequential`",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        for qualified in sorted(self.context.qualified_names(node.func)):
            if qualified.startswith(CHECKPOINT_MODULE):
                self.report(node, f"{self.message}: `{qualified}`")
                return
