"""ir.shapes.runner: every forward call runs in a forked worker that can be stopped.

The runner only needs something callable: these tests use plain Python callables for the
behaviours a TorchScript model cannot be made to show on demand (a crash in native code), and
a scripted model for the one it can (a forward that never returns).
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from tsinspect.errors import ModelTimeoutError  # noqa: E402
from tsinspect.ir import shapes  # noqa: E402
from tsinspect.ir.shapes.runner import ModelRunner  # noqa: E402

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the forked worker is Linux-only"
)

ONE = [shapes.ProbeInput((2, 3), "float32")]


def _double(x: torch.Tensor) -> torch.Tensor:
    return x * 2


def _crash(x: torch.Tensor) -> torch.Tensor:
    os.kill(os.getpid(), signal.SIGSEGV)  # what a bad custom op does to its process
    return x


def _report_pid(x: torch.Tensor) -> torch.Tensor:
    return torch.full((1,), float(os.getpid()))


def test_probes_run_in_another_process_and_come_back() -> None:
    with ModelRunner({"cpu": _double, "pid": _report_pid}, 30, "m.pt") as runner:
        result = shapes.run_probe(runner.guard("cpu"), ONE, device="cpu")
        assert result.ok and result.output is not None
        assert result.output.tensor == shapes.TensorValue((2, 3), "float32")
        first = runner.run("pid", ONE, "cpu")
        second = runner.run("pid", ONE, "cpu")
    assert first.output == second.output  # one worker serves every probe


def test_a_crash_costs_one_probe_and_the_next_probe_gets_a_new_worker() -> None:
    with ModelRunner({"crash": _crash, "cpu": _double}, 30, "m.pt") as runner:
        crashed = runner.run("crash", ONE, "cpu")
        assert crashed.failure is not None
        assert "killed by SIGSEGV" in crashed.failure.message
        assert runner.run("cpu", ONE, "cpu").ok


def test_an_unavailable_copy_fails_as_undecidable_without_running() -> None:
    runner = ModelRunner({"meta": _crash}, 30, "m.pt")
    guarded = runner.guard("meta", unavailable="torch cannot load this model on the meta device")
    result = shapes.run_probe(guarded, ONE, device="meta")
    assert result.failure is not None and result.failure.kind == "undecidable"
    assert "meta device" in result.failure.message
    runner.close()


class _Endless(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        while True:
            x = x + 1
        return x


def test_a_forward_that_never_returns_is_stopped(tmp_path: Path) -> None:
    module = torch.jit.script(_Endless())
    runner = ModelRunner({"cpu": module}, 1.0, "endless.pt")
    started = time.monotonic()
    with pytest.raises(ModelTimeoutError, match=r"did not return within 1 s on zeros of shape"):
        runner.run("cpu", ONE, "cpu")
    assert time.monotonic() - started < 20
    # The worker was killed, not left spinning: the runner holds no process any more.
    assert runner._process is None
