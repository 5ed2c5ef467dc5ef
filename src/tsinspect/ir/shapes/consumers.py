"""Finding the first op that consumes each input, and the dict keys forward reads.

These readers follow values through the inlined forward as the IR walk
records it (``ir.walk``): each record's inputs give every value's uses, in the
order the ops run, and its producer gives where a weight or a constant comes
from. A module's walk is made once and kept as long as the module: config
reads it for every input (dict keys, first consumer, fixed leading dim) and the
symbolic solver reads the same walk. (These readers used to inline forward with
torch's own pass first, which cost a ResNet-50 about as much again as the walk.)

torch is imported only inside functions.
"""

from __future__ import annotations

import ast
import contextlib
import re
import weakref
from dataclasses import dataclass
from typing import Any

from tsinspect.ir.shapes.failures import is_library_file
from tsinspect.ir.walk import GraphWalk, OpRecord, tensor_constant, walk_module

# aten op -> (position of the consumed input, position of the weight, role of the input)
_CONSUMERS: dict[str, tuple[int, int, str]] = {
    "aten::conv1d": (0, 1, "conv"),
    "aten::conv2d": (0, 1, "conv"),
    "aten::conv3d": (0, 1, "conv"),
    "aten::_convolution": (0, 1, "conv"),
    "aten::conv_transpose1d": (0, 1, "conv_transpose"),
    "aten::conv_transpose2d": (0, 1, "conv_transpose"),
    "aten::conv_transpose3d": (0, 1, "conv_transpose"),
    "aten::linear": (0, 1, "linear"),
    "aten::matmul": (0, 1, "matmul"),
    "aten::mm": (0, 1, "matmul"),
    "aten::addmm": (1, 2, "matmul"),
    "aten::embedding": (1, 0, "indices"),
    "aten::embedding_bag": (1, 0, "indices"),
    "aten::index_select": (2, 0, "indices"),
    "aten::gather": (2, 0, "indices"),
    "aten::masked_fill": (1, 0, "mask"),
    "aten::masked_fill_": (1, 0, "mask"),
    "aten::where": (0, 1, "mask"),
    "aten::logical_not": (0, -1, "mask"),
    "aten::layer_norm": (0, 2, "layer_norm"),
    "aten::lstm": (0, 2, "rnn"),
    "aten::gru": (0, 2, "rnn"),
    "aten::rnn_tanh": (0, 2, "rnn"),
    "aten::rnn_relu": (0, 2, "rnn"),
}

# Ops a value passes through without changing its rank; anything else that is
# not a consumer marks the path as indirect (rank and dims may have changed).
_RANK_PRESERVING = re.compile(
    r"aten::(relu|relu_|gelu|silu|sigmoid|tanh|hardtanh|leaky_relu|elu|dropout|dropout_|"
    r"feature_dropout|alpha_dropout|contiguous|to|float|half|double|type_as|clone|detach|"
    r"add|add_|sub|sub_|mul|mul_|div|div_|neg|abs|pow|sqrt|exp|log|clamp|clamp_|"
    r"batch_norm|instance_norm|group_norm|pad|constant_pad_nd|reflection_pad\dd|"
    r"replication_pad\dd|slice|narrow)$"
)


@dataclass(frozen=True)
class Consumer:
    """The first op that consumes an input, and the weight it meets there.

    ``role``: conv, conv_transpose, linear, matmul, indices (embedding or index
    op), mask (bool condition) or layer_norm. ``direct`` is False when the value
    went through a rank-changing op first, so ``weight_shape`` fixes the dims of
    that op's input rather than of the model's input. ``source`` is
    ``file:line`` of the op in the model's source, when the archive kept it.
    """

    op: str
    role: str
    weight_name: str
    weight_shape: tuple[int, ...]
    weight_dtype: str
    groups: int = 1
    direct: bool = True
    source: str = ""
    constant_list: tuple[int, ...] = ()


class _Reader:
    """A walk with each value's uses (in the order the ops run) and each value's producer.

    It holds no reference to the module it was read from: it is cached per module in a
    WeakKeyDictionary, whose values must not keep their keys alive.
    """

    def __init__(self, walk: GraphWalk) -> None:
        self.walk = walk
        self.ops = {op.id: op for op in walk.ops}
        self.uses: dict[int, list[tuple[OpRecord, int]]] = {}
        for op in walk.ops:
            for offset, value_id in enumerate(op.inputs):
                self.uses.setdefault(value_id, []).append((op, offset))
        self.arguments = [value.id for value in walk.inputs]

    def producer(self, value_id: int) -> OpRecord | None:
        node_id = self.walk.producers.get(value_id)
        return None if node_id is None else self.ops.get(node_id)

    def constant(self, value_id: int) -> str | None:
        """The text of the ``prim::Constant`` that makes the value (None: not a constant)."""
        op = self.producer(value_id)
        return op.constant if op is not None and op.kind == "prim::Constant" else None

    def constant_int(self, value_id: int) -> int | None:
        # TorchScript keeps a bool constant as an int attribute: True reads as 1
        text = self.constant(value_id)
        if text in ("True", "False"):
            return int(text == "True")
        return int(text) if text is not None and _INT.match(text) else None

    def constant_string(self, value_id: int) -> str | None:
        text = self.constant(value_id)
        if text is None or text[:1] not in ("'", '"') or text.endswith("..."):
            return None  # cut short by the walk: not a key that can be read back
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return None
        return value if isinstance(value, str) else None

    def constant_int_list(self, value_id: int) -> tuple[int, ...]:
        text = self.constant(value_id)
        if text is not None:
            try:
                value = ast.literal_eval(text) if text.startswith("[") else None
            except (ValueError, SyntaxError):
                return ()
            if isinstance(value, list) and all(
                isinstance(item, int) and not isinstance(item, bool) for item in value
            ):
                return tuple(value)
            return ()
        op = self.producer(value_id)
        if op is not None and op.kind == "prim::ListConstruct":
            items = [self.constant_int(item) for item in op.inputs]
            if all(item is not None for item in items):
                return tuple(int(item) for item in items if item is not None)
        return ()

    def attribute_path(self, value_id: int) -> list[str] | None:
        """``self.conv1.weight`` as ["conv1", "weight"]: a chain of ``prim::GetAttr`` from self."""
        op = self.producer(value_id)
        if op is None or op.kind != "prim::GetAttr":
            return None
        path = op.target
        while op is not None and op.kind == "prim::GetAttr":
            owner = op.inputs[0]
            op = self.producer(owner)
        # the chain must start at the module itself: the one value nothing produces
        if op is not None or owner in self.arguments:
            return None
        return path.split(".")

    def tensor(self, module: Any, value_id: int) -> tuple[str, tuple[int, ...], str] | None:
        """(name, shape, dtype) of a weight: a module attribute or a constant tensor."""
        text = self.constant(value_id)
        if text is not None:
            found = tensor_constant(text)
            return None if found is None else ("<constant>", *found)
        path = self.attribute_path(value_id)
        if path is None:
            return None
        target = _follow(module, path)
        if target is None or not _is_tensor(target):
            return None
        return (".".join(path), _shape(target), _dtype(target))

    def first_of_list(self, module: Any, value_id: int) -> tuple[str, tuple[int, ...], str] | None:
        """The first tensor of a weight list: a prim::ListConstruct, or a list attribute (``_flat_weights``)."""
        op = self.producer(value_id)
        if op is not None and op.kind == "prim::ListConstruct":
            return self.tensor(module, op.inputs[0]) if op.inputs else None
        path = self.attribute_path(value_id)
        if path is None:
            return None
        target = _follow(module, path)
        if isinstance(target, (list, tuple)) and target and _is_tensor(target[0]):
            return (".".join(path) + "[0]", _shape(target[0]), _dtype(target[0]))
        return None

    def start_values(self, argument_index: int, key: str | None) -> list[int]:
        value = self.arguments[argument_index]
        if key is None:
            return [value]
        return [
            op.outputs[0].id
            for op, offset in self.uses.get(value, [])
            if op.kind in ("aten::__getitem__", "aten::get")
            and offset == 0
            and len(op.inputs) > 1
            and self.constant_string(op.inputs[1]) == key
            and op.outputs
        ]


_INT = re.compile(r"^-?\d+$")


def _follow(module: Any, path: list[str]) -> Any:
    target = module
    for name in path:
        try:
            target = getattr(target, name)
        except AttributeError:
            return None
    return target


def _is_tensor(value: Any) -> bool:
    import torch

    return isinstance(value, torch.Tensor)


def _shape(tensor: Any) -> tuple[int, ...]:
    return tuple(int(d) for d in tensor.shape)


def _dtype(tensor: Any) -> str:
    return str(tensor.dtype).removeprefix("torch.")


def _source_of(op: OpRecord) -> str:
    if op.source_file is None or is_library_file(op.source_file):
        return ""  # torch's own nn.Module code says nothing about the user's model
    return op.source


# Each module's reader, made once: it lives as long as the module. Keyed by the module a
# guard (ir.shapes.runner.GuardedModule) reads, so that a guard and its module share it.
_READERS: weakref.WeakKeyDictionary[Any, _Reader] = weakref.WeakKeyDictionary()


def _reader(module: Any) -> _Reader:
    target = getattr(module, "wrapped", module)
    try:
        reader = _READERS.get(target)
    except TypeError:  # a module that cannot be weakly referenced: read it each time
        reader = None
    if reader is None:
        reader = _Reader(walk_module(target))
        with contextlib.suppress(TypeError):
            _READERS[target] = reader
    return reader


# What a walk of a graph it cannot read raises: the readers then know nothing (None), as for a
# model whose inputs no weight reads, and the probes decide.
_WALK_ERRORS = (RuntimeError, ValueError, TypeError, RecursionError)


def _reader_or_none(module: Any) -> _Reader | None:
    try:
        return _reader(module)
    except _WALK_ERRORS:
        return None


def module_walk(module: Any) -> GraphWalk:
    """The inlined forward's walk of ``module`` (or of the module a guard reads), made once."""
    return _reader(module).walk


def dict_keys_read(module: Any, argument_index: int = 0) -> tuple[str, ...] | None:
    """The constant string keys forward reads from its Dict argument, in first-read order.

    ``argument_index`` counts forward's arguments without ``self``. Returns
    None when the dict is used in a way that hides its keys (iterated,
    ``keys()``, indexed by a computed key), since then the keys cannot be known.
    """
    reader = _reader_or_none(module)
    if reader is None:
        return None
    keys: list[str] = []
    for op, offset in reader.uses.get(reader.arguments[argument_index], []):
        if op.kind in ("aten::__getitem__", "aten::get", "aten::__contains__") and offset == 0:
            key = reader.constant_string(op.inputs[1]) if len(op.inputs) > 1 else None
            if key is None:
                return None
            if key not in keys:
                keys.append(key)
        else:
            return None
    return tuple(keys)


def first_consumer(module: Any, argument_index: int, key: str | None = None) -> Consumer | None:
    """The first Conv/Linear/Embedding/matmul/index/mask op that consumes forward's argument.

    Walks the inlined forward graph breadth-first from the argument (or from
    ``dict[key]`` for a dict argument), through any op, and returns the
    nearest consumer whose weight is a module attribute or constant. None when
    nothing consumes it that way (the probe sweep then has no starting shape).
    """
    reader = _reader_or_none(module)
    if reader is None:
        return None
    frontier: list[tuple[int, bool]] = [
        (value, True) for value in reader.start_values(argument_index, key)
    ]
    seen: set[int] = set()
    steps = 0
    while frontier and steps < 2000:
        value, direct = frontier.pop(0)
        for op, offset in reader.uses.get(value, []):
            steps += 1
            kind = op.kind
            spec = _CONSUMERS.get(kind)
            if spec is not None and offset == spec[0]:
                consumer = _consumer_at(reader, module, op, spec, direct)
                if consumer is not None:
                    return consumer
            passes = direct and (bool(_RANK_PRESERVING.match(kind)) or kind.startswith("prim::"))
            for output in op.outputs:
                if output.id not in seen:
                    seen.add(output.id)
                    frontier.append((output.id, passes))
    return None


def _consumer_at(
    reader: _Reader, module: Any, op: OpRecord, spec: tuple[int, int, str], direct: bool
) -> Consumer | None:
    _, weight_position, role = spec
    kind, inputs = op.kind, op.inputs
    if role == "mask":
        return Consumer(
            op=kind,
            role=role,
            weight_name="",
            weight_shape=(),
            weight_dtype="bool",
            direct=direct,
            source=_source_of(op),
        )
    if role == "layer_norm":
        normalized = reader.constant_int_list(inputs[1]) if len(inputs) > 1 else ()
        resolved = reader.tensor(module, inputs[weight_position]) if len(inputs) > 2 else None
        return Consumer(
            op=kind,
            role=role,
            weight_name=resolved[0] if resolved else "",
            weight_shape=normalized,
            weight_dtype=resolved[2] if resolved else "",
            direct=direct,
            source=_source_of(op),
            constant_list=normalized,
        )
    if len(inputs) <= weight_position:
        return None
    if role == "rnn":
        # aten::lstm(input, hx, params, has_biases, num_layers, dropout, train, bidirectional,
        # batch_first): params[0] is weight_ih_l0, [gates * hidden, input_size].
        if len(inputs) < 9 or reader.constant_int(inputs[8]) != 1:
            return None  # time-major input: dim 0 is not the batch, leave it to the probes
        resolved = reader.first_of_list(module, inputs[weight_position])
    else:
        resolved = reader.tensor(module, inputs[weight_position])
    if resolved is None:
        return None
    name, shape, dtype = resolved
    groups = 1
    if role == "conv" and kind != "aten::_convolution" and len(inputs) > 6:
        groups = reader.constant_int(inputs[6]) or 1
    return Consumer(
        op=kind,
        role=role,
        weight_name=name,
        weight_shape=shape,
        weight_dtype=dtype,
        groups=groups,
        direct=direct,
        source=_source_of(op),
    )


@dataclass(frozen=True)
class FixedLeadingDim:
    """A first dim the graph fixes: ``size``, and ``how`` (``select``: items 0..size-1 taken
    one by one; ``reshape``: reshaped or viewed to a constant leading ``size``)."""

    size: int
    how: str


def fixed_leading_dim(
    module: Any, argument_index: int, key: str | None = None
) -> FixedLeadingDim | None:
    """The first dim of forward's argument when the graph fixes it to a constant; else None.

    ``torch.jit.trace`` turns what depended on the batch size into constants. A Python loop
    over the batch (``for i in range(x.shape[0])``) becomes one ``aten::select(x, 0, i)``
    per example item: only a run of at least two indices starting at 0 counts (a lone
    ``x[0]`` says nothing about the size). A batch size read as a Python int
    (``x.reshape(int(x.shape[0]), -1)``) becomes a constant in a ``reshape``/``view`` of
    the input: a constant leading dim of at least 2 counts.
    """
    reader = _reader_or_none(module)
    if reader is None:
        return None
    indices: set[int] = set()
    for value in reader.start_values(argument_index, key):
        for op, offset in reader.uses.get(value, []):
            if offset != 0:
                continue
            inputs = op.inputs
            if op.kind == "aten::select" and len(inputs) > 2:
                dim, index = reader.constant_int(inputs[1]), reader.constant_int(inputs[2])
                if dim == 0 and index is not None and index >= 0:
                    indices.add(index)
            elif op.kind in ("aten::reshape", "aten::view") and len(inputs) > 1:
                leading = _leading_constant(reader, inputs[1])
                if leading is not None and leading >= 2:
                    return FixedLeadingDim(leading, "reshape")
    if len(indices) >= 2 and indices == set(range(max(indices) + 1)):
        return FixedLeadingDim(max(indices) + 1, "select")
    return None


def _leading_constant(reader: _Reader, value_id: int) -> int | None:
    """The first element of an int list when it is a constant (a ListConstruct or a constant list)."""
    op = reader.producer(value_id)
    if op is not None and op.kind == "prim::ListConstruct":
        return reader.constant_int(op.inputs[0]) if op.inputs else None
    constant = reader.constant_int_list(value_id)
    return constant[0] if constant else None
