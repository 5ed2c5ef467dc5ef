"""The ``tsinspect`` command: a thin click shell over the library API.

Each command lives in its own module here and only parses options, calls
``tsinspect.api``, picks a renderer and sets the exit code. Exit codes:
0 clean, 1 findings or mismatches, 2 usage error or unreadable input.
"""

from __future__ import annotations

import sys
import warnings
from typing import Any

import click

from tsinspect.cli.exit_codes import EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE
from tsinspect.errors import TsinspectError

__all__ = ["EXIT_CLEAN", "EXIT_FINDINGS", "EXIT_USAGE", "main"]


class TsinspectGroup(click.Group):
    """Turns library errors into the one-line message and exit code 2, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        # torch wheels do not require numpy and warn on import of some internals when it is
        # missing; tsinspect never hands torch a numpy array, so the warning is noise here.
        warnings.filterwarnings("ignore", message="Failed to initialize NumPy")
        try:
            return super().invoke(ctx)
        except TsinspectError as error:
            click.echo(f"tsinspect: error: {error}", err=True)
            sys.exit(EXIT_USAGE)
        except KeyboardInterrupt:
            click.echo("tsinspect: interrupted", err=True)
            sys.exit(130)


@click.group(cls=TsinspectGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tsinspect")
def main() -> None:
    """Will this PyTorch model survive torch.jit.script, and what does Triton need to serve it?"""


# Commands register themselves below; each import is cheap (no torch).
from tsinspect.cli import check as _check  # noqa: E402

main.add_command(_check.check)
main.add_command(_check.rules)
main.add_command(_check.rule)

from tsinspect.cli import config as _config  # noqa: E402

main.add_command(_config.config)
main.add_command(_config.validate)

from tsinspect.cli.graph import graph as _graph  # noqa: E402

main.add_command(_graph)

from tsinspect.cli.report import report as _report  # noqa: E402

main.add_command(_report)

from tsinspect.cli.server import server as _server  # noqa: E402

main.add_command(_server)
