"""``tsinspect config`` and ``tsinspect validate``: Triton config.pbtxt for a TorchScript model."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tsinspect.cli.exit_codes import EXIT_CLEAN, EXIT_FINDINGS
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
    time_limit_option,
    trust_model_option,
)
from tsinspect.diagnostics import Diagnostic
from tsinspect.gcpause import with_cyclic_gc_paused
from tsinspect.progress import Progress

if TYPE_CHECKING:
    from tsinspect.api.config import ValidationResult
    from tsinspect.triton.infer import InferenceResult


def _echo_findings(diagnostics: Sequence[Diagnostic]) -> None:
    from tsinspect.render.config_pbtxt import findings_text

    click.echo(findings_text(diagnostics), err=True, nl=False)


@click.command("config")
@click.argument("model", type=click.Path(dir_okay=False))
@input_shape_option
@input_dtype_option
@max_batch_size_option
@name_option
@naming_option
@click.option(
    "--instance-kind",
    type=click.Choice(["cpu", "gpu", "auto", "model"]),
    default=None,
    help="Add an instance_group of this kind.",
)
@click.option(
    "--instance-count", type=int, default=1, show_default=True, help="Instances in the group."
)
@click.option("--dynamic-batching", is_flag=True, help="Add a dynamic_batching block.")
@click.option(
    "--preferred-batch-size",
    "preferred_batch_sizes",
    type=int,
    multiple=True,
    help="dynamic_batching preferred size, in 1..max_batch_size; repeatable.",
)
@click.option(
    "--max-queue-delay",
    "max_queue_delay",
    type=int,
    default=0,
    show_default=True,
    help="dynamic_batching max_queue_delay_microseconds.",
)
@click.option(
    "--parameter",
    "parameters",
    multiple=True,
    metavar="KEY=VALUE",
    help="A backend parameter, e.g. INFERENCE_MODE=true; repeatable.",
)
@output_option("Write the config to FILE instead of stdout.")
@click.option(
    "--model-repository",
    type=click.Path(file_okay=False),
    default=None,
    help="Write DIR/<name>/config.pbtxt and DIR/<name>/1/model.pt.",
)
@library_option
@trust_model_option
@force_option
@quiet_option
@time_limit_option
@with_cyclic_gc_paused
def config(
    model: str,
    input_shapes: tuple[str, ...],
    input_dtypes: tuple[str, ...],
    max_batch_size: int | None,
    name: str | None,
    naming: str,
    instance_kind: str | None,
    instance_count: int,
    dynamic_batching: bool,
    preferred_batch_sizes: tuple[int, ...],
    max_queue_delay: int,
    parameters: tuple[str, ...],
    output: str | None,
    model_repository: str | None,
    libraries: tuple[str, ...],
    trust_model: bool,
    time_limit: float,
    force: bool,
    quiet: bool,
) -> None:
    """Write a checked config.pbtxt for Triton's PyTorch (libtorch) backend.

    Shapes and dtypes come from the model itself; every inferred value is
    labelled with how it was found. This runs the model: torch.jit.load runs its
    __setstate__ methods and the probes run forward on the CPU; a model whose code
    the pre-scan flags is not loaded without --trust-model. Exit 1 when the
    backend cannot serve the model (no config is written), 2 when inference needs
    an option.
    """
    from tsinspect.api.config import (
        default_name,
        ensure_writable,
        infer_config_from_text,
        render_config,
        write_config,
        write_model_repository,
    )

    if output and model_repository:
        raise click.UsageError("use either -o/--output or --model-repository, not both")
    ensure_writable(output, model_repository, default_name(model, name), force)
    with Progress(enabled=False if quiet else None) as progress:
        progress(f"loading and probing {model}")
        result = infer_config_from_text(
            model,
            input_shapes=input_shapes,
            input_dtypes=input_dtypes,
            parameters=parameters,
            max_batch_size=max_batch_size,
            name=name,
            naming=naming,
            instance_kind=f"KIND_{instance_kind.upper()}" if instance_kind else None,
            instance_count=instance_count,
            dynamic_batching=dynamic_batching,
            preferred_batch_sizes=preferred_batch_sizes,
            max_queue_delay_microseconds=max_queue_delay,
            libraries=libraries,
            trust_model=trust_model,
            time_limit_s=time_limit,
        )
    if result.config is None:
        _echo_findings(result.blockers)
        click.echo(f"tsinspect: no config written: {len(result.blockers)} blocker(s)", err=True)
        sys.exit(EXIT_FINDINGS)
    text = render_config(result)
    if not quiet:
        for line in result.summary:
            click.echo(f"tsinspect: {line}", err=True)
    if model_repository:
        folder = write_model_repository(
            model, text, result.config.name, model_repository, force=force
        )
        click.echo(f"tsinspect: wrote {folder}/config.pbtxt and {folder}/1/model.pt", err=True)
    elif output:
        write_config(text, output, force=force)
        click.echo(f"tsinspect: wrote {output}", err=True)
    else:
        click.echo(text, nl=False)
    if (model_repository or output) and not quiet:
        click.echo(next_steps(result, model_repository, output), err=True, nl=False)
    sys.exit(EXIT_CLEAN)


def next_steps(result: InferenceResult, repository: str | None, output: str | None) -> str:
    """What a deployer runs once the files are written: serve the repository, then load it
    with perf_analyzer at the shapes the model was run with (every -1 dim made concrete)."""
    from tsinspect.triton.next_steps import perf_analyzer_command, serve_command

    config = result.config
    assert config is not None  # only called once a config was written
    lines = ["tsinspect: next steps:"]
    if repository is None and output is not None:
        written = Path(output)
        if written.name == "config.pbtxt" and written.parent.name == config.name:
            repository = str(written.parent.parent)
            lines.append(f"  # the model file goes to {written.parent / '1' / 'model.pt'}")
        else:
            repository = "REPOSITORY"
            lines.append(
                f"  # save the config as REPOSITORY/{config.name}/config.pbtxt and the model as "
                f"REPOSITORY/{config.name}/1/model.pt"
            )
    assert repository is not None
    lines.append(f"  {serve_command(repository)}")
    lines.append(f"  {perf_analyzer_command(config, result.example_shapes)}")
    return "\n".join(lines) + "\n"


@click.command("validate")
@click.argument("model", type=click.Path(exists=True))
@click.argument("config_path", metavar="[CONFIG]", required=False, type=click.Path(exists=True))
@click.option(
    "--schema",
    "require_schema",
    is_flag=True,
    help="Fail (exit 2) when Triton's protobuf schema (tritonclient) is not installed.",
)
@format_option(["text", "json"], "text")
@library_option
@trust_model_option
@quiet_option
@time_limit_option
@with_cyclic_gc_paused
def validate(
    model: str,
    config_path: str | None,
    require_schema: bool,
    output_format: str,
    libraries: tuple[str, ...],
    trust_model: bool,
    quiet: bool,
    time_limit: float,
) -> None:
    """Check a config.pbtxt against the model it serves.

    MODEL is a .pt file and CONFIG its config.pbtxt (or model folder); or MODEL
    alone is a model folder DIR/<name>/ holding config.pbtxt and <version>/model.pt.
    This runs the model (torch.jit.load runs its __setstate__ methods, the
    probes run forward on the CPU); a model whose code the pre-scan flags is not
    loaded without --trust-model. Exit 1 on any error or warning.
    """
    from tsinspect.api.config import validate_config
    from tsinspect.render.config_pbtxt import findings_json

    with Progress(enabled=False if quiet else None) as progress:
        progress(f"loading {model} and checking its config")
        result = validate_config(
            model,
            config_path or model,
            require_schema=require_schema,
            libraries=libraries,
            trust_model=trust_model,
            time_limit_s=time_limit,
        )
    if output_format == "json":
        click.echo(findings_json(result.diagnostics, result.schema_checked))
    else:
        click.echo(_text_or_ok(result), nl=False)
    sys.exit(EXIT_CLEAN if result.ok else EXIT_FINDINGS)


def _text_or_ok(result: ValidationResult) -> str:
    from tsinspect.render.config_pbtxt import findings_text

    if not result.diagnostics:
        return f"{result.config_path}: config matches the model\n"
    return findings_text(result.diagnostics)
