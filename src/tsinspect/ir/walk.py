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


@dataclass(frozen=True)
class GraphSummary:
    """What the summary needs from forward's inlined graph, computed without inlining it.

    ``kind_counts`` is (kind, count) for every node the inlined graph would
    have, sorted by kind; ``node_count`` their total; ``source_style`` as in
    :class:`GraphWalk`; ``finding_ops`` the records the TS6xx checks read
    (device constants and their first consumer, ``prim::PythonOp``,
    ``prim::Print``, ``prim::RaiseException`` and its message), in the inlined
    graph's walk order, with the submodule path each copy runs in. Their ids
    are their own, not the full walk's. ``graphs_walked`` counts the distinct
    method and function bodies that were read.
    """

    kind_counts: tuple[tuple[str, int], ...]
    node_count: int
    source_style: str
    finding_ops: tuple[OpRecord, ...]
    graphs_walked: int = 0


def summarise_walk(walked: GraphWalk) -> GraphSummary:
    """The :class:`GraphSummary` of an already walked (inlined) graph."""
    counts: dict[str, int] = {}
    for op in walked.ops:
        counts[op.kind] = counts.get(op.kind, 0) + 1
    return GraphSummary(
        kind_counts=tuple(sorted(counts.items())),
        node_count=len(walked.ops),
        source_style=walked.source_style,
        finding_ops=walked.ops,  # every op: the checks pick what they read
        graphs_walked=1,
    )


def summarise_module(script_module: Any, method: str = "forward") -> GraphSummary | None:
    """The :class:`GraphSummary` of ``script_module.<method>`` without inlining it.

    Submodules of one TorchScript type share their methods' code, so each
    distinct method graph is walked once (ViT's twelve encoder layers are one
    graph) and its counts are added once per call site: a ``prim::CallMethod``
    on a ``prim::GetAttr`` chain from ``self``, found in the uninlined
    callers, as the inline pass would copy it. Free functions
    (``prim::CallFunction``) are inlined once each, alone in a small graph.
    Returns None for the rare graphs this cannot follow exactly (a module value
    not read from ``self``, a device constant passed into a call or returned
    from one, a raise whose message comes from an argument); callers then walk
    the inlined graph. Linear in the size of the distinct code plus the
    number of call sites.
    """
    was_enabled = gc.isenabled()
    gc.disable()  # as in walk_graph
    try:
        summariser = _Summariser()
        try:
            summariser.expand_method(script_module._c, method, "", "")
        except _CannotSummarise:
            return None
        return summariser.result()
    finally:
        if was_enabled:
            gc.enable()


class _CannotSummarise(Exception):
    """A graph the per-type summary cannot follow exactly; the caller inlines instead."""


# Node kinds the TS6xx checks read besides constants.
_FINDING_KINDS = frozenset({"prim::PythonOp", "prim::Print", "prim::RaiseException"})


@dataclass
class _Call:
    """A submodule method call site: attribute chain from self, method, and hierarchy segment."""

    chain: tuple[str, ...]
    method: str
    segment: str  # the instance name the inline pass records ("" for a method of self)
    type_name: str  # the callee's class name, for ``module_type``


@dataclass
class _FunctionCall:
    key: str


@dataclass
class _SpecialNode:
    """A node the findings read, as a template: scope and ids are filled in per copy."""

    kind: str
    source_file: str | None
    source_line: int | None
    traced_frame: bool
    inputs: tuple[int, ...]
    outputs: tuple[ValueRecord, ...]
    constant: str | None
    num_blocks: int


@dataclass
class _Body:
    """One method or function body, walked once: counts, styles, and ordered events."""

    counts: dict[str, int] = field(default_factory=dict)
    events: list[_Call | _FunctionCall | _SpecialNode] = field(default_factory=list)


class _Summariser:
    def __init__(self) -> None:
        self.walker = _Walker()  # for its type, source and constant caches
        self.bodies: dict[tuple[str, str], _Body] = {}
        self.functions: dict[str, _Body] = {}
        self.counts: dict[str, int] = {}
        self.records: list[OpRecord] = []
        self.value_ids: dict[tuple[int, int], int] = {}
        self.copies = 0

    def result(self) -> GraphSummary:
        styles = self.walker.styles
        source_style = "none" if not styles else next(iter(styles)) if len(styles) == 1 else "mixed"
        return GraphSummary(
            kind_counts=tuple(sorted(self.counts.items())),
            node_count=sum(self.counts.values()),
            source_style=source_style,
            finding_ops=tuple(self.records),
            graphs_walked=len(self.bodies) + len(self.functions),
        )

    # -- expansion: once per call site ---------------------------------------------------

    def expand_method(self, module: Any, method: str, scope: str, module_type: str) -> None:
        key = (module._type().qualified_name(), method)
        body = self.bodies.get(key)
        if body is None:
            graph = module._get_method(method).graph
            body = self.read_body(graph, has_self=True)
            self.bodies[key] = body
        self.expand(body, module, scope, module_type)

    def expand(self, body: _Body, module: Any, scope: str, module_type: str) -> None:
        counts = self.counts
        for kind, count in body.counts.items():
            counts[kind] = counts.get(kind, 0) + count
        self.copies += 1
        copy = self.copies
        for event in body.events:
            if isinstance(event, _Call):
                callee = module
                for name in event.chain:
                    callee = callee.getattr(name)
                if event.segment:
                    callee_scope = f"{scope}.{event.segment}" if scope else event.segment
                    callee_type = event.type_name
                else:
                    callee_scope, callee_type = scope, module_type
                self.expand_method(callee, event.method, callee_scope, callee_type)
            elif isinstance(event, _FunctionCall):
                self.expand(self.functions[event.key], module, scope, module_type)
            else:
                self.records.append(self.instantiate(event, copy, scope, module_type))

    def instantiate(self, node: _SpecialNode, copy: int, scope: str, module_type: str) -> OpRecord:
        # Value ids are made unique per copy, so that copies of one body never share a value.
        def fresh(unique: int) -> int:
            return self.value_ids.setdefault((copy, unique), len(self.value_ids))

        outputs = tuple(ValueRecord(fresh(v.id), v.name, v.type) for v in node.outputs)
        return OpRecord(
            id=len(self.records),
            kind=node.kind,
            scope=scope,
            module_type=module_type,
            source_file=node.source_file,
            source_line=node.source_line,
            block=(),
            inputs=tuple(fresh(unique) for unique in node.inputs),
            outputs=outputs,
            constant=node.constant,
            target=node.constant if node.constant is not None else node.kind,
            num_blocks=node.num_blocks,
            traced_frame=node.traced_frame,
        )

    # -- reading one body ----------------------------------------------------------------

    def read_body(self, graph: Any, has_self: bool) -> _Body:
        body = _Body()
        self_unique = None
        if has_self:
            # Graph has no inputsAt; the param node's outputs are the graph's inputs.
            params = graph.param_node()
            first = params.outputsAt(0) if params.outputsSize() else None
            if first is not None and _is_module_self(first):
                self_unique = first.unique()
        reader = _BodyReader(self, body, self_unique)
        reader.read_block(graph.block())
        reader.finish(graph)
        return body

    def function_body(self, call: Any, function_constant: Any) -> str:
        """Inline one ``prim::CallFunction`` alone in a new graph and read it; memoised by name."""
        import torch

        key = str(function_constant.output().type())
        if key in self.functions:
            return key
        stub = torch._C.Graph()
        mapped: dict[int, Any] = {}
        for position in range(1, call.inputsSize()):
            value = call.inputsAt(position)
            if value.unique() not in mapped:
                copy = stub.addInput()
                copy.setType(value.type())
                mapped[value.unique()] = copy
        constant_copy = stub.createClone(function_constant, lambda value: value)
        stub.insertNode(constant_copy)
        function_value = function_constant.output().unique()
        call_copy = stub.createClone(
            call,
            lambda value: constant_copy.output()
            if value.unique() == function_value
            else mapped[value.unique()],
        )
        stub.insertNode(call_copy)
        for position in range(call_copy.outputsSize()):
            stub.registerOutput(call_copy.outputsAt(position))
        torch._C._jit_pass_inline(stub)
        self.functions[key] = self.read_body(stub, has_self=False)
        return key


class _BodyReader:
    """Reads one uninlined graph into a :class:`_Body` (pre-order, as the walker does)."""

    def __init__(self, summariser: _Summariser, body: _Body, self_unique: int | None) -> None:
        self.summariser = summariser
        self.walker = summariser.walker
        self.body = body
        self.self_unique = self_unique
        # device constant values whose first consumer is still to come
        self.watched: set[int] = set()
        self.recorded_messages: set[int] = set()

    def count(self, kind: str) -> None:
        counts = self.body.counts
        counts[kind] = counts.get(kind, 0) + 1

    def read_block(self, block: Any) -> None:
        for node in block_nodes(block):
            self.read_node(node)

    def read_node(self, node: Any) -> None:
        kind = node.kind()
        if kind == "prim::CallMethod" and self.read_method_call(node):
            return
        if kind == "prim::CallFunction":
            function_constant = node.inputsAt(0).node()
            if function_constant.kind() == "prim::Constant":
                if self.consumes_watched(node):
                    # the first consumer would be inside the callee: only the inlined walk knows it
                    raise _CannotSummarise("device constant passed into a function")
                key = self.summariser.function_body(node, function_constant)
                self.body.events.append(_FunctionCall(key))
                return
        watch = False
        if kind == "prim::Constant" and node.outputsSize() == 1:
            output = node.outputsAt(0)
            type_kind = output.type().kind()
            if type_kind == "FunctionType" and output.uses():
                return  # the inline pass deletes a function constant once its calls are inlined
            watch = type_kind == "DeviceObjType"
        self.count(kind)
        if kind not in _NO_SOURCE_KINDS:
            self.walker.source_of(node)  # for source_style
        if kind == "prim::RaiseException" and node.inputsSize():
            self.record_message(node.inputsAt(0))
        if watch or kind in _FINDING_KINDS or self.consumes_watched(node):
            special = self.special(node, kind)
            self.body.events.append(special)
            if watch:
                self.watched.add(node.outputsAt(0).unique())
        if kind in _KINDS_WITH_BLOCKS:
            for block in node.blocks():
                self.read_block(block)

    def read_method_call(self, node: Any) -> bool:
        """Record a submodule call site; False for calls the inline pass keeps (interfaces)."""
        module_value = node.inputsAt(0)
        module_type = module_value.type()
        if type(module_type).__name__ != "ClassType":
            return False
        chain: list[str] = []
        value = module_value
        while value.unique() != self.self_unique:
            producer = value.node()
            if producer.kind() != "prim::GetAttr":
                raise _CannotSummarise(f"module value from {producer.kind()}")
            chain.append(producer.s("name"))
            value = producer.inputsAt(0)
        chain.reverse()
        # The inline pass names the instance after the GetAttr that produced the module value
        # ("SELF" for a method of the same module, which parse_module_hierarchy skips).
        segment = chain[-1] if chain else ""
        if self.consumes_watched(node):
            raise _CannotSummarise("device constant passed into a submodule")
        self.body.events.append(
            _Call(
                chain=tuple(chain),
                method=node.s("name"),
                segment=segment,
                type_name=str(module_type).rsplit(".", 1)[-1],
            )
        )
        return True

    def consumes_watched(self, node: Any) -> bool:
        """True when ``node`` is the first consumer of a device constant (which then stops being watched)."""
        if not self.watched:
            return False
        found = False
        for position in range(node.inputsSize()):
            unique = node.inputsAt(position).unique()
            if unique in self.watched:
                self.watched.discard(unique)
                found = True
        return found

    def record_message(self, value: Any) -> None:
        producer = value.node()
        kind = producer.kind()
        if kind == "prim::Param":
            raise _CannotSummarise("raise message from an argument")
        if kind == "prim::Constant" and value.unique() not in self.recorded_messages:
            self.recorded_messages.add(value.unique())
            self.body.events.append(self.special(producer, kind))

    def special(self, node: Any, kind: str) -> _SpecialNode:
        walker = self.walker
        if kind in _NO_SOURCE_KINDS:
            source_file, source_line, style = None, None, "none"
        else:
            source_file, source_line, style = walker.source_of(node)
        outputs = tuple(
            ValueRecord(
                node.outputsAt(i).unique(),
                node.outputsAt(i).debugName(),
                walker.type_of(node.outputsAt(i)),
            )
            for i in range(node.outputsSize())
        )
        return _SpecialNode(
            kind=kind,
            source_file=source_file,
            source_line=source_line,
            traced_frame=style == "traced",
            inputs=tuple(node.inputsAt(i).unique() for i in range(node.inputsSize())),
            outputs=outputs,
            constant=constant_text(node) if kind == "prim::Constant" else None,
            num_blocks=len(list(node.blocks())) if kind in _KINDS_WITH_BLOCKS else 0,
        )

    def finish(self, graph: Any) -> None:
        if not self.watched:
            return
        graph_return = graph.return_node()
        returned = {graph_return.inputsAt(i).unique() for i in range(graph_return.inputsSize())}
        if returned & self.watched:
            raise _CannotSummarise("device constant returned to the caller")


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
