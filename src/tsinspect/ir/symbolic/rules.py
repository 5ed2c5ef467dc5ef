"""Shape rules per op kind: argument values in, output value out (None: no answer).

The formulas follow torch's own shape functions
(``pytorch@v2.13.0:torch/jit/_shape_functions.py``: ``conv_output_size``,
``pooling_output_shape``, ``broadcast``, ``linear``, ``matmul``, ``flatten``,
``view``, ``cat``...), written over sympy dims. Where torch asserts that two
sizes agree (a convolution's channels and its weight, a linear layer's
features), a rule adds a :class:`Constraint` instead, so the solver can find
the input dims that satisfy every one of them. Argument positions are those
of the aten schemas (``aten::conv2d(input, weight, bias, stride, padding,
dilation, groups)``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import sympy

from tsinspect.ir.symbolic.constraints import Constraint
from tsinspect.ir.symbolic.values import UNKNOWN, SymTensor, as_expr
from tsinspect.ir.walk import OpRecord

Rule = Callable[["OpContext", list[Any]], Any]

_INT64_MAX = 2**63 - 1


@dataclass
class OpContext:
    """The op being read and the list its constraints go to."""

    op: OpRecord
    constraints: list[Constraint]
    names: list[str | None]
    known: dict[sympy.Symbol, sympy.Integer] = field(default_factory=dict)

    def name(self, position: int) -> str:
        """The attribute path of argument ``position`` (``fc1.weight``), or ``weight``."""
        found = self.names[position] if position < len(self.names) else None
        return found or "weight"

    def where(self, detail: str = "") -> str:
        scope = f"{self.op.scope}: " if self.op.scope else ""
        return f"{scope}{self.op.kind}{(' ' + detail) if detail else ''}"

    def equal(self, found: sympy.Expr, expected: sympy.Expr, detail: str = "") -> bool:
        """Require ``found == expected``; False when that is impossible (two different numbers)."""
        if found.is_Integer and expected.is_Integer:
            return bool(found == expected)
        difference = sympy.expand(found - expected)
        if difference == 0:
            return True
        if difference.is_Number:
            return False
        self.constraints.append(Constraint("equal", found, expected, self.where(detail)))
        symbols = difference.free_symbols
        if len(symbols) == 1 and isinstance(found, sympy.Symbol) and expected.is_Integer:
            # ``C == 3``: known from here on, so later ops see numbers, not symbols
            self.known[found] = expected
        return True

    def at_least(self, found: sympy.Expr, bound: int, detail: str = "") -> None:
        """Require ``found >= bound`` (an output dim that must not vanish)."""
        if found.is_Number or (isinstance(found, sympy.Symbol) and bound <= 1):
            return  # dims are positive: ``H >= 1`` says nothing
        self.constraints.append(
            Constraint("at_least", found, sympy.Integer(bound), self.where(detail))
        )


class Contradiction(ValueError):
    """Arguments torch rejects whatever sizes the input dims take (a ``cat`` of a 2-d and a
    3-d tensor): the op would raise, which is not the same as a shape the pass cannot tell.
    A probe for an input's rank (``inputs``) rejects the ranks that lead to one."""


def _tensor(value: Any) -> SymTensor:
    if not isinstance(value, SymTensor):
        raise TypeError("not a known tensor")
    return value


def _int(value: Any) -> sympy.Expr:
    expr = as_expr(value)
    if expr is None:
        raise TypeError("not an int")
    return expr


def _ints(value: Any, count: int | None = None) -> list[sympy.Expr]:
    items = [_int(item) for item in value] if isinstance(value, (list, tuple)) else [_int(value)]
    if count is not None and len(items) == 1 and count > 1:
        items = items * count
    if count is not None and len(items) != count:
        raise ValueError("wrong length")
    return items


def _dim_index(dim: Any, rank: int) -> int:
    index = int(_int(dim))
    if index < 0:
        index += rank
    if not 0 <= index < max(rank, 1):
        raise IndexError("dim out of range")
    return index


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError("not a known bool")
    return value


def _weight_text(name: str, weight: SymTensor) -> str:
    return f"{name} {weight.text()}"


# --------------------------------------------------------------------------- shape-preserving


def same_as_first(context: OpContext, args: list[Any]) -> Any:
    """Elementwise ops of one tensor (relu, dropout, softmax, to, contiguous...)."""
    return _tensor(args[0])


def _channels(context: OpContext, x: SymTensor, args: list[Any], positions: Sequence[int]) -> None:
    """Dim 1 is the channels: as many as the per-channel tensor at the first of ``positions``
    that is one (the affine weight; without it the running statistics)."""
    for position in positions:
        per_channel = args[position] if position < len(args) else None
        if isinstance(per_channel, SymTensor) and per_channel.rank == 1 and x.rank >= 2:
            where = f"{_weight_text(context.name(position), per_channel)}: channels"
            if not context.equal(x.dims[1], per_channel.dims[0], where):
                raise Contradiction("channels do not match")
            return


def batch_norm(context: OpContext, args: list[Any]) -> Any:
    """aten::batch_norm / aten::instance_norm(input, weight, bias, running_mean, running_var, ...)."""
    x = _tensor(args[0])
    _channels(context, x, args, (1, 3))
    return x


def layer_norm(context: OpContext, args: list[Any]) -> Any:
    x = _tensor(args[0])
    normalized = _ints(args[1])
    if len(normalized) > x.rank:
        return None
    for found, expected in zip(x.dims[x.rank - len(normalized) :], normalized, strict=True):
        context.equal(found, expected, f"normalized_shape {[int(n) for n in normalized]}")
    return x


def group_norm(context: OpContext, args: list[Any]) -> Any:
    """aten::group_norm(input, num_groups, weight, bias, eps, cudnn_enabled)."""
    x = _tensor(args[0])
    _channels(context, x, args, (2,))
    return x


# --------------------------------------------------------------------------- broadcasting


def _broadcast(context: OpContext, shapes: Sequence[SymTensor]) -> SymTensor:
    rank = max(shape.rank for shape in shapes)
    dims: list[sympy.Expr] = []
    for axis in range(rank):
        present = [
            shape.dims[axis - (rank - shape.rank)]
            for shape in shapes
            if axis - (rank - shape.rank) >= 0
        ]
        not_one = [dim for dim in present if dim != 1]
        if not not_one:
            dims.append(sympy.Integer(1))
            continue
        first = not_one[0]
        for other in not_one[1:]:
            if not context.equal(first, other, "broadcast"):
                raise ValueError("shapes do not broadcast")
        # a number beats a symbol: it is what the symbol must be
        dims.append(next((dim for dim in not_one if dim.is_Integer), first))
    return SymTensor(tuple(dims))


def _as_operand(value: Any) -> SymTensor | None:
    if isinstance(value, SymTensor):
        return value
    if isinstance(value, (bool, float)) or as_expr(value) is not None:
        return SymTensor(())  # a scalar broadcasts as a 0-dim tensor
    return None


def binary(context: OpContext, args: list[Any]) -> Any:
    """add/sub/mul/div/comparisons on tensors; on ints, int arithmetic."""
    kind = context.op.kind
    a = as_expr(args[0]) if args else None
    b = as_expr(args[1]) if len(args) > 1 else None
    if a is not None and b is not None:
        return _int_arithmetic(kind, a, b)
    operands = [_as_operand(arg) for arg in args[:2]]
    if kind == "aten::where":
        operands = [_as_operand(arg) for arg in args[:3]]
    if any(operand is None for operand in operands):
        return None
    if not any(isinstance(arg, SymTensor) for arg in args[: len(operands)]):
        return None
    return _broadcast(context, [operand for operand in operands if operand is not None])


def _int_arithmetic(kind: str, a: sympy.Expr, b: sympy.Expr) -> Any:
    name = kind.removeprefix("aten::").rstrip("_")
    if name == "add":
        return a + b
    if name == "sub":
        return a - b
    if name == "mul":
        return a * b
    if name == "floordiv" or name == "floor_divide":
        return sympy.floor(a / b)
    if name == "remainder":
        return sympy.Mod(a, b)
    if name in ("eq", "ne", "lt", "gt", "le", "ge"):
        if not (a - b).is_Number:
            return UNKNOWN
        difference = int(a - b)
        return {
            "eq": difference == 0,
            "ne": difference != 0,
            "lt": difference < 0,
            "gt": difference > 0,
            "le": difference <= 0,
            "ge": difference >= 0,
        }[name]
    return None  # true division gives a float: not a size


# --------------------------------------------------------------------------- layers with weights


@lru_cache(maxsize=4096)
def _conv_out(
    size: sympy.Expr,
    kernel: sympy.Expr,
    stride: sympy.Expr,
    padding: sympy.Expr,
    dilation: sympy.Expr,
) -> sympy.Expr:
    return _floor_div(size + 2 * padding - dilation * (kernel - 1) - 1, stride) + 1


def _floor_div(numerator: sympy.Expr, divisor: sympy.Expr) -> sympy.Expr:
    """``numerator // divisor``, with ``(x//a + c)//b`` folded into ``(x + a*c)//(a*b)``.

    True for integers and positive a, b: it keeps a chain of strided layers readable
    (``(H - 1)//4 + 1`` rather than ``((H - 1)//2)//2 + 1``).
    """
    if divisor.is_Integer and int(divisor) > 0:
        constant, rest = numerator.as_coeff_Add()
        if isinstance(rest, sympy.floor) and constant.is_Integer:
            inner = rest.args[0]
            return sympy.floor((inner + constant) / divisor)
    return sympy.floor(numerator / divisor)


def _convolution(
    context: OpContext,
    x: SymTensor,
    weight: SymTensor,
    stride: Any,
    padding: Any,
    dilation: Any,
    groups: Any,
    transposed: bool = False,
    output_padding: Any = 0,
) -> SymTensor:
    spatial = weight.rank - 2
    if x.rank not in (spatial + 1, spatial + 2):
        # pytorch@v2.13.0:aten/src/ATen/native/Convolution.cpp: "Expected 3D (unbatched) or
        # 4D (batched) input to conv2d"
        raise Contradiction("wrong rank")
    if x.rank != spatial + 2:
        raise ValueError("unbatched")
    groups_n = _int(groups)
    where = _weight_text(context.name(1), weight)
    if transposed:
        context.equal(x.dims[1], weight.dims[0], f"{where}: channels")
        channels = weight.dims[1] * groups_n
    else:
        context.equal(x.dims[1], weight.dims[1] * groups_n, f"{where}: channels")
        channels = weight.dims[0]
    strides = _ints(stride, spatial)
    dilations = _ints(dilation, spatial)
    if isinstance(padding, str):
        if padding == "valid":
            pads = [sympy.Integer(0)] * spatial
        elif padding == "same":
            return SymTensor((x.dims[0], channels, *x.dims[2:]))
        else:
            raise ValueError("padding")
    else:
        pads = _ints(padding, spatial)
    dims: list[sympy.Expr] = [x.dims[0], channels]
    if transposed:
        extra = _ints(output_padding, spatial)
        for axis in range(spatial):
            size = x.dims[2 + axis]
            out = (
                (size - 1) * strides[axis]
                - 2 * pads[axis]
                + dilations[axis] * (weight.dims[2 + axis] - 1)
                + extra[axis]
                + 1
            )
            dims.append(sympy.expand(out))
    else:
        for axis in range(spatial):
            out = _conv_out(
                x.dims[2 + axis], weight.dims[2 + axis], strides[axis], pads[axis], dilations[axis]
            )
            context.at_least(out, 1, f"{where}: output size")
            dims.append(out)
    return SymTensor(tuple(dims))


def conv(context: OpContext, args: list[Any]) -> Any:
    """aten::conv1d/2d/3d(input, weight, bias, stride, padding, dilation, groups)."""
    return _convolution(
        context, _tensor(args[0]), _tensor(args[1]), args[3], args[4], args[5], args[6]
    )


def conv_transpose(context: OpContext, args: list[Any]) -> Any:
    """aten::conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups, dilation)."""
    return _convolution(
        context,
        _tensor(args[0]),
        _tensor(args[1]),
        args[3],
        args[4],
        args[7],
        args[6],
        True,
        args[5],
    )


def convolution(context: OpContext, args: list[Any]) -> Any:
    """aten::_convolution / aten::convolution (traced): (input, weight, bias, stride, padding,
    dilation, transposed, output_padding, groups, ...)."""
    return _convolution(
        context,
        _tensor(args[0]),
        _tensor(args[1]),
        args[3],
        args[4],
        args[5],
        args[8],
        _bool(args[6]),
        args[7],
    )


def linear(context: OpContext, args: list[Any]) -> Any:
    x, weight = _tensor(args[0]), _tensor(args[1])
    if weight.rank != 2 or x.rank < 1:
        return None
    if not context.equal(
        x.dims[-1], weight.dims[1], f"{_weight_text(context.name(1), weight)}: in_features"
    ):
        raise ValueError("features do not match")
    return SymTensor((*x.dims[:-1], weight.dims[0]))


def embedding(context: OpContext, args: list[Any]) -> Any:
    """aten::embedding(weight, indices, ...)."""
    weight, indices = _tensor(args[0]), _tensor(args[1])
    return SymTensor((*indices.dims, weight.dims[1]))


def _matmul(context: OpContext, a: SymTensor, b: SymTensor) -> SymTensor:
    if a.rank == 0 or b.rank == 0:
        raise ValueError("scalar")
    a_dims = list(a.dims) if a.rank > 1 else [sympy.Integer(1), a.dims[0]]
    b_dims = list(b.dims) if b.rank > 1 else [b.dims[0], sympy.Integer(1)]
    if not context.equal(a_dims[-1], b_dims[-2], "inner dims"):
        raise ValueError("inner dims differ")
    batch = _broadcast(context, [SymTensor(tuple(a_dims[:-2])), SymTensor(tuple(b_dims[:-2]))]).dims
    dims = [*batch]
    if a.rank > 1:
        dims.append(a_dims[-2])
    if b.rank > 1:
        dims.append(b_dims[-1])
    return SymTensor(tuple(dims))


def matmul(context: OpContext, args: list[Any]) -> Any:
    return _matmul(context, _tensor(args[0]), _tensor(args[1]))


def mm(context: OpContext, args: list[Any]) -> Any:
    a, b = _tensor(args[0]), _tensor(args[1])
    if a.rank != 2 or b.rank != 2:
        return None
    return _matmul(context, a, b)


def addmm(context: OpContext, args: list[Any]) -> Any:
    return mm(context, args[1:3])


# --------------------------------------------------------------------------- pooling


def pool(context: OpContext, args: list[Any]) -> Any:
    """aten::max_poolNd(input, kernel, stride, padding, dilation, ceil_mode) and
    aten::avg_poolNd(input, kernel, stride, padding, ceil_mode, ...)."""
    x = _tensor(args[0])
    spatial = int(context.op.kind[-2])
    is_max = "max_pool" in context.op.kind
    kernels = _ints(args[1], spatial)
    strides = _ints(args[2], spatial) if args[2] != [] else kernels
    pads = _ints(args[3], spatial)
    dilations = _ints(args[4], spatial) if is_max else [sympy.Integer(1)] * spatial
    ceil_mode = _bool(args[5] if is_max else args[4])
    if x.rank not in (spatial + 1, spatial + 2):
        return None
    lead = x.rank - spatial
    dims = list(x.dims[:lead])
    for axis in range(spatial):
        size = x.dims[lead + axis]
        if ceil_mode:
            if not size.is_Integer:
                return None  # torch drops a last window that starts in the padding: needs numbers
            top = (
                int(size)
                + 2 * int(pads[axis])
                - int(dilations[axis]) * (int(kernels[axis]) - 1)
                - 1
            )
            out = -(-top // int(strides[axis])) + 1
            if (out - 1) * int(strides[axis]) >= int(size) + int(pads[axis]):
                out -= 1
            dims.append(sympy.Integer(out))
            continue
        out = _conv_out(size, kernels[axis], strides[axis], pads[axis], dilations[axis])
        context.at_least(out, 1, f"kernel {[int(k) for k in kernels]}: output size")
        dims.append(out)
    return SymTensor(tuple(dims))


def adaptive_pool(context: OpContext, args: list[Any]) -> Any:
    x = _tensor(args[0])
    spatial = int(context.op.kind.rstrip("d")[-1])
    sizes = args[1] if isinstance(args[1], (list, tuple)) else [args[1]] * spatial
    out_sizes = [
        x.dims[x.rank - spatial + axis] if size is None else _int(size)
        for axis, size in enumerate(sizes)
    ]
    result = SymTensor((*x.dims[: x.rank - spatial], *out_sizes))
    if "max_pool" in context.op.kind:
        return (result, result)  # values and indices
    return result


# --------------------------------------------------------------------------- reshaping


def flatten(context: OpContext, args: list[Any]) -> Any:
    x = _tensor(args[0])
    if x.rank == 0:
        return SymTensor((sympy.Integer(1),))
    start, end = _dim_index(args[1], x.rank), _dim_index(args[2], x.rank)
    merged: sympy.Expr = sympy.Integer(1)
    for dim in x.dims[start : end + 1]:
        merged = merged * dim
    return SymTensor(
        (*x.dims[:start], sympy.expand(merged) if merged.is_Integer else merged, *x.dims[end + 1 :])
    )


def view(context: OpContext, args: list[Any]) -> Any:
    """view/reshape(input, size) with at most one -1."""
    x = _tensor(args[0])
    sizes = _ints(args[1])
    known: sympy.Expr = sympy.Integer(1)
    missing = None
    for position, size in enumerate(sizes):
        if size == -1:
            if missing is not None:
                return None
            missing = position
        else:
            known = known * size
    total = x.numel()
    if missing is None:
        context.equal(total, known, "numel")
        return SymTensor(tuple(sizes))
    inferred = sympy.simplify(total / known)
    if not (inferred.is_integer or inferred.is_Integer):
        # e.g. 64*(H//4)**2/3136: an integer only for some H; keep the quotient as written
        inferred = sympy.cancel(total / known)
    dims = list(sizes)
    dims[missing] = inferred
    return SymTensor(tuple(dims))


def view_as(context: OpContext, args: list[Any]) -> Any:
    return _tensor(args[1])


def permute(context: OpContext, args: list[Any]) -> Any:
    x = _tensor(args[0])
    order = [_dim_index(dim, x.rank) for dim in _ints(args[1])]
    return SymTensor(tuple(x.dims[axis] for axis in order))


def transpose(context: OpContext, args: list[Any]) -> Any:
    x = _tensor(args[0])
    a, b = _dim_index(args[1], x.rank), _dim_index(args[2], x.rank)
    dims = list(x.dims)
    dims[a], dims[b] = dims[b], dims[a]
    return SymTensor(tuple(dims))


def t(context: OpContext, args: list[Any]) -> Any:
    x = _tensor(args[0])
    return SymTensor(tuple(reversed(x.dims))) if x.rank == 2 else x


def unsqueeze(context: OpContext, args: list[Any]) -> Any:
    x = _tensor(args[0])
    axis = _dim_index(args[1], x.rank + 1)
    return SymTensor((*x.dims[:axis], sympy.Integer(1), *x.dims[axis:]))


def squeeze(context: OpContext, args: list[Any]) -> Any:
    x = _tensor(args[0])
    if len(args) < 2:
        if any(not dim.is_Integer for dim in x.dims):
            return None  # a symbolic dim might be 1
        return SymTensor(tuple(dim for dim in x.dims if dim != 1))
    axes = {_dim_index(dim, x.rank) for dim in _ints(args[1])}
    dims = []
    for axis, dim in enumerate(x.dims):
        if axis in axes and dim == 1:
            continue
        if axis in axes and not dim.is_Integer:
            return None
        dims.append(dim)
    return SymTensor(tuple(dims))


def cat(context: OpContext, args: list[Any]) -> Any:
    parts = [_tensor(part) for part in args[0]]
    parts = [
        part for part in parts if not (part.rank == 1 and part.dims[0] == 0)
    ]  # torch skips empty
    if not parts:
        return None
    rank = parts[0].rank
    axis = _dim_index(args[1], rank)
    total: sympy.Expr = sympy.Integer(0)
    for part in parts:
        if part.rank != rank:
            raise Contradiction("torch.cat: tensors of different ranks")
        for other_axis in range(rank):
            if other_axis != axis:
                context.equal(part.dims[other_axis], parts[0].dims[other_axis], "cat")
        total = total + part.dims[axis]
    dims = list(parts[0].dims)
    dims[axis] = total
    return SymTensor(tuple(dims))


def stack(context: OpContext, args: list[Any]) -> Any:
    parts = [_tensor(part) for part in args[0]]
    rank = parts[0].rank
    axis = _dim_index(args[1], rank + 1)
    for part in parts[1:]:
        if part.rank != rank:
            raise Contradiction("torch.stack: tensors of different ranks")
        for a, b in zip(part.dims, parts[0].dims, strict=True):
            context.equal(a, b, "stack")
    return SymTensor((*parts[0].dims[:axis], sympy.Integer(len(parts)), *parts[0].dims[axis:]))


def select(context: OpContext, args: list[Any]) -> Any:
    x = _tensor(args[0])
    axis = _dim_index(args[1], x.rank)
    index = as_expr(args[2])
    if index is not None and index.is_Integer and int(index) >= 0:
        # ``x[1]`` needs at least 2 rows: the smallest batch a traced loop over it accepts
        context.at_least(x.dims[axis], int(index) + 1, f"index {int(index)}")
    return SymTensor((*x.dims[:axis], *x.dims[axis + 1 :]))


def slice_(context: OpContext, args: list[Any]) -> Any:
    """aten::slice(input, dim, start, end, step)."""
    x = _tensor(args[0])
    axis = _dim_index(args[1], x.rank)
    size = x.dims[axis]
    start = sympy.Integer(0) if args[2] is None else _int(args[2])
    end = None if args[3] is None else _int(args[3])
    step = _int(args[4])
    if end is not None and end.is_Integer and int(end) >= _INT64_MAX:
        end = None
    if start == 0 and end is None and step == 1:
        return x
    if not size.is_Integer or not start.is_Integer or (end is not None and not end.is_Integer):
        return None
    length = len(range(int(size))[slice(int(start), None if end is None else int(end), int(step))])
    dims = list(x.dims)
    dims[axis] = sympy.Integer(length)
    return SymTensor(tuple(dims))


def reduce_dims(context: OpContext, args: list[Any]) -> Any:
    """mean/sum/amax(input, dims, keepdim, ...); without dims, a 0-dim tensor."""
    x = _tensor(args[0])
    if len(args) < 3 or args[1] is None or not isinstance(args[1], (list, tuple)):
        if (
            len(args) >= 2
            and as_expr(args[1]) is not None
            and len(args) >= 3
            and isinstance(args[2], bool)
        ):
            axes = {_dim_index(args[1], x.rank)}
            keep = args[2]
        else:
            return SymTensor(())
    else:
        axes = {_dim_index(dim, x.rank) for dim in args[1]} if args[1] else set(range(x.rank))
        keep = _bool(args[2])
    dims = [
        sympy.Integer(1) if axis in axes else dim
        for axis, dim in enumerate(x.dims)
        if keep or axis not in axes
    ]
    return SymTensor(tuple(dims))


def expand(context: OpContext, args: list[Any]) -> Any:
    x = _tensor(args[0])
    sizes = _ints(args[1])
    offset = len(sizes) - x.rank
    dims = [x.dims[axis - offset] if size == -1 else size for axis, size in enumerate(sizes)]
    return SymTensor(tuple(dims))


def expand_as(context: OpContext, args: list[Any]) -> Any:
    return _tensor(args[1])


# --------------------------------------------------------------------------- sizes and containers


def size(context: OpContext, args: list[Any]) -> Any:
    x = _tensor(args[0])
    if len(args) > 1:
        return x.dims[_dim_index(args[1], x.rank)]
    return list(x.dims)


def dim(context: OpContext, args: list[Any]) -> Any:
    return sympy.Integer(_tensor(args[0]).rank)


def numel(context: OpContext, args: list[Any]) -> Any:
    return _tensor(args[0]).numel()


def num_to_tensor(context: OpContext, args: list[Any]) -> Any:
    return SymTensor(()) if as_expr(args[0]) is not None or isinstance(args[0], float) else None


def to_int(context: OpContext, args: list[Any]) -> Any:
    return None  # aten::Int(Tensor): the value, not the shape, of a tensor


def list_construct(context: OpContext, args: list[Any]) -> Any:
    return list(args)


def tuple_construct(context: OpContext, args: list[Any]) -> Any:
    return tuple(args)


def dict_construct(context: OpContext, args: list[Any]) -> Any:
    keys, items = args[0::2], args[1::2]
    if not all(isinstance(key, str) for key in keys):
        return None
    return dict(zip(keys, items, strict=True))


def unpack(context: OpContext, args: list[Any]) -> Any:
    value = args[0]
    if not isinstance(value, (list, tuple)) or len(value) != len(context.op.outputs):
        return None
    return tuple(value)


def getitem(context: OpContext, args: list[Any]) -> Any:
    container, key = args[0], args[1]
    if isinstance(container, dict) and isinstance(key, str):
        return _value(container.get(key, UNKNOWN))
    if isinstance(container, (list, tuple)):
        return _value(container[int(_int(key))])
    return None


def tuple_index(context: OpContext, args: list[Any]) -> Any:
    return getitem(context, args)


def length(context: OpContext, args: list[Any]) -> Any:
    if isinstance(args[0], (list, tuple, dict)):
        return sympy.Integer(len(args[0]))
    return None


def is_none(context: OpContext, args: list[Any]) -> Any:
    if args[0] is UNKNOWN or args[1] is UNKNOWN:
        return None
    same = args[0] is None and args[1] is None
    if args[1] is None and args[0] is not None:
        same = False
    return same if context.op.kind == "aten::__is__" else not same


class _NoneValue:
    """A rule's answer "the value None" (a bare None means "no answer")."""


#: Returned by a rule whose result is the value None; propagate stores None.
NONE_VALUE = _NoneValue()


def _value(value: Any) -> Any:
    return NONE_VALUE if value is None else value


def passthrough(context: OpContext, args: list[Any]) -> Any:
    return _value(args[0])


def boolean_not(context: OpContext, args: list[Any]) -> Any:
    return (not args[0]) if isinstance(args[0], bool) else None


def chunk(context: OpContext, args: list[Any]) -> Any:
    x = _tensor(args[0])
    count = int(_int(args[1]))
    axis = _dim_index(args[2], x.rank)
    size_at = x.dims[axis]
    if not size_at.is_Integer:
        return None
    piece = -(-int(size_at) // count)
    sizes = [
        min(piece, int(size_at) - piece * index)
        for index in range(count)
        if int(size_at) - piece * index > 0
    ]
    return [SymTensor((*x.dims[:axis], sympy.Integer(s), *x.dims[axis + 1 :])) for s in sizes]


def native_attention(context: OpContext, args: list[Any]) -> Any:
    """aten::_native_multi_head_attention(query, key, value, ...): (output like query, weights)."""
    return (_tensor(args[0]), UNKNOWN)


def scaled_dot_product_attention(context: OpContext, args: list[Any]) -> Any:
    query, value = _tensor(args[0]), _tensor(args[2])
    return SymTensor((*query.dims[:-1], value.dims[-1]))


def baddbmm(context: OpContext, args: list[Any]) -> Any:
    """aten::baddbmm(input, batch1, batch2, ...): batch1 @ batch2 broadcast with input."""
    product = _matmul(context, _tensor(args[1]), _tensor(args[2]))
    return _broadcast(context, [_tensor(args[0]), product])


def unflatten(context: OpContext, args: list[Any]) -> Any:
    x = _tensor(args[0])
    axis = _dim_index(args[1], x.rank)
    sizes = _ints(args[2])
    if any(size == -1 for size in sizes):
        known: sympy.Expr = sympy.Integer(1)
        for size in sizes:
            if size != -1:
                known = known * size
        sizes = [sympy.cancel(x.dims[axis] / known) if size == -1 else size for size in sizes]
    return SymTensor((*x.dims[:axis], *sizes, *x.dims[axis + 1 :]))


def split(context: OpContext, args: list[Any]) -> Any:
    """aten::split(input, split_size, dim) on a concrete dim: a list of pieces."""
    x = _tensor(args[0])
    axis = _dim_index(args[2], x.rank)
    total = x.dims[axis]
    piece = as_expr(args[1])
    if piece is None or not total.is_Integer or not piece.is_Integer or int(piece) <= 0:
        return None
    sizes = [min(int(piece), int(total) - start) for start in range(0, int(total), int(piece))]
    return [SymTensor((*x.dims[:axis], sympy.Integer(n), *x.dims[axis + 1 :])) for n in sizes]


def factory(context: OpContext, args: list[Any]) -> Any:
    """aten::zeros/ones/empty/full(size, ...): a tensor of the given size."""
    return SymTensor(tuple(_ints(args[0])))


def to_padded_tensor(context: OpContext, args: list[Any]) -> Any:
    """aten::to_padded_tensor(nested, padding, output_size): the size asked for, when given."""
    if len(args) < 3 or not isinstance(args[2], (list, tuple)):
        return None
    return SymTensor(tuple(_ints(args[2])))


def repeat(context: OpContext, args: list[Any]) -> Any:
    x = _tensor(args[0])
    counts = _ints(args[1])
    dims = [sympy.Integer(1)] * (len(counts) - x.rank) + list(x.dims)
    return SymTensor(tuple(dim * count for dim, count in zip(dims, counts, strict=True)))


def pad(context: OpContext, args: list[Any]) -> Any:
    """aten::pad(input, pad, ...): pairs from the last dim backwards."""
    x = _tensor(args[0])
    amounts = _ints(args[1])
    dims = list(x.dims)
    for pair in range(len(amounts) // 2):
        axis = x.rank - 1 - pair
        dims[axis] = dims[axis] + amounts[2 * pair] + amounts[2 * pair + 1]
    return SymTensor(tuple(dims))


_SAME = (
    "relu",
    "relu_",
    "relu6",
    "sigmoid",
    "sigmoid_",
    "tanh",
    "tanh_",
    "gelu",
    "silu",
    "silu_",
    "hardtanh",
    "hardtanh_",
    "leaky_relu",
    "leaky_relu_",
    "elu",
    "elu_",
    "hardswish",
    "hardswish_",
    "hardsigmoid",
    "hardsigmoid_",
    "mish",
    "softplus",
    "dropout",
    "dropout_",
    "feature_dropout",
    "alpha_dropout",
    "softmax",
    "log_softmax",
    "contiguous",
    "clone",
    "detach",
    "to",
    "type_as",
    "float",
    "half",
    "double",
    "neg",
    "exp",
    "log",
    "sqrt",
    "rsqrt",
    "abs",
    "clamp",
    "clamp_",
    "clamp_min",
    "clamp_max",
    "sign",
    "sin",
    "cos",
    "reciprocal",
    "masked_fill",
    "masked_fill_",
    "erf",
    "floor",
    "ceil",
    "round",
    "cumsum",
    "logical_not",
    "bitwise_not",
    "zero_",
    "fill_",
    "local_response_norm",
    "normalize",
    "copy_",
)
_BINARY = (
    "add",
    "add_",
    "sub",
    "sub_",
    "mul",
    "mul_",
    "div",
    "div_",
    "pow",
    "eq",
    "ne",
    "lt",
    "gt",
    "le",
    "ge",
    "maximum",
    "minimum",
    "where",
    "floordiv",
    "floor_divide",
    "remainder",
    "logical_and",
    "logical_or",
    "bitwise_and",
    "bitwise_or",
    "rsub",
    "atan2",
    "__and__",
    "__or__",
)

RULES: dict[str, Rule] = {
    **{f"aten::{name}": same_as_first for name in _SAME},
    **{f"aten::{name}": binary for name in _BINARY},
    "aten::batch_norm": batch_norm,
    "aten::instance_norm": batch_norm,
    "aten::layer_norm": layer_norm,
    "aten::group_norm": group_norm,
    "aten::conv1d": conv,
    "aten::conv2d": conv,
    "aten::conv3d": conv,
    "aten::conv_transpose1d": conv_transpose,
    "aten::conv_transpose2d": conv_transpose,
    "aten::conv_transpose3d": conv_transpose,
    "aten::_convolution": convolution,
    "aten::convolution": convolution,
    "aten::linear": linear,
    "aten::embedding": embedding,
    "aten::matmul": matmul,
    "aten::mm": mm,
    "aten::bmm": matmul,
    "aten::addmm": addmm,
    "aten::max_pool1d": pool,
    "aten::max_pool2d": pool,
    "aten::max_pool3d": pool,
    "aten::avg_pool1d": pool,
    "aten::avg_pool2d": pool,
    "aten::avg_pool3d": pool,
    "aten::adaptive_avg_pool1d": adaptive_pool,
    "aten::adaptive_avg_pool2d": adaptive_pool,
    "aten::adaptive_avg_pool3d": adaptive_pool,
    "aten::adaptive_max_pool1d": adaptive_pool,
    "aten::adaptive_max_pool2d": adaptive_pool,
    "aten::adaptive_max_pool3d": adaptive_pool,
    "aten::flatten": flatten,
    "aten::view": view,
    "aten::reshape": view,
    "aten::view_as": view_as,
    "aten::reshape_as": view_as,
    "aten::permute": permute,
    "aten::transpose": transpose,
    "aten::t": t,
    "aten::unsqueeze": unsqueeze,
    "aten::squeeze": squeeze,
    "aten::cat": cat,
    "aten::concat": cat,
    "aten::stack": stack,
    "aten::select": select,
    "aten::slice": slice_,
    "aten::mean": reduce_dims,
    "aten::sum": reduce_dims,
    "aten::amax": reduce_dims,
    "aten::amin": reduce_dims,
    "aten::expand": expand,
    "aten::expand_as": expand_as,
    "aten::chunk": chunk,
    "aten::_native_multi_head_attention": native_attention,
    "aten::scaled_dot_product_attention": scaled_dot_product_attention,
    "aten::baddbmm": baddbmm,
    "aten::unflatten": unflatten,
    "aten::split": split,
    "aten::zeros": factory,
    "aten::ones": factory,
    "aten::empty": factory,
    "aten::full": factory,
    "aten::repeat": repeat,
    "aten::to_padded_tensor": to_padded_tensor,
    "aten::pad": pad,
    "aten::size": size,
    "aten::dim": dim,
    "aten::numel": numel,
    "aten::len": length,
    "prim::NumToTensor": num_to_tensor,
    "aten::Int": to_int,
    "prim::ListConstruct": list_construct,
    "prim::TupleConstruct": tuple_construct,
    "prim::DictConstruct": dict_construct,
    "prim::ListUnpack": unpack,
    "prim::TupleUnpack": unpack,
    "prim::TupleIndex": tuple_index,
    "aten::__getitem__": getitem,
    "aten::__is__": is_none,
    "aten::__isnot__": is_none,
    "aten::__not__": boolean_not,
    "prim::unchecked_cast": passthrough,
    "aten::floordiv": binary,
}


__all__ = ["NONE_VALUE", "RULES", "Contradiction", "OpContext", "Rule"]
