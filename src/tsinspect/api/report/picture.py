"""The picture section of a report: forward's graph drawn by Graphviz, or the module tree."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tsinspect.api.report.svg import sanitize_svg
from tsinspect.errors import MissingDependencyError, TsinspectError
from tsinspect.report import PictureSection, TreeLine

if TYPE_CHECKING:
    from tsinspect.ir.model import LoadedModel

#: Seconds Graphviz may take to draw the collapsed graph before the report falls back to the tree.
PICTURE_TIMEOUT_S = 60.0


def picture_section(loaded: LoadedModel, draw: bool) -> PictureSection:
    """forward's graph drawn by Graphviz (each top-level submodule one node, the SVG sanitized),
    or the module tree when ``draw`` is False, Graphviz is missing or fails."""
    from tsinspect.api.model import render_picture

    parameters_by_module = {
        s.path: sum(1 for p in s.parameters if p.role == "parameter") for s in loaded.submodules
    }
    tree = tuple(
        TreeLine(s.depth, s.path, s.type_name, parameters_by_module.get(s.path, 0))
        for s in loaded.submodules
    )
    ops = tuple(loaded.op_histogram()[:15])
    if not draw:
        return PictureSection(
            None, tree, "the module tree (drawing skipped with --no-picture)", ops
        )
    from tsinspect.render.dot import render_dot

    module_types = {s.path: s.type_name for s in loaded.submodules}
    try:
        dot_text = render_dot(loaded.graph, depth=0, module_types=module_types)
        svg = sanitize_svg(
            render_picture(dot_text, "svg", timeout_s=PICTURE_TIMEOUT_S).decode("utf-8")
        )
    except MissingDependencyError:
        return PictureSection(
            None, tree, "the module tree (install Graphviz for a drawing of the graph)", ops
        )
    except TsinspectError as error:
        return PictureSection(
            None, tree, f"the module tree (the graph could not be drawn: {error})", ops
        )
    return PictureSection(
        svg, tree, "forward's graph, each top-level submodule collapsed to one node", ops
    )
