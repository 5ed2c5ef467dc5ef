"""The pre-load scan's quick paths agree with the plain readings: debug pickles, name unwrapping.

``check_debug_pickle`` first tries a hand-written opcode reader that only ever says "this is
the pickle torch writes" or "not sure"; pickletools then reads the record and names the
problem. The quick reader must never vouch for a record pickletools would refuse.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsinspect.errors import ModelArchiveError
from tsinspect.ir.prescan import (
    _plain_debug_pickle,
    _scan_normalised,
    check_debug_pickle,
    debug_pickle_problem,
    scan_code,
)


def _debug_records(path: Path) -> list[bytes]:
    with zipfile.ZipFile(path) as archive:
        return [archive.read(name) for name in archive.namelist() if name.endswith(".debug_pkl")]


@pytest.fixture(scope="module")
def records(model_archive: Callable[..., Path]) -> list[bytes]:
    found: list[bytes] = []
    for name, trace in (("resnet_like", None), ("control_flow", None), ("traced_branch", True)):
        found += _debug_records(model_archive(name, trace=trace))
    return found


def test_records_torch_writes_take_the_quick_path(records: list[bytes]) -> None:
    assert len(records) > 5
    for data in records:
        assert debug_pickle_problem(data) == ""
        assert _plain_debug_pickle(data)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00garbage\xff" * 10,
        b"cos\nsystem\n(S'touch PWNED'\ntR.",  # GLOBAL os.system, no PROTO
        b"\x80\x02cos\nsystem\nq\x00X\x0b\x00\x00\x00touch PWNEDq\x01\x85q\x02Rq\x03.",
        b"\x80\x02ctorch.jit._pickle\nbuild_intlist\n\x93.",  # STACK_GLOBAL
        b"\x80\x02ctorch.jit._pickle\nbuild_intlist\n",  # no STOP
        b"\x80\x02X\x05\x00\x00\x00ab.",  # a string longer than the record
        b"\x80\x02X\x02\x00\x00\x00\xff\xfe.",  # a string that is not UTF-8
    ],
)
def test_bad_records_are_refused_with_pickletools_reason(data: bytes) -> None:
    assert not _plain_debug_pickle(data)
    problem = debug_pickle_problem(data)
    assert problem
    with pytest.raises(ModelArchiveError, match="is not a TorchScript debug pickle"):
        check_debug_pickle(data, "archive/code/m.debug_pkl", "m.pt")


@settings(max_examples=400, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    edits=st.lists(
        st.tuples(
            st.sampled_from(["flip", "cut", "insert", "delete"]),
            st.integers(min_value=0, max_value=1 << 20),
            st.integers(min_value=0, max_value=255),
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_quick_path_never_vouches_for_what_pickletools_refuses(
    records: list[bytes], seed: int, edits: list[tuple[str, int, int]]
) -> None:
    data = bytearray(records[seed % len(records)])
    for action, where, byte in edits:
        if not data:
            break
        at = where % len(data)
        if action == "flip":
            data[at] = byte
        elif action == "cut":
            del data[at:]
        elif action == "insert":
            data.insert(at, byte)
        else:
            del data[at]
    mutated = bytes(data)
    if _plain_debug_pickle(mutated):
        assert debug_pickle_problem(mutated) == ""


def _unwrap_token_by_token(text: str) -> str:
    """The pre-load scan's name unwrapping, one token at a time (how it was first written)."""
    from tsinspect.ir.prescan import _BLOCKS_UNWRAP, _IDENTIFIER, _TOKEN

    out: list[str] = []
    for token in _TOKEN.findall(text):
        if token == ")":
            end = len(out) - (1 if out and out[-1].isspace() else 0)
            word = out[end - 1] if end >= 1 else ""
            start = end - 1 - (1 if end >= 2 and out[end - 2].isspace() else 0)
            if (
                word
                and _IDENTIFIER.fullmatch(word)
                and start >= 1
                and out[start - 1] == "("
                and not (start >= 2 and _BLOCKS_UNWRAP.search(out[start - 2]))
            ):
                del out[start - 1 :]
                out.append(word)
                continue
        out.append(token)
    return "".join(out)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="()[] .\n\tab_c1é", max_size=60))
def test_unwrap_names_matches_the_token_by_token_reading(text: str) -> None:
    from tsinspect.ir.prescan import _unwrap_names

    assert _unwrap_names(text) == _unwrap_token_by_token(text)


_FRAGMENTS = [
    "torch",
    "ops",
    "classes",
    "aten",
    "prim",
    "c10d",
    "myops",
    "__setstate__",
    "save",
    "from_file",
    "rpc_sync",
    "load_tensor",
    "x",
    "self",
    ".",
    " . ",
    "(",
    ")",
    " ",
    "\\\n",
    "\n",
    "def f",
    "class M",
    ":",
    "=",
    "if",
    ",",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=40))
def test_code_scan_quick_path_never_hides_a_finding(pieces: list[str]) -> None:
    """The "nothing to find" check skips the normalising only where the full scan finds nothing."""
    text = "".join(pieces)
    assert scan_code(text, "m", "m.pt") == _scan_normalised(text, "m", "m.pt")


@pytest.mark.parametrize(
    "text",
    [
        "x = torch . ops . myops . run(x)",
        "x = (torch).(ops).myops.run(x)",
        "x = torch.ops\\\n.myops.run(x)",
        "def __setstate__(self, state):\n    pass",
        "torch.classes.c10d.ProcessGroup",
        "y = ops.c10d.allreduce(x)",
        "torch.save(x, 'f')",
    ],
)
def test_code_scan_quick_path_finds_spelled_apart_names(text: str) -> None:
    assert scan_code(text, "m", "m.pt")
