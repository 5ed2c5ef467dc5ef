"""TS409 python-only-tensor-api."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Phase, Rule, Valid

# Tensor methods and attributes that exist in eager PyTorch but not in TorchScript (measured on
# torch 2.13: "'Tensor' object has no attribute or method ..."), with the fix to suggest.
TENSOR_METHODS: dict[str, str] = {
    "data_ptr": "Compare tensors with `torch.equal`/`is`, or decide outside the model",
    "storage": "Use tensor ops; storage access is Python-only",
    "untyped_storage": "Use tensor ops; storage access is Python-only",
    "new_tensor": "Use `torch.tensor(data, dtype=x.dtype, device=x.device)`",
}
TENSOR_ATTRIBUTES: dict[str, str] = {
    "grad_fn": "Use `x.requires_grad`",
}
# In TorchScript a dtype is an int: its Python attributes do not exist.
DTYPE_ATTRIBUTES: dict[str, str] = {
    "is_floating_point": "Use `x.is_floating_point()` on the tensor",
    "is_complex": "Use `x.is_complex()` on the tensor",
    "is_signed": "Compare the dtype with the signed dtypes you expect",
    "itemsize": "Use `x.element_size()` on the tensor",
}


def _is_self(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "self"


class PythonOnlyTensorApiRule(Rule):
    """## What it does
    Reports eager-only tensor APIs in compiled code: `x.data_ptr()`, `x.storage()`,
    `x.untyped_storage()`, `x.new_tensor(...)`, `x.grad_fn`, the Python attributes of a
    dtype (`x.dtype.is_floating_point`, `.is_complex`, `.is_signed`, `.itemsize`), and
    `x.shape.numel()` / `x.size().numel()`.

    ## Why is this bad?
    TorchScript's `Tensor` type lacks these methods and attributes ("'Tensor' object has
    no attribute or method 'data_ptr'"); a dtype is an `int` in TorchScript ("'int' object
    has no attribute or method 'is_floating_point'"), and a shape is a `List[int]` ("'List[int]'
    object has no attribute or method 'numel'"). `x.is_cuda`, `x.ndim`, `x.T`, `x.mT`,
    `x.data`, `x.grad`, `x.is_leaf`, `x.element_size()`, `x.nbytes`, `x.itemsize` and
    `x.stride()` are fine.

    ## Example
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dtype.is_floating_point:
            x = x.clamp(0, 1)
        return x.new_tensor([x.shape.numel()])
    ```

    ## Use instead
    ```python
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.is_floating_point():
            x = x.clamp(0, 1)
        return torch.tensor([x.numel()], dtype=x.dtype, device=x.device)
    ```
    """

    code = "TS409"
    name = "python-only-tensor-api"
    message = "TorchScript's Tensor has no such method or attribute"
    fix_hint = "Use the TorchScript-supported equivalent"
    phase = Phase.SEMANTIC

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if x.is_floating_point() and not x.is_cuda and x.ndim == 2:
                        x = x.T.T * x.element_size() + x.numel() * 0
                    if not torch.jit.is_scripting():
                        print(x.data_ptr(), x.dtype.is_floating_point)
                    return x + torch.tensor([1.0], dtype=x.dtype, device=x.device)

                def same_storage(self, a: torch.Tensor, b: torch.Tensor) -> bool:
                    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()
            """,
            label="supported-guarded-unreached",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return x + x.new_tensor([1.0, 2.0, 3.0, 4.0])
            """,
            label="new-tensor",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if x.dtype.is_floating_point:
                        x = x.clamp(0.0, 1.0)
                    return x
            """,
            label="dtype-is-floating-point",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return x / x.shape.numel()
            """,
            label="shape-numel",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if x.data_ptr() == 0:
                        return x
                    return x * 2
            """,
            label="data-ptr",
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if x.grad_fn is None:
                        x = x * 2
                    return x
            """,
            label="grad-fn",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute) or _is_self(func.value):
            return
        name = func.attr.value
        if name in TENSOR_METHODS:
            self.report(
                node, f"TorchScript's Tensor has no method `{name}`", fix_hint=TENSOR_METHODS[name]
            )
        elif name == "numel" and not node.args and _is_shape(func.value):
            self.report(
                node,
                "In TorchScript a shape is a List[int], which has no `numel()`",
                fix_hint="Use `x.numel()` on the tensor",
            )

    def visit_Attribute(self, node: cst.Attribute) -> None:
        name = node.attr.value
        value = node.value
        if name in TENSOR_ATTRIBUTES and not _is_self(value) and not self._is_called(node):
            self.report(
                node,
                f"TorchScript's Tensor has no attribute `{name}`",
                fix_hint=TENSOR_ATTRIBUTES[name],
            )
        elif (
            name in DTYPE_ATTRIBUTES
            and isinstance(value, cst.Attribute)
            and value.attr.value == "dtype"
            and not _is_self(value.value)
            and not self._is_called(node)
        ):
            self.report(
                node,
                f"In TorchScript a dtype is an int, which has no `{name}`",
                fix_hint=DTYPE_ATTRIBUTES[name],
            )

    def _is_called(self, node: cst.Attribute) -> bool:
        parent = self.context.parent(node)
        return isinstance(parent, cst.Call) and parent.func is node


def _is_shape(node: cst.BaseExpression) -> bool:
    """``<expr>.shape`` or ``<expr>.size()``."""
    if isinstance(node, cst.Attribute):
        return node.attr.value == "shape"
    return (
        isinstance(node, cst.Call)
        and not node.args
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == "size"
    )
