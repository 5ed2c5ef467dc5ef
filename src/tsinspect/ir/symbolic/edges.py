"""Shapes onto the graph: each edge's and node's shapes, each submodule's output shape.

:func:`annotate_graph` adds, to the networkx graph built from a walk, an edge
attribute ``shapes`` (one text per entry of ``values``: ``[N, 64, 7, 7]``, or
None where unknown) and ``meta["shapes"]`` on every node (one per output).
:func:`module_outputs` finds, per submodule path, the tensors that leave it
(read by an op outside it, or returned): what torchinfo calls a layer's
output shape.
"""

from __future__ import annotations

from typing import Any

from tsinspect.ir.symbolic import GraphShapes
from tsinspect.ir.symbolic.values import SymTensor, value_text
from tsinspect.ir.walk import GraphWalk


def annotate_graph(graph: Any, walk: GraphWalk, shapes: GraphShapes) -> None:
    """Put the shapes on ``graph``'s edges (``shapes``) and nodes (``meta["shapes"]``)."""
    values = shapes.analysis.values
    texts: dict[int, str | None] = {}  # a value read by several ops is written once

    def text(value_id: int) -> str | None:
        found = texts.get(value_id, "")
        if found == "":
            found = texts[value_id] = value_text(values.get(value_id))
        return found

    nodes = graph.nodes
    for record, node_id in zip(walk.inputs, walk.input_node_ids, strict=True):
        if node_id in nodes:
            nodes[node_id]["meta"]["shapes"] = [text(record.id)]
    for op in walk.ops:
        if op.id in nodes:
            nodes[op.id]["meta"]["shapes"] = [text(out.id) for out in op.outputs]
    if walk.output_node_id in nodes:
        nodes[walk.output_node_id]["meta"]["shapes"] = [text(v.id) for v in walk.outputs]
    flows: list[tuple[int, int]] = [(value_id, op.id) for op in walk.ops for value_id in op.inputs]
    flows += [(value_id, owner) for owner, returned in walk.block_returns for value_id in returned]
    flows += [(value.id, walk.output_node_id) for value in walk.outputs]
    successors = graph.succ
    for value_id, target in flows:
        source = walk.producers.get(value_id)
        data = successors[source].get(target) if source in successors else None
        if data is None:
            continue
        names = data["values"]
        found = data.get("shapes")
        if found is None or len(found) != len(names):
            found = [None] * len(names)
            data["shapes"] = found
        name = walk.value_names.get(value_id)
        if name in names:
            found[names.index(name)] = text(value_id)


def module_inputs(walk: GraphWalk, shapes: GraphShapes) -> dict[str, str]:
    """Per submodule path, the shape of the first tensor that enters it (what it sees)."""
    values = shapes.analysis.values
    producer_scope = {out.id: op.scope for op in walk.ops for out in op.outputs}
    prefixes = _Prefixes()
    found: dict[str, str] = {}
    for op in walk.ops:
        if not op.scope:
            continue
        scopes = prefixes.of(op.scope)
        if all(prefix in found for prefix in scopes):
            continue
        for value_id in op.inputs:
            value = values.get(value_id)
            if not isinstance(value, SymTensor):
                continue
            source = producer_scope.get(value_id)  # None: a graph input
            for prefix in scopes:
                if prefix in found:
                    continue
                if source is None or not (source == prefix or source.startswith(prefix + ".")):
                    found[prefix] = value.text()
    return found


def module_outputs(walk: GraphWalk, shapes: GraphShapes) -> dict[str, str]:
    """Per submodule path (``layer1.0``), the shape of the last tensor that leaves it."""
    values = shapes.analysis.values
    consumers: dict[int, list[str | None]] = {}
    for op in walk.ops:
        for value_id in op.inputs:
            consumers.setdefault(value_id, []).append(op.scope)
    for value in walk.outputs:
        consumers.setdefault(value.id, []).append(None)  # returned: leaves every submodule
    prefixes = _Prefixes()
    found: dict[str, str] = {}
    for op in walk.ops:
        if not op.scope:
            continue
        for out in op.outputs:
            shape = values.get(out.id)
            if not isinstance(shape, SymTensor):
                continue
            readers = consumers.get(out.id, [])
            text = None
            for prefix in reversed(prefixes.of(op.scope)):
                leaves = any(
                    reader is None or not (reader == prefix or reader.startswith(prefix + "."))
                    for reader in readers
                )
                if leaves:
                    text = shape.text() if text is None else text
                    found[prefix] = text
    return found


class _Prefixes:
    """``layer1.0.conv1`` -> ``("layer1", "layer1.0", "layer1.0.conv1")``, worked out once a scope."""

    def __init__(self) -> None:
        self._known: dict[str, tuple[str, ...]] = {}

    def of(self, scope: str) -> tuple[str, ...]:
        found = self._known.get(scope)
        if found is None:
            parts = scope.split(".")
            found = self._known[scope] = tuple(
                ".".join(parts[:depth]) for depth in range(1, len(parts) + 1)
            )
        return found


__all__ = ["annotate_graph", "module_inputs", "module_outputs"]
