"""``tsinspect report MODEL.pt``: check, graph and config in one HTML or Markdown document. No logic."""

from __future__ import annotations

import sys

import click

from tsinspect.cli.options import (
    force_option,
    format_option,
    input_dtype_option,
    input_shape_option,
    library_option,
    max_batch_size_option,
    name_option,
    naming_option,
    output_option,
    quiet_option,
    trust_model_option,
)


@click.command("report")
@click.argument("model_path", metavar="MODEL.pt", type=click.Path(path_type=str))
@click.option(
    "--source",
    "sources",
    multiple=True,
    type=click.Path(path_type=str),
    metavar="PATH",
    help="Python file or package folder the model was built from, to lint (repeatable).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=str),
    default=None,
    metavar="FILE",
    help="An existing config.pbtxt (or model folder) to validate against the model.",
)
@output_option(
    "Write the report to FILE (.html, .htm or .md picks the format) instead of stdout.",
    name="output_path",
)
@format_option(
    ["html", "markdown"], None, "Output format (default: from the -o suffix, else markdown)."
)
@force_option
@quiet_option
@click.option(
    "--no-picture",
    is_flag=True,
    help="Do not run Graphviz; show the module tree instead of the graph.",
)
@input_shape_option
@input_dtype_option
@max_batch_size_option
@name_option
@naming_option
@library_option
@trust_model_option
def report(
    model_path: str,
    sources: tuple[str, ...],
    config_path: str | None,
    output_path: str | None,
    output_format: str | None,
    force: bool,
    quiet: bool,
    no_picture: bool,
    input_shapes: tuple[str, ...],
    input_dtypes: tuple[str, ...],
    max_batch_size: int | None,
    name: str | None,
    naming: str,
    libraries: tuple[str, ...],
    trust_model: bool,
) -> None:
    """Write the review document of a TorchScript model: verdict, inputs and outputs, config.pbtxt,
    deployment findings, lint findings of its sources, and a picture of the graph.

    This runs the model: torch.jit.load runs its __setstate__ methods and the
    config probes run forward on the CPU; a model whose code the pre-scan flags
    is not loaded (the report says why) without --trust-model.

    An input that cannot be read (a missing or non-TorchScript model, a source
    that does not parse, an unreadable --config) is named in the report.
    Exit codes: 0 ready for Triton's libtorch backend, 1 blockers or warnings,
    2 an unreadable input (the report says which) or a usage error (nothing
    is written).
    """
    from tsinspect.api import report as api
    from tsinspect.api.config import parse_input_overrides
    from tsinspect.progress import Progress

    chosen_format = api.report_format(output_path, output_format)
    if output_path is not None:
        api.check_writable(output_path, force)  # fail before the slow part, not after it
    shapes, dtypes = parse_input_overrides(input_shapes, input_dtypes)
    with Progress(enabled=False if quiet else None) as progress:
        result = api.build_report(
            model_path,
            sources,
            config_path,
            input_shapes=shapes,
            input_dtypes=dtypes,
            max_batch_size=max_batch_size,
            name=name,
            naming=naming,
            libraries=libraries,
            picture=not no_picture,
            progress=progress,
            trust_model=trust_model,
        )
        text = api.render_report(result, chosen_format)
    if output_path is not None:
        api.write_report(text, output_path, force)
        if not quiet:
            click.echo(f"tsinspect: wrote {output_path}: {result.verdict.headline}", err=True)
    else:
        click.echo(text, nl=False)
    sys.exit(result.exit_code)
