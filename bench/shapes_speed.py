"""Shapes on a ResNet-50-sized model: ``tsinspect graph`` against ``torch.jit.load``, and
``tsinspect config`` against one real forward pass at the inferred size.

Issue 12's targets: ``graph`` (with every submodule's inferred shapes) within 2x
``torch.jit.load``; ``config`` within the time of one forward pass at the size it infers.
The model is bench/graph_load.py's ResNet-50-shaped network (bottleneck blocks
[3, 4, 6, 3], 25.6 M parameters, random weights, no download), scripted and saved
to a temporary folder. Each command runs in-process through the CLI (click's
runner), REPEAT times, alternating, each after a full garbage collection; the best
(minimum) wall time and the best CPU time (user + sys of every thread, and of config's
forked worker) are shown.

The forward pass is timed on a freshly loaded module's first call (what a user's first
request, and config's own confirming forward, pay: TorchScript's profiling executor
runs the first calls instrumented) at the size config confirmed with (an adaptive pool
leaves H and W free: ``-1``, confirmed at 33x33 with a batch of 2) and at the usual
224x224, batch 1; and warm, at 224x224. CPU, ``torch.no_grad()``.

``--fresh N`` adds the comparison as a user meets it: each side a fresh Python process,
alternating, best of N. ``python -m tsinspect config model.pt`` against ``python -c`` that
imports torch, runs ``torch.jit.load`` and one forward at [1, 3, 224, 224] under
``torch.no_grad()``: that first call, warm-up included, is the forward a user pays; and
``python -m tsinspect graph model.pt`` against ``python -c`` that imports torch and runs
``torch.jit.load``. Both sides include interpreter start and ``import torch``; tsinspect's
modules are byte-compiled first, as an installed package's are.

Usage: ``python bench/shapes_speed.py [--repeat N] [--fresh N] [--median]`` (best times by
default; medians with ``--median``, steadier on a shared machine).
"""

from __future__ import annotations

import argparse
import compileall
import gc
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent))

from graph_load import ResNet50Like

from tsinspect.api.config import infer_config
from tsinspect.cli import main as cli_main


def _cpu() -> float:
    """CPU seconds of this process and its finished children (config's forward runs in a
    forked worker)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _timed(
    actions: list[Callable[[], object]], repeat: int, pick: Callable[[list[float]], float] = min
) -> tuple[list[float], list[float]]:
    """Wall time and CPU time of each action over ``repeat`` alternating rounds, reduced by
    ``pick`` (min: the best; or the median). An action may time itself and return its (wall,
    CPU) seconds. Each action starts after a full collection, so that one action's garbage is
    not collected on the next one's clock."""
    walls: list[list[float]] = [[] for _ in actions]
    cpus: list[list[float]] = [[] for _ in actions]
    for _ in range(repeat):
        for index, action in enumerate(actions):
            gc.collect()
            start, start_cpu = time.perf_counter(), _cpu()
            timed = action()
            elapsed, elapsed_cpu = time.perf_counter() - start, _cpu() - start_cpu
            if isinstance(timed, tuple):
                elapsed, elapsed_cpu = timed
            walls[index].append(elapsed)
            cpus[index].append(elapsed_cpu)
    return [pick(times) for times in walls], [pick(times) for times in cpus]


def _cli(*args: str) -> Callable[[], object]:
    def run() -> object:
        result = CliRunner().invoke(cli_main, list(args), catch_exceptions=False)
        if result.exit_code not in (0, 1):
            raise SystemExit(f"tsinspect {' '.join(args)} failed: {result.output}")
        return result

    return run


_NAMES: dict[Callable[[list[float]], float], str] = {min: "best", statistics.median: "median"}

_FORWARD = (
    "import sys, torch\n"
    "m = torch.jit.load(sys.argv[1])\n"
    "with torch.no_grad():\n"
    "    m(torch.zeros(1, 3, 224, 224))\n"
)


def _process(*argv: str) -> Callable[[], None]:
    def run() -> None:
        done = subprocess.run(argv, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if done.returncode not in (0, 1):  # 1: tsinspect graph reporting findings
            raise SystemExit(f"{argv[1:]} failed: {done.stderr.decode(errors='replace')[-500:]}")

    return run


_LOAD = "import sys, torch\ntorch.jit.load(sys.argv[1])\n"


def fresh(path: Path, repeat: int, pick: Callable[[list[float]], float]) -> None:
    """config and the user's forward, each in a fresh process (see the module docstring)."""
    source = str(Path(__file__).resolve().parent.parent / "src")
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [source, *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    # An installed tsinspect, like torch, has its modules byte-compiled (pip does it): compile
    # ours too, and let the children use the cache even where the environment turns it off.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    compileall.compile_dir(source, quiet=1)
    (config, forward, graph, load), (config_cpu, forward_cpu, graph_cpu, load_cpu) = _timed(
        [
            _process(sys.executable, "-m", "tsinspect", "config", str(path)),
            _process(sys.executable, "-c", _FORWARD, str(path)),
            _process(sys.executable, "-m", "tsinspect", "graph", str(path)),
            _process(sys.executable, "-c", _LOAD, str(path)),
        ],
        repeat,
        pick,
    )
    print(f"fresh processes, {_NAMES[pick]} of {repeat}: wall ms, CPU ms (user + sys, all threads)")
    print(f"  {'python: jit.load':44s} {load * 1000:8.0f} {load_cpu * 1000:8.0f}")
    print(
        f"  {'python -m tsinspect graph':44s} {graph * 1000:8.0f} {graph_cpu * 1000:8.0f}  "
        f"{graph / load:.2f}x / {graph_cpu / load_cpu:.2f}x the load process"
    )
    print(
        f"  {'python: jit.load + forward [1, 3, 224, 224]':44s} {forward * 1000:8.0f} "
        f"{forward_cpu * 1000:8.0f}"
    )
    print(
        f"  {'python -m tsinspect config':44s} {config * 1000:8.0f} {config_cpu * 1000:8.0f}  "
        f"{config / forward:.2f}x / {config_cpu / forward_cpu:.2f}x the forward process"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fresh", type=int, default=0, help="fresh-process rounds (0: none)")
    parser.add_argument(
        "--median", action="store_true", help="report medians instead of the best times"
    )
    args = parser.parse_args()
    pick: Callable[[list[float]], float] = statistics.median if args.median else min
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "resnet50.pt"
        torch.jit.script(ResNet50Like().eval()).save(str(path))
        torch.jit.load(str(path))  # warm the file cache once
        if args.fresh:
            fresh(path, args.fresh, pick)
        inferred = infer_config(path)
        assert inferred.config is not None
        confirm_shape = inferred.example_shapes[0]

        def first_forward(shape: tuple[int, ...]) -> Callable[[], tuple[float, float]]:
            """A freshly loaded module's first call (what config's confirming forward is)."""

            def run() -> tuple[float, float]:
                module = torch.jit.load(str(path))
                x = torch.zeros(shape)
                start, start_cpu = time.perf_counter(), _cpu()
                with torch.no_grad():
                    module(x)
                return time.perf_counter() - start, _cpu() - start_cpu

            return run

        warm = torch.jit.load(str(path))
        x224 = torch.zeros(1, 3, 224, 224)
        with torch.no_grad():
            for _ in range(3):  # the profiling executor optimises on the first calls
                warm(x224)

        def warm_forward() -> None:
            with torch.no_grad():
                warm(x224)

        walls, cpus = _timed(
            [
                lambda: torch.jit.load(str(path)) and None,
                _cli("graph", str(path)),
                _cli("graph", str(path), "--dot"),
                _cli("config", str(path)),
                first_forward(confirm_shape),
                first_forward((1, 3, 224, 224)),
                warm_forward,
            ],
            args.repeat,
            pick,
        )
    dims = list(inferred.config.inputs[0].dims)
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"{_NAMES[pick]} of {args.repeat}: "
        "wall ms, CPU ms (user + sys, all threads and children)"
    )
    print(
        f"config input dims {dims} ({inferred.probes} probes), confirmed at {list(confirm_shape)}"
    )
    names = [
        "torch.jit.load",
        "tsinspect graph (text, shapes)",
        "tsinspect graph --dot (shapes)",
        "tsinspect config",
        f"first forward {list(confirm_shape)}",
        "first forward [1, 3, 224, 224]",
        "warm forward [1, 3, 224, 224]",
    ]
    wall = dict(zip(names, walls, strict=True))
    cpu = dict(zip(names, cpus, strict=True))

    def ratio(name: str, base: str) -> str:
        return f"{wall[name] / wall[base]:.2f}x / {cpu[name] / cpu[base]:.2f}x {base}"

    notes = {
        "tsinspect graph (text, shapes)": ratio("tsinspect graph (text, shapes)", "torch.jit.load"),
        "tsinspect graph --dot (shapes)": ratio("tsinspect graph --dot (shapes)", "torch.jit.load"),
        "tsinspect config": ratio("tsinspect config", "first forward [1, 3, 224, 224]"),
        f"first forward {list(confirm_shape)}": "fresh module",
        "first forward [1, 3, 224, 224]": "fresh module",
        "warm forward [1, 3, 224, 224]": "after 3 calls",
    }
    for name in names:
        print(
            f"  {name:34s} {wall[name] * 1000:8.0f} {cpu[name] * 1000:8.0f}  {notes.get(name, '')}"
        )


if __name__ == "__main__":
    main()
