"""The summary: node kinds and counts from each distinct body once, plus the records the TS6xx findings read."""

from __future__ import annotations

import gc
from dataclasses import dataclass
from typing import Any

from tsinspect.ir.walk.bodies import (
    _COMMON_NAMESPACES,
    _FINDING_KINDS,
    _Bodies,
    _Body,
    _Call,
    _call_target,
    _CannotSummarise,
    _graph_outputs,
    _is_inlined_function_constant,
    _self_unique,
    _SpecialNode,
)
from tsinspect.ir.walk.flat import (
    _KINDS_WITH_BLOCKS,
    _NO_SOURCE_KINDS,
    _Walker,
    block_nodes,
    constant_text,
)
from tsinspect.ir.walk.records import GraphWalk, OpRecord, ValueRecord


@dataclass(frozen=True)
class GraphSummary:
    """What the summary needs from forward's inlined graph, computed without inlining it.

    ``kind_counts`` is (kind, count) for every node of the inlined graph
    (:func:`walk_module`), sorted by kind; ``node_count`` their total;
    ``source_style`` as in :class:`GraphWalk`, except that the summary stops
    reading source ranges at the first scripted one, so a ``mixed`` graph may
    read ``scripted`` (both mean a scripted model); ``finding_ops`` the records the
    TS6xx checks read (device constants and their first consumer,
    ``prim::PythonOp``, ``prim::Print``, ``prim::RaiseException`` and its
    message, operators outside ``aten``/``prim``), in the inlined graph's walk order, each with the submodule path
    of its copy (their ids are their own); ``graphs_walked`` counts the
    distinct method and function bodies read.
    """

    kind_counts: tuple[tuple[str, int], ...]
    node_count: int
    source_style: str
    finding_ops: tuple[OpRecord, ...]
    graphs_walked: int = 0


def summarise_walk(walked: GraphWalk) -> GraphSummary:
    """The :class:`GraphSummary` of an already walked graph."""
    counts: dict[str, int] = {}
    for op in walked.ops:
        counts[op.kind] = counts.get(op.kind, 0) + 1
    return GraphSummary(
        kind_counts=tuple(sorted(counts.items())),
        node_count=len(walked.ops),
        source_style=walked.source_style,
        finding_ops=walked.ops,  # every op: the checks pick what they read
        graphs_walked=0,
    )


def summarise_module(
    script_module: Any, method: str = "forward", bodies: _Bodies | None = None
) -> GraphSummary | None:
    """The :class:`GraphSummary` of ``script_module.<method>``, reading each distinct body once.

    Submodules of one TorchScript type share their methods' code, so each
    distinct method body is read once (ViT's twelve encoder layers are one
    body) and its counts are added once per call site: a ``prim::CallMethod``
    on a ``prim::GetAttr`` chain from ``self``, which :func:`walk_module` would
    copy there. A submodule called twice counts twice, one never called not
    at all. Equals the histogram of :func:`walk_module` by construction (both
    read the same bodies from :class:`_Bodies`). Returns None for the rare
    graphs this cannot follow (a module value not read from ``self``, a
    device constant passed into a call or returned from one, a raise whose
    message is an argument): callers then use :func:`walk_module`. Linear in
    the distinct code plus the number of call sites. Pass the same ``bodies``
    (``MethodBodies()``) to :func:`walk_module` to have the walk reuse them.
    """
    was_enabled = gc.isenabled()
    gc.disable()  # as in walk_graph
    try:
        summariser = _Summariser(bodies or _Bodies())
        try:
            summariser.expand_method(script_module._c, method, "", "")
        except _CannotSummarise:
            return None
        return summariser.result()
    finally:
        if was_enabled:
            gc.enable()


class _Summariser:
    def __init__(self, bodies: _Bodies) -> None:
        self.sources = bodies
        self.walker = _Walker()  # for its type and source caches, and the styles seen
        self.method_bodies: dict[tuple[str, str], _Body] = {}
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
            graphs_walked=len(self.method_bodies),
        )

    def expand_method(self, module: Any, method: str, scope: str, module_type: str) -> None:
        key, graph = self.sources.method(module, method)
        body = self.method_bodies.get(key)
        if body is None:
            body = self.method_bodies[key] = _BodyReader(self, graph).read()
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
                    self.expand_method(callee, event.method, callee_scope, event.type_name)
                else:
                    self.expand_method(callee, event.method, scope, module_type)
            else:
                self.records.append(self.instantiate(event, copy, scope, module_type))

    def instantiate(self, node: _SpecialNode, copy: int, scope: str, module_type: str) -> OpRecord:
        # Value ids are made unique per copy, so that copies of one body never share a value.
        def fresh(unique: int) -> int:
            return self.value_ids.setdefault((copy, unique), len(self.value_ids))

        return OpRecord(
            id=len(self.records),
            kind=node.kind,
            scope=scope,
            module_type=module_type,
            source_file=node.source_file,
            source_line=node.source_line,
            block=(),
            inputs=tuple(fresh(unique) for unique in node.inputs),
            outputs=tuple(ValueRecord(fresh(v.id), v.name, v.type) for v in node.outputs),
            constant=node.constant,
            target=node.constant if node.constant is not None else node.kind,
            num_blocks=node.num_blocks,
            traced_frame=node.traced_frame,
        )


class _BodyReader:
    """Reads one body graph into a :class:`_Body`, in the walk's pre-order."""

    def __init__(self, summariser: _Summariser, graph: Any) -> None:
        self.summariser = summariser
        self.walker = summariser.walker
        self.graph = graph
        self.body = _Body()
        self.self_unique = _self_unique(graph)
        self.watched: set[int] = set()  # device constants whose first consumer is still to come
        self.recorded_messages: set[int] = set()

    def read(self) -> _Body:
        self.read_block(self.graph.block())
        if self.watched & {value.unique() for value in _graph_outputs(self.graph)}:
            raise _CannotSummarise("a device constant returned to the caller")
        return self.body

    def read_block(self, block: Any) -> None:
        for node in block_nodes(block):
            self.read_node(node)

    def read_node(self, node: Any) -> None:
        kind = node.kind()
        if kind == "prim::CallMethod":
            target = _call_target(node, self.self_unique)
            if target is not None:
                if self.consumes_watched(node):
                    raise _CannotSummarise("a device constant passed into a submodule")
                chain, segment, type_name = target
                self.body.events.append(_Call(chain, node.s("name"), segment, type_name))
                return
        watch = False
        if kind == "prim::Constant" and node.outputsSize() == 1:
            if _is_inlined_function_constant(node):
                return
            watch = node.outputsAt(0).type().kind() == "DeviceObjType"
        counts = self.body.counts
        counts[kind] = counts.get(kind, 0) + 1
        if kind not in _NO_SOURCE_KINDS and "scripted" not in self.walker.styles:
            # for source_style. Formatting a node's source range is the costliest call here,
            # and one scripted range decides the model's kind: stop looking after it.
            self.walker.source_of(node)
        if kind == "prim::RaiseException" and node.inputsSize():
            self.record_message(node.inputsAt(0))
        if (
            watch
            or kind in _FINDING_KINDS
            or not kind.startswith(_COMMON_NAMESPACES)  # custom ops: TS603 names them
            or self.consumes_watched(node)
        ):
            self.body.events.append(self.special(node, kind))
            if watch:
                self.watched.add(node.outputsAt(0).unique())
        if kind in _KINDS_WITH_BLOCKS:
            for block in node.blocks():
                self.read_block(block)

    def consumes_watched(self, node: Any) -> bool:
        """True when ``node`` is the first consumer of a watched device constant."""
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
            raise _CannotSummarise("a raise message from an argument")
        if kind == "prim::Constant" and value.unique() not in self.recorded_messages:
            self.recorded_messages.add(value.unique())
            self.body.events.append(self.special(producer, kind))

    def special(self, node: Any, kind: str) -> _SpecialNode:
        walker = self.walker
        if kind in _NO_SOURCE_KINDS:
            source_file, source_line, style = None, None, "none"
        else:
            source_file, source_line, style = walker.source_of(node)
        outputs = []
        for position in range(node.outputsSize()):
            value = node.outputsAt(position)
            outputs.append(ValueRecord(value.unique(), value.debugName(), walker.type_of(value)))
        return _SpecialNode(
            kind=kind,
            source_file=source_file,
            source_line=source_line,
            traced_frame=style == "traced",
            inputs=tuple(node.inputsAt(i).unique() for i in range(node.inputsSize())),
            outputs=tuple(outputs),
            constant=constant_text(node) if kind == "prim::Constant" else None,
            num_blocks=len(list(node.blocks())) if kind in _KINDS_WITH_BLOCKS else 0,
        )
