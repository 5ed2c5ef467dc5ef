"""Writing files so that a reader never sees half of one. Stdlib only: every layer may use it."""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path


def output_refusal(path: str | os.PathLike[str], force: bool) -> str | None:
    """Why ``path`` may not be (re)written by an ``-o`` writer, or None when it may.

    Without ``force`` anything already there refuses, a dangling symlink included. With
    ``force`` a regular file or a symlink is replaced (the link itself, never its target),
    but a device node, FIFO or socket never is: writers write regular files only.
    """
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    if stat.S_ISDIR(mode):
        return "is a directory: pass a file name to -o"
    if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
        return "is not a regular file (a device, FIFO or socket): pass a file name to -o"
    if not force:
        what = " (a symbolic link)" if stat.S_ISLNK(mode) else ""
        return f"already exists{what}; pass --force to overwrite it"
    return None


def current_umask() -> int:
    """The process's umask (reading it means setting it, so it is set straight back)."""
    umask = os.umask(0)
    os.umask(umask)
    return umask


def write_atomically(path: str | os.PathLike[str], data: bytes, *, mode: int | None = None) -> None:
    """Replace ``path``'s content by ``data``: a temporary file in the same folder, renamed over it.

    A reader (another process, a crash) sees the old content or the new one, never a mix;
    when two processes write the same file, the last rename wins. ``mode``: the new file's
    permission bits; by default those a plain ``open()`` gives (0o666 less the umask), not
    the 0o600 of ``mkstemp``. Raises ``OSError``; the temporary file is removed on failure.
    """
    target = Path(path)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
    )
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, (0o666 & ~current_umask()) if mode is None else mode)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


def file_kind(mode: int) -> str:
    """What a file that is not a regular one is, from its ``st_mode``: "a FIFO"..."""
    return next((name for test, name in _KINDS if test(mode)), "a special file")


def read_regular(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a regular file (through symlinks); OSError for anything else.

    A FIFO, ``/dev/zero`` or a terminal would block or never end: the file is opened without
    blocking and checked before a byte is read, and refused with ``strerror`` naming what it is.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    descriptor = os.open(path, flags)
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, f"not a regular file ({file_kind(mode)})", os.fspath(path))
        with os.fdopen(descriptor, "rb", closefd=False) as stream:
            return stream.read()
    finally:
        os.close(descriptor)
