"""What the type pass knows of torch's Python API: which calls give a Tensor, the types of
Tensor members, and which arguments never accept ``None`` (measured with torch 2.13)."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import LintContext
from tsinspect.lint.types.annotations import parse_annotation
from tsinspect.lint.types.lattice import (
    BOOL,
    DEVICE,
    FLOAT,
    INT,
    INT_LIST,
    NUMBER,
    STR,
    TENSOR,
    Type,
    list_of,
)

TENSOR_FUNCTIONS = frozenset(
    f"torch.{name}"
    for name in [
        "zeros",
        "ones",
        "empty",
        "full",
        "rand",
        "randn",
        "randint",
        "arange",
        "linspace",
        "eye",
        "tensor",
        "as_tensor",
        "zeros_like",
        "ones_like",
        "empty_like",
        "full_like",
        "rand_like",
        "randn_like",
        "cat",
        "concat",
        "stack",
        "matmul",
        "mm",
        "bmm",
        "einsum",
        "relu",
        "sigmoid",
        "tanh",
        "exp",
        "log",
        "sqrt",
        "rsqrt",
        "abs",
        "where",
        "softmax",
        "log_softmax",
        "flatten",
        "reshape",
        "transpose",
        "permute",
        "clamp",
        "clip",
        "sum",
        "mean",
        "cumsum",
        "prod",
        "neg",
        "sin",
        "cos",
        "floor",
        "ceil",
        "round",
        "sign",
        "erf",
        "outer",
        "addmm",
        "baddbmm",
    ]
) | frozenset(
    f"torch.nn.functional.{name}"
    for name in [
        "relu",
        "gelu",
        "silu",
        "sigmoid",
        "tanh",
        "softmax",
        "log_softmax",
        "linear",
        "conv1d",
        "conv2d",
        "conv3d",
        "layer_norm",
        "group_norm",
        "batch_norm",
        "dropout",
        "pad",
        "normalize",
        "interpolate",
        "avg_pool2d",
        "adaptive_avg_pool2d",
        "embedding",
        "leaky_relu",
        "hardswish",
        "hardsigmoid",
        "mish",
        "elu",
        "softplus",
        "cross_entropy",
        "mse_loss",
        "l1_loss",
    ]
)
TENSOR_METHODS = frozenset(
    [
        "view",
        "reshape",
        "permute",
        "transpose",
        "contiguous",
        "float",
        "half",
        "double",
        "long",
        "int",
        "bool",
        "to",
        "clone",
        "detach",
        "sum",
        "mean",
        "flatten",
        "unsqueeze",
        "squeeze",
        "relu",
        "sigmoid",
        "softmax",
        "log_softmax",
        "exp",
        "log",
        "abs",
        "pow",
        "mul",
        "add",
        "sub",
        "div",
        "matmul",
        "expand",
        "expand_as",
        "repeat",
        "masked_fill",
        "clamp",
        "clip",
        "type_as",
        "sqrt",
        "rsqrt",
        "neg",
        "narrow",
        "index_select",
        "gather",
        "new_zeros",
        "new_ones",
        "new_full",
        "new_empty",
        "cumsum",
        "argmax",
        "argmin",
        "flip",
        "roll",
        "unflatten",
        "std",
        "var",
        "amax",
        "amin",
        "floor",
        "ceil",
        "round",
        "reciprocal",
        "tanh",
        "sin",
        "cos",
        "exp_",
        "mul_",
        "add_",
        "div_",
        "sub_",
        "clamp_",
        "zero_",
        "fill_",
        "copy_",
        "repeat_interleave",
        "tril",
        "triu",
        "norm",
        "softplus",
        "sign",
        "bmm",
        "mm",
        "t",
    ]
)
INT_METHODS = frozenset({"dim", "numel", "ndimension", "element_size", "nelement", "get_device"})
BOOL_METHODS = frozenset({"is_contiguous", "is_floating_point", "is_complex"})
LIST_METHODS = frozenset({"chunk", "unbind", "split", "tensor_split", "split_with_sizes"})
TENSOR_ATTRIBUTES = {
    "shape": INT_LIST,
    "ndim": INT,
    "T": TENSOR,
    "mT": TENSOR,
    "data": TENSOR,
    "dtype": INT,
    "device": DEVICE,
    "requires_grad": BOOL,
    "is_cuda": BOOL,
}
# functions whose first argument is a List[Tensor]
TENSOR_LIST_FUNCTIONS = frozenset(
    f"torch.{name}"
    for name in ("cat", "concat", "concatenate", "stack", "hstack", "vstack", "dstack")
)
STATIC_CALLS = frozenset(
    {
        "builtins.isinstance",
        "builtins.hasattr",
        "builtins.getattr",
        "builtins.callable",
        "torch.jit.isinstance",
    }
)
ISINSTANCE_CALLS = frozenset({"builtins.isinstance", "torch.jit.isinstance"})
# Their first argument (`input`) is a Tensor, never Optional (measured for a sample).
TENSOR_INPUT_FUNCTIONS = (
    TENSOR_FUNCTIONS
    - TENSOR_LIST_FUNCTIONS
    - frozenset(
        f"torch.{name}"
        for name in (
            "zeros",
            "ones",
            "empty",
            "full",
            "rand",
            "randn",
            "randint",
            "arange",
            "linspace",
            "eye",
            "tensor",
            "as_tensor",
            "einsum",
        )
    )
)
# torch functions whose listed positional arguments (None: all) never accept None (measured).
STRICT_POSITIONS: dict[str, tuple[int, ...] | None] = {
    **dict.fromkeys(
        (
            f"torch.{name}"
            for name in ("matmul", "mm", "bmm", "add", "sub", "mul", "div", "where", "outer")
        ),
        None,
    ),
    "torch.nn.functional.linear": (0, 1),
}
# Tensor methods none of whose positional arguments (nor `dim=`) accepts None (measured:
# `x.argmax(k)`, `x.clamp(max=k)`, `x.to(d)` take an Optional and are not listed).
STRICT_METHODS = frozenset(
    {
        "view",
        "reshape",
        "mean",
        "sum",
        "softmax",
        "log_softmax",
        "permute",
        "transpose",
        "unsqueeze",
        "squeeze",
        "flatten",
        "unflatten",
        "repeat",
        "expand",
        "expand_as",
        "narrow",
        "cumsum",
        "amax",
        "roll",
        "chunk",
        "split",
        "topk",
        "new_zeros",
        "new_ones",
        "select",
        "size",
        "tril",
        "triu",
        "std",
        "add",
        "sub",
        "mul",
        "div",
        "pow",
        "matmul",
        "mm",
        "bmm",
        "type_as",
        "view_as",
        "masked_fill",
        "fill_",
        "mul_",
        "add_",
        "copy_",
        "index_select",
        "gather",
        "eq",
    }
)
# Builtins that reject an Optional argument: "Arguments for call are not valid" (measured);
# `len`, `str`, `print` and `isinstance` accept one.
STRICT_BUILTINS = frozenset(
    f"builtins.{name}"
    for name in ("range", "int", "float", "bool", "abs", "min", "max", "sum", "round")
)
# Builtins that iterate their argument: "'Optional[List[int]]' object is not iterable".
ITERATING_BUILTINS = frozenset(f"builtins.{name}" for name in ("enumerate", "zip", "list"))


_CASTS = {"builtins.int": INT, "builtins.float": FLOAT, "builtins.str": STR, "builtins.bool": BOOL}


def library_call_type(
    context: LintContext, call: cst.Call, names: frozenset[str], receiver: Type | None
) -> Type | None:
    """What ``call`` gives when it calls a builtin (``len``, the casts), a torch function, or a
    method of a Tensor (``receiver`` is the type of ``x`` in ``x.m(...)``); None otherwise.
    ``names`` are the qualified names of the callee."""
    if "builtins.len" in names:
        return INT
    for name, kind in _CASTS.items():
        if name in names:
            return kind
    if names & TENSOR_FUNCTIONS and not any(arg.star for arg in call.args):
        return TENSOR
    if "torch.jit.annotate" in names and len(call.args) == 2:
        return parse_annotation(context, call.args[0].value)
    if receiver == TENSOR and isinstance(call.func, cst.Attribute):
        return tensor_method_type(call.func.attr.value, call)
    return None


def tensor_method_type(method: str, call: cst.Call) -> Type | None:
    """The type ``x.<method>(...)`` gives on a Tensor ``x``, or None."""
    if method == "item":
        return NUMBER if not call.args else None
    if method == "size":
        positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
        if not call.args:
            return INT_LIST
        return INT if len(call.args) == 1 and positional else None
    if method in TENSOR_METHODS:
        return TENSOR
    if method in INT_METHODS:
        return INT
    if method in BOOL_METHODS:
        return BOOL
    if method in LIST_METHODS:
        return list_of(TENSOR)
    return None


def tensor_attribute_type(name: str) -> Type | None:
    """The type of ``x.<name>`` on a Tensor ``x`` (``x.shape`` is ``List[int]``), or None."""
    return TENSOR_ATTRIBUTES.get(name)
