"""``tsinspect report MODEL.pt``: check, graph and config in one HTML or Markdown document. No logic."""

from __future__ import annotations

import sys

import click


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
@click.option(
    "-o",
    "--output",
    "output_path",
    type=click.Path(dir_okay=False, path_type=str),
    default=None,
    help="Write the report to FILE (.html, .htm or .md picks the format) instead of stdout.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["html", "markdown"]),
    default=None,
    help="Output format (default: from the -o suffix, else markdown).",
)
@click.option("--force", is_flag=True, help="Overwrite an existing output file.")
@click.option("-q", "--quiet", is_flag=True, help="No progress or summary on stderr.")
@click.option(
    "--no-picture",
    is_flag=True,
    help="Do not run Graphviz; show the module tree instead of the graph.",
)
@click.option(
    "--input-shape",
    "input_shapes",
    multiple=True,
    metavar="[NAME=]DIMS",
    help="Config dims of an input when they cannot be inferred, e.g. x=1,28,28 (as for tsinspect config).",
)
@click.option(
    "--input-dtype",
    "input_dtypes",
    multiple=True,
    metavar="[NAME=]TYPE",
    help="Data type of an input: fp32, fp16, int64, bool...; repeatable.",
)
@click.option(
    "--max-batch-size", type=int, default=None, help="0 turns batching off; default: inferred."
)
@click.option("--name", default=None, help="Model name in the config; default: the file's stem.")
@click.option(
    "--naming",
    type=click.Choice(["index", "forward-args"]),
    default="index",
    show_default=True,
    help="Config input names: input__0... or forward's argument names.",
)
@click.option(
    "--library",
    "libraries",
    multiple=True,
    type=click.Path(path_type=str),
    metavar="LIB.so",
    help="Custom-op library to load before the model (repeatable).",
)
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
) -> None:
    """Write the review document of a TorchScript model: verdict, inputs and outputs, config.pbtxt,
    deployment findings, lint findings of its sources, and a picture of the graph.

    An input that cannot be read (a missing or non-TorchScript model, a source
    that does not parse, an unreadable --config) is named in the report.
    Exit codes: 0 ready for Triton's libtorch backend, 1 blockers or warnings,
    2 an unreadable input (the report says which) or a usage error (nothing
    is written).
    """
    from tsinspect.api import report as api
    from tsinspect.progress import Progress
    from tsinspect.triton.infer import parse_dims, parse_named

    chosen_format = api.report_format(output_path, output_format)
    if output_path is not None:
        api.check_writable(output_path, force)  # fail before the slow part, not after it
    shapes = [parse_named(text) for text in input_shapes]
    dtypes = [parse_named(text) for text in input_dtypes]
    if any(n is None for n, _ in shapes) and any(n is not None for n, _ in shapes):
        raise click.UsageError("--input-shape: give all shapes by name or all in order")
    if any(n is None for n, _ in dtypes) and any(n is not None for n, _ in dtypes):
        raise click.UsageError("--input-dtype: give all dtypes by name or all in order")
    named_shapes = {n: parse_dims(v) for n, v in shapes if n is not None}
    named_dtypes = {n: v for n, v in dtypes if n is not None}
    with Progress(enabled=False if quiet else None) as progress:
        result = api.build_report(
            model_path,
            sources,
            config_path,
            input_shapes=named_shapes or [parse_dims(v) for _, v in shapes] or None,
            input_dtypes=named_dtypes or [v for _, v in dtypes] or None,
            max_batch_size=max_batch_size,
            name=name,
            naming=naming,
            libraries=libraries,
            picture=not no_picture,
            progress=progress,
        )
        text = api.render_report(result, chosen_format)
    if output_path is not None:
        api.write_report(text, output_path, force)
        if not quiet:
            click.echo(f"tsinspect: wrote {output_path}: {result.verdict.headline}", err=True)
    else:
        click.echo(text, nl=False)
    sys.exit(result.exit_code)
