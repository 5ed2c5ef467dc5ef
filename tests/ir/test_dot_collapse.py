"""``--collapse`` (depth 0): every top-level submodule is one node, control flow inside it included."""

from __future__ import annotations

import re
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


def test_pictures_collapse_to_fit_a_screen_by_default(
    model_archive: Callable[..., Any], loaded_model: Callable[..., Any]
) -> None:
    from click.testing import CliRunner

    from tsinspect.cli import main
    from tsinspect.render.dot import SCREEN_NODES, fit_depth

    pytest.importorskip("pydot")
    model = loaded_model("resnet_like")
    module_types = {s.path: s.type_name for s in model.submodules}
    whole = view_graph(model.graph, module_types=module_types).number_of_nodes()
    assert whole > SCREEN_NODES  # drawn whole it would not fit
    depth = fit_depth(model.graph, module_types)
    assert depth is not None
    assert view_graph(model.graph, depth=depth, module_types=module_types).number_of_nodes() <= (
        SCREEN_NODES
    )
    # the deepest that fits: one level more would not
    assert view_graph(model.graph, depth=depth + 1, module_types=module_types).number_of_nodes() > (
        SCREEN_NODES
    )

    def drawn_nodes(*options: str) -> int:
        result = CliRunner().invoke(
            main, ["graph", str(model_archive("resnet_like")), "--dot", *options]
        )
        assert result.exit_code == 0, result.output
        # node statements: an id (n12, m_layers_0) then attributes; edges have "->"
        return len(re.findall(r"^\s*(?:n\d+|m_\w+) \[", result.stdout, flags=re.MULTILINE))

    assert 0 < drawn_nodes() <= SCREEN_NODES
    assert drawn_nodes("--full") >= whole
    # a small model is drawn whole
    simple = loaded_model("simple_cnn")
    assert fit_depth(simple.graph, {s.path: s.type_name for s in simple.submodules}) is None


def test_fit_depth_counts_what_view_graph_draws(loaded_model: Callable[..., Any]) -> None:
    """fit_depth counts each depth's view without drawing it: the counts must be the sizes of
    the views view_graph draws."""
    from tsinspect.render.dot import _hidden_nodes, _placements, view_graph

    for fixture in ("resnet_like", "nested_blocks", "control_flow"):
        graph = loaded_model(fixture).graph
        hidden = _hidden_nodes(graph, False)
        for depth in (None, 0, 1, 2, 3):
            counted = len(set(_placements(graph, depth, hidden).values()))
            assert counted == view_graph(graph, depth=depth).number_of_nodes()
