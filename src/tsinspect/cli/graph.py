"""``tsinspect graph MODEL.pt``: what is inside a TorchScript archive. Options in, renderer out."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from tsinspect.cli.exit_codes import EXIT_CLEAN, EXIT_FINDINGS
from tsinspect.cli.options import (
    force_option,
    library_option,
    output_option,
    quiet_option,
    trust_model_option,
)
from tsinspect.diagnostics import Severity
from tsinspect.gcpause import with_cyclic_gc_paused
from tsinspect.progress import Progress

if TYPE_CHECKING:
    from tsinspect.ir.model import LoadedModel
    from tsinspect.ir.symbolic import GraphShapes


@click.command()
@click.argument("model_path", metavar="MODEL.pt", type=click.Path(path_type=str))
@click.option(
    "--dot", "output_format", flag_value="dot", help="Write Graphviz DOT (submodules as clusters)."
)
@click.option(
    "--json",
    "output_format",
    flag_value="json",
    help="Write JSON: node-link graph, signature, parameters, findings.",
)
@click.option(
    "--svg", "output_format", flag_value="svg", help="Render an SVG picture (needs Graphviz's dot)."
)
@click.option(
    "--png",
    "output_format",
    flag_value="png",
    help="Render a PNG picture (needs Graphviz's dot and -o).",
)
@click.option(
    "--depth",
    type=click.IntRange(min=0),
    default=None,
    metavar="N",
    help="Draw submodules nested deeper than N levels as single nodes (text: list N+1 levels).",
)
@click.option(
    "--collapse", is_flag=True, help="Draw every top-level submodule as a single node (--depth 0)."
)
@click.option(
    "--full",
    is_flag=True,
    help="Pictures: draw every submodule open, however big (default: collapse to fit a screen).",
)
@click.option(
    "--all-nodes", is_flag=True, help="DOT/pictures: also draw constants and attribute reads."
)
@output_option("Write to FILE instead of stdout.", name="output_path")
@force_option
@click.option(
    "--input-shape",
    "input_shapes",
    multiple=True,
    metavar="NAME:D,D,...",
    help="Full shape of an input (batch dim included, -1 free) instead of the inferred one; repeatable.",
)
@library_option
@trust_model_option
@quiet_option
@with_cyclic_gc_paused
def graph(
    model_path: str,
    output_format: str | None,
    depth: int | None,
    collapse: bool,
    full: bool,
    all_nodes: bool,
    output_path: str | None,
    force: bool,
    input_shapes: tuple[str, ...],
    libraries: tuple[str, ...],
    trust_model: bool,
    quiet: bool,
) -> None:
    """Show what a TorchScript archive holds: signature, parameters, submodules, ops, findings.

    The archive is loaded on the CPU and forward is never run; a file that is not
    TorchScript (a state_dict, an eager module, a corrupt zip...) is named and refused
    before loading, and so is one whose code defines __setstate__ (torch.jit.load runs
    it) or calls file, process or custom operators, unless --trust-model. Exit codes: 0 clean (always for --dot/--svg/--png), 1 when the text or
    JSON output reports errors or warnings, 2 unreadable input or usage error.
    """
    from tsinspect.api import model as api

    if output_format == "png" and output_path is None:
        raise click.UsageError("--png writes binary data: name the file with -o FILE.png")
    if collapse:
        depth = 0
    if output_path is not None:
        from tsinspect.files import check_output

        check_output(output_path, force)  # before the slow part, not after it
    with Progress(enabled=False if quiet else None) as progress:
        progress(f"loading {model_path}")
        loaded = api.load_model(model_path, libraries=libraries, trust_model=trust_model, walk=True)
        progress("solving shapes")
        shapes = api.model_shapes(
            loaded, _parse_input_shapes(input_shapes), annotate=output_format is not None
        )
        progress(f"rendering {output_format or 'text'}")
        data = _render(loaded, shapes, output_format, depth, all_nodes, full)
    if output_path is not None:
        api.write_output(output_path, data, force=force)
    else:
        click.echo(data, nl=False)
    reported = output_format in (None, "json")
    serious = any(d.severity in (Severity.ERROR, Severity.WARNING) for d in loaded.findings)
    sys.exit(EXIT_FINDINGS if reported and serious else EXIT_CLEAN)


def _render(
    loaded: LoadedModel,
    shapes: GraphShapes,
    output_format: str | None,
    depth: int | None,
    all_nodes: bool,
    full: bool,
) -> bytes:
    """The picked renderer's output, as bytes (pictures are binary)."""
    from tsinspect.api import model as api

    module_types = {s.path: s.type_name for s in loaded.submodules}
    data: bytes
    if output_format in ("dot", "svg", "png"):
        from tsinspect.render.dot import fit_depth, render_dot

        if depth is None and not full:
            depth = fit_depth(loaded.graph, module_types)
        dot_text = render_dot(
            loaded.graph, depth=depth, show_all=all_nodes, module_types=module_types
        )
        data = (
            dot_text.encode("utf-8")
            if output_format == "dot"
            else api.render_picture(dot_text, output_format)
        )
    elif output_format == "json":
        from tsinspect.render.graph_json import render_graph_json

        data = render_graph_json(loaded, depth=depth, shapes=shapes).encode("utf-8")
    else:
        from tsinspect.ir.symbolic.edges import module_inputs, module_outputs
        from tsinspect.render.graph_text import render_graph_text

        data = render_graph_text(
            loaded,
            depth=depth,
            shapes=shapes,
            module_shapes=module_outputs(loaded.walk, shapes),
            module_input_shapes=module_inputs(loaded.walk, shapes),
        ).encode("utf-8")
    return data


def _parse_input_shapes(texts: tuple[str, ...]) -> dict[str, tuple[int, ...]]:
    """``--input-shape NAME:D,D,...`` values by input name; a malformed one is a usage error."""
    shapes: dict[str, tuple[int, ...]] = {}
    for text in texts:
        name, separator, dims = text.rpartition(":")
        try:
            parsed = tuple(int(part) for part in dims.replace("x", ",").split(",") if part.strip())
        except ValueError:
            parsed = ()
        if not separator or not name or not parsed:
            raise click.UsageError(
                f"--input-shape {text!r}: expected NAME:D,D,... (e.g. x:1,3,224,224)"
            )
        shapes[name] = parsed
    return shapes
