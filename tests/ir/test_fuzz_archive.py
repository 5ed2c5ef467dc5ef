"""Fuzzing the archive readers with mutated TorchScript archives: never a traceback.

The seed is a real archive, ``fixtures/models/simple_cnn.py`` scripted at test time. Each
case mutates it: bytes flipped in the zip's headers or records, the file truncated, a record
rewritten with a valid CRC (garbage, cut short, emptied, code text mangled or nested
absurdly deep, a zip bomb), a record duplicated, dropped or renamed, or a size field in the
central directory made huge. ``graph`` (which loads the model but runs nothing of it) and
the reading stage of ``validate`` and ``report`` (which refuse the archive before running
it) must then exit 0, 1 or 2, with one line on stderr on an error and never a traceback;
the reader itself (``inspect_archive``) must never raise.

CI runs a bounded, derandomized sample (``TSINSPECT_FUZZ_EXAMPLES`` per test, default 25);
``bench/fuzz.py`` runs the same tests for minutes with a random seed.
"""

from __future__ import annotations

import os
import struct
import zipfile
import zlib
from collections.abc import Callable
from datetime import timedelta
from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tsinspect.cli import main
from tsinspect.ir.archive import inspect_archive

pytest.importorskip("torch")

EXAMPLES = int(os.environ.get("TSINSPECT_FUZZ_EXAMPLES", "25"))
RANDOM = os.environ.get("TSINSPECT_FUZZ_RANDOM") == "1"
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=timedelta(seconds=30),  # a hang, not a slow machine
    derandomize=not RANDOM,
    database=None,
    # No target phase (hypothesis hill-climbs towards slower cases: one round ran for
    # 10 minutes) and no explain phase (it traces every line): a bounded run.
    phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),
    suppress_health_check=list(HealthCheck),
)
COUNT_FILE = os.environ.get("TSINSPECT_FUZZ_COUNT")

# 65 MiB of zeros: over the scan's 64 MiB limit for one deflated record, ~64 KB deflated.
_BOMB_SIZE = 65 * 1024 * 1024


def _count(kind: str) -> None:
    if COUNT_FILE:
        with open(COUNT_FILE, "a", encoding="utf-8") as handle:
            handle.write(kind + "\n")


@cache
def _bomb() -> bytes:
    """A raw deflate stream of 65 MiB of zeros, built once."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(1024 * 1024)
    return b"".join(squeeze.compress(chunk) for _ in range(65)) + squeeze.flush()


@pytest.fixture(scope="module")
def seed(model_archive: Callable[..., Path]) -> Path:
    """The seed archive (a path: hypothesis prints the arguments of a failing case)."""
    return model_archive("simple_cnn")


@cache
def _seed_bytes(path: Path) -> bytes:
    return path.read_bytes()


def _records(data: bytes) -> list[tuple[zipfile.ZipInfo, bytes]]:
    import io

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(info, archive.read(info)) for info in archive.infolist()]


def _rezip(records: list[tuple[zipfile.ZipInfo, bytes]]) -> bytes:
    import io
    import warnings

    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Duplicate name": wanted
        with zipfile.ZipFile(buffer, "w") as archive:
            for info, payload in records:
                archive.writestr(info, payload)
    return buffer.getvalue()


def _with_bomb(records: list[tuple[zipfile.ZipInfo, bytes]], name: str) -> bytes:
    """The archive with ``name`` replaced by the deflated 65 MiB of zeros (CRC and sizes right)."""
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info, payload in records:
            if info.filename != name:
                archive.writestr(info, payload)
    body = bytearray(buffer.getvalue())
    end = body.rindex(b"PK\x05\x06")
    directory_at = struct.unpack_from("<I", body, end + 16)[0]
    crc = zlib.crc32(bytes(_BOMB_SIZE))
    encoded = name.encode()
    bomb = _bomb()
    local = struct.pack(
        "<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(bomb), _BOMB_SIZE, len(encoded), 0
    )
    central = struct.pack(
        "<4sHHHHHHIIIHHHHHII",
        b"PK\x01\x02",
        20,
        20,
        0,
        8,
        0,
        0,
        crc,
        len(bomb),
        _BOMB_SIZE,
        len(encoded),
        0,
        0,
        0,
        0,
        0,
        directory_at,
    )
    count, size = struct.unpack_from("<HI", body, end + 10)
    tail = struct.pack(
        "<4sHHHHIIH",
        b"PK\x05\x06",
        0,
        0,
        count + 1,
        count + 1,
        size + len(central) + len(encoded),
        directory_at + len(local) + len(encoded) + len(bomb),
        0,
    )
    return (
        bytes(body[:directory_at])
        + local
        + encoded
        + bomb
        + bytes(body[directory_at:end])
        + central
        + encoded
        + tail
    )


def _huge_size(data: bytes, which: int, value: int) -> bytes:
    """A central-directory entry's uncompressed size (or compressed size) set to ``value``."""
    body = bytearray(data)
    at = -1
    for _ in range(which + 1):
        at = body.find(b"PK\x01\x02", at + 1)
        if at < 0:
            return data
    field = at + (24 if value % 2 else 20)  # uncompressed size, else compressed size
    struct.pack_into("<I", body, field, value & 0xFFFFFFFF)
    return bytes(body)


_CODE_MANGLES = [
    b"def __setstate__(self, state):\n    pass\n",
    b"(" * 5000 + b"x" + b")" * 5000,
    b"\xff\xfe\x00bad utf-8\x00",
    b"import os\nos.system('touch PWNED')\n",
    b"ops.mylib.custom(x)\ntorch.from_file('x', True, 8)\n",
    b"x = " + b" + ".join([b"a"] * 20000) + b"\n",
    b"\x00" * 64,
]


class Case:
    """A mutated archive; its repr (what hypothesis prints for a failing case) says what was done."""

    def __init__(self, what: str, data: bytes) -> None:
        self.what = what
        self.data = data

    def __repr__(self) -> str:
        return f"Case({self.what[:300]!r}, {len(self.data)} bytes)"


@st.composite
def mutated(draw: st.DrawFn, seed_path: Path) -> Case:
    """A mutation of the seed archive."""
    return Case(*_mutate(draw, _seed_bytes(seed_path)))


def _mutate(draw: st.DrawFn, seed: bytes) -> tuple[str, bytes]:
    records = _records(seed)
    names = [info.filename for info, _ in records]
    # Tensor data is nearly all the bytes but the least interesting: pick it rarely.
    interesting = [n for n in names if "/data/" not in n] or names
    kind = draw(
        st.sampled_from(
            [
                "flip",
                "flip-headers",
                "truncate",
                "record",
                "code",
                "duplicate",
                "drop",
                "rename",
                "huge-size",
                "bomb",
            ]
        )
    )
    name = draw(st.sampled_from(interesting if draw(st.integers(0, 9)) else names))
    if kind in ("flip", "flip-headers"):
        body = bytearray(seed)
        if kind == "flip-headers":
            # The local headers, the central directory and the end record: where zip
            # readers decide sizes and offsets.
            starts = [
                i
                for marker in (b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06")
                for i in _find_all(seed, marker)
            ]
            positions = [
                draw(st.sampled_from(starts)) + draw(st.integers(0, 45))
                for _ in range(draw(st.integers(1, 4)))
            ]
        else:
            positions = [
                draw(st.integers(0, len(seed) - 1)) for _ in range(draw(st.integers(1, 8)))
            ]
        for position in positions:
            body[min(position, len(body) - 1)] = draw(st.integers(0, 255))
        return f"{kind} at {positions}", bytes(body)
    if kind == "truncate":
        end = draw(st.integers(0, len(seed) - 1))
        return f"truncate to {end}", seed[:end]
    if kind == "huge-size":
        which = names.index(name)
        value = draw(st.sampled_from([0xFFFFFFFF, 0xFFFFFFFE, 2**31, 2**31 + 1, 1 << 30]))
        return f"huge size {value} for {name}", _huge_size(seed, which, value)
    if kind == "bomb":
        return f"bomb as {name}", _with_bomb(records, name)
    changed: list[tuple[zipfile.ZipInfo, bytes]] = []
    for info, payload in records:
        if info.filename != name:
            changed.append((info, payload))
            continue
        if kind == "drop":
            continue
        if kind == "rename":
            info = zipfile.ZipInfo(
                draw(st.sampled_from(["", "../evil.py", name.upper(), name + "/", "a" * 300])),
                info.date_time,
            )
        elif kind == "record":
            how = draw(st.sampled_from(["garbage", "cut", "empty", "flip"]))
            if how == "garbage":
                payload = draw(st.binary(min_size=1, max_size=200))
            elif how == "cut":
                payload = payload[: draw(st.integers(0, max(0, len(payload) - 1)))]
            elif how == "empty":
                payload = b""
            else:
                body = bytearray(payload or b"\x00")
                for _ in range(draw(st.integers(1, 6))):
                    body[draw(st.integers(0, len(body) - 1))] = draw(st.integers(0, 255))
                payload = bytes(body)
            name = f"{name} ({how})"
        elif kind == "code":
            payload = (
                draw(st.sampled_from(_CODE_MANGLES))
                if draw(st.booleans())
                else (payload + b"\n" + draw(st.sampled_from(_CODE_MANGLES)))
            )
        elif kind == "duplicate":
            changed.append((info, payload))
            payload = draw(st.sampled_from([payload, b"", payload[::-1]]))
        changed.append((info, payload))
    return f"{kind} {name}", _rezip(changed)


def _find_all(data: bytes, marker: bytes) -> list[int]:
    found, at = [], data.find(marker)
    while at >= 0:
        found.append(at)
        at = data.find(marker, at + 1)
    return found or [0]


def _assert_clean_exit(result: object, case: str, allowed: tuple[int, ...]) -> None:
    exception = getattr(result, "exception", None)
    if exception is not None and not isinstance(exception, SystemExit):
        raise AssertionError(f"{case}: {type(exception).__name__}: {exception}") from exception
    code = getattr(result, "exit_code", None)
    stderr = getattr(result, "stderr", "")
    output = getattr(result, "output", "")
    assert code in allowed, (case, code, output)
    assert "Traceback" not in output, (case, output)
    if code == 2:
        assert stderr.count("\n") <= 1, (case, stderr)


def _write(folder: Path, data: bytes) -> Path:
    path = folder / "m.pt"
    path.write_bytes(data)
    return path


@FUZZ
@given(data=st.data())
def test_reader_and_graph_never_traceback(
    seed: Path, tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    drawn = data.draw(mutated(seed), label="case")
    case, archive = drawn.what, drawn.data
    _count("archive-graph")
    path = _write(tmp_path_factory.mktemp("fuzz-pt"), archive)
    info = inspect_archive(path)  # never raises: the kind says what the file is
    if not info.is_torchscript:
        assert info.error_message()
    result = CliRunner().invoke(main, ["graph", str(path)])
    _assert_clean_exit(result, case, (0, 1, 2))


@FUZZ
@given(data=st.data())
def test_validate_and_report_refusals_never_traceback(
    seed: Path, tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    """validate and report on archives the reader refuses (so nothing of them runs)."""
    drawn = data.draw(mutated(seed), label="case")
    case, archive = drawn.what, drawn.data
    folder = tmp_path_factory.mktemp("fuzz-pt")
    path = _write(folder, archive)
    info = inspect_archive(path)
    if info.is_torchscript and not info.code_findings:
        return  # loadable: validate and report would run the model; graph covers the load
    _count("archive-validate-report")
    config = folder / "config.pbtxt"
    config.write_text('name: "m"\nplatform: "pytorch_libtorch"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(path), str(config)])
    _assert_clean_exit(result, case, (2,))
    result = CliRunner().invoke(main, ["report", str(path), "-o", str(folder / "r.md")])
    _assert_clean_exit(result, case, (2,))
