"""Classifying a failed probe from the error forward raised.

A failed probe is classified from the TorchScript RuntimeError: ``mismatch``
(the shapes do not fit), ``dtype`` (wrong element type), ``undecidable`` (the
model needs real values: ``.item()``, data-dependent indexing, an op without a
meta kernel), ``device`` (a hard-coded device this machine lacks) or ``other``.
The message, the op the traceback marks and the deepest frame in the model's
own code are kept, so a one-line error can say where the model broke.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNDECIDABLE_MARKERS = (
    "cannot be called on meta tensors",
    "meta tensor",
    "'Meta' backend",
    "Meta backend",
    "NotImplementedError",
    "_check_not_implemented",
    "data-dependent",
    "data dependent",
    "does not have a meta",
    "no meta",
    # A tensor the model builds without a device (torch.arange, torch.ones in forward) is on
    # the CPU whatever the input's device: the meta device cannot decide, the CPU can.
    "is not on the expected device meta",
    "but found at least two devices, cpu and meta",
    "but found at least two devices, meta and cpu",
    "device meta does not match device cpu",
)

# A model with a hard-coded CUDA device cannot run on a CPU-only machine, whatever the shapes.
_DEVICE_MARKERS = (
    "from the 'CUDA' backend",
    "Torch not compiled with CUDA enabled",
    "Found no NVIDIA driver",
)

_DTYPE_MARKERS = (
    "scalar type",
    "dtype",
    "should be the same",
    "expected both inputs to have same dtype",
    "not implemented for '",
    "have one of the following scalar types",
    "must have the same dtype",
    "Expected object of scalar type",
    "should have the same type",
)


@dataclass(frozen=True)
class ProbeFailure:
    """Why a probe failed: ``kind`` (mismatch, dtype, undecidable, device, other), the innermost
    error ``message``, the ``op`` text the traceback points at, and ``source``
    (``file:line`` of the deepest frame in the model's own code)."""

    kind: str
    message: str
    op: str = ""
    source: str = ""
    code: str = ""

    def describe(self) -> str:
        """One line: where the model broke and why."""
        where = ""
        if self.source:
            where = f"at {self.source}"
            if self.op:
                where += f" ({self.op})"
            where += ": "
        return f"{where}{self.message}"


_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<name>.*)$')
_ERROR_LINE = re.compile(r"^(?:[A-Za-z_.]*(?:Error|Exception)): (?P<message>.*)$")


def _innermost_message(text: str) -> str:
    body = text.split("\n\nAt:\n", 1)[0]
    candidates = [line for line in body.splitlines() if _ERROR_LINE.match(line)]
    message = candidates[-1] if candidates else (body.strip().splitlines() or [""])[-1]
    # TorchScript nests the Python error inside its own: "RuntimeError: RuntimeError: ..."
    while (match := _ERROR_LINE.match(message)) is not None:
        message = match.group("message")
    return message.strip()


def _frames(text: str) -> list[tuple[str, int, str, str]]:
    """(file, line, code line, marked op) for each frame of the original-code traceback."""
    lines = text.splitlines()
    start = 0
    for index, line in enumerate(lines):
        if line.startswith("Traceback of TorchScript, original code"):
            start = index
    frames: list[tuple[str, int, str, str]] = []
    index = start
    while index < len(lines):
        match = _FRAME.match(lines[index])
        if match is None:
            index += 1
            continue
        code, op = "", ""
        probe = index + 1
        while (
            probe < len(lines)
            and not _FRAME.match(lines[probe])
            and "<--- HERE" not in lines[probe]
        ):
            probe += 1
        if probe < len(lines) and "<--- HERE" in lines[probe]:
            marker = lines[probe]
            code = lines[probe - 1]
            begin = marker.find("~")
            end = marker.rfind("~") + 1
            if begin >= 0:
                op = code[begin:end].strip()
        frames.append((match.group("file"), int(match.group("line")), code.strip(), op))
        index = probe if probe > index else index + 1
    return frames


def is_library_file(path: str) -> bool:
    return "site-packages/torch/" in path or "/torch/nn/" in path or path == "<string>"


def first_sentence(message: str, limit: int = 240) -> str:
    """Errors end up in one-line messages: keep the first sentence of a long one (dispatcher errors run to 1,500 characters)."""
    if len(message) <= limit:
        return message
    cut = message.find(". ")
    if 0 < cut < limit:
        return message[: cut + 1]
    return message[: limit - 3] + "..."


def classify_failure(error: BaseException) -> ProbeFailure:
    """Turn an exception from forward into a ProbeFailure (kind, message, op, source line)."""
    text = str(error)
    message = first_sentence(_innermost_message(text)) or type(error).__name__
    frames = _frames(text)
    user_frames = [frame for frame in frames if not is_library_file(frame[0])]
    source, op, code = "", "", ""
    if user_frames:
        file, line, code, op = user_frames[-1]
        source = f"{file}:{line}"
        if frames and frames[-1] is not user_frames[-1] and frames[-1][3]:
            op = f"{op} -> {frames[-1][3]}" if op else frames[-1][3]
    elif frames:
        file, line, code, op = frames[-1]
        source = f"{file}:{line}"
    if any(marker in text for marker in _DEVICE_MARKERS):
        kind = "device"
    elif any(marker in text for marker in _UNDECIDABLE_MARKERS):
        kind = "undecidable"
    elif any(marker in message for marker in _DTYPE_MARKERS):
        kind = "dtype"
    elif isinstance(error, RuntimeError) or "Traceback of TorchScript" in text:
        kind = "mismatch"  # torch.jit.Error (a `raise` inside the model) is not a RuntimeError
    else:
        kind = "other"
    return ProbeFailure(kind=kind, message=message, op=op, source=source, code=code)
