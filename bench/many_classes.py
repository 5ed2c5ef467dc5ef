"""Many ``nn.Module`` classes in one file: ``tsinspect check`` must grow linearly with them.

Runs in the Python where tsinspect is installed (no torch import: the generated file is only
linted)::

    python bench/many_classes.py                      # N = 250 500 1000 2000
    python bench/many_classes.py --classes 500 1000 4000 --repeat 3
    python bench/many_classes.py --keep DIR           # also keep the generated files in DIR

For each N it writes one file of N small module classes (an ``__init__`` creating an
``nn.Linear``; a ``forward`` of a few statements, some calling a module-level helper, some a
submodule of another class of the file, one in four with a lambda, a comprehension and a
call to an unannotated method with a mutable default, so that findings are reported too) and
times one whole process ``python -m tsinspect check FILE --no-cache --format json``
(start-up included). Reported per N: the file's size and lines, findings, best wall seconds,
the CPU seconds and peak RSS of that process (``os.wait4``: the child's own ``ru_maxrss``), and
the wall milliseconds per class. Linear means a flat ms/class column. Results go to
``bench/results/many_classes.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_CLASSES = (250, 500, 1000, 2000)

HEADER = """import torch
from torch import Tensor, nn


def helper(x: Tensor, k: int) -> Tensor:
    return x * k + 1

"""


def class_source(index: int) -> str:
    """One small module class; some use the helper, some hold the previous class."""
    lines = [
        f"class Block{index}(nn.Module):",
        "    def __init__(self, dim: int = 8) -> None:",
        "        super().__init__()",
        "        self.linear = nn.Linear(dim, dim)",
        f"        self.scale = {index % 7 + 1}",
    ]
    if index % 3 == 1:
        lines.append(f"        self.inner = Block{index - 1}(dim)")
    lines += [
        "",
        "    def forward(self, x: Tensor) -> Tensor:",
        "        y = self.linear(x)",
        "        if self.scale > 2:",
        "            y = torch.relu(y)",
    ]
    if index % 3 == 1:
        lines.append("        y = self.inner(y)")
    if index % 2 == 0:
        lines.append("        y = helper(y, self.scale)")
    if index % 4 == 3:
        lines += [
            "        z = [t for t in [y]]",
            "        f = lambda a: a",
            "        y = self.extra(y, None)",
        ]
    lines += ["        return y + x", ""]
    if index % 4 == 3:
        lines += [
            "    def extra(self, y, k=[]):",
            "        if k is None:",
            "            return y",
            "        return y * len(k)",
            "",
        ]
    return "\n".join(lines) + "\n\n"


def generate(classes: int) -> str:
    """The source of a file with ``classes`` module classes."""
    return HEADER + "\n" + "".join(class_source(index) for index in range(classes))


def _environment() -> dict[str, str]:
    """This environment, with ``PYTHONPATH`` made absolute: the child runs in another folder,
    and ``PYTHONPATH=src`` must still name this checkout's tsinspect there."""
    environment = dict(os.environ)
    entries = [entry for entry in environment.get("PYTHONPATH", "").split(os.pathsep) if entry]
    if entries:
        environment["PYTHONPATH"] = os.pathsep.join(str(Path(entry).resolve()) for entry in entries)
    return environment


def _tsinspect_location() -> str:
    """Where the child imports tsinspect from (the checkout under test, or an installed one)."""
    probe = [sys.executable, "-c", "import tsinspect; print(tsinspect.__file__)"]
    completed = subprocess.run(
        probe,
        capture_output=True,
        text=True,
        check=False,
        cwd=tempfile.gettempdir(),
        env=_environment(),
    )
    return completed.stdout.strip() or completed.stderr.strip()[-200:]


def run_report(path: Path, model: Path) -> tuple[float, float, int]:
    """Wall and CPU seconds and peak RSS in KiB of ``tsinspect report MODEL --source FILE``
    (Markdown, no picture): the report's own cost over ``check`` is its sections and its
    rendering of every finding."""
    out = path.with_suffix(".report.md")
    command = [sys.executable, "-m", "tsinspect", "report", str(model), "--source", str(path)]
    command += ["--no-picture", "--force", "-o", str(out)]
    with tempfile.TemporaryFile() as stdout:
        start = time.perf_counter()
        process = subprocess.Popen(
            command, stdout=stdout, stderr=stdout, cwd=path.parent, env=_environment()
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) not in (0, 1):
            stdout.seek(0)
            raise SystemExit(f"many_classes: report failed: {stdout.read()[-300:]!r}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def run_check(path: Path) -> tuple[float, float, int, int]:
    """Wall and CPU seconds, peak RSS in KiB and the number of findings of one process."""
    command = [sys.executable, "-m", "tsinspect", "check", str(path), "--no-cache"]
    command += ["--format", "json"]
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(
            command, stdout=stdout, stderr=stderr, cwd=path.parent, env=_environment()
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        output, errors = stdout.read(), stderr.read()
    if process.returncode not in (0, 1):
        raise SystemExit(f"many_classes: exit {process.returncode}: {errors[:300]!r}")
    findings = len(json.loads(output)["diagnostics"])
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, findings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--classes", type=int, nargs="+", default=list(DEFAULT_CLASSES))
    parser.add_argument("--repeat", type=int, default=1, help="best of R runs per N")
    parser.add_argument("--keep", type=Path, default=None, help="write the files here")
    parser.add_argument(
        "--report",
        type=Path,
        default=None,
        metavar="MODEL.pt",
        help="also time `tsinspect report MODEL.pt --source FILE` (any small TorchScript model)",
    )
    args = parser.parse_args(argv)
    rows: list[dict[str, float]] = []
    location = _tsinspect_location()
    print(f"tsinspect: {location}")
    print(
        f"{'classes':>8} {'KB':>7} {'lines':>7} {'findings':>8} {'wall s':>8} {'CPU s':>7}"
        f" {'peak MB':>8} {'ms/class':>9}"
    )
    with tempfile.TemporaryDirectory(prefix="tsinspect-many-classes-") as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        for classes in args.classes:
            path = folder / f"many_classes_{classes}.py"
            source = generate(classes)
            path.write_text(source, encoding="utf-8")
            runs = [run_check(path) for _ in range(args.repeat)]
            wall, cpu, peak_kib, findings = min(runs)
            row = {
                "classes": classes,
                "bytes": len(source.encode()),
                "lines": source.count("\n"),
                "findings": findings,
                "wall_s": wall,
                "cpu_s": cpu,
                "peak_rss_mb": peak_kib / 1024,
                "ms_per_class": 1000 * wall / classes,
            }
            if args.report is not None:
                report_wall, report_cpu, report_kib = min(
                    run_report(path, args.report.resolve()) for _ in range(args.repeat)
                )
                row["report_wall_s"] = report_wall
                row["report_cpu_s"] = report_cpu
                row["report_peak_rss_mb"] = report_kib / 1024
                row["report_minus_check_cpu_ms_per_class"] = 1000 * (report_cpu - cpu) / classes
            rows.append(row)
            print(
                f"{classes:>8} {row['bytes'] / 1024:>7.0f} {row['lines']:>7} {findings:>8}"
                f" {wall:>8.2f} {cpu:>7.2f} {row['peak_rss_mb']:>8.0f} {row['ms_per_class']:>9.2f}"
                + (
                    f"  report: {row['report_wall_s']:.2f} s wall, {row['report_cpu_s']:.2f} CPU-s,"
                    f" {row['report_peak_rss_mb']:.0f} MB"
                    if args.report is not None
                    else ""
                )
            )
    RESULTS.mkdir(exist_ok=True)
    record = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "tsinspect": location,
        "repeat": args.repeat,
        "runs": rows,
    }
    (RESULTS / "many_classes.json").write_text(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
