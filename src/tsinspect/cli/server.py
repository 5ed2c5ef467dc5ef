"""``tsinspect server``: run the language server on stdin/stdout (for editors)."""

from __future__ import annotations

import click

from tsinspect.errors import TsinspectError

# What the `server` extra installs: their absence is a set-up problem, not a bug.
SERVER_PACKAGES = frozenset({"pygls", "lsprotocol", "cattrs", "attrs"})


@click.command("server")
def server() -> None:
    """Run the language server (LSP over stdio) for editors.

    Editors start it as `tsinspect server`; it reads [tool.tsinspect] from the workspace's
    pyproject.toml. Needs the server extra: pip install 'tsinspect[server]'.
    """
    try:
        from tsinspect.server.app import serve
    except ImportError as error:
        if (error.name or "").split(".")[0] not in SERVER_PACKAGES:
            raise
        raise TsinspectError(
            f"the language server needs pygls ({error.name} is not installed); "
            "install it with: pip install 'tsinspect[server]'"
        ) from None
    serve()
