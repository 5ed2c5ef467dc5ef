"""What the type pass knows of torch's Python API: what builtins, torch functions and Tensor
members give, and which arguments never accept ``None``.

The names are a selection (precision first: a call outside it is unknown); the types come
from the generated schema data (:mod:`.schema_data`), so they follow TorchScript's own
operator schemas. The argument tables were measured with torch 2.13.
"""

from __future__ import annotations

import functools

import libcst as cst

from tsinspect.lint.rule import LintContext
from tsinspect.lint.types import schema_data
from tsinspect.lint.types.annotations import parse_annotation
from tsinspect.lint.types.lattice import (
    BOOL,
    COMPLEX,
    DEVICE,
    FLOAT,
    INT,
    INT_LIST,
    NONE,
    NUMBER,
    STR,
    TENSOR,
    Type,
    dict_of,
    list_of,
    optional,
    tuple_of,
)

# torch's tensor factories: the one table the type pass and the rules read.
FACTORY_NAMES = (
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
)
LIKE_FACTORY_NAMES = (
    "zeros_like",
    "ones_like",
    "empty_like",
    "full_like",
    "rand_like",
    "randn_like",
)
FACTORIES = frozenset(f"torch.{name}" for name in (*FACTORY_NAMES, *LIKE_FACTORY_NAMES))
# Factories whose leading positional arguments are the sizes (`torch.zeros(2, 3)`), so a
# float there is a float where TorchScript wants an int (TS222); `full`'s sizes are a list.
SIZE_FACTORIES = frozenset(f"torch.{name}" for name in ("zeros", "ones", "empty", "rand", "randn"))
# Factories the type pass has no use for but that take `requires_grad=` in Python (TS406).
OTHER_FACTORIES = frozenset(f"torch.{name}" for name in ("randperm", "logspace"))
# Tensor methods that make a new tensor (`x.new_zeros(...)`).
FACTORY_METHODS = frozenset({"new_zeros", "new_ones", "new_empty", "new_full"})

TENSOR_FUNCTIONS = (
    FACTORIES
    | frozenset(
        f"torch.{name}"
        for name in [
            "tensor",
            "as_tensor",
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
    )
    | frozenset(
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
)
# The Tensor methods the type pass types: a selection (TorchScript's Tensor has hundreds;
# precision first), each typed by the schema data. Dropped where the data disagreed:
# `bool`, `ndimension` and `nelement`, which TorchScript 2.13's Tensor lacks (TS409).
TYPED_METHODS = frozenset(
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
        "dim",
        "numel",
        "element_size",
        "get_device",
        "is_contiguous",
        "is_floating_point",
        "is_complex",
        "chunk",
        "unbind",
        "split",
        "tensor_split",
        "split_with_sizes",
    ]
)
# The Tensor attributes the type pass types, by the schema data (`shape` is `List[int]`,
# `dtype` an `int`, `device` a `Device`).
TYPED_ATTRIBUTES = frozenset(
    {"shape", "ndim", "T", "mT", "data", "dtype", "device", "requires_grad", "is_cuda"}
)
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
    - frozenset(f"torch.{name}" for name in (*FACTORY_NAMES, "tensor", "as_tensor", "einsum"))
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
    context: LintContext,
    call: cst.Call,
    names: frozenset[str],
    receiver: Type | None,
    first: Type | None,
) -> Type | None:
    """What ``call`` gives when it calls a builtin (``len``, the casts), a torch function, or a
    method of a Tensor (``receiver`` is the type of ``x`` in ``x.m(...)``); None otherwise.
    ``names`` are the qualified names of the callee, ``first`` the type of its first
    positional argument."""
    if "builtins.len" in names:
        return INT
    for name, kind in _CASTS.items():
        if name in names:
            return kind
    functions = names & TENSOR_FUNCTIONS
    if functions:
        return torch_function_type(min(functions), call, first)
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
        # `size() -> int[]`, `size(int dim) -> int`: the overload depends on the arguments
        positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
        if not call.args:
            return INT_LIST
        return INT if len(call.args) == 1 and positional else None
    return _method_type(method) if method in TYPED_METHODS else None


@functools.cache
def _method_type(method: str) -> Type | None:
    return schema_type(schema_data.tensor_method_return_type(method))


def tensor_attribute_type(name: str) -> Type | None:
    """The type of ``x.<name>`` on a Tensor ``x`` (``x.shape`` is ``List[int]``), or None."""
    return _attribute_type(name) if name in TYPED_ATTRIBUTES else None


@functools.cache
def _attribute_type(name: str) -> Type | None:
    return schema_type(schema_data.tensor_attribute_type(name))


def torch_function_type(name: str, call: cst.Call, first: Type | None) -> Type | None:
    """The type ``call`` of the torch function ``name`` gives (``first``: the type of its first
    positional argument), by the schema data: the return type every schema shares; for a
    function overloaded on its input (``torch.floor(2.5)`` is an ``int``, ``torch.where(c)``
    a ``List[Tensor]``), the one shared by the schemas a Tensor input with these arguments
    may match. None when it depends on what the linter does not know."""
    if name not in TENSOR_FUNCTIONS or any(arg.star for arg in call.args):
        return None
    schemas = schema_data.schemas_for(name)
    if not schemas:
        return None
    returns = {schema_type(schema.return_type) for schema in schemas}
    if len(returns) != 1 and first == TENSOR:
        returns = {
            schema_type(schema.return_type)
            for schema in schemas
            if schema.arguments and schema.arguments[0].type.is_tensor and _binds(schema, call)
        }
    return returns.pop() if len(returns) == 1 else None


def _binds(schema: schema_data.OperatorSchema, call: cst.Call) -> bool:
    """``call``'s arguments fit ``schema``'s by count and keyword names."""
    if schema.vararg:
        return True
    positional = [arg for arg in schema.arguments if not arg.kwarg_only]
    given = sum(1 for arg in call.args if arg.keyword is None)
    keywords = {arg.keyword.value for arg in call.args if arg.keyword is not None}
    if given > len(positional) or not keywords <= {arg.name for arg in schema.arguments}:
        return False
    return all(
        index < given or argument.name in keywords or argument.has_default
        for index, argument in enumerate(schema.arguments)
        if not (argument.kwarg_only and argument.has_default)
    )


_SCHEMA_BASES = {
    "Tensor": TENSOR,
    "int": INT,
    "SymInt": INT,
    "ScalarType": INT,
    "Layout": INT,
    "MemoryFormat": INT,
    "float": FLOAT,
    "SymFloat": FLOAT,
    "bool": BOOL,
    "SymBool": BOOL,
    "str": STR,
    "complex": COMPLEX,
    "Device": DEVICE,
    "Scalar": NUMBER,
    "NoneType": NONE,
}


def schema_type(kind: schema_data.SchemaType | None) -> Type | None:
    """A schema's type (``int[]``, ``Tensor(a)``, ``Scalar``) as a :class:`Type`; None for
    what the lattice does not model (type variables, ``Any``, futures...)."""
    if kind is None:
        return None
    if kind.kind in ("List", "Optional", "Tuple", "Dict"):
        args = [schema_type(arg) for arg in kind.args]
        known = [arg for arg in args if arg is not None]
        if len(known) != len(args):
            return None
        if kind.kind == "List" and len(known) == 1:
            return list_of(known[0])
        if kind.kind == "Optional" and len(known) == 1:
            return optional(known[0])
        if kind.kind == "Dict" and len(known) == 2:
            return dict_of(known[0], known[1])
        return tuple_of(*known) if kind.kind == "Tuple" else None
    return _SCHEMA_BASES.get(kind.kind)
