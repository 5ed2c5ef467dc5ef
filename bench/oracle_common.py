"""What the scripting oracles (``timm_oracle.py``, ``transformers_oracle.py``) share.

Stdlib only: reading a TorchScript error into its ``File "...", line N`` frames,
the one-line gist of an error, and writing results atomically. The compare
scripts import ``error_gist_of`` from here too, so they run without torch.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+)(?:, in (?P<func>[^\n]+))?')
_CALLED_FROM = re.compile(
    r"'(?P<callee>[^']+)' is being compiled since it was called from '(?P<caller>[^']+)'"
)
# The line TorchScript draws under the highlighted range: "~~~~ <--- HERE" or only "~~~~".
_MARKER = re.compile(r"^\s*~+(\s*<--- HERE)?\s*$")


@dataclass
class Frame:
    """One ``File "...", line N`` location named in a TorchScript error."""

    file: str
    line: int
    function: str
    # True when the file lies inside the package under test (timm, transformers).
    in_package: bool
    snippet: str
    # Where the oracle corrected or made up the location, why (empty: as TorchScript said).
    note: str = ""

    def marked_line(self) -> str:
        """The quoted source line at ``line``: the one above TorchScript's first ``~~~`` marker.

        Stripped; "" when the snippet has no marker (then nothing says which line is ``line``).
        """
        previous = ""
        for text in self.snippet.splitlines():
            if _MARKER.match(text):
                return previous
            if text.strip():
                previous = text.strip()
        return ""


def parse_frames(message: str, package_root: str) -> list[Frame]:
    """Every ``File "...", line N`` frame in a TorchScript error, innermost (the error site) first."""
    frames: list[Frame] = []
    matches = list(_FRAME.finditer(message))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(message)
        snippet = message[match.end() : end]
        # Keep the highlighted lines only; the "is being compiled since" line belongs to the next frame.
        snippet = _CALLED_FROM.split(snippet)[0].rstrip()
        preceding = message[matches[index - 1].end() if index else 0 : match.start()]
        called = list(_CALLED_FROM.finditer(preceding))
        function = (match.group("func") or "").strip()
        if not function and called:
            function = called[-1].group("caller")
        following = list(_CALLED_FROM.finditer(message[match.end() : end]))
        if not function and following:
            # The error site's frame: the message after it names the function being compiled.
            function = following[0].group("callee")
        file = match.group("file")
        frames.append(
            Frame(
                file=file,
                line=int(match.group("line")),
                function=function,
                in_package=os.path.realpath(file).startswith(package_root),
                snippet=snippet[:1200],
            )
        )
    return frames


def error_gist_of(message: str) -> str:
    """The first meaningful line of an error message.

    When that line is only a schema (``forward(... self, Tensor x) -> Tensor[]:``)
    the next line, which says what is wrong, is appended.
    """
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    for index, text in enumerate(lines):
        if text.startswith("File "):
            continue
        if text.endswith(":") and "->" in text and index + 1 < len(lines):
            nxt = lines[index + 1]
            if not nxt.startswith("File "):
                text = f"{text} {nxt}"
        return text[:300]
    return message[:300]


def write_json(out: Path, payload: dict[str, Any]) -> None:
    """Write the results atomically, so a reader never sees half a file."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=out.name, suffix=".tmp")
    with os.fdopen(fd, "w") as handle:
        json.dump(payload, handle, indent=1, sort_keys=True)
    os.replace(tmp, out)
