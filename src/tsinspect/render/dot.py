"""Graphviz DOT for a model graph: submodules as clusters, inputs and outputs marked.

Pure: a networkx graph (attributes as in docs/graph.md) in, DOT text out,
built with pydot (never by string concatenation, so every name and label is
quoted correctly). :func:`view_graph` is the shared step that hides
bookkeeping nodes and collapses deep submodules into single nodes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import networkx as nx

from tsinspect.errors import MissingDependencyError

# Node ops hidden unless the caller asks for every node.
_HIDDEN_OPS = frozenset({"constant", "get_attr"})
_CONSTANT_BUILDERS = frozenset({"prim::ListConstruct", "prim::TupleConstruct"})
_NODE_STYLE: dict[str, dict[str, str]] = {
    "input": {"shape": "ellipse", "style": "filled", "fillcolor": "#cfe2ff"},
    "output": {"shape": "ellipse", "style": "filled", "fillcolor": "#d1e7dd"},
    "control": {"shape": "diamond", "style": "filled", "fillcolor": "#fff3cd"},
    "module": {"shape": "box3d", "style": "filled", "fillcolor": "#e2e3e5"},
    "constant": {"shape": "note", "fontsize": "9"},
    "get_attr": {"shape": "note", "fontsize": "9"},
    "call": {"shape": "box", "style": "rounded"},
}


def _scope_prefix(scope: str, depth: int) -> str:
    parts = scope.split(".") if scope else []
    return ".".join(parts[: depth + 1])


def _collapsed_owner(block: str, keep: Mapping[Any, Any]) -> str | None:
    """The collapsed submodule (``prefix``) of the outermost collapsed owner in a block path."""
    for step in block.split("/"):
        owner = keep.get(int(step.partition(".")[0]))
        if isinstance(owner, str) and owner.startswith("module:"):
            return owner.removeprefix("module:")
    return None


def _hidden_nodes(graph: Any, show_all: bool) -> set[Any]:
    """The nodes a view leaves out: constants, attribute reads (parameters) and lists or
    tuples built only from them, unless ``show_all``."""
    if show_all:
        return set()
    hidden = {n for n, d in graph.nodes(data=True) if d.get("op") in _HIDDEN_OPS}
    # lists and tuples built only from constants (conv strides, paddings) are constants too
    hidden |= {
        n
        for n, d in graph.nodes(data=True)
        if d.get("kind") in _CONSTANT_BUILDERS and all(p in hidden for p in graph.predecessors(n))
    }
    return hidden


def _placements(graph: Any, depth: int | None, hidden: set[Any]) -> dict[Any, Any]:
    """Each shown node's node in the view: itself, or ``module:<prefix>`` where it is collapsed."""
    keep: dict[Any, Any] = {}  # original node -> node in the view
    for node, data in graph.nodes(data=True):
        if node in hidden:
            continue
        scope = data.get("scope", "")
        prefix = None
        if depth is not None and scope and scope.count(".") >= depth:
            prefix = _scope_prefix(scope, depth)
        if depth is not None and data.get("block"):
            # A node inside a prim::If/prim::Loop block folds into the submodule its block's
            # owner folded into, whatever scope the node itself carries: torch's inline pass
            # leaves nodes in callee blocks without a module hierarchy (walk_graph's scope "").
            owner_prefix = _collapsed_owner(data["block"], keep)
            if owner_prefix is not None:
                prefix = owner_prefix
        keep[node] = f"module:{prefix}" if prefix is not None else node
    return keep


def view_graph(
    graph: Any,
    depth: int | None = None,
    show_all: bool = False,
    module_types: Mapping[str, str] | None = None,
) -> Any:
    """The graph as drawn: bookkeeping nodes hidden, submodules deeper than ``depth`` collapsed.

    Unless ``show_all``, constants, attribute reads (parameters) and lists or
    tuples built only from them are hidden.

    With ``depth=0`` every top-level submodule (``conv1``, ``layer1``) becomes
    one node of op ``module``; ``depth=1`` keeps ``layer1`` open and collapses
    ``layer1.0``. Nodes inside a ``prim::If``/``prim::Loop`` block fold into
    the node their block's owner folded into. Nodes outside any submodule
    stay as they are. Edges between merged nodes are merged; the input graph
    is not changed. Linear in the graph size (owners come before the nodes of
    their blocks in the graph's node order).
    """
    module_types = module_types or {}
    keep = _placements(graph, depth, _hidden_nodes(graph, show_all))
    # Nodes and edges are gathered in dicts and added in bulk: networkx clears caches on
    # every single add, which was the slowest part of drawing a 10k-node graph.
    nodes: dict[Any, dict[str, Any]] = {}
    for node, data in graph.nodes(data=True):
        placed = keep.get(node)
        if placed is None:
            continue
        if placed != node:
            prefix = placed.removeprefix("module:")
            if placed not in nodes:
                nodes[placed] = {
                    "op": "module",
                    "kind": "module",
                    "target": prefix,
                    "scope": prefix.rpartition(".")[0],
                    "module_type": module_types.get(prefix, ""),
                    "source": "",
                    "block": "",
                    "types": [],
                    "meta": {"nodes": 0},
                }
            nodes[placed]["meta"]["nodes"] += 1
        else:
            # copies, so that passes adding to a view's meta never touch the model's graph
            nodes[node] = {**data, "types": list(data["types"]), "meta": dict(data["meta"])}
    edges: dict[tuple[Any, Any], dict[str, Any]] = {}
    for source, target, data in graph.edges(data=True):
        if source not in keep or target not in keep:
            continue
        u, v = keep[source], keep[target]
        if u == v:
            continue
        existing = edges.get((u, v))
        shapes = data.get("shapes") or [None] * len(data["values"])
        if existing is None:
            edges[(u, v)] = {
                "values": list(data["values"]),
                "types": list(data["types"]),
                "role": data["role"],
            }
            if "shapes" in data:
                edges[(u, v)]["shapes"] = list(shapes)
        else:
            for name, type_text, shape in zip(data["values"], data["types"], shapes, strict=True):
                if name not in existing["values"]:
                    existing["values"].append(name)
                    existing["types"].append(type_text)
                    if "shapes" in existing:
                        existing["shapes"].append(shape)
    view = nx.DiGraph()
    view.add_nodes_from(nodes.items())
    view.add_edges_from((u, v, data) for (u, v), data in edges.items())
    return view


#: The most nodes a picture drawn without --depth shows: about what fits a screen readably.
SCREEN_NODES = 80


def fit_depth(
    graph: Any, module_types: Mapping[str, str] | None = None, limit: int = SCREEN_NODES
) -> int | None:
    """The deepest ``--depth`` whose view has at most ``limit`` nodes (None: the whole graph fits).

    A ResNet-50 drawn whole is tens of thousands of pixels across; collapsed to its
    stages it reads at a glance. Depth 0 is the floor, however many nodes it leaves.
    """
    deepest = max(
        (
            str(data.get("scope", "")).count(".")
            for _, data in graph.nodes(data=True)
            if data.get("scope")
        ),
        default=-1,
    )
    # The views' sizes are counted, not drawn: the same placements view_graph makes, without
    # building a DiGraph per depth tried (a ResNet-50 tries six).
    hidden = _hidden_nodes(graph, False)

    def view_size(depth: int | None) -> int:
        return len(set(_placements(graph, depth, hidden).values()))

    if view_size(None) <= limit:
        return None
    for depth in range(deepest, -1, -1):
        if view_size(depth) <= limit:
            return depth
    return 0


def _shapes_text(data: Mapping[str, Any]) -> str:
    shapes = [shape for shape in data.get("meta", {}).get("shapes", []) if shape]
    return f"\n{', '.join(shapes)}" if shapes else ""


def _node_label(node: Any, data: Mapping[str, Any]) -> str:
    op = data.get("op")
    if op == "input":
        return f"input {data['target']}\n{', '.join(data['types'])}{_shapes_text(data)}"
    if op == "output":
        return f"output\n{', '.join(data['types'])}{_shapes_text(data)}"
    if op == "module":
        type_name = f" ({data['module_type']})" if data.get("module_type") else ""
        return f"{data['target']}{type_name}\n{data['meta'].get('nodes', 0)} nodes"
    if op in ("constant", "get_attr"):
        return f"{data['target']}"
    return str(data["kind"])


def _edge_label(data: Mapping[str, Any]) -> str:
    """The shape that flows (``[N, 64, 7, 7]``) where known, else the TorchScript type."""
    types = data.get("types", [])
    shapes = data.get("shapes") or []
    if len(types) == 1:
        return str(shapes[0]) if shapes and shapes[0] else str(types[0])
    known = [shape for shape in shapes if shape]
    if known and len(known) <= 2:
        return "\n".join(known)
    return f"{len(types)} values"


def _dot_id(node: Any) -> str:
    return (
        f"n{node}"
        if isinstance(node, int)
        else "m_" + "".join(c if c.isalnum() else "_" for c in str(node))
    )


def render_dot(
    graph: Any,
    name: str = "model",
    depth: int | None = None,
    show_all: bool = False,
    module_types: Mapping[str, str] | None = None,
) -> str:
    """DOT text for ``graph``: nested clusters for submodules and control-flow blocks.

    Inputs are blue ellipses, the output a green one, ``prim::If``/``prim::Loop``
    yellow diamonds; the nodes in their blocks sit in a dashed cluster per
    block. Edges carry the TorchScript type of the value that flows.
    """
    try:
        import pydot
    except ImportError:
        raise MissingDependencyError(
            "--dot needs pydot: pip install 'tsinspect[torch]' (or pip install pydot)"
        ) from None
    view = view_graph(graph, depth=depth, show_all=show_all, module_types=module_types)
    dot = pydot.Dot(graph_name=name, graph_type="digraph", rankdir="TB", compound="true")
    dot.set_node_defaults(fontname="Helvetica", fontsize="11")
    dot.set_edge_defaults(fontname="Helvetica", fontsize="9")
    clusters: dict[str, Any] = {}
    module_types = module_types or {}

    def scope_cluster(scope: str) -> Any:
        if not scope:
            return dot
        if scope in clusters:
            return clusters[scope]
        parent = scope_cluster(scope.rpartition(".")[0])
        type_name = module_types.get(scope, "")
        label = f"{scope} ({type_name})" if type_name else scope
        cluster = pydot.Cluster(f"s{len(clusters)}", label=label, style="rounded", color="#6c757d")
        parent.add_subgraph(cluster)
        clusters[scope] = cluster
        return cluster

    def block_cluster(block: str, owner_scope: str) -> Any:
        key = f"block:{block}"
        if key in clusters:
            return clusters[key]
        owner, _, index = block.rpartition("/")[2].partition(".")
        outer = block.rpartition("/")[0]
        parent = block_cluster(outer, owner_scope) if outer else scope_cluster(owner_scope)
        owner_kind = graph.nodes[int(owner)]["kind"] if int(owner) in graph else "block"
        cluster = pydot.Cluster(
            f"b{len(clusters)}",
            label=f"{owner_kind} #{owner} block {index}",
            style="dashed",
            color="#b8860b",
        )
        parent.add_subgraph(cluster)
        clusters[key] = cluster
        return cluster

    for node, data in view.nodes(data=True):
        block = data.get("block", "")
        if block:
            top_owner = int(block.split("/")[0].split(".")[0])
            owner_scope = graph.nodes[top_owner].get("scope", "") if top_owner in graph else ""
            container = block_cluster(block, owner_scope)
        else:
            container = scope_cluster(data.get("scope", ""))
        style = _NODE_STYLE.get(str(data.get("op")), _NODE_STYLE["call"])
        attributes: dict[str, Any] = dict(style)
        label = _node_label(node, data)
        if block and data.get("scope"):
            label += f"\n{data['scope']}"  # the block cluster hides which submodule it came from
        attributes["label"] = label
        if data.get("source"):
            attributes["tooltip"] = str(data["source"])
        container.add_node(pydot.Node(_dot_id(node), **attributes))
    for source, target, data in view.edges(data=True):
        edge_attributes: dict[str, Any] = {"label": _edge_label(data)}
        if data.get("role") == "return":
            edge_attributes["style"] = "dashed"
        dot.add_edge(pydot.Edge(_dot_id(source), _dot_id(target), **edge_attributes))
    return str(dot.to_string())
