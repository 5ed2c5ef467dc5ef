"""The only code touching ``torch._C``: a TorchScript graph -> frozen records + a networkx.DiGraph.

Two readings of ``forward``, both built from the same method *bodies*
(:class:`_Bodies`): one per TorchScript type and method, since submodules of
one type share their code (ViT's twelve encoder layers are one body). A body
is a copy of the method's graph with its free-function calls inlined and the
clean-ups TorchScript's inliner applies to each callee (peephole, constant
propagation on immutable types, constant pooling); calls to submodules stay
``prim::CallMethod`` nodes on ``prim::GetAttr`` chains from ``self``.

- :func:`summarise_module` (the summary): reads each body once, counts its
  node kinds, and adds those counts once per call site, recursively; keeps
  only the few records the TS6xx findings read. Linear in the distinct code
  plus the number of call sites: no inlining, no per-node work per copy.
- :func:`walk_module` (``--dot``, ``--json``, ``LoadedModel.graph``): copies
  each body's records at every call site, as an inline pass would, into one
  record per node of the inlined graph; nodes inside ``prim::If`` and
  ``prim::Loop`` blocks are kept, with their block path. Values are looked up
  in dicts: linear in the graph size.

Both count exactly the same nodes (tests/model/test_summary.py checks it on
every fixture). Unlike ``torch._C._jit_pass_inline``, nothing is folded
across a call: a callee's ``is None`` checks stay even where its caller passes
``None``, and each copy keeps its own constants; that is what makes every copy
of a body the same. :func:`walk_graph` still walks any already inlined graph.

Where things come from (measured on torch 2.13):

- the submodule a node runs in: the attribute names of the ``prim::GetAttr``
  chain of each call, as the inline pass names inlined instances
  (``layer1.0.conv2``); a method of the same module adds nothing. (For an
  already inlined graph, :func:`walk_graph` reads ``Node.getModuleHierarchy()``,
  e.g. ``layer1(Sequential).0(BasicBlock).conv2(Conv2d).SELF(Conv2d)``, which
  is empty for ``prim::If``/``prim::Loop`` nodes and their blocks.)
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
from collections.abc import Mapping, Sequence
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
        except RuntimeError:  # a damaged debug_pkl record (torch unpickles it lazily)
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


def walk_module(script_module: Any, method: str = "forward") -> GraphWalk:
    """Records and a DiGraph for ``script_module.<method>`` with every submodule and function call inlined.

    Each distinct method body (one per TorchScript type: submodules of one
    type share their code) is read once and its records are copied at every
    call site, as an inline pass would; see :class:`_Bodies` for the clean-ups
    applied to each body. A call on a module value that is not read from
    ``self`` (none seen in practice) cannot be followed that way: the graph is
    then inlined by ``torch._C._jit_pass_inline`` and walked by
    :func:`walk_graph`. The module is not changed.
    """
    was_enabled = gc.isenabled()
    gc.disable()  # as in walk_graph
    try:
        try:
            return _Composer(_Bodies()).walk(script_module._c, method)
        except _CannotSummarise:
            pass
    finally:
        if was_enabled:
            gc.enable()
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
    return walker.result(inputs, input_node_ids, outputs)


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


def summarise_module(script_module: Any, method: str = "forward") -> GraphSummary | None:
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
    the distinct code plus the number of call sites.
    """
    was_enabled = gc.isenabled()
    gc.disable()  # as in walk_graph
    try:
        summariser = _Summariser(_Bodies())
        try:
            summariser.expand_method(script_module._c, method, "", "")
        except _CannotSummarise:
            return None
        return summariser.result()
    finally:
        if was_enabled:
            gc.enable()


class _CannotSummarise(Exception):
    """A graph the per-type summary cannot follow exactly; the caller walks the inlined graph."""


# Node kinds the TS6xx checks read besides constants and operators outside these namespaces.
_FINDING_KINDS = frozenset({"prim::PythonOp", "prim::Print", "prim::RaiseException"})
_COMMON_NAMESPACES = ("aten::", "prim::")


class _Bodies:
    """The method and function bodies the summary and the inlined walk both read, made once each.

    A method body is a copy of its graph after the clean-ups TorchScript's own
    inliner applies to each callee (peephole, constant propagation on
    immutable types, constant pooling): a ``ReLU`` whose ``inplace`` is a
    constant keeps one branch. Unlike ``torch._C._jit_pass_inline`` we never
    fold across a call (a ``None`` argument does not remove the callee's
    ``is None`` checks), so that every copy of a body is the same and the
    summary can count each body once. A free function's body is the function
    inlined alone into a small graph (TorchScript's optimised graph of it,
    nested functions included).
    """

    def __init__(self) -> None:
        self.methods: dict[tuple[str, str], Any] = {}
        self.functions: dict[str, Any] = {}

    def method(self, module: Any, method: str) -> tuple[tuple[str, str], Any]:
        import torch

        jit: Any = torch._C  # these passes are missing from torch's type stubs
        key = (module._type().qualified_name(), method)
        graph = self.methods.get(key)
        if graph is None:
            graph = module._get_method(method).graph.copy()
            self.inline_functions(graph)
            jit._jit_pass_peephole(graph, True)  # True: no shape peepholes, as the inliner
            jit._jit_pass_constant_propagation_immutable_types(graph)
            jit._jit_pass_constant_pooling(graph)
            self.methods[key] = graph
        return key, graph

    def inline_functions(self, graph: Any) -> None:
        """Replace each ``prim::CallFunction`` of a constant function by the function's body."""
        calls: list[Any] = []

        def find(block: Any) -> None:
            for node in block_nodes(block):
                kind = node.kind()
                if (
                    kind == "prim::CallFunction"
                    and node.inputsAt(0).node().kind() == "prim::Constant"
                ):
                    calls.append(node)
                elif kind in _KINDS_WITH_BLOCKS:
                    for inner in node.blocks():
                        find(inner)

        find(graph.block())
        for call in calls:
            stub = self.function(call, call.inputsAt(0).node())
            with graph.insert_point_guard(call):
                results = graph.insertGraph(
                    stub, [call.inputsAt(i) for i in range(1, call.inputsSize())]
                )
            for position, result in enumerate(results):
                call.outputsAt(position).replaceAllUsesWith(result)
            call.destroy()

    def function(self, call: Any, function_constant: Any) -> Any:
        """The function ``call`` calls, inlined alone into a graph that takes its arguments."""
        import torch

        key = str(function_constant.output().type())
        known = self.functions.get(key)
        if known is not None:
            return known
        stub: Any = torch._C.Graph()
        constant_copy = stub.createClone(function_constant, lambda value: value)
        stub.insertNode(constant_copy)
        # One stub input per argument position, even where the caller passes one value twice:
        # the stub is shared by every call site of the function.
        call_copy = stub.createClone(call, lambda value: constant_copy.output())
        call_copy.replaceInput(0, constant_copy.output())
        for position in range(1, call.inputsSize()):
            argument = stub.addInput()
            argument.setType(call.inputsAt(position).type())
            call_copy.replaceInput(position, argument)
        stub.insertNode(call_copy)
        for position in range(call_copy.outputsSize()):
            stub.registerOutput(call_copy.outputsAt(position))
        torch._C._jit_pass_inline(stub)
        self.functions[key] = stub
        return stub


def _graph_inputs(graph: Any) -> list[Any]:
    params = graph.param_node()  # Graph has no inputsAt; the param node's outputs are its inputs
    return [params.outputsAt(i) for i in range(params.outputsSize())]


def _graph_outputs(graph: Any) -> list[Any]:
    graph_return = graph.return_node()
    return [graph_return.inputsAt(i) for i in range(graph_return.inputsSize())]


def _call_target(node: Any, self_unique: int | None) -> tuple[tuple[str, ...], str, str] | None:
    """(attribute chain from self, instance name, class name) of a submodule call, or None if kept.

    The inline pass keeps calls on interfaces; it names the inlined instance
    after the ``prim::GetAttr`` that produced the module value (``""`` for a
    method of the same module, which becomes ``SELF`` and no scope segment).
    """
    module_value = node.inputsAt(0)
    module_type = module_value.type()
    if type(module_type).__name__ != "ClassType":
        return None
    chain: list[str] = []
    value = module_value
    while value.unique() != self_unique:
        producer = value.node()
        if producer.kind() != "prim::GetAttr":
            raise _CannotSummarise(f"a module value made by {producer.kind()}")
        chain.append(producer.s("name"))
        value = producer.inputsAt(0)
    chain.reverse()
    return tuple(chain), chain[-1] if chain else "", str(module_type).rsplit(".", 1)[-1]


def _is_inlined_function_constant(node: Any) -> bool:
    # the inline pass deletes a function constant once all its calls are inlined
    output = node.outputsAt(0)
    return output.type().kind() == "FunctionType" and bool(output.uses())


def _self_unique(graph: Any) -> int | None:
    inputs = _graph_inputs(graph)
    return inputs[0].unique() if inputs and _is_module_self(inputs[0]) else None


@dataclass
class _Call:
    """A submodule method call site: attribute chain from self, method, instance name, class."""

    chain: tuple[str, ...]
    method: str
    segment: str
    type_name: str


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
    """One body as the summary reads it: kind counts and ordered events."""

    counts: dict[str, int] = field(default_factory=dict)
    events: list[_Call | _SpecialNode] = field(default_factory=list)


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


# -- the inlined walk, composed from the same bodies ----------------------------------------


@dataclass
class _TemplateNode:
    """One node of a body, read completely; ids are the body's own value uniques."""

    kind: str
    source: tuple[str | None, int | None, str]
    block: tuple[tuple[int, int], ...]  # (owner's index in the body, block index)
    inputs: tuple[int, ...]
    outputs: tuple[ValueRecord, ...]
    constant: str | None
    attribute: str | None  # a prim::GetAttr's name
    block_params: tuple[tuple[ValueRecord, ...], ...]
    call: _Call | None = None


@dataclass
class _BlockEnd:
    owner: int  # the owner's index in the body
    returned: tuple[int, ...]


@dataclass
class _Template:
    inputs: tuple[ValueRecord, ...]  # self first for a method
    has_self: bool
    outputs: tuple[int, ...]
    events: list[_TemplateNode | _BlockEnd]


class _Composer:
    """Builds the inlined walk by copying each body's records at its call sites."""

    def __init__(self, bodies: _Bodies) -> None:
        self.sources = bodies
        self.walker = _Walker()  # its ops, producers, names, types, attribute paths and caches
        self.method_templates: dict[tuple[str, str], _Template] = {}
        self.next_value = 0

    def walk(self, module: Any, method: str) -> GraphWalk:
        walker = self.walker
        template = self.method_template(module, method)
        arguments: list[int] = []
        inputs: list[ValueRecord] = []
        input_node_ids: list[int] = []
        for position, value in enumerate(template.inputs):
            new = self.new_value(value)
            arguments.append(new.id)
            if position == 0 and template.has_self:
                walker.attr_path[new.id] = ""
                continue
            node_id = walker.new_id()
            walker.producer[new.id] = node_id
            inputs.append(new)
            input_node_ids.append(node_id)
        returned = self.instantiate(template, module, "", "", arguments, ())
        outputs = tuple(
            ValueRecord(value, walker.value_name[value], walker.value_type[value])
            for value in returned
        )
        return walker.result(inputs, input_node_ids, outputs)

    def new_value(self, value: ValueRecord) -> ValueRecord:
        new = ValueRecord(self.next_value, value.name, value.type)
        self.next_value += 1
        self.walker.value_name[new.id] = new.name
        self.walker.value_type[new.id] = new.type
        return new

    def method_template(self, module: Any, method: str) -> _Template:
        key, graph = self.sources.method(module, method)
        template = self.method_templates.get(key)
        if template is None:
            template = self.method_templates[key] = self.read_template(graph)
        return template

    def read_template(self, graph: Any) -> _Template:
        walker = self.walker
        self_unique = _self_unique(graph)
        events: list[_TemplateNode | _BlockEnd] = []

        def record(value: Any) -> ValueRecord:
            return ValueRecord(value.unique(), value.debugName(), walker.type_of(value))

        def read_block(block: Any, path: tuple[tuple[int, int], ...]) -> None:
            for node in block_nodes(block):
                read_node(node, path)

        def read_node(node: Any, path: tuple[tuple[int, int], ...]) -> None:
            kind = node.kind()
            call: _Call | None = None
            if kind == "prim::CallMethod":
                target = _call_target(node, self_unique)
                if target is not None:
                    call = _Call(target[0], node.s("name"), target[1], target[2])
            elif (
                kind == "prim::Constant"
                and node.outputsSize() == 1
                and _is_inlined_function_constant(node)
            ):
                return
            index = len(events)
            inputs = tuple(node.inputsAt(i).unique() for i in range(node.inputsSize()))
            outputs = tuple(record(node.outputsAt(i)) for i in range(node.outputsSize()))
            if call is not None:
                events.append(
                    _TemplateNode(
                        kind, (None, None, "none"), path, inputs, outputs, None, None, (), call
                    )
                )
                return
            source: tuple[str | None, int | None, str] = (None, None, "none")
            if kind not in _NO_SOURCE_KINDS:
                source = walker.source_of(node)
            blocks = list(node.blocks()) if kind in _KINDS_WITH_BLOCKS else []
            params = tuple(
                tuple(
                    record(block.paramNode().outputsAt(i))
                    for i in range(block.paramNode().outputsSize())
                )
                for block in blocks
            )
            events.append(
                _TemplateNode(
                    kind=kind,
                    source=source,
                    block=path,
                    inputs=inputs,
                    outputs=outputs,
                    constant=constant_text(node) if kind == "prim::Constant" else None,
                    attribute=node.s("name") if kind == "prim::GetAttr" else None,
                    block_params=params,
                )
            )
            for block_index, block in enumerate(blocks):
                read_block(block, (*path, (index, block_index)))
                block_return = block.returnNode()
                returned = tuple(
                    block_return.inputsAt(i).unique() for i in range(block_return.inputsSize())
                )
                events.append(_BlockEnd(index, returned))

        read_block(graph.block(), ())
        return _Template(
            inputs=tuple(record(value) for value in _graph_inputs(graph)),
            has_self=self_unique is not None,
            outputs=tuple(value.unique() for value in _graph_outputs(graph)),
            events=events,
        )

    def instantiate(
        self,
        template: _Template,
        module: Any,
        scope: str,
        module_type: str,
        arguments: list[int],
        prefix: tuple[tuple[int, int], ...],
    ) -> list[int]:
        """Copy ``template``'s records for one call; returns the global ids of its results."""
        walker = self.walker
        values = {
            value.id: argument for value, argument in zip(template.inputs, arguments, strict=True)
        }
        node_ids: dict[int, int] = {}  # event index -> node id, for block owners
        attr_path = walker.attr_path
        for index, event in enumerate(template.events):
            if isinstance(event, _BlockEnd):
                walker.block_returns.append(
                    (node_ids[event.owner], tuple(values[unique] for unique in event.returned))
                )
                continue
            block = prefix + tuple((node_ids[owner], i) for owner, i in event.block)
            call = event.call
            if call is not None:
                callee = module
                for name in call.chain:
                    callee = callee.getattr(name)
                callee_scope, callee_type = scope, module_type
                if call.segment:
                    callee_scope = f"{scope}.{call.segment}" if scope else call.segment
                    callee_type = call.type_name
                results = self.instantiate(
                    self.method_template(callee, call.method),
                    callee,
                    callee_scope,
                    callee_type,
                    [values[unique] for unique in event.inputs],
                    block,
                )
                for output, result in zip(event.outputs, results, strict=True):
                    values[output.id] = result
                continue
            node_id = walker.new_id()
            node_ids[index] = node_id
            inputs = tuple(values[unique] for unique in event.inputs)
            outputs = []
            for output in event.outputs:
                new = self.new_value(output)
                values[output.id] = new.id
                walker.producer[new.id] = node_id
                outputs.append(new)
            for params in event.block_params:
                for param in params:
                    new = self.new_value(param)
                    values[param.id] = new.id
                    walker.producer[new.id] = node_id
            target = event.kind
            if event.constant is not None:
                target = event.constant
            elif event.attribute is not None:
                owner = attr_path.get(inputs[0]) if inputs else None
                target = event.attribute if not owner else f"{owner}.{event.attribute}"
                attr_path[outputs[0].id] = target
            source_file, source_line, style = event.source
            walker.ops.append(
                OpRecord(
                    id=node_id,
                    kind=event.kind,
                    scope=scope,
                    module_type=module_type,
                    source_file=source_file,
                    source_line=source_line,
                    block=block,
                    inputs=inputs,
                    outputs=tuple(outputs),
                    constant=event.constant,
                    target=target,
                    num_blocks=len(event.block_params),
                    traced_frame=style == "traced",
                )
            )
        return [values[unique] for unique in template.outputs]


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
