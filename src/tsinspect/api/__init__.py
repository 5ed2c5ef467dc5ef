"""Orchestration shared by the CLI and library users: one module per capability.

``check`` never imports torch; ``model``, ``config`` and ``report`` import it
only inside the calls that need it.
"""
