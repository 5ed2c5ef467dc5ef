"""Terminal progress for slow commands: one status line on stderr, shown only on a terminal.

``tsinspect report`` passes a :class:`Progress` as the ``progress`` callback of
``build_report``. On a TTY each step replaces the previous one on a single line
(``\\r`` and erase-line), which is cleared when the work ends; when stderr is a
pipe, a file or a CI log, or with ``--quiet``, nothing is written at all, so
logs and redirected output stay clean.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

_CLEAR_LINE = "\r\x1b[K"


class Progress:
    """A callable progress line: ``progress("loading model.pt")`` shows the step that starts now.

    ``enabled`` defaults to "the stream is a terminal"; pass False for
    ``--quiet``. ``delay``: seconds before the first step is shown. Use it as a context manager so the line is cleared at the end,
    also when the work fails.
    """

    def __init__(
        self, stream: TextIO | None = None, enabled: bool | None = None, delay: float = 0.0
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = enabled
        # Steps reported before ``delay`` seconds are not shown: a quick run stays silent,
        # a long one starts showing where it is once it has taken that long.
        self.delay = delay
        self.steps = 0
        self._started = time.monotonic()
        self._shown = False

    def __call__(self, message: str) -> None:
        """Show ``message`` as the current step (a no-op when disabled)."""
        self.steps += 1
        if not self.enabled:
            return
        elapsed = time.monotonic() - self._started
        if elapsed < self.delay:
            return
        self.stream.write(f"{_CLEAR_LINE}tsinspect: [{elapsed:4.1f}s] {message} ...")
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        """Erase the progress line, so the next output starts on a clean line."""
        if self.enabled and self._shown:
            self.stream.write(_CLEAR_LINE)
            self.stream.flush()
            self._shown = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
