"""`tsinspect check` works where torch cannot be imported, and never tries to import it."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UNSCRIPTABLE = ROOT / "fixtures" / "unscriptable"

# Runs the CLI in-process after putting a finder on sys.meta_path that refuses torch and
# records every attempt; exits with the CLI's code after checking nothing torch got in.
WRAPPER = textwrap.dedent(
    """
    import sys

    attempts = []

    class BlockTorch:
        def find_spec(self, name, path=None, target=None):
            if name == "torch" or name.startswith("torch."):
                attempts.append(name)
                raise ImportError("torch is not installed here")
            return None

    sys.meta_path.insert(0, BlockTorch())
    from tsinspect.cli import main

    try:
        main(sys.argv[1:], prog_name="tsinspect")
        code = 0
    except SystemExit as done:
        code = done.code
    loaded = sorted(m for m in sys.modules if m == "torch" or m.startswith("torch."))
    sys.stderr.write(f"TORCH_ATTEMPTS={attempts} TORCH_LOADED={loaded}\\n")
    sys.exit(code)
    """
)


def test_check_runs_without_torch(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            WRAPPER,
            "check",
            "--format",
            "json",
            str(UNSCRIPTABLE / "lambda_activation.py"),
            str(UNSCRIPTABLE / "try_fallback.py"),
            str(UNSCRIPTABLE / "kwargs_forward.py"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert "TORCH_ATTEMPTS=[] TORCH_LOADED=[]" in result.stderr, result.stderr
    assert result.returncode == 1, result.stderr
    found = {
        (Path(d["path"]).name, d["code"], d["line"])
        for d in json.loads(result.stdout)["diagnostics"]
    }
    assert {
        ("lambda_activation.py", "TS101", 29),
        ("try_fallback.py", "TS105", 28),
        ("kwargs_forward.py", "TS115", 39),
    } <= found
