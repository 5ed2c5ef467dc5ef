"""Meta-device probes: run forward on shapes without data, classify failures, find first consumers.

A probe calls a copy of the model loaded with ``map_location="meta"`` on meta
tensors: every op computes only output shapes and dtypes, so a probe costs a
few milliseconds and no memory for data (measured on torch 2.13: the first
meta call in a process takes ~0.8 s while torch registers its meta kernels,
later calls ~2 ms for SimpleCNN). A failed probe is classified from the
TorchScript RuntimeError: ``mismatch`` (the shapes do not fit), ``dtype``
(wrong element type), ``undecidable`` (the model needs real values: ``.item()``,
data-dependent indexing, an op without a meta kernel) or ``other``.

Reading the first op that consumes each input (Conv/Linear/Embedding weights)
needs the forward graph; this module reads the inlined graph through
``torch._C`` itself (``first_consumers``, ``dict_keys_read``) because it needs
value-level use chains, which the IR walk records do not carry.

torch is imported only inside functions.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

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

_UNDECIDABLE_MARKERS = (
    "cannot be called on meta tensors",
    "meta tensor",
    "'Meta' backend",
    "Meta backend",
    "NotImplementedError",
    "_check_not_implemented",
    "data-dependent",
    "data dependent",
    "does not have a meta",
    "no meta",
)

# A model with a hard-coded CUDA device cannot run on a CPU-only machine, whatever the shapes.
_DEVICE_MARKERS = (
    "from the 'CUDA' backend",
    "Torch not compiled with CUDA enabled",
    "Found no NVIDIA driver",
)

_DTYPE_MARKERS = (
    "scalar type",
    "dtype",
    "should be the same",
    "expected both inputs to have same dtype",
    "not implemented for '",
    "have one of the following scalar types",
    "must have the same dtype",
    "Expected object of scalar type",
    "should have the same type",
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


@dataclass(frozen=True)
class TensorValue:
    """One tensor a probe produced: shape and dtype (``float32``...)."""

    shape: tuple[int, ...]
    dtype: str


@dataclass(frozen=True)
class OutputValue:
    """What forward returned: ``kind`` tensor, tuple, str_list, dict, list, none or other.

    For a tuple, ``elements`` holds each element's OutputValue; ``tensor`` is
    set for kind tensor; ``type_name`` names the Python type for the others.
    """

    kind: str
    tensor: TensorValue | None = None
    elements: tuple[OutputValue, ...] = ()
    type_name: str = ""


@dataclass(frozen=True)
class ProbeFailure:
    """Why a probe failed: ``kind`` (mismatch, dtype, undecidable, device, other), the innermost
    error ``message``, the ``op`` text the traceback points at, and ``source``
    (``file:line`` of the deepest frame in the model's own code)."""

    kind: str
    message: str
    op: str = ""
    source: str = ""
    code: str = ""

    def describe(self) -> str:
        """One line: where the model broke and why."""
        where = ""
        if self.source:
            where = f"at {self.source}"
            if self.op:
                where += f" ({self.op})"
            where += ": "
        return f"{where}{self.message}"


@dataclass(frozen=True)
class ProbeInput:
    """One argument for a probe: a tensor of ``shape`` and ``dtype``, or a ``List[str]`` of ``shape[0]`` items."""

    shape: tuple[int, ...]
    dtype: str
    is_str_list: bool = False


@dataclass(frozen=True)
class ProbeResult:
    """The result of one forward call: ``output`` on success, ``failure`` otherwise."""

    output: OutputValue | None
    failure: ProbeFailure | None
    device: str

    @property
    def ok(self) -> bool:
        """True when forward ran to the end."""
        return self.failure is None


# --------------------------------------------------------------------------- loading


def meta_copy(module_or_path: Any) -> Any:
    """A copy of a TorchScript module whose parameters and buffers live on the meta device.

    ``ScriptModule.to("meta")`` is refused by torch ("param must be a
    Parameter"), so the copy is made by loading with ``map_location="meta"``:
    from the path when given one, else from an in-memory save of the module.
    The caller has already loaded the archive through ``ir.archive``, so its
    errors were reported there.
    """
    import torch

    if isinstance(module_or_path, (str, bytes)) or hasattr(module_or_path, "__fspath__"):
        return torch.jit.load(str(module_or_path), map_location="meta")  # type: ignore[no-untyped-call]
    buffer = io.BytesIO()
    torch.jit.save(module_or_path, buffer)
    buffer.seek(0)
    return torch.jit.load(buffer, map_location="meta")  # type: ignore[no-untyped-call]


# --------------------------------------------------------------------------- running


def _import_dynamo_safely() -> None:
    """Import torch._dynamo (meta kernels need it) without a stray ``triton`` folder breaking it.

    torch._dynamo imports OpenAI's ``triton`` when it is importable. A plain
    directory named ``triton`` on sys.path (a Triton model repository in the
    working directory, a ``tests/triton`` folder) is importable as a namespace
    package without ``triton.language``, and the first meta op then fails with
    "module 'triton' has no attribute 'language'". Such entries are hidden
    from sys.path for this one import.
    """
    import importlib.util
    import os
    import sys

    if "torch._dynamo" in sys.modules:
        return
    try:
        spec = importlib.util.find_spec("triton")
    except (ImportError, ValueError):
        spec = None
    if spec is None or spec.origin is not None or "triton" in sys.modules:
        import torch._dynamo

        return
    saved = list(sys.path)
    sys.path[:] = [
        entry
        for entry in saved
        if not (
            os.path.isdir(os.path.join(entry or ".", "triton"))
            and not os.path.isfile(os.path.join(entry or ".", "triton", "__init__.py"))
        )
    ]
    try:
        import torch._dynamo  # noqa: F401
    finally:
        sys.path[:] = saved


def _make_argument(spec: ProbeInput, device: str) -> Any:
    import torch

    if spec.is_str_list:
        return ["a"] * (spec.shape[0] if spec.shape else 1)
    dtype = getattr(torch, spec.dtype)
    return torch.zeros(spec.shape, dtype=dtype, device=device)


def describe_output(value: Any) -> OutputValue:
    """Summarise a forward result (tensors by shape and dtype) so that no torch object escapes."""
    import torch

    if isinstance(value, torch.Tensor):
        return OutputValue(
            kind="tensor",
            tensor=TensorValue(
                tuple(int(d) for d in value.shape), str(value.dtype).removeprefix("torch.")
            ),
        )
    if isinstance(value, tuple):
        return OutputValue(kind="tuple", elements=tuple(describe_output(item) for item in value))
    if isinstance(value, list):
        if all(isinstance(item, str) for item in value):
            return OutputValue(kind="str_list", type_name="List[str]")
        return OutputValue(kind="list", type_name="list")
    if isinstance(value, dict):
        return OutputValue(kind="dict", type_name="dict")
    if value is None:
        return OutputValue(kind="none", type_name="None")
    return OutputValue(kind="other", type_name=type(value).__name__)


def run_probe(
    module: Any,
    inputs: Sequence[ProbeInput] | Mapping[str, ProbeInput],
    device: str = "meta",
) -> ProbeResult:
    """Call ``module`` once on zeros of the given shapes and dtypes on ``device``.

    A sequence is passed positionally; a mapping is passed as one
    ``Dict[str, Tensor]`` argument (Triton's dict-input mode). Grad is off,
    as in Triton (INFERENCE_MODE defaults to true).
    """
    import torch

    _import_dynamo_safely()
    try:
        if isinstance(inputs, Mapping):
            arguments: list[Any] = [
                {name: _make_argument(spec, device) for name, spec in inputs.items()}
            ]
        else:
            arguments = [_make_argument(spec, device) for spec in inputs]
        # Not under torch.jit.optimized_execution(False): a method first run in that mode keeps
        # an un-inlined optimized graph, and inlined_graph / _jit_pass_inline stop inlining it.
        with torch.inference_mode():
            output = module(*arguments)
    except Exception as error:  # the model's own failure is the result, not a crash
        return ProbeResult(output=None, failure=classify_failure(error), device=device)
    return ProbeResult(output=describe_output(output), failure=None, device=device)


# --------------------------------------------------------------------------- failures

_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<name>.*)$')
_ERROR_LINE = re.compile(r"^(?:[A-Za-z_.]*(?:Error|Exception)): (?P<message>.*)$")


def _innermost_message(text: str) -> str:
    body = text.split("\n\nAt:\n", 1)[0]
    candidates = [line for line in body.splitlines() if _ERROR_LINE.match(line)]
    message = candidates[-1] if candidates else (body.strip().splitlines() or [""])[-1]
    # TorchScript nests the Python error inside its own: "RuntimeError: RuntimeError: ..."
    while (match := _ERROR_LINE.match(message)) is not None:
        message = match.group("message")
    return message.strip()


def _frames(text: str) -> list[tuple[str, int, str, str]]:
    """(file, line, code line, marked op) for each frame of the original-code traceback."""
    lines = text.splitlines()
    start = 0
    for index, line in enumerate(lines):
        if line.startswith("Traceback of TorchScript, original code"):
            start = index
    frames: list[tuple[str, int, str, str]] = []
    index = start
    while index < len(lines):
        match = _FRAME.match(lines[index])
        if match is None:
            index += 1
            continue
        code, op = "", ""
        probe = index + 1
        while (
            probe < len(lines)
            and not _FRAME.match(lines[probe])
            and "<--- HERE" not in lines[probe]
        ):
            probe += 1
        if probe < len(lines) and "<--- HERE" in lines[probe]:
            marker = lines[probe]
            code = lines[probe - 1]
            begin = marker.find("~")
            end = marker.rfind("~") + 1
            if begin >= 0:
                op = code[begin:end].strip()
        frames.append((match.group("file"), int(match.group("line")), code.strip(), op))
        index = probe if probe > index else index + 1
    return frames


def _is_library_file(path: str) -> bool:
    return "site-packages/torch/" in path or "/torch/nn/" in path or path == "<string>"


def _first_sentence(message: str, limit: int = 240) -> str:
    """Errors end up in one-line messages: keep the first sentence of a long one (dispatcher errors run to 1,500 characters)."""
    if len(message) <= limit:
        return message
    cut = message.find(". ")
    if 0 < cut < limit:
        return message[: cut + 1]
    return message[: limit - 3] + "..."


def classify_failure(error: BaseException) -> ProbeFailure:
    """Turn an exception from forward into a ProbeFailure (kind, message, op, source line)."""
    text = str(error)
    message = _first_sentence(_innermost_message(text)) or type(error).__name__
    frames = _frames(text)
    user_frames = [frame for frame in frames if not _is_library_file(frame[0])]
    source, op, code = "", "", ""
    if user_frames:
        file, line, code, op = user_frames[-1]
        source = f"{file}:{line}"
        if frames and frames[-1] is not user_frames[-1] and frames[-1][3]:
            op = f"{op} -> {frames[-1][3]}" if op else frames[-1][3]
    elif frames:
        file, line, code, op = frames[-1]
        source = f"{file}:{line}"
    if any(marker in text for marker in _DEVICE_MARKERS):
        kind = "device"
    elif any(marker in text for marker in _UNDECIDABLE_MARKERS):
        kind = "undecidable"
    elif any(marker in message for marker in _DTYPE_MARKERS):
        kind = "dtype"
    elif isinstance(error, RuntimeError) or "Traceback of TorchScript" in text:
        kind = "mismatch"  # torch.jit.Error (a `raise` inside the model) is not a RuntimeError
    else:
        kind = "other"
    return ProbeFailure(kind=kind, message=message, op=op, source=source, code=code)


# --------------------------------------------------------------------------- graph reading


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
    if match is None or _is_library_file(match.group(1)):
        return ""  # torch's own nn.Module code says nothing about the user's model
    return f"{match.group(1)}:{match.group(2)}"


def _inlined_graph(module: Any) -> Any:
    import torch

    graph = module.forward.graph.copy()
    torch._C._jit_pass_inline(graph)
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
