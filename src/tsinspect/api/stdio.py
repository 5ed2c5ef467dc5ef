"""Keep what a model prints out of the document tsinspect writes to stdout."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def model_output_to_stderr() -> Iterator[None]:
    """While the model runs, send what it prints to stderr instead of stdout.

    A model's ``print`` compiles to ``prim::Print``, which libtorch writes to
    the process's C stdout (file descriptor 1), not to ``sys.stdout``: probing
    such a model would put its prints in the middle of a report written to
    stdout. The descriptor is pointed at stderr for the duration (C buffers
    flushed on both sides), so the prints stay visible but never reach the
    report. Process-wide while it lasts, like any redirection of fd 1.
    """
    try:
        stdout_fd, stderr_fd = sys.stdout.fileno(), sys.stderr.fileno()
    except (
        AttributeError,
        OSError,
        ValueError,
    ):  # a captured stream (pytest, an IDE): nothing to guard
        yield
        return
    sys.stdout.flush()
    saved = os.dup(stdout_fd)
    try:
        os.dup2(stderr_fd, stdout_fd)
        yield
    finally:
        _flush_c_streams()
        os.dup2(saved, stdout_fd)
        os.close(saved)


def _flush_c_streams() -> None:
    """fflush(NULL): C stdio may still hold model output meant for the redirected descriptor."""
    try:
        import ctypes

        ctypes.CDLL(None).fflush(None)
    except (
        OSError,
        AttributeError,
    ):  # pragma: no cover - no C library to reach (unusual platforms)
        pass
