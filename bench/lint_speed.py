"""How fast ``tsinspect check`` lints a large real corpus, next to what ``torch.jit.script`` costs.

Runs in the Python where tsinspect is installed (no torch needed for the timm
corpus)::

    python bench/lint_speed.py                     # timm models+layers, jobs=1 and all cores, best of 3
    python bench/lint_speed.py --torch --whole-package --oracle bench/results/timm_oracle_timing.json

Corpora: ``timm/models`` + ``timm/layers`` of the oracle's venv (the model code),
with ``--whole-package`` all of timm, and with ``--torch`` the system torch's
``torch/nn`` and ``torch/_refs`` (found on disk without importing torch). For
each corpus and each ``jobs`` value it times ``tsinspect.check_paths`` (the
library call the CLI makes) and reports the best of ``--repeat`` runs as files/s
and lines/s, with the CPU time beside the wall time: this machine is shared, and
CPU time / jobs bounds from below what an idle machine gives. One run of the CLI
(``tsinspect check DIR --format json``, all cores) adds the start-up a user sees.

The scripting side comes from an oracle file (``bench/timm_oracle.py``): the
``torch.jit.script`` time of its ``create_model(name)`` models (successes and
failures; construction not included; CPU time where recorded), the mean per
model, and that mean extrapolated to every model timm lists. The ratio is that
extrapolated scripting time over the time to lint all of timm's model code with
all cores.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_VENV = Path(os.environ.get("TSINSPECT_TIMM_VENV", "/tmp/tsinspect-timm-venv"))


def python_files(roots: list[Path]) -> list[Path]:
    """Every ``.py`` file under the roots, sorted."""
    files: set[Path] = set()
    for root in roots:
        files.update(root.rglob("*.py") if root.is_dir() else [root])
    return sorted(files)


def count_lines(files: list[Path]) -> int:
    """Physical lines in the files."""
    total = 0
    for path in files:
        with path.open("rb") as handle:
            total += sum(1 for _ in handle)
    return total


def system_torch_dir() -> Path | None:
    """The system torch package directory, located without importing torch."""
    spec = importlib.util.find_spec("torch")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent


def corpora(venv: Path, with_torch: bool, whole_package: bool) -> dict[str, list[Path]]:
    """Name -> root directories of each corpus that exists on this machine."""
    found: dict[str, list[Path]] = {}
    timm_dirs = sorted(venv.glob("lib/python3*/site-packages/timm"))
    if timm_dirs:
        timm_dir = timm_dirs[0]
        found["timm models+layers"] = [timm_dir / "models", timm_dir / "layers"]
        if whole_package:
            found["timm (whole package)"] = [timm_dir]
    else:
        print(f"lint_speed: no timm under {venv}; run bench/setup_timm_env.sh", file=sys.stderr)
    if with_torch:
        torch_dir = system_torch_dir()
        if torch_dir is not None:
            found["torch nn+_refs"] = [torch_dir / "nn", torch_dir / "_refs"]
    return found


@dataclass(frozen=True)
class Timing:
    """One corpus at one ``jobs`` value: wall and CPU seconds of each run, and what was found."""

    wall: list[float]
    cpu: list[float]
    findings: int
    errors: int


def _cpu_seconds() -> float:
    """User + system time of this process and its reaped children (the pool's workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def time_library(roots: list[Path], jobs: int, repeat: int) -> Timing:
    """Wall and CPU time of ``check_paths`` for ``repeat`` runs.

    The CPU time matters on a shared machine: it does not grow when other processes
    compete for the cores, so ``cpu / jobs`` bounds from below the wall time an idle machine would give.
    """
    import tsinspect

    walls: list[float] = []
    cpus: list[float] = []
    findings = errors = 0
    for _ in range(repeat):
        cpu_start = _cpu_seconds()
        start = time.perf_counter()
        result = tsinspect.check_paths([str(r) for r in roots], jobs=jobs)
        walls.append(time.perf_counter() - start)
        cpus.append(_cpu_seconds() - cpu_start)
        findings = len(result.diagnostics)
        errors = sum(
            1 for d in result.diagnostics if getattr(d.severity, "value", d.severity) == "error"
        )
    return Timing(walls, cpus, findings, errors)


def time_cli(roots: list[Path], jobs: int) -> float | None:
    """Wall time of one ``tsinspect check ... --format json`` process (start-up included)."""
    command = [sys.executable, "-m", "tsinspect", "check", *map(str, roots), "--format", "json"]
    if jobs:
        command += ["--jobs", str(jobs)]
    start = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    # Exit 1 means findings; only 2 (usage, unreadable input) or worse is a failed run.
    if completed.returncode not in (0, 1):
        print(
            f"lint_speed: CLI exited {completed.returncode}: {completed.stderr.strip()[:300]}",
            file=sys.stderr,
        )
        return None
    return elapsed


def scripting_cost(oracle_path: Path) -> dict[str, Any] | None:
    """Scripting time measured by the oracle, and extrapolated to every model timm lists.

    Only ``create_model(name)`` records count (not ``features_only`` variants), so the
    extrapolation is "script each model of the zoo once". The CPU time of the
    single-threaded child is used where the oracle recorded it (it does not grow when
    other work shares the cores); otherwise the wall time.
    """
    if not oracle_path.exists():
        return None
    oracle = json.loads(oracle_path.read_text(encoding="utf-8"))
    timed = [
        r
        for r in oracle["records"]
        if r.get("script_seconds") is not None and r.get("variant", "default") == "default"
    ]
    if not timed:
        return None
    wall = sum(r["script_seconds"] for r in timed)
    has_cpu = all(r.get("script_cpu_seconds") is not None for r in timed)
    cpu = sum(r["script_cpu_seconds"] for r in timed) if has_cpu else None
    construct = sum(r["construct_seconds"] or 0.0 for r in timed)
    mean = (cpu if cpu is not None else wall) / len(timed)
    available = oracle.get("models_available", len(timed))
    return {
        "oracle": str(oracle_path),
        "torch": oracle["environment"]["torch"],
        "timm": oracle["environment"]["timm"],
        "models_timed": len(timed),
        "script_seconds_total": round(wall, 2),
        "script_cpu_seconds_total": round(cpu, 2) if cpu is not None else None,
        "basis": "cpu" if cpu is not None else "wall",
        "construct_seconds_total": round(construct, 2),
        "script_seconds_mean": round(mean, 4),
        "models_available": available,
        "script_seconds_extrapolated_all": round(mean * available, 1),
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: print the table and write ``lint_speed.json``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV, help="the venv holding timm")
    parser.add_argument(
        "--oracle",
        type=Path,
        default=RESULTS / "timm_oracle.json",
        help="oracle results with the scripting times (create_model(name) records are used)",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per measurement; the best counts"
    )
    parser.add_argument("--torch", action="store_true", help="also lint torch/nn and torch/_refs")
    parser.add_argument(
        "--whole-package", action="store_true", help="also lint the whole timm package"
    )
    parser.add_argument(
        "--no-cli", action="store_true", help="skip the CLI (start-up included) timing"
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "lint_speed.json")
    args = parser.parse_args(argv)

    cores = os.cpu_count() or 1
    job_values = sorted({1, cores})
    rows: list[dict[str, Any]] = []
    for name, roots in corpora(args.venv, args.torch, args.whole_package).items():
        files = python_files(roots)
        lines = count_lines(files)
        for jobs in job_values:
            load_before = os.getloadavg()[0]
            timing = time_library(roots, jobs, args.repeat)
            best = min(timing.wall)
            best_cpu = min(timing.cpu)
            row: dict[str, Any] = {
                "corpus": name,
                "roots": [str(r) for r in roots],
                "files": len(files),
                "lines": lines,
                "jobs": jobs,
                "best_seconds": round(best, 3),
                "all_seconds": [round(t, 3) for t in timing.wall],
                "files_per_second": round(len(files) / best, 1),
                "lines_per_second": round(lines / best),
                "best_cpu_seconds": round(best_cpu, 3),
                "all_cpu_seconds": [round(t, 3) for t in timing.cpu],
                # A lower bound for an idle machine: the work spread perfectly evenly over the jobs.
                "idle_estimate_seconds": round(best_cpu / jobs, 3),
                "cpu_lines_per_second": round(lines / best_cpu),
                "load_average_before": round(load_before, 2),
                "findings": timing.findings,
                "errors": timing.errors,
            }
            # One CLI run per corpus, with all cores: what a user waits for, start-up included.
            if not args.no_cli and jobs == max(job_values):
                cli = time_cli(roots, jobs)
                row["cli_seconds"] = round(cli, 3) if cli is not None else None
            rows.append(row)
            print(
                f"{name:22s} jobs={jobs}: {len(files)} files, {lines} lines in {best:.2f}s wall, "
                f"{best_cpu:.2f}s CPU -> {row['files_per_second']} files/s, "
                f"{row['lines_per_second']} lines/s (load {load_before:.1f})",
                flush=True,
            )

    scripting = scripting_cost(args.oracle)
    ratio = None
    ratio_idle = None
    zoo = [r for r in rows if r["corpus"] == "timm models+layers" and r["jobs"] == max(job_values)]
    if scripting and zoo:
        ratio = round(scripting["script_seconds_extrapolated_all"] / zoo[0]["best_seconds"], 1)
        ratio_idle = round(
            scripting["script_seconds_extrapolated_all"] / zoo[0]["idle_estimate_seconds"], 1
        )

    payload = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cores": cores,
        },
        "repeat": args.repeat,
        "rows": rows,
        "scripting": scripting,
        "speedup_vs_scripting_whole_zoo": ratio,
        "speedup_vs_scripting_whole_zoo_idle_estimate": ratio_idle,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")

    print()
    print(
        "| corpus | files | lines | jobs | best wall s | files/s | lines/s | CPU s | CPU/jobs s | load | CLI s |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r['corpus']} | {r['files']} | {r['lines']} | {r['jobs']} | {r['best_seconds']} | "
            f"{r['files_per_second']} | {r['lines_per_second']} | {r['best_cpu_seconds']} | "
            f"{r['idle_estimate_seconds']} | {r['load_average_before']} | {r.get('cli_seconds', '-')} |"
        )
    if scripting:
        print()
        print(
            f"torch.jit.script ({scripting['torch']}, timm {scripting['timm']}): "
            f"{scripting['script_seconds_total']} s wall for {scripting['models_timed']} models "
            f"({scripting['script_seconds_mean']} s/model by {scripting['basis']} time, construction excluded); "
            f"extrapolated to all {scripting['models_available']} models: "
            f"{scripting['script_seconds_extrapolated_all']} s"
        )
    if ratio is not None:
        print(
            f"linting all of timm's model code with {max(job_values)} jobs is {ratio}x faster than "
            f"scripting the zoo (at most {ratio_idle}x on an idle machine: CPU time / jobs)"
        )
    print(f"-> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
