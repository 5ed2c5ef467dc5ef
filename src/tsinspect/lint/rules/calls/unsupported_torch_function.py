"""TS405 unsupported-torch-function."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Phase, Rule, Valid

# torch functions that fail to script (measured on torch 2.13), with the fix to suggest.
FUNCTIONS: dict[str, str] = {
    "torch.finfo": "Use a literal (`-1e4`, `-3.4e38`) or store `torch.finfo(dtype).min` as a float attribute in `__init__`",
    "torch.iinfo": "Use a literal, or store `torch.iinfo(dtype).max` as an int attribute in `__init__`",
    "torch.is_tensor": "Use `isinstance(x, torch.Tensor)`",
    "torch.get_default_dtype": "Pass the dtype explicitly, or store it as an attribute in `__init__`",
    "torch.are_deterministic_algorithms_enabled": "Decide in `__init__` and store a bool attribute",
    "torch.cuda.is_available": "Use `x.is_cuda` / `x.device`, or decide in `__init__`",
    "torch.cuda.device_count": "Decide in `__init__` and store an int attribute",
    "torch.onnx.is_in_onnx_export": "Use `torch.jit.is_scripting()` for the TorchScript path",
    "torch.fx._symbolic_trace.is_fx_tracing": "Guard with `torch.jit.is_scripting()` instead",
    "torch.Tensor": "Use `torch.tensor(data)` or a factory such as `torch.zeros(...)`",
}
PREFIXES: dict[str, str] = {
    "torch.distributed.": "Keep distributed logic out of the compiled model",
    "torch.distributions.": "Write the distribution's formulas with torch ops (`torch.normal`, explicit log-probs)",
}


class UnsupportedTorchFunctionRule(Rule):
    """## What it does
    Reports torch functions that are plain Python, not TorchScript builtins, called in
    compiled code: `torch.finfo`, `torch.iinfo`, `torch.is_tensor`,
    `torch.get_default_dtype`, `torch.are_deterministic_algorithms_enabled`,
    `torch.cuda.is_available`, `torch.cuda.device_count`, `torch.distributed.*`,
    `torch.distributions.*` (`Normal(...)`, `Categorical(...)`...), `torch.onnx.is_in_onnx_export`, `torch.fx`'s `is_fx_tracing`, and the legacy
    constructor `torch.Tensor(data)`.

    ## Why is this bad?
    Scripting fails with "Unknown builtin op: aten::finfo" (likewise `iinfo`, `is_tensor`,
    `get_default_dtype`, `Tensor`) or with errors inside torch's own sources for the
    `cuda`, `distributed`, `distributions`, `onnx` and `fx` helpers (for `is_in_onnx_export` no line of
    your file is named). `torch.finfo(x.dtype).min` in attention masking code is the most
    common case.

    ## Example
    ```python
    def forward(self, scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return scores.masked_fill(mask, torch.finfo(scores.dtype).min)
    ```

    ## Use instead
    ```python
    def forward(self, scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return scores.masked_fill(mask, -1e4)
    ```
    """

    code = "TS405"
    function_local = True
    name = "unsupported-torch-function"
    message = "TorchScript cannot compile this torch function"
    fix_hint = "Compute the value in `__init__` or use a TorchScript-supported equivalent"
    phase = Phase.SEMANTIC

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.min_value = float(torch.finfo(torch.float32).min)

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    y = x.masked_fill(x < -10.0, self.min_value)
                    if not torch.jit.is_scripting():
                        y = y.clamp(min=torch.finfo(y.dtype).min)
                    if isinstance(y, torch.Tensor) and torch.is_floating_point(y):
                        y = y + torch.tensor([1.0])
                    return y
            """,
            label="finfo-in-init-and-guarded",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return x.masked_fill(x < -10.0, torch.finfo(x.dtype).min)
            """,
            label="finfo",
            message="TorchScript cannot compile `torch.finfo`",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    limit = torch.iinfo(torch.int32).max
                    return x.clamp(max=float(limit))
            """,
            label="iinfo",
            message="TorchScript cannot compile `torch.iinfo`",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if torch.is_tensor(x):
                        x = x * 2
                    return x
            """,
            label="is-tensor",
            message="TorchScript cannot compile `torch.is_tensor`",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return x.to(torch.get_default_dtype())
            """,
            label="get-default-dtype",
            message="TorchScript cannot compile `torch.get_default_dtype`",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if torch.cuda.is_available():
                        x = x.cuda()
                    return x
            """,
            label="cuda-is-available",
            message="TorchScript cannot compile `torch.cuda.is_available`",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if torch.onnx.is_in_onnx_export():
                        return x.relu()
                    return x
            """,
            line=7,
            error_has_line=False,
            label="onnx-export",
            message="TorchScript cannot compile `torch.onnx.is_in_onnx_export`",
        ),
        Invalid(
            """
            import torch
            import torch.distributed as dist
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if dist.is_available():
                        x = x * 2
                    return x
            """,
            label="distributed",
            message="TorchScript cannot compile `torch.distributed.is_available`",
        ),
        Invalid(
            """
            import torch
            from torch import nn
            from torch.distributions import Normal


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    policy = Normal(x, torch.ones_like(x))
                    return policy.mean
            """,
            label="distributions",
            message="TorchScript cannot compile `torch.distributions.Normal`",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return x + torch.Tensor([1.0, 2.0, 3.0, 4.0])
            """,
            label="legacy-tensor-constructor",
            message="TorchScript cannot compile `torch.Tensor`",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        for qualified in sorted(self.context.qualified_names(node.func)):
            hint = FUNCTIONS.get(qualified)
            if hint is None:
                hint = next(
                    (h for prefix, h in PREFIXES.items() if qualified.startswith(prefix)), None
                )
            if hint is not None:
                self.report(node, f"TorchScript cannot compile `{qualified}`", fix_hint=hint)
                return
