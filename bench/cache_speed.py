"""Cold vs warm ``tsinspect check``: what the cache saves a pre-commit hook, CI or an editor.

Runs in the Python where tsinspect is installed (no torch import; torch's sources only serve
as the corpus)::

    python bench/cache_speed.py                       # the installed torch's torch/nn, best of 3
    python bench/cache_speed.py --corpus DIR --jobs 1 --repeat 5

Each repeat copies the corpus to a temporary folder and times whole processes
(``python -m tsinspect check COPY --format json``, start-up included), each with a fresh
cache folder (``TSINSPECT_CACHE_DIR``):

- ``no-cache``: ``--no-cache``, the run before this cache existed;
- ``cold``: an empty cache (lints everything, then writes the cache);
- ``warm``: the same files again (lints nothing);
- ``one changed``: one file edited (a comment appended), as after a small commit;
- ``bare parse``: a process that only parses every file with libcst, one after the other:
  the yardstick for ``no-cache`` with ``--jobs 1`` (target: at most 2x).

The outputs of the cold, warm and no-cache runs must be identical (the script fails if not).
Reported: best and median wall seconds, and the CPU seconds of the best run (this machine is
shared: CPU time does not grow when other processes compete). Target: warm <= cold / 3.
Results go to ``bench/results/cache_speed.json``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
SCENARIOS = ("bare parse", "no-cache", "cold", "warm", "one changed")
# The yardstick of issue #10: one process that only parses every file with libcst.
BARE_PARSE = """
import sys, pathlib, libcst
for path in sorted(pathlib.Path(sys.argv[1]).rglob("*.py")):
    try:
        libcst.parse_module(path.read_bytes())
    except Exception:
        pass
"""


def torch_nn() -> Path | None:
    """The installed torch's ``torch/nn``, located without importing torch."""
    spec = importlib.util.find_spec("torch")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "nn"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_check(
    target: Path, cache_dir: Path, jobs: int | None, *extra: str
) -> tuple[float, float, str]:
    """Wall and CPU seconds of one ``tsinspect check`` process, and its stdout."""
    command = [sys.executable, "-m", "tsinspect", "check", str(target), "--format", "json"]
    command += [*(["--jobs", str(jobs)] if jobs else []), *extra]
    environment = {**os.environ, "TSINSPECT_CACHE_DIR": str(cache_dir)}
    cpu = _children_cpu()
    start = time.perf_counter()
    completed = subprocess.run(
        command, capture_output=True, text=True, check=False, env=environment, cwd=target.parent
    )
    wall = time.perf_counter() - start
    if completed.returncode not in (0, 1, 2):
        raise SystemExit(f"cache_speed: exit {completed.returncode}: {completed.stderr[:300]}")
    if completed.stderr.strip():
        print(f"cache_speed: stderr: {completed.stderr.strip()[:300]}", file=sys.stderr)
    return wall, _children_cpu() - cpu, completed.stdout


def one_round(corpus: Path, jobs: int | None) -> dict[str, tuple[float, float]]:
    """Every scenario once, on a fresh copy of the corpus with fresh caches."""
    with tempfile.TemporaryDirectory(prefix="tsinspect-cache-bench-") as scratch:
        root = Path(scratch)
        target = root / corpus.name
        shutil.copytree(corpus, target, ignore=shutil.ignore_patterns("__pycache__"))
        timings: dict[str, tuple[float, float]] = {}
        cpu = _children_cpu()
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", BARE_PARSE, str(target)], check=True)
        timings["bare parse"] = (time.perf_counter() - start, _children_cpu() - cpu)
        wall, cpu, baseline = run_check(target, root / "unused-cache", jobs, "--no-cache")
        timings["no-cache"] = (wall, cpu)
        if (root / "unused-cache").exists():
            raise SystemExit("cache_speed: --no-cache wrote a cache")
        cache_dir = root / "cache"
        wall, cpu, cold = run_check(target, cache_dir, jobs)
        timings["cold"] = (wall, cpu)
        wall, cpu, warm = run_check(target, cache_dir, jobs)
        timings["warm"] = (wall, cpu)
        if not baseline == cold == warm:
            raise SystemExit("cache_speed: cold, warm and --no-cache outputs differ")
        edited = max(target.rglob("*.py"), key=lambda path: path.stat().st_size)
        with edited.open("a", encoding="utf-8") as stream:
            stream.write("\n# edited by bench/cache_speed.py\n")
        wall, cpu, _ = run_check(target, cache_dir, jobs)
        timings["one changed"] = (wall, cpu)
        return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--corpus", type=Path, default=None, help="default: torch/nn")
    parser.add_argument("--jobs", type=int, default=None, help="default: all cores")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    corpus = args.corpus or torch_nn()
    if corpus is None or not corpus.is_dir():
        print("cache_speed: no corpus (torch is not installed); pass --corpus DIR", file=sys.stderr)
        return 2
    files = sorted(corpus.rglob("*.py"))
    lines = sum(len(path.read_bytes().splitlines()) for path in files)
    rounds = [one_round(corpus, args.jobs) for _ in range(args.repeat)]
    print(f"corpus: {corpus} ({len(files)} files, {lines} lines), jobs={args.jobs or 'all'}")
    print(f"{'scenario':<12} {'best s':>8} {'median s':>9} {'CPU s':>7} {'best / cold':>12}")
    summary: dict[str, dict[str, float]] = {}
    for scenario in SCENARIOS:
        walls = [timings[scenario][0] for timings in rounds]
        best = min(range(len(rounds)), key=lambda i: rounds[i][scenario][0])
        summary[scenario] = {
            "best_wall_s": walls[best],
            "median_wall_s": statistics.median(walls),
            "cpu_s_of_best": rounds[best][scenario][1],
        }
    cold = summary["cold"]["best_wall_s"]
    for scenario, numbers in summary.items():
        print(
            f"{scenario:<12} {numbers['best_wall_s']:>8.2f} {numbers['median_wall_s']:>9.2f} "
            f"{numbers['cpu_s_of_best']:>7.2f} {numbers['best_wall_s'] / cold:>12.2f}"
        )
    RESULTS.mkdir(exist_ok=True)
    record = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "corpus": str(corpus),
        "files": len(files),
        "lines": lines,
        "jobs": args.jobs,
        "repeat": args.repeat,
        "scenarios": summary,
    }
    (RESULTS / "cache_speed.json").write_text(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
