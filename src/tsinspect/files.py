"""The one writer: files appear whole (atomic rename), with the user's umask, and nothing
the user has is replaced without ``--force``. Stdlib and our exception classes only: every
layer may use it."""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

# errors.py holds only exception classes (it imports nothing of ours): safe for every layer.
from tsinspect.errors import InputError, OverwriteError

COPY_CHUNK = 1 << 20


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


def write_atomically(
    path: str | os.PathLike[str],
    data: bytes | Callable[[BinaryIO], None],
    *,
    mode: int | None = None,
    owner: tuple[int, int] | None = None,
    durable: bool = False,
) -> None:
    """Replace ``path``'s content by ``data``: a temporary file in the same folder, renamed over it.

    The one atomic writer of the package: every file tsinspect writes goes through it.
    A reader (another process, a crash) sees the old content or the new one, never a mix;
    when two processes write the same file, the last rename wins. ``data``: the bytes, or a
    function that writes them to the open temporary file (to stream a large model file
    without holding it in memory). ``mode``: the new file's permission bits; by default
    those a plain ``open()`` gives (0o666 less the umask), not the 0o600 of ``mkstemp``.
    ``owner``: (uid, gid) to give the new file (a fixed source keeps its owner).
    ``durable``: fsync before the rename. Raises ``OSError``; the temporary file is removed
    on failure.
    """
    target = Path(path)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=os.fspath(target.parent)
    )
    try:
        with os.fdopen(handle, "wb") as stream:
            if callable(data):
                data(stream)
            else:
                stream.write(data)
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
        if owner is not None and hasattr(os, "chown"):
            os.chown(temporary, *owner)
        os.chmod(temporary, (0o666 & ~current_umask()) if mode is None else mode)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def check_output(path: str | os.PathLike[str], force: bool, *, make_parents: bool = False) -> Path:
    """Refuse, before any slow work, an output the user may not lose or cannot have.

    OverwriteError (one line, naming the file and ``--force``) when ``path`` exists and not
    ``force``; InputError for a folder, a device or FIFO, or a missing parent folder (unless
    ``make_parents``: a model repository's folders are created).
    """
    target = Path(path)
    refusal = output_refusal(target, force)
    if refusal is not None:
        if refusal.startswith("already exists"):
            raise OverwriteError(f"{target} {refusal}")
        raise InputError(refusal, path=str(target))
    if not make_parents and not target.parent.is_dir():
        raise InputError(
            "the folder for this output does not exist: create it first", path=str(target)
        )
    return target


def write_output(
    path: str | os.PathLike[str],
    data: bytes,
    *,
    force: bool,
    make_parents: bool = False,
) -> Path:
    """Write a file the user asked for (``-o``, a model repository): checked by
    :func:`check_output`, then written atomically with the user's umask."""
    target = check_output(path, force, make_parents=make_parents)
    if make_parents:
        target.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(target, data)
    return target


def copy_output(
    source: str | os.PathLike[str],
    path: str | os.PathLike[str],
    *,
    force: bool,
    make_parents: bool = False,
) -> Path:
    """Copy ``source`` to ``path`` as :func:`write_output` writes bytes, streamed."""
    target = check_output(path, force, make_parents=make_parents)
    if make_parents:
        target.parent.mkdir(parents=True, exist_ok=True)

    def copy(stream: BinaryIO) -> None:
        with open(source, "rb") as original:
            shutil.copyfileobj(original, stream, COPY_CHUNK)

    write_atomically(target, copy)
    return target


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
