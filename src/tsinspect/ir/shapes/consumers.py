"""Finding the first op that consumes each input, and the dict keys forward reads.

Reading the first op that consumes each input (Conv/Linear/Embedding weights)
needs the forward graph; this module reads the inlined graph through
``torch._C`` itself (``first_consumer``, ``dict_keys_read``) because it needs
value-level use chains, which the IR walk records do not carry.

torch is imported only inside functions.
"""

from __future__ import annotations

import contextlib
import re
import weakref
from dataclasses import dataclass
from typing import Any

from tsinspect.ir.shapes.failures import is_library_file

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


def _attribute_path(value: Any) -> list[str] | None:
    """``self.conv1.weight`` as ["conv1", "weight"] for a chain of prim::GetAttr; None otherwise."""
    names: list[str] = []
    node = value.node()
    while node.kind() == "prim::GetAttr":
        names.append(node.s("name"))
        owner = next(iter(node.inputs()))
        node = owner.node()
        if node.kind() == "prim::Param":
            return list(reversed(names))
    return None


def _resolve_tensor(module: Any, value: Any) -> tuple[str, Any] | None:
    import torch

    node = value.node()
    if (
        node.kind() == "prim::Constant"
        and node.hasAttribute("value")
        and node.kindOf("value") == "t"
    ):
        return ("<constant>", node.t("value"))
    path = _attribute_path(value)
    if path is None:
        return None
    target = module
    for name in path:
        try:
            target = getattr(target, name)
        except AttributeError:
            return None
    if isinstance(target, torch.Tensor):
        return (".".join(path), target)
    return None


def _constant_int(value: Any) -> int | None:
    node = value.node()
    if (
        node.kind() == "prim::Constant"
        and node.hasAttribute("value")
        and node.kindOf("value") == "i"
    ):
        return int(node.i("value"))
    return None


def _constant_bool(value: Any) -> bool | None:
    node = value.node()
    if (
        node.kind() == "prim::Constant"
        and node.hasAttribute("value")
        and node.kindOf("value") == "i"
    ):
        return bool(node.i("value"))
    return None


def _resolve_first_of_list(module: Any, value: Any) -> tuple[str, Any] | None:
    """The first tensor of a weight list: a prim::ListConstruct, or a list attribute (``_flat_weights``)."""
    import torch

    node = value.node()
    if node.kind() == "prim::ListConstruct":
        items = list(node.inputs())
        return _resolve_tensor(module, items[0]) if items else None
    path = _attribute_path(value)
    if path is None:
        return None
    target: Any = module
    for name in path:
        target = getattr(target, name, None)
    if isinstance(target, (list, tuple)) and target and isinstance(target[0], torch.Tensor):
        return (".".join(path) + "[0]", target[0])
    return None


def _constant_int_list(value: Any) -> tuple[int, ...]:
    node = value.node()
    if (
        node.kind() == "prim::Constant"
        and node.hasAttribute("value")
        and node.kindOf("value") == "ival"
    ):
        try:
            return tuple(int(item) for item in node.ival("value"))
        except (TypeError, ValueError):
            return ()
    if node.kind() == "prim::ListConstruct":
        items = [_constant_int(item) for item in node.inputs()]
        if all(item is not None for item in items):
            return tuple(int(item) for item in items if item is not None)
    return ()


def _source_of(node: Any) -> str:
    try:
        source_range = node.sourceRange()
    except RuntimeError:
        return ""
    # "file.py:36:20" style first line of the highlighted range, when kept in the archive.
    match = re.search(r'File "([^"]+)", line (\d+)', str(source_range))
    if match is None or is_library_file(match.group(1)):
        return ""  # torch's own nn.Module code says nothing about the user's model
    return f"{match.group(1)}:{match.group(2)}"


# Each module's inlined forward, made once: config reads it for every input (dict keys, first
# consumer, fixed leading dim), and each inline pass over a ResNet-50 costs ~8 ms. The readers
# only read it; it lives as long as the module.
_INLINED: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def _inlined_graph(module: Any) -> Any:
    import torch

    try:
        graph = _INLINED.get(module)
    except TypeError:  # a module that cannot be weakly referenced: inline it each time
        graph = None
    if graph is None:
        graph = module.forward.graph.copy()
        torch._C._jit_pass_inline(graph)
        with contextlib.suppress(TypeError):
            _INLINED[module] = graph
    return graph


def _string_constant(value: Any) -> str | None:
    node = value.node()
    if (
        node.kind() == "prim::Constant"
        and node.hasAttribute("value")
        and node.kindOf("value") == "s"
    ):
        return str(node.s("value"))
    return None


def dict_keys_read(module: Any, argument_index: int = 0) -> tuple[str, ...] | None:
    """The constant string keys forward reads from its Dict argument, in first-read order.

    ``argument_index`` counts forward's arguments without ``self``. Returns
    None when the dict is used in a way that hides its keys (iterated,
    ``keys()``, indexed by a computed key), since then the keys cannot be known.
    """
    graph = _inlined_graph(module)
    dict_value = list(graph.inputs())[argument_index + 1]
    keys: list[str] = []
    for use in dict_value.uses():
        node = use.user
        if (
            node.kind() in ("aten::__getitem__", "aten::get", "aten::__contains__")
            and use.offset == 0
        ):
            key = _string_constant(list(node.inputs())[1])
            if key is None:
                return None
            if key not in keys:
                keys.append(key)
        else:
            return None
    return tuple(keys)


def _start_values(graph: Any, argument_index: int, key: str | None) -> list[Any]:
    value = list(graph.inputs())[argument_index + 1]
    if key is None:
        return [value]
    starts = []
    for use in value.uses():
        node = use.user
        if (
            node.kind() in ("aten::__getitem__", "aten::get")
            and use.offset == 0
            and _string_constant(list(node.inputs())[1]) == key
        ):
            starts.append(node.output())
    return starts


def first_consumer(module: Any, argument_index: int, key: str | None = None) -> Consumer | None:
    """The first Conv/Linear/Embedding/matmul/index/mask op that consumes forward's argument.

    Walks the inlined forward graph breadth-first from the argument (or from
    ``dict[key]`` for a dict argument), through any op, and returns the
    nearest consumer whose weight is a module attribute or constant. None when
    nothing consumes it that way (the probe sweep then has no starting shape).
    """
    graph = _inlined_graph(module)
    frontier: list[tuple[Any, bool]] = [
        (value, True) for value in _start_values(graph, argument_index, key)
    ]
    seen: set[str] = set()
    steps = 0
    while frontier and steps < 2000:
        value, direct = frontier.pop(0)
        for use in value.uses():
            steps += 1
            node = use.user
            kind = node.kind()
            spec = _CONSUMERS.get(kind)
            inputs = list(node.inputs())
            if spec is not None and use.offset == spec[0]:
                consumer = _consumer_at(module, node, kind, spec, inputs, direct)
                if consumer is not None:
                    return consumer
            passes = direct and (bool(_RANK_PRESERVING.match(kind)) or kind.startswith("prim::"))
            for output in node.outputs():
                # torch._C wraps nodes anew on each access, so values are keyed by name.
                name = output.debugName()
                if name not in seen:
                    seen.add(name)
                    frontier.append((output, passes))
    return None


def _consumer_at(
    module: Any, node: Any, kind: str, spec: tuple[int, int, str], inputs: list[Any], direct: bool
) -> Consumer | None:
    _, weight_position, role = spec
    if role == "mask":
        return Consumer(
            op=kind,
            role=role,
            weight_name="",
            weight_shape=(),
            weight_dtype="bool",
            direct=direct,
            source=_source_of(node),
        )
    if role == "layer_norm":
        normalized = _constant_int_list(inputs[1])
        resolved = _resolve_tensor(module, inputs[weight_position]) if len(inputs) > 2 else None
        dtype = str(resolved[1].dtype).removeprefix("torch.") if resolved else ""
        return Consumer(
            op=kind,
            role=role,
            weight_name=resolved[0] if resolved else "",
            weight_shape=normalized,
            weight_dtype=dtype,
            direct=direct,
            source=_source_of(node),
            constant_list=normalized,
        )
    if role == "rnn":
        # aten::lstm(input, hx, params, has_biases, num_layers, dropout, train, bidirectional,
        # batch_first): params[0] is weight_ih_l0, [gates * hidden, input_size].
        if len(inputs) < 9 or _constant_bool(inputs[8]) is not True:
            return None  # time-major input: dim 0 is not the batch, leave it to the probes
        resolved = _resolve_first_of_list(module, inputs[weight_position])
    else:
        resolved = _resolve_tensor(module, inputs[weight_position])
    if resolved is None:
        return None
    name, tensor = resolved
    groups = 1
    if role == "conv" and kind != "aten::_convolution" and len(inputs) > 6:
        groups = _constant_int(inputs[6]) or 1
    return Consumer(
        op=kind,
        role=role,
        weight_name=name,
        weight_shape=tuple(int(d) for d in tensor.shape),
        weight_dtype=str(tensor.dtype).removeprefix("torch."),
        groups=groups,
        direct=direct,
        source=_source_of(node),
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
    graph = _inlined_graph(module)
    indices: set[int] = set()
    for value in _start_values(graph, argument_index, key):
        for use in value.uses():
            node = use.user
            if use.offset != 0:
                continue
            inputs = list(node.inputs())
            if node.kind() == "aten::select":
                dim, index = _constant_int(inputs[1]), _constant_int(inputs[2])
                if dim == 0 and index is not None and index >= 0:
                    indices.add(index)
            elif node.kind() in ("aten::reshape", "aten::view") and len(inputs) > 1:
                leading = _leading_constant(inputs[1])
                if leading is not None and leading >= 2:
                    return FixedLeadingDim(leading, "reshape")
    if len(indices) >= 2 and indices == set(range(max(indices) + 1)):
        return FixedLeadingDim(max(indices) + 1, "select")
    return None


def _leading_constant(value: Any) -> int | None:
    """The first element of an int list when it is a constant (a ListConstruct or a constant list)."""
    node = value.node()
    if node.kind() == "prim::ListConstruct":
        items = list(node.inputs())
        return _constant_int(items[0]) if items else None
    constant = _constant_int_list(value)
    return constant[0] if constant else None
