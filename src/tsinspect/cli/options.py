"""Options several commands share, declared once so that they read and behave the same."""

from __future__ import annotations

import click

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

#: ``--time-limit SECONDS``: how long one forward call may run before it is stopped.
time_limit_option = click.option(
    "--time-limit",
    "time_limit",
    type=click.FloatRange(min=0),
    default=120.0,
    show_default=True,
    metavar="SECONDS",
    help="Stop any single forward call (probe, confirmation, validation) that runs longer; "
    "0 for no limit. Ctrl-C stops a run at any time (exit 130).",
)
