"""`tsinspect server` without pygls installed: one line that says what to install, exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A finder on sys.meta_path that refuses pygls, as if the `server` extra were not installed.
WITHOUT_PYGLS = textwrap.dedent(
    """
    import sys

    class BlockPygls:
        def find_spec(self, name, path=None, target=None):
            if name == "pygls" or name.startswith("pygls."):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, BlockPygls())
    from tsinspect.cli import main

    main(["server"], prog_name="tsinspect")
    """
)


def test_server_without_pygls_says_what_to_install(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_PYGLS],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "pip install 'tsinspect[server]'" in lines[0]
    assert "Traceback" not in result.stderr
