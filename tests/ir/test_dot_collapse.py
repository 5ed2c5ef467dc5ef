"""``--collapse`` (depth 0): every top-level submodule is one node, control flow inside it included."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import networkx as nx
import pytest

from tsinspect.render.dot import render_dot, view_graph

torch = pytest.importorskip("torch")


def test_collapsed_resnet_like_has_no_control_flow_from_submodules(
    loaded_model: Callable[..., Any],
) -> None:
    model = loaded_model("resnet_like")
    # BatchNorm's checks put prim::If nodes (and a prim::Loop) inside the submodules
    inside = [op for op in model.ops if op.kind in ("prim::If", "prim::Loop")]
    assert inside and all(op.scope for op in inside)
    module_types = {s.path: s.type_name for s in model.submodules}
    view = view_graph(model.graph, depth=0, module_types=module_types)
    top_level = sorted(s.path for s in model.submodules if s.depth == 1)
    top_level_ops = [
        op.kind
        for op in model.ops
        if not op.scope and op.op == "call" and op.kind != "prim::ListConstruct"
    ]
    assert top_level_ops == ["aten::flatten"]
    expected = len(top_level) + len(model.input_node_ids) + 1 + len(top_level_ops)
    assert view.number_of_nodes() == expected
    collapsed = sorted(d["target"] for _, d in view.nodes(data=True) if d["op"] == "module")
    assert collapsed == top_level
    assert all(not d["block"] for _, d in view.nodes(data=True))
    dot = render_dot(model.graph, depth=0, module_types=module_types)
    assert "prim::If" not in dot and "prim::Loop" not in dot
    assert "layers (Sequential)" in dot


def test_block_nodes_fold_into_their_owners_submodule() -> None:
    # A graph as an inline pass may leave it: the nodes inside the block carry no scope,
    # their prim::If owner does.
    graph = nx.DiGraph()

    def add(node: int, kind: str, scope: str, block: str = "", op: str = "call") -> None:
        graph.add_node(
            node,
            op=op,
            kind=kind,
            target=kind,
            scope=scope,
            module_type="",
            source="",
            block=block,
            types=["Tensor"],
            meta={},
        )

    add(0, "input", "", op="input")
    add(1, "prim::If", "body.norm", op="control")
    add(2, "aten::relu", "", block="1.0")
    add(3, "prim::Loop", "", block="1.1", op="control")
    add(4, "aten::add", "", block="1.1/3.0")
    add(5, "aten::flatten", "")
    add(6, "output", "", op="output")
    for source, target in ((0, 1), (0, 2), (2, 1), (3, 4), (1, 5), (5, 6)):
        graph.add_edge(source, target, values=["v"], types=["Tensor"], role="data")
    view = view_graph(graph, depth=0)
    assert sorted(map(str, view.nodes)) == ["0", "5", "6", "module:body"]
    assert view.nodes["module:body"]["meta"]["nodes"] == 4
    assert list(view.successors(0)) == ["module:body"]
    # depth 1 keeps body open, collapses body.norm with its blocks
    deeper = view_graph(graph, depth=1)
    assert deeper.nodes["module:body.norm"]["meta"]["nodes"] == 4
    # without collapsing, nothing moves
    assert view_graph(graph).number_of_nodes() == 7
