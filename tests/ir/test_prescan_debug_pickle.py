"""The pre-load scan's quick reading of ``.debug_pkl`` records agrees with pickletools.

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
from tsinspect.ir.prescan import _plain_debug_pickle, check_debug_pickle, debug_pickle_problem


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
