"""Shapes on a ResNet-50-sized model: ``tsinspect graph`` against ``torch.jit.load``, and
``tsinspect config`` against one real forward pass at the inferred size.

Issue 12's targets: ``graph`` (with every submodule's inferred shapes) within 2x
``torch.jit.load``; ``config`` within the time of one forward pass at the size it infers.
The model is bench/graph_load.py's ResNet-50-shaped network (bottleneck blocks
[3, 4, 6, 3], 25.6 M parameters, random weights, no download), scripted and saved
to a temporary folder. Each command runs in-process through the CLI (click's
runner), REPEAT times, alternating; the best (minimum) wall time is shown.

The forward pass is timed at the size the config's confirming forward used (an
adaptive pool leaves H and W free: ``-1``, confirmed at 64x64) and at the usual
224x224, batch 1, on the CPU with ``torch.no_grad()``.

Usage: ``python bench/shapes_speed.py [--repeat N]``
"""

from __future__ import annotations

import argparse
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


def _best(actions: list[Callable[[], object]], repeat: int) -> list[float]:
    best = [float("inf")] * len(actions)
    for _ in range(repeat):
        for index, action in enumerate(actions):
            start = time.perf_counter()
            action()
            best[index] = min(best[index], time.perf_counter() - start)
    return best


def _cli(*args: str) -> Callable[[], object]:
    def run() -> object:
        result = CliRunner().invoke(cli_main, list(args), catch_exceptions=False)
        if result.exit_code not in (0, 1):
            raise SystemExit(f"tsinspect {' '.join(args)} failed: {result.output}")
        return result

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "resnet50.pt"
        torch.jit.script(ResNet50Like().eval()).save(str(path))
        torch.jit.load(str(path))  # warm the file cache once
        inferred = infer_config(path)
        assert inferred.config is not None
        confirm_shape = inferred.example_shapes[0]
        module = torch.jit.load(str(path))

        def forward(shape: tuple[int, ...]) -> Callable[[], object]:
            x = torch.zeros(shape)

            def run() -> object:
                with torch.no_grad():
                    return module(x)

            return run

        forward(confirm_shape)()  # the first call optimises the graph: not what is timed
        jit_load, graph_text, graph_dot, config, at_confirm, at_224 = _best(
            [
                lambda: torch.jit.load(str(path)),
                _cli("graph", str(path)),
                _cli("graph", str(path), "--dot"),
                _cli("config", str(path)),
                forward(confirm_shape),
                forward((1, 3, 224, 224)),
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
        (f"forward {list(confirm_shape)}", at_confirm, ""),
        ("forward [1, 3, 224, 224]", at_224, ""),
        ("tsinspect config", config, f"{config / at_224:.2f}x forward at 224"),
    ]
    for name, seconds, note in rows:
        print(f"  {name:34s} {seconds * 1000:8.0f}  {note}")


if __name__ == "__main__":
    main()
