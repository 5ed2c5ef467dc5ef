"""Options several commands share, declared once so that they read and behave the same."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

FC = TypeVar("FC", bound=Callable[..., Any] | click.Command)

#: ``--library LIB.so`` (repeatable): custom-op libraries to load before the model.
library_option = click.option(
    "--library",
    "libraries",
    multiple=True,
    type=click.Path(path_type=str),
    metavar="LIB.so",
    help="Custom-op library to load before the model (repeatable).",
)

#: ``--trust-model``: load (and, for config/validate/report, run) a model the pre-scan flagged.
trust_model_option = click.option(
    "--trust-model",
    is_flag=True,
    help="Load the model even when its code defines __setstate__ (run by torch.jit.load) or "
    "calls file, process or custom operators; only for files you trust (docs/security.md).",
)

#: ``--input-shape [NAME=]DIMS`` (repeatable): config dims when they cannot be inferred.
input_shape_option = click.option(
    "--input-shape",
    "input_shapes",
    multiple=True,
    metavar="[NAME=]DIMS",
    help="Config dims of an input, e.g. x=1,28,28: without the batch dim (a model found not to "
    "batch gets a leading 1), or the full shape with --max-batch-size 0; -1 for a variable dim. "
    "By name or in order; repeatable.",
)

#: ``--input-dtype [NAME=]TYPE`` (repeatable).
input_dtype_option = click.option(
    "--input-dtype",
    "input_dtypes",
    multiple=True,
    metavar="[NAME=]TYPE",
    help="Data type of an input: fp32, fp16, int64, bool, TYPE_INT32...; repeatable.",
)

#: ``--max-batch-size N``.
max_batch_size_option = click.option(
    "--max-batch-size",
    type=int,
    default=None,
    help="0 turns batching off (dims are full shapes); default: 8 when the model batches.",
)

#: ``--name NAME``: the model's name in its config.
name_option = click.option(
    "--name",
    default=None,
    help="Model name (= its folder in the repository); default: the file's stem.",
)

#: ``--naming index|forward-args``: how config inputs are named.
naming_option = click.option(
    "--naming",
    type=click.Choice(["index", "forward-args"]),
    default="index",
    show_default=True,
    help="Input names: input__0, input__1... or forward's argument names.",
)


def output_option(
    help_text: str, *, name: str = "output", metavar: str = "FILE"
) -> Callable[[FC], FC]:
    """``-o/--output FILE``: where a command writes instead of stdout.

    Every writer goes through ``tsinspect.files``: atomic, with the user's umask, and an
    existing file is replaced only with ``--force``.
    """
    return click.option(
        "-o",
        "--output",
        name,
        type=click.Path(dir_okay=False, path_type=str),
        default=None,
        metavar=metavar,
        help=help_text,
    )


#: ``--force``: replace files the command would otherwise refuse to overwrite.
force_option = click.option(
    "--force", is_flag=True, help="Replace an existing output file (refused without it)."
)


def format_option(
    choices: Sequence[str], default: str | None, help_text: str = "Output format."
) -> Callable[[FC], FC]:
    """``--format CHOICE``, stored as ``output_format``."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(list(choices)),
        default=default,
        show_default=default is not None,
        help=help_text,
    )


#: ``-q/--quiet``: nothing on stderr but errors (no progress, no summary).
quiet_option = click.option(
    "-q",
    "--quiet",
    is_flag=True,
    help="Print nothing on stderr but errors: no progress or summary.",
)
