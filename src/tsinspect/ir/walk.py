"""The only code touching ``torch._C``: a TorchScript graph -> frozen records + a networkx.DiGraph.

The walk works on a *copy* of ``forward``'s graph with every submodule call
inlined (``torch._C._jit_pass_inline``), so the user's module is never
changed. Each node becomes an :class:`OpRecord`; nodes inside ``prim::If`` and
``prim::Loop`` blocks are kept, with their block path. Values are looked up in
dicts keyed by ``Value.unique()``: the walk is linear in the graph size.

Where things come from (measured on torch 2.13):

- the submodule a node came from: ``Node.getModuleHierarchy()``, e.g.
  ``layer1(Sequential).0(BasicBlock).conv2(Conv2d).SELF(Conv2d)``, kept in the
  inlined call stack for scripted and traced modules alike (``scopeName()`` is
  empty after a save/load round trip);
- the source location: ``Node.sourceRange()``. Scripted archives keep
  ``File "path", line N`` ranges (of the innermost inlined function); traced
  archives keep the Python stack at trace time as ``path(N): function`` lines,
  of which we keep the first frame outside torch.

Graph attributes (documented in docs/graph.md):

nodes (int ids, in walk order)
    ``op``: ``input`` | ``output`` | ``constant`` | ``get_attr`` | ``call`` | ``control``;
    ``kind``: ``aten::conv2d``, ``prim::If``... (``input``/``output`` for the
    graph's ends); ``target``: the argument name, the attribute path
    (``conv1.weight``), the constant's value, or the op kind; ``scope``: the
    submodule path (``layer1.0.conv2``, ``""`` for the top module);
    ``module_type``: that submodule's class name; ``source``: ``file:line`` or
    ``""``; ``block``: ``""`` at top level, else the enclosing blocks as
    ``"<node id>.<block index>"`` joined by ``/``; ``types``: the output types;
    ``meta``: a dict for passes to add to (empty here).
edges (producer -> consumer)
    ``values``: the value names that flow; ``types``: their TorchScript types;
    ``role``: ``data``, or ``return`` for a block's result flowing back into its
    ``prim::If``/``prim::Loop``.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import networkx as nx

from tsinspect.ir.signature import TorchType, torch_type

#: Node ``op`` values.
OP_INPUT = "input"
OP_OUTPUT = "output"
OP_CONSTANT = "constant"
OP_GET_ATTR = "get_attr"
OP_CALL = "call"
OP_CONTROL = "control"

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


@dataclass(frozen=True)
class ValueRecord:
    """A value of the graph: its unique id, its name in the IR and its TorchScript type."""

    id: int
    name: str
    type: TorchType


@dataclass(frozen=True)
class OpRecord:
    """One node of the inlined graph.

    ``block`` is the path of enclosing blocks, outermost first, as
    ``(owner op id, block index)`` pairs; ``inputs`` are value ids;
    ``constant`` is the value of a ``prim::Constant`` as short text (None
    otherwise); ``target`` is the attribute path of a ``prim::GetAttr``, the
    constant text, or the kind; ``traced_frame`` is True when the source
    location came from a traced Python stack.
    """

    id: int
    kind: str
    scope: str
    module_type: str
    source_file: str | None
    source_line: int | None
    block: tuple[tuple[int, int], ...]
    inputs: tuple[int, ...]
    outputs: tuple[ValueRecord, ...]
    constant: str | None
    target: str
    num_blocks: int = 0
    traced_frame: bool = False

    @property
    def namespace(self) -> str:
        """The operator namespace: ``aten`` for ``aten::conv2d``."""
        return self.kind.split("::", 1)[0]

    @property
    def op(self) -> str:
        """The node's ``op`` class in the networkx graph."""
        if self.kind == "prim::Constant":
            return OP_CONSTANT
        if self.kind == "prim::GetAttr":
            return OP_GET_ATTR
        if self.num_blocks:
            return OP_CONTROL
        return OP_CALL

    @property
    def source(self) -> str:
        """``file:line``, or ``""`` when the archive kept no location."""
        if self.source_file is None:
            return ""
        return f"{self.source_file}:{self.source_line}"

    @property
    def block_text(self) -> str:
        """The block path as in the graph's ``block`` attribute."""
        return "/".join(f"{owner}.{index}" for owner, index in self.block)


@dataclass(frozen=True)
class GraphWalk:
    """The walked graph: records, the graph inputs (self excluded) and the returned values.

    ``graph`` (the networkx.DiGraph) is built from the records on first access
    and then kept: a summary that never looks at it does not pay for it.
    ``producers`` maps each value id to the node id that produces it,
    ``value_names``/``value_types`` give its IR name and type, and
    ``block_returns`` lists, per control node, the value ids its blocks return.
    """

    ops: tuple[OpRecord, ...]
    inputs: tuple[ValueRecord, ...]
    outputs: tuple[ValueRecord, ...]
    input_node_ids: tuple[int, ...]
    output_node_id: int
    source_style: str  # "scripted", "traced", "mixed" or "none": how source ranges are written
    producers: Mapping[int, int] = field(default_factory=dict, repr=False, compare=False)
    value_names: Mapping[int, str] = field(default_factory=dict, repr=False, compare=False)
    value_types: Mapping[int, TorchType] = field(default_factory=dict, repr=False, compare=False)
    block_returns: tuple[tuple[int, tuple[int, ...]], ...] = field(default=(), repr=False)

    @cached_property
    def graph(self) -> Any:  # networkx.DiGraph; Any because networkx ships no types
        """The networkx.DiGraph of the records (attributes in this module's docstring)."""
        was_enabled = gc.isenabled()
        gc.disable()  # see walk_graph: the GC made building big graphs superlinear
        try:
            return _build_digraph(self)
        finally:
            if was_enabled:
                gc.enable()


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
        text = node.sourceRange()
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


def walk_module(script_module: Any, method: str = "forward") -> GraphWalk:
    """Inline a copy of ``script_module.<method>``'s graph and turn it into records and a DiGraph.

    The module is not changed: the walk works on ``graph.copy()``.
    """
    import torch

    graph = getattr(script_module, method).graph.copy()
    torch._C._jit_pass_inline(graph)
    return walk_graph(graph)


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
    output_node_id = walker.new_id()
    styles = walker.styles
    source_style = "none" if not styles else styles.pop() if len(styles) == 1 else "mixed"
    return GraphWalk(
        ops=tuple(walker.ops),
        inputs=tuple(inputs),
        outputs=outputs,
        input_node_ids=tuple(input_node_ids),
        output_node_id=output_node_id,
        source_style=source_style,
        producers=walker.producer,
        value_names=walker.value_name,
        value_types=walker.value_type,
        block_returns=tuple(walker.block_returns),
    )


def _is_module_self(value: Any) -> bool:
    c10_type = value.type()
    return type(c10_type).__name__ == "ClassType" and hasattr(c10_type, "name")


def _build_digraph(walked: GraphWalk) -> Any:
    inputs, input_node_ids = walked.inputs, walked.input_node_ids
    outputs, output_node_id = walked.outputs, walked.output_node_id
    nodes: list[tuple[int, dict[str, Any]]] = []
    for record, node_id in zip(inputs, input_node_ids, strict=True):
        nodes.append(
            (
                node_id,
                {
                    "op": OP_INPUT,
                    "kind": OP_INPUT,
                    "target": record.name.split(".")[0],
                    "scope": "",
                    "module_type": "",
                    "source": "",
                    "block": "",
                    "types": [record.type.text],
                    "meta": {},
                },
            )
        )
    for op in walked.ops:
        nodes.append(
            (
                op.id,
                {
                    "op": op.op,
                    "kind": op.kind,
                    "target": op.target,
                    "scope": op.scope,
                    "module_type": op.module_type,
                    "source": op.source,
                    "block": op.block_text,
                    "types": [value.type.text for value in op.outputs],
                    "meta": {},
                },
            )
        )
    nodes.append(
        (
            output_node_id,
            {
                "op": OP_OUTPUT,
                "kind": OP_OUTPUT,
                "target": "return",
                "scope": "",
                "module_type": "",
                "source": "",
                "block": "",
                "types": [value.type.text for value in outputs],
                "meta": {},
            },
        )
    )
    # Edges are gathered in a dict and added in one call: networkx clears its caches on
    # every add_edge, which made edge insertion the slowest part of the walk.
    edges: dict[tuple[int, int], dict[str, Any]] = {}
    producer = walked.producers
    for op in walked.ops:
        for value_id in op.inputs:
            _add_flow(edges, walked, producer.get(value_id), op.id, value_id, "data")
    for owner, returned in walked.block_returns:
        for value_id in returned:
            _add_flow(edges, walked, producer.get(value_id), owner, value_id, "return")
    for value in outputs:
        _add_flow(edges, walked, producer.get(value.id), output_node_id, value.id, "data")
    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from((u, v, data) for (u, v), data in edges.items())
    return graph


def _add_flow(
    edges: dict[tuple[int, int], dict[str, Any]],
    walked: GraphWalk,
    source: int | None,
    target: int,
    value_id: int,
    role: str,
) -> None:
    if source is None or source == target:
        return  # the module itself (self), or a loop value carried back into its own loop
    name = walked.value_names[value_id]
    existing = edges.get((source, target))
    if existing is None:
        edges[(source, target)] = {
            "values": [name],
            "types": [walked.value_types[value_id].text],
            "role": role,
        }
    elif name not in existing["values"]:
        existing["values"].append(name)
        existing["types"].append(walked.value_types[value_id].text)


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
