"""Shapes on a ResNet-50-sized model: ``tsinspect graph`` against ``torch.jit.load``, and
``tsinspect config`` against one real forward pass at the inferred size.

Issue 12's targets: ``graph`` (with every submodule's inferred shapes) within 2x
``torch.jit.load``; ``config`` within the time of one forward pass at the size it infers.
The model is bench/graph_load.py's ResNet-50-shaped network (bottleneck blocks
[3, 4, 6, 3], 25.6 M parameters, random weights, no download), scripted and saved
to a temporary folder. Each command runs in-process through the CLI (click's
runner), REPEAT times, alternating; the best (minimum) wall time is shown.

The forward pass is timed on a freshly loaded module's first call (what a user's first
request, and config's own confirming forward, pay: TorchScript's profiling executor
runs the first calls instrumented) at the size config confirmed with (an adaptive pool
leaves H and W free: ``-1``, confirmed at 33x33 with a batch of 2) and at the usual
224x224, batch 1; and warm, at 224x224. CPU, ``torch.no_grad()``.

``--fresh N`` adds the comparison as a user meets it: each side a fresh Python process,
alternating, best of N. ``python -m tsinspect config model.pt`` against ``python -c`` that
imports torch, runs ``torch.jit.load`` and one forward at [1, 3, 224, 224] under
``torch.no_grad()``: that first call, warm-up included, is the forward a user pays. Both
sides include interpreter start and ``import torch``.

Usage: ``python bench/shapes_speed.py [--repeat N] [--fresh N]``
"""

from __future__ import annotations

import argparse
import os
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


def _best(actions: list[Callable[[], float | None]], repeat: int) -> list[float]:
    """Best wall time of each action over ``repeat`` alternating rounds (an action may time
    itself and return its seconds)."""
    best = [float("inf")] * len(actions)
    for _ in range(repeat):
        for index, action in enumerate(actions):
            start = time.perf_counter()
            timed = action()
            elapsed = timed if isinstance(timed, float) else time.perf_counter() - start
            best[index] = min(best[index], elapsed)
    return best


def _cli(*args: str) -> Callable[[], object]:
    def run() -> object:
        result = CliRunner().invoke(cli_main, list(args), catch_exceptions=False)
        if result.exit_code not in (0, 1):
            raise SystemExit(f"tsinspect {' '.join(args)} failed: {result.output}")
        return result

    return run


_FORWARD = (
    "import sys, torch\n"
    "m = torch.jit.load(sys.argv[1])\n"
    "with torch.no_grad():\n"
    "    m(torch.zeros(1, 3, 224, 224))\n"
)


def _process(*argv: str) -> Callable[[], None]:
    def run() -> None:
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    return run


def fresh(path: Path, repeat: int) -> None:
    """config and the user's forward, each in a fresh process (see the module docstring)."""
    source = str(Path(__file__).resolve().parent.parent / "src")
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [source, *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    config, forward = _best(
        [
            _process(sys.executable, "-m", "tsinspect", "config", str(path)),
            _process(sys.executable, "-c", _FORWARD, str(path)),
        ],
        repeat,
    )
    print(f"fresh processes, best of {repeat}, wall ms")
    print(f"  {'python: jit.load + forward [1, 3, 224, 224]':44s} {forward * 1000:8.0f}")
    print(
        f"  {'python -m tsinspect config':44s} {config * 1000:8.0f}  "
        f"{config / forward:.2f}x the forward process"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fresh", type=int, default=0, help="fresh-process rounds (0: none)")
    args = parser.parse_args()
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "resnet50.pt"
        torch.jit.script(ResNet50Like().eval()).save(str(path))
        torch.jit.load(str(path))  # warm the file cache once
        if args.fresh:
            fresh(path, args.fresh)
        inferred = infer_config(path)
        assert inferred.config is not None
        confirm_shape = inferred.example_shapes[0]

        def first_forward(shape: tuple[int, ...]) -> Callable[[], float]:
            """A freshly loaded module's first call (what config's confirming forward is)."""

            def run() -> float:
                module = torch.jit.load(str(path))
                x = torch.zeros(shape)
                start = time.perf_counter()
                with torch.no_grad():
                    module(x)
                return time.perf_counter() - start

            return run

        warm = torch.jit.load(str(path))
        x224 = torch.zeros(1, 3, 224, 224)
        with torch.no_grad():
            for _ in range(3):  # the profiling executor optimises on the first calls
                warm(x224)

        def warm_forward() -> None:
            with torch.no_grad():
                warm(x224)

        jit_load, graph_text, graph_dot, config, at_confirm, at_224, at_224_warm = _best(
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
        )
    dims = list(inferred.config.inputs[0].dims)
    print(f"torch {torch.__version__}, best of {args.repeat}, wall ms")
    print(
        f"config input dims {dims} ({inferred.probes} probes), confirmed at {list(confirm_shape)}"
    )
    rows = [
        ("torch.jit.load", jit_load, ""),
        ("tsinspect graph (text, shapes)", graph_text, f"{graph_text / jit_load:.2f}x jit.load"),
        ("tsinspect graph --dot (shapes)", graph_dot, f"{graph_dot / jit_load:.2f}x jit.load"),
        (f"first forward {list(confirm_shape)}", at_confirm, "fresh module"),
        ("first forward [1, 3, 224, 224]", at_224, "fresh module"),
        ("warm forward [1, 3, 224, 224]", at_224_warm, "after 3 calls"),
        ("tsinspect config", config, f"{config / at_224:.2f}x first forward at 224"),
    ]
    for name, seconds, note in rows:
        print(f"  {name:34s} {seconds * 1000:8.0f}  {note}")


if __name__ == "__main__":
    main()
