"""The ``tsinspect`` command: a thin click shell over the library API.

Each command lives in its own module here and only parses options, calls
``tsinspect.api``, picks a renderer and sets the exit code. Exit codes:
0 clean, 1 findings or mismatches, 2 usage error or unreadable input.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from typing import Any

import click

from tsinspect.cli.exit_codes import EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE
from tsinspect.errors import TsinspectError

__all__ = ["EXIT_CLEAN", "EXIT_FINDINGS", "EXIT_USAGE", "main"]


#: Each command and where it lives: imported only when it runs (or when help lists it), so
#: ``tsinspect config`` does not pay for the linter's imports nor ``check`` for the model side.
_COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("tsinspect.cli.check", "check"),
    "config": ("tsinspect.cli.config", "config"),
    "graph": ("tsinspect.cli.graph", "graph"),
    "report": ("tsinspect.cli.report", "report"),
    "rule": ("tsinspect.cli.check", "rule"),
    "rules": ("tsinspect.cli.check", "rules"),
    "server": ("tsinspect.cli.server", "server"),
    "validate": ("tsinspect.cli.config", "validate"),
}


class TsinspectGroup(click.Group):
    """Turns library errors into the one-line message and exit code 2, never a traceback;
    loads each command's module on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        where = _COMMANDS.get(cmd_name)
        if where is None:
            return None
        command = getattr(importlib.import_module(where[0]), where[1])
        assert isinstance(command, click.Command)
        return command

    @property
    def all_commands(self) -> dict[str, click.Command]:
        """Every command, loaded (for the docs generator and tests that walk them all)."""
        context = click.Context(self)
        found = {name: self.get_command(context, name) for name in self.list_commands(context)}
        return {name: command for name, command in found.items() if command is not None}

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
