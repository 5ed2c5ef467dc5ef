"""A long fuzz run: the CI fuzz tests, with a fresh random seed per round, for minutes.

The tests are ``tests/lint/test_fuzz_source.py`` (hypothesmith's Python through
``tsinspect check``, the library API and the CLI) and ``tests/ir/test_fuzz_archive.py``
(a mutated ``simple_cnn`` archive through the reader, ``graph``, ``validate`` and
``report``). CI runs them derandomized with 25 examples each; here each round is a pytest
process with ``TSINSPECT_FUZZ_RANDOM=1`` (a new seed) and ``--examples`` per test, until
``--minutes`` have passed::

    python bench/fuzz.py --minutes 10
    python bench/fuzz.py --minutes 3 --only source

Every case is counted (the tests append a line per case to ``TSINSPECT_FUZZ_COUNT``). A
round that fails (an assertion, a traceback, a native crash of the process) is kept with
its output under ``bench/results/fuzz_failures/``; the summary goes to
``bench/results/fuzz.json``.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
TESTS = {
    "source": "tests/lint/test_fuzz_source.py",
    "archive": "tests/ir/test_fuzz_archive.py",
}


def one_round(tests: list[str], examples: int, count_file: Path) -> tuple[int, str]:
    environment = {
        **os.environ,
        "TSINSPECT_FUZZ_EXAMPLES": str(examples),
        "TSINSPECT_FUZZ_RANDOM": "1",
        "TSINSPECT_FUZZ_COUNT": str(count_file),
        "PYTHONPATH": os.pathsep.join(
            [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
    }
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", *tests],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    return completed.returncode, completed.stdout + completed.stderr


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--examples", type=int, default=100, help="per test and round")
    parser.add_argument("--only", choices=sorted(TESTS), default=None)
    args = parser.parse_args(argv)
    tests = [TESTS[args.only]] if args.only else list(TESTS.values())
    RESULTS.mkdir(parents=True, exist_ok=True)
    failures_dir = RESULTS / "fuzz_failures"
    start = time.monotonic()
    rounds = failed = crashed = 0
    with tempfile.TemporaryDirectory() as scratch:
        count_file = Path(scratch) / "count"
        count_file.touch()
        while time.monotonic() - start < args.minutes * 60:
            code, output = one_round(tests, args.examples, count_file)
            rounds += 1
            if code != 0:
                failed += 1
                crashed += code < 0
                failures_dir.mkdir(exist_ok=True)
                (failures_dir / f"round{rounds}.txt").write_text(
                    f"exit {code}\n{output}", encoding="utf-8"
                )
            print(f"round {rounds}: exit {code}", flush=True)
        counts = collections.Counter(count_file.read_text(encoding="utf-8").split())
    elapsed = time.monotonic() - start
    summary = {
        "minutes": round(elapsed / 60, 1),
        "rounds": rounds,
        "failed_rounds": failed,
        "native_crashes": crashed,
        "cases": dict(sorted(counts.items())),
        "total_cases": sum(counts.values()),
        "python": sys.version.split()[0],
    }
    (RESULTS / "fuzz.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(summary, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
