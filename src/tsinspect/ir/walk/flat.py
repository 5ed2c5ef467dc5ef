"""The flat walk: records for an already inlined ``torch._C.Graph``, and the parsing of scopes, source ranges and constants."""

from __future__ import annotations

import gc
import re
from collections.abc import Sequence
from typing import Any

from tsinspect.ir.signature import TorchType, torch_type
from tsinspect.ir.walk.records import GraphWalk, OpRecord, ValueRecord

_NO_SOURCE_KINDS = frozenset(
    {
        "prim::Constant",
        "prim::GetAttr",
        "prim::ListConstruct",
        "prim::TupleConstruct",
        "prim::ListUnpack",
        "prim::TupleUnpack",
        "prim::unchecked_cast",
    }
)


# The node kinds that own blocks in a TorchScript graph (If, Loop; With and Closure in rare
# scripted code; the fusion groups only after optimisation passes we do not run).
_KINDS_WITH_BLOCKS = frozenset(
    {
        "prim::If",
        "prim::Loop",
        "prim::With",
        "prim::Closure",
        "prim::FusionGroup",
        "prim::DifferentiableGraph",
        "prim::TensorExprGroup",
        "prim::CudaFusionGroup",
        "prim::StaticSubgraph",
    }
)


# Frames to skip when looking for the user's line in a traced stack.
_TORCH_PATH_MARKERS = ("/site-packages/torch/", "/dist-packages/torch/", "<string>")


_SCOPE_SEGMENT = re.compile(r"([^.()]+)\(([^()]*)\)")


_SCRIPTED_RANGE = re.compile(r'File "([^"]+)", line (\d+)')


_TRACED_FRAME = re.compile(r"^(.+)\((\d+)\): (\S+)$", re.MULTILINE)


_CONSTANT_TEXT_LIMIT = 80


class _Walker:
    def __init__(self) -> None:
        self.ops: list[OpRecord] = []
        self.producer: dict[int, int] = {}  # value unique id -> node id that produces it
        self.value_name: dict[int, str] = {}
        self.value_type: dict[int, TorchType] = {}
        self.attr_path: dict[int, str] = {}  # value unique id -> attribute path from self
        self.type_cache: dict[str, TorchType] = {}
        self.scope_cache: dict[str, tuple[str, str]] = {}
        self.source_cache: dict[str, tuple[str | None, int | None, str]] = {}
        self.next_id = 0
        self.styles: set[str] = set()
        # (control node id, value ids its block returns), for the ``return`` edges
        self.block_returns: list[tuple[int, tuple[int, ...]]] = []

    def result(
        self,
        inputs: Sequence[ValueRecord],
        input_node_ids: Sequence[int],
        outputs: tuple[ValueRecord, ...],
    ) -> GraphWalk:
        """The finished walk: its records, with the outputs node numbered after every op."""
        styles = self.styles
        source_style = "none" if not styles else next(iter(styles)) if len(styles) == 1 else "mixed"
        return GraphWalk(
            ops=tuple(self.ops),
            inputs=tuple(inputs),
            outputs=outputs,
            input_node_ids=tuple(input_node_ids),
            output_node_id=self.new_id(),
            source_style=source_style,
            producers=self.producer,
            value_names=self.value_name,
            value_types=self.value_type,
            block_returns=tuple(self.block_returns),
        )

    def new_id(self) -> int:
        node_id = self.next_id
        self.next_id += 1
        return node_id

    def type_of(self, value: Any) -> TorchType:
        c10_type = value.type()
        key = str(c10_type)
        cached = self.type_cache.get(key)
        if cached is None:
            cached = torch_type(c10_type)
            self.type_cache[key] = cached
        return cached

    def record_value(self, value: Any, producer: int) -> ValueRecord:
        unique = value.unique()
        record = ValueRecord(id=unique, name=value.debugName(), type=self.type_of(value))
        self.producer[unique] = producer
        self.value_name[unique] = record.name
        self.value_type[unique] = record.type
        return record

    def scope_of(self, node: Any) -> tuple[str, str]:
        hierarchy = node.getModuleHierarchy()
        cached = self.scope_cache.get(hierarchy)
        if cached is None:
            cached = parse_module_hierarchy(hierarchy)
            self.scope_cache[hierarchy] = cached
        return cached

    def source_of(self, node: Any) -> tuple[str | None, int | None, str]:
        try:
            text = node.sourceRange()
        # a damaged debug_pkl record (torch unpickles it lazily), or one whose string-table
        # offsets cut a character in two (the text is not UTF-8)
        except (RuntimeError, UnicodeDecodeError):
            text = ""
        cached = self.source_cache.get(text)
        if cached is None:
            cached = parse_source_range(text)
            self.source_cache[text] = cached
        if cached[2] != "none":
            self.styles.add(cached[2])
        return cached

    def walk_block(self, block: Any, path: tuple[tuple[int, int], ...]) -> None:
        for node in block_nodes(block):
            self.walk_node(node, path)

    def walk_node(self, node: Any, path: tuple[tuple[int, int], ...]) -> None:
        node_id = self.new_id()
        kind = node.kind()
        scope, module_type = self.scope_of(node)
        if kind in _NO_SOURCE_KINDS:
            # formatting a source range costs more than the rest of the node; nobody reads
            # where a constant or an attribute read was written
            source_file, source_line, style = None, None, "none"
        else:
            source_file, source_line, style = self.source_of(node)
        # Indexing, not iterating: a pybind iterator ends by throwing a C++ exception, which
        # costs ~20 us per node and dominated the walk of a ResNet-50 (measured).
        inputs = tuple(node.inputsAt(i).unique() for i in range(node.inputsSize()))
        outputs = tuple(
            self.record_value(node.outputsAt(i), node_id) for i in range(node.outputsSize())
        )
        constant = None
        target = kind
        if kind == "prim::Constant":
            constant = constant_text(node)
            target = constant
        elif kind == "prim::GetAttr":
            name = node.s("name")
            owner = self.attr_path.get(inputs[0]) if inputs else None
            target = name if not owner else f"{owner}.{name}"
            self.attr_path[outputs[0].id] = target
        blocks = list(node.blocks()) if kind in _KINDS_WITH_BLOCKS else []
        self.ops.append(
            OpRecord(
                id=node_id,
                kind=kind,
                scope=scope,
                module_type=module_type,
                source_file=source_file,
                source_line=source_line,
                block=path,
                inputs=inputs,
                outputs=outputs,
                constant=constant,
                target=target,
                num_blocks=len(blocks),
                traced_frame=style == "traced",
            )
        )
        for index, block in enumerate(blocks):
            # Block parameters (a loop's counter and carried values) come from the owning node.
            params = block.paramNode()
            for position in range(params.outputsSize()):
                self.record_value(params.outputsAt(position), node_id)
            self.walk_block(block, (*path, (node_id, index)))
            block_return = block.returnNode()
            returned = tuple(
                block_return.inputsAt(i).unique() for i in range(block_return.inputsSize())
            )
            self.block_returns.append((node_id, returned))


def block_nodes(block: Any) -> list[Any]:
    """A block's nodes in order, found by walking back from its return node.

    Equivalent to ``list(block.nodes())``, without the C++ exception that ends
    every pybind iteration (tens of microseconds each, once per block).
    """
    nodes = []
    node = block.returnNode().prev()
    while node.kind() != "prim::Param":
        nodes.append(node)
        node = node.prev()
    nodes.reverse()
    return nodes


def walk_graph(graph: Any) -> GraphWalk:
    """Records and a networkx.DiGraph for an (already inlined) ``torch._C.Graph``."""
    # The walk allocates a few small objects per node while the loaded model holds a
    # large heap: with the cyclic GC on, its full collections made big graphs superlinear
    # (measured: 16 us per edge at 10k edges). Nothing here creates cycles worth collecting.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _walk_graph(graph)
    finally:
        if was_enabled:
            gc.enable()


def _walk_graph(graph: Any) -> GraphWalk:
    walker = _Walker()
    inputs: list[ValueRecord] = []
    input_node_ids: list[int] = []
    for position, value in enumerate(graph.inputs()):
        if position == 0 and _is_module_self(value):
            # self is not a node (the module is the graph itself); attribute paths start here.
            walker.attr_path[value.unique()] = ""
            continue
        record_id = walker.new_id()
        inputs.append(walker.record_value(value, record_id))
        input_node_ids.append(record_id)
    walker.walk_block(graph.block(), ())
    outputs = tuple(
        ValueRecord(v.unique(), v.debugName(), walker.type_of(v)) for v in graph.outputs()
    )
    return walker.result(inputs, input_node_ids, outputs)


def parse_module_hierarchy(hierarchy: str) -> tuple[str, str]:
    """``'layer1(Sequential).0(BasicBlock).conv2(Conv2d).SELF(Conv2d)'`` -> ``('layer1.0.conv2', 'Conv2d')``.

    ``SELF`` marks a method of the same module, ``UNKNOWN_INSTANCE`` a free
    function it called (``F.relu``): neither is a submodule.
    """
    names: list[str] = []
    module_type = ""
    for match in _SCOPE_SEGMENT.finditer(hierarchy):
        name, type_name = match.group(1), match.group(2)
        if name in ("SELF", "UNKNOWN_INSTANCE"):
            continue
        names.append(name)
        module_type = type_name.rsplit(".", 1)[-1]
    return ".".join(names), module_type


def parse_source_range(text: str) -> tuple[str | None, int | None, str]:
    """(file, line, style) from ``Node.sourceRange()``; style is ``scripted``, ``traced`` or ``none``."""
    if not text:
        return None, None, "none"
    # Traced ranges start with the tracer's stack ("path(N): function" lines) and may end
    # with a "Serialized File" range into the archive's code/: the stack decides.
    frames = _TRACED_FRAME.findall(text)
    if frames and _TRACED_FRAME.match(text.lstrip()):
        chosen = next(
            (f for f in frames if not any(m in f[0] for m in _TORCH_PATH_MARKERS)), frames[0]
        )
        return chosen[0], int(chosen[1]), "traced"
    scripted = _SCRIPTED_RANGE.search(text)
    if scripted is not None:
        return scripted.group(1), int(scripted.group(2)), "scripted"
    return None, None, "none"


_TENSOR_TEXT = re.compile(r"^tensor\(shape=\[([0-9, ]*)\], dtype=(\w+)\)$")


def tensor_constant(text: str) -> tuple[tuple[int, ...], str] | None:
    """(shape, dtype) of a tensor constant from :func:`constant_text`'s text; None otherwise."""
    match = _TENSOR_TEXT.match(text)
    if match is None:
        return None
    return tuple(int(part) for part in match.group(1).split(",") if part.strip()), match.group(2)


def constant_text(node: Any) -> str:
    """A ``prim::Constant``'s value as short text (tensors summarised by shape and dtype)."""
    if not node.hasAttributes():
        return "None"
    try:
        value = node.output().toIValue()
    except RuntimeError:
        return node.output().type().annotation_str  # type: ignore[no-any-return]
    shape = getattr(value, "shape", None)
    if shape is not None and hasattr(value, "dtype"):
        dims = ", ".join(str(int(d)) for d in shape)
        return f"tensor(shape=[{dims}], dtype={str(value.dtype).removeprefix('torch.')})"
    if type(value).__name__ == "device":
        return str(value)
    text = repr(value)
    if len(text) > _CONSTANT_TEXT_LIMIT:
        text = text[: _CONSTANT_TEXT_LIMIT - 3] + "..."
    return text


def _is_module_self(value: Any) -> bool:
    c10_type = value.type()
    return type(c10_type).__name__ == "ClassType" and hasattr(c10_type, "name")
