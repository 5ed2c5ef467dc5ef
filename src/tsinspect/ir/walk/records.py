"""The walk's records: one OpRecord per node, ValueRecords, the GraphWalk and its networkx.DiGraph."""

from __future__ import annotations

import gc
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from tsinspect.ir.signature import TorchType

#: Node ``op`` values.
OP_INPUT = "input"


OP_OUTPUT = "output"


OP_CONSTANT = "constant"


OP_GET_ATTR = "get_attr"


OP_CALL = "call"


OP_CONTROL = "control"


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
    import networkx as nx  # here, not at the top: config and graph's text never draw (~0.4 s)

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
