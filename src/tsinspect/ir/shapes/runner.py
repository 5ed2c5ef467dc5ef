"""Run forward with a time limit that can stop it: a forked worker process per model.

TorchScript's interpreter runs a forward call in C++ with the GIL released and
never checks Python's signal flags, so neither a thread with a deadline nor
SIGALRM can stop a ``forward`` that loops forever: a thread can only stop
*waiting*, and the process then aborts at exit ("terminate called without an
active exception") because the interpreter thread is still running. Only a
process boundary can stop it, so every model run (probe, confirmation,
validation) goes through :class:`ModelRunner`, which forks one worker per
model the first time it is needed. Forking shares the loaded modules with the
worker (no second ``import torch``, no second load: ~10 ms), the parent waits
on a pipe with the time limit, and kills the worker when the limit passes or
when the user presses Ctrl-C. A worker that crashes (a segfault in a custom
op) costs that one probe, reported as a failure, not tsinspect itself.

Two measured hazards shape the worker: libgomp's thread pool does not survive
``fork`` (the first parallel op in the child hangs once the parent has run
one), so the worker runs with one intra-op thread; and the worker ignores
SIGINT, so Ctrl-C reaches the parent only, which kills the worker and reports
one line. Off Linux (no ``fork`` on Windows; on macOS system frameworks are
not fork-safe) the run happens in the calling process without a limit. docs/dev/model-runs.md has the whole story.

torch is imported only inside functions.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import warnings
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tsinspect.errors import ModelTimeoutError
from tsinspect.ir.shapes.failures import ProbeFailure
from tsinspect.ir.shapes.probes import ProbeInput, ProbeResult, run_probe_here

#: Seconds one forward call may take before it is stopped (the CLI's --time-limit).
DEFAULT_TIME_LIMIT_S = 120.0

Arguments = Sequence[ProbeInput] | Mapping[str, ProbeInput]


class GuardedModule:
    """A module whose forward runs in a :class:`ModelRunner` worker; attributes read through.

    ``shapes.run_probe`` sends a probe on a GuardedModule to its runner;
    everything else (``forward.graph``, parameters) reads the wrapped module,
    so graph readers need not know. ``unavailable`` is set when this copy
    cannot run at all (a meta copy that torch cannot load); probes on it then
    fail as ``undecidable`` with that reason, which sends callers to the CPU.
    """

    def __init__(self, module: Any, runner: ModelRunner, key: str, unavailable: str = "") -> None:
        self._module = module
        self._runner = runner
        self._key = key
        self._unavailable = unavailable

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)

    @property
    def wrapped(self) -> Any:
        """The module whose attributes this guard reads (graph, parameters)."""
        return self._module

    @property
    def unavailable(self) -> str:
        """Why this copy cannot run ('' when it can); makes a lazy copy to find out."""
        self._runner.materialize(self._key)
        return self._runner.unavailable(self._key) or self._unavailable

    def run(self, inputs: Arguments, device: str) -> ProbeResult:
        """One forward call in the runner's worker, under its time limit."""
        if self.unavailable:
            failure = ProbeFailure(kind="undecidable", message=self._unavailable)
            return ProbeResult(output=None, failure=failure, device=device)
        return self._runner.run(self._key, inputs, device)


class ModelRunner:
    """A worker process that holds the models and runs probes on them, each under a time limit.

    ``modules`` maps a key to a module; ``time_limit_s`` None or <= 0 means no
    limit. ``path`` names the model in errors. The worker is forked on the
    first :meth:`run` and killed by :meth:`close` (also when the runner is
    garbage-collected, and at exit).
    """

    def __init__(
        self,
        modules: Mapping[str, Any],
        time_limit_s: float | None,
        path: str,
        lazy: Mapping[str, Callable[[], tuple[Any, str]]] | None = None,
    ) -> None:
        self._modules = dict(modules)
        # Modules made on first use (the meta copy: a second torch.jit.load that a model the
        # symbolic solver decides never needs): key -> a maker of (module or None, why not).
        self._lazy = dict(lazy or {})
        self._unavailable: dict[str, str] = {}
        self.time_limit_s = time_limit_s if time_limit_s and time_limit_s > 0 else None
        self.path = path
        self._process: Any = None
        self._connection: Any = None
        self._finalizer: weakref.finalize[Any, Any] | None = None

    def guard(self, key: str, unavailable: str = "", reads: Any = None) -> GuardedModule:
        """The module under ``key`` wrapped so that its probes run here.

        A lazy module's guard reads attributes (graph, weights) from ``reads``
        until its first run, so graph readers do not make the copy.
        """
        return GuardedModule(self._modules.get(key, reads), self, key, unavailable)

    def materialize(self, key: str) -> None:
        """Make a lazy module now. The worker forked so far does not hold it: it is stopped,
        and the next run forks one that does (~10 ms)."""
        maker = self._lazy.pop(key, None)
        if maker is None:
            return
        module, reason = maker()
        if module is None:
            self._unavailable[key] = reason
            return
        self._modules[key] = module
        self.close()

    def unavailable(self, key: str) -> str:
        """Why the module under ``key`` cannot run ('' when it can or is not made yet)."""
        return self._unavailable.get(key, "")

    # ------------------------------------------------------------------ running

    def run(self, key: str, inputs: Arguments, device: str) -> ProbeResult:
        """Run forward of module ``key`` on zeros of ``inputs`` on ``device``.

        ModelTimeoutError when it does not return within the time limit;
        KeyboardInterrupt passes through after the worker is killed.
        """
        self.materialize(key)
        module = self._modules[key]
        if not _can_fork():
            return run_probe_here(module, inputs, device)
        if device == "meta" and not _dynamo_imported():
            # Meta kernels need torch._dynamo (1-2 s to import): import it here once, so that
            # every worker forked from now on inherits it; a CPU-only run never pays for it.
            from tsinspect.ir.shapes.probes import import_dynamo_safely

            self.close()
            import_dynamo_safely()
        self._start()
        try:
            self._connection.send((key, inputs, device))
            if not self._connection.poll(self.time_limit_s):
                self.close()
                raise ModelTimeoutError(
                    _timeout_message(inputs, device, self.time_limit_s), path=self.path
                )
            result: ProbeResult = self._connection.recv()
        except (EOFError, OSError, BrokenPipeError):
            # The worker died inside forward (a crash in native code): this probe failed.
            code = None
            if self._process is not None:
                self._process.join(5)  # reap it: the pipe closes a moment before the exit status
                code = self._process.exitcode
            self.close()
            return ProbeResult(output=None, failure=_crash_failure(code), device=device)
        except BaseException:
            self.close()  # Ctrl-C while waiting: stop the worker before anything else
            raise
        return result

    def _start(self) -> None:
        if self._process is not None and self._process.is_alive():
            return
        import multiprocessing

        context = multiprocessing.get_context("fork")
        parent_end, child_end = context.Pipe()
        process = context.Process(
            target=_serve, args=(self._modules, child_end), name="tsinspect-model", daemon=True
        )
        with warnings.catch_warnings():
            # Python 3.12+ warns about fork in a threaded process; the worker only runs torch
            # ops with one thread and never touches the parent's locks (see the module docstring).
            warnings.simplefilter("ignore", DeprecationWarning)
            process.start()
        child_end.close()
        self._process, self._connection = process, parent_end
        self._finalizer = weakref.finalize(self, _kill, process, parent_end)

    def close(self) -> None:
        """Kill the worker (it holds no state worth keeping)."""
        if self._finalizer is not None:
            self._finalizer()
        self._process = self._connection = self._finalizer = None

    def __enter__(self) -> ModelRunner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _dynamo_imported() -> bool:
    return "torch._dynamo" in sys.modules


def _can_fork() -> bool:
    """Linux only: macOS's system frameworks are not fork-safe once threads exist (Python
    defaults to spawn there), and Windows has no fork."""
    import multiprocessing

    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def _kill(process: Any, connection: Any) -> None:
    with contextlib.suppress(OSError, ValueError, AssertionError):
        if process.is_alive():
            process.kill()
        process.join(5)
    with contextlib.suppress(OSError):
        connection.close()


def _serve(modules: Mapping[str, Any], connection: Any) -> None:
    """The worker's loop: (key, inputs, device) in, ProbeResult out, until the pipe closes."""
    import faulthandler

    import torch

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    # A crash in forward is reported by the parent in one line; a fault handler inherited from
    # the parent (pytest, python -X faulthandler) would print a Python stack dump first.
    faulthandler.disable()
    # libgomp's pool does not survive fork: with more than one thread the first parallel op hangs.
    torch.set_num_threads(1)
    while True:
        try:
            key, inputs, device = connection.recv()
        except (EOFError, OSError):
            os._exit(0)
        # The plain interpreter, not the profiling executor: its first call at each shape
        # profiles and optimises the graph, which costs more than running it (ResNet-50 at
        # 2x3x33x33: ~600 ms against ~200 ms, docs/dev/model-runs.md). The result is the same
        # (a profiling executor's first call runs the unoptimised graph too), and the worker's
        # graphs are its own: the parent's graph readers never see them.
        with torch.jit.optimized_execution(False):  # type: ignore[attr-defined]
            result = run_probe_here(modules[key], inputs, device)
        # TorchScript's print goes through Python's sys.stdout; the worker ends with SIGKILL,
        # which would drop what is still buffered.
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        connection.send(result)


def _timeout_message(inputs: Arguments, device: str, limit: float | None) -> str:
    if isinstance(inputs, Mapping):
        shown = ", ".join(f"{name} {list(spec.shape)}" for name, spec in inputs.items())
    else:
        shown = ", ".join(str(list(spec.shape)) for spec in inputs)
    return (
        f"forward did not return within {limit:g} s on zeros of shape {shown} ({device}) and was "
        "stopped: the model may loop forever on these inputs; raise the limit with --time-limit "
        "SECONDS, or pass --input-shape to choose the inputs"
    )


def _crash_failure(exit_code: int | None) -> ProbeFailure:
    if exit_code is not None and exit_code < 0:
        try:
            name = signal.Signals(-exit_code).name
        except ValueError:
            name = f"signal {-exit_code}"
        how = f"was killed by {name}"
    else:
        how = f"exited ({exit_code})" if exit_code is not None else "died"
    return ProbeFailure(
        kind="other",
        message=f"the process running forward {how}: the model crashed on these inputs",
    )
