"""Edit-to-diagnostics latency of ``tsinspect server`` on timm's model files.

Runs in the Python where tsinspect and pygls are installed (no torch, no timm needed)::

    python bench/lsp_latency.py                        # beit.py (1.2k lines) and vision_transformer.py (5.3k)
    python bench/lsp_latency.py --files beit.py --edits 30
    python bench/lsp_latency.py --wheel timm-1.0.31-py3-none-any.whl   # a wheel already downloaded

timm's source is fetched at bench time (``pip download timm --no-deps`` into a temporary
folder, the wheel unzipped there) and never kept. The unzipped folder is the workspace, as
if a user had opened a checkout of timm.

Two measurements per file:

- **end to end**, through the real protocol: the server runs as ``python -m tsinspect server``
  and a pygls client sends each edit (``didChange`` with the whole text) and waits for the
  ``publishDiagnostics`` of that version: JSON-RPC, the lint, the conversion of positions.
  Each edit follows a quiet spell (the previous one's diagnostics arrived), so the server
  checks it at once; edits typed faster than 150 ms apart are coalesced instead.
- **server work**, in process: the same edits through :class:`tsinspect.server.project.Project`
  (what the server's worker thread runs after the debounce): ``edit`` (lint the edited text
  with the facts it had: what is published first), then ``settle`` (summarise the module
  again, walk the program if the summary changed in a way the walk sees, lint the open files
  whose facts changed), and beside them the bare engine (``lint_source``) on the same text.

Two kinds of edit: *in a line* (a number in a function body changes: no summary change, so
no program walk) and *a new line* (a line inserted in a function body: every line number
below moves, the module's summary changes, the program is walked again). The index is warm
(the first diagnostics of the file are reported apart as "cold"). Also reported: which open
files an edit of a shared layer (``timm/layers/mlp.py``) re-checks. Results go to
``bench/results/lsp_latency.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

RESULTS = Path(__file__).resolve().parent / "results"
SRC = Path(__file__).resolve().parents[1] / "src"
DEFAULT_FILES = ("beit.py", "vision_transformer.py")
# A number inside a function body: the first `eps=1e-6` style literal or a `* 0.5`.
NUMBER = re.compile(r"(?<=[=( ])(\d+\.\d+|\d+e-\d+)(?=[,)\s])")


def fetch_timm(folder: Path, wheel: str | None) -> Path:
    """Unzip timm's wheel (downloaded now unless given) into ``folder``; the workspace root."""
    if wheel is None:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "timm", "--no-deps", "-q", "-d", str(folder)],
            check=True,
        )
        wheel = glob.glob(str(folder / "timm-*.whl"))[0]
    workspace = folder / "workspace"
    with zipfile.ZipFile(wheel) as archive:
        members = [m for m in archive.namelist() if m.startswith("timm/")]
        archive.extractall(workspace, members)
    return workspace


def edits(text: str, count: int) -> list[tuple[str, str]]:
    """``count`` edited texts of each kind: (kind, text), alternating, each from the last."""
    lines = text.split("\n")
    numbered = [
        i for i, line in enumerate(lines) if line.startswith("        ") and NUMBER.search(line)
    ]
    bodies = [i for i, line in enumerate(lines) if line.startswith("        return ")]
    found: list[tuple[str, str]] = []
    current = lines
    for step in range(count):
        current = list(current)
        row = numbered[(step * 7) % len(numbered)]
        current[row] = NUMBER.sub(lambda m: m.group(0) + "1", current[row], count=1)
        found.append(("in a line", "\n".join(current)))
        row = bodies[(step * 5) % len(bodies)]
        indent = current[row][: len(current[row]) - len(current[row].lstrip())]
        current = [*current[:row], f"{indent}pass", *current[row:]]
        bodies = [b + 1 if b >= row else b for b in bodies]
        numbered = [n + 1 if n >= row else n for n in numbered]
        found.append(("a new line", "\n".join(current)))
    return found


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def in_process(workspace: Path, name: str, count: int) -> dict[str, Any]:
    """Server work per edit, without the protocol."""
    from tsinspect.api.check import rules_for_path
    from tsinspect.lint.engine import lint_source
    from tsinspect.server.project import Project

    path = str(workspace / "timm" / "models" / name)
    text = Path(path).read_text()
    project = Project(root=str(workspace))
    start = time.perf_counter()
    project.load()
    loaded = time.perf_counter()
    project.open(path, text)
    opened = time.perf_counter()
    by_kind: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    settle: dict[str, list[float]] = {}
    engine: dict[str, list[float]] = {}
    engine_cpu: dict[str, list[float]] = {}
    rules = rules_for_path(project.settings, path)
    walks = project.walks
    for kind, edited in edits(text, count):
        # The bare engine on the same text and facts: the floor the server adds to.
        began, began_cpu = time.perf_counter(), time.process_time()
        lint_source(edited, path, rules, project.facts(path))
        engine.setdefault(kind, []).append(time.perf_counter() - began)
        engine_cpu.setdefault(kind, []).append(time.process_time() - began_cpu)
        began, began_cpu = time.perf_counter(), time.process_time()
        project.edit(path, edited)  # what is published first
        by_kind.setdefault(kind, []).append(time.perf_counter() - began)
        cpu.setdefault(kind, []).append(time.process_time() - began_cpu)
        began_cpu = time.process_time()
        project.settle(path)  # then: summary, walk if needed, dependents
        settle.setdefault(kind, []).append(time.process_time() - began_cpu)
    # CPU time is what a busy machine changes least: the wall times include waiting for a core.
    return {
        "lines": text.count("\n") + 1,
        "index_s": round(loaded - start, 2),
        "first_lint_s": round(opened - loaded, 2),
        "program_walks": project.walks - walks,
        "wall": {kind: summary(values) for kind, values in by_kind.items()},
        "cpu": {kind: summary(values) for kind, values in cpu.items()},
        "settle_cpu": {kind: summary(values) for kind, values in settle.items()},
        "engine_only_wall": {kind: summary(values) for kind, values in engine.items()},
        "engine_only_cpu": {kind: summary(values) for kind, values in engine_cpu.items()},
    }


def dependents(workspace: Path) -> dict[str, Any]:
    """Which open files an edit of a shared layer re-checks."""
    from tsinspect.server.project import Project

    models = workspace / "timm" / "models"
    layer = workspace / "timm" / "layers" / "mlp.py"
    project = Project(root=str(workspace))
    project.load()
    for name in ("beit.py", "vision_transformer.py", "resnet.py", "eva.py"):
        project.open(str(models / name), (models / name).read_text())
    text = layer.read_text()
    project.open(str(layer), text)
    results = {}
    for kind, edited in edits(text, 1):
        project.relinted = ()
        began = time.perf_counter()
        project.change(str(layer), edited)
        results[kind] = {
            "relinted": [os.path.relpath(p, workspace) for p in project.relinted],
            "ms": round((time.perf_counter() - began) * 1000, 1),
        }
    # A change to what is compiled: Mlp stops being an nn.Module.
    plain = text.replace("class Mlp(nn.Module):", "class Mlp:", 1)
    project.relinted = ()
    began = time.perf_counter()
    project.change(str(layer), plain)
    results["Mlp is no longer an nn.Module"] = {
        "relinted": [os.path.relpath(p, workspace) for p in project.relinted],
        "ms": round((time.perf_counter() - began) * 1000, 1),
    }
    importers = project.importers().get("timm.layers.mlp", frozenset())
    return {"open": 5, "importers_of_timm.layers.mlp": len(importers), **results}


async def end_to_end(workspace: Path, name: str, count: int) -> dict[str, Any]:
    """Latency through the protocol: didChange -> publishDiagnostics of that version."""
    client = LanguageClient("lsp-latency", "1")
    published: dict[int | None, float] = {}
    arrived = asyncio.Event()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_publish(params: types.PublishDiagnosticsParams) -> None:
        published[params.version] = time.perf_counter()
        arrived.set()

    env = {**os.environ, "PYTHONPATH": str(SRC)}
    await client.start_io(sys.executable, "-m", "tsinspect", "server", env=env)
    path = workspace / "timm" / "models" / name
    uri = path.as_uri()
    text = path.read_text()
    began = time.perf_counter()
    await client.initialize_async(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(),
            root_uri=workspace.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="timm")],
        )
    )
    client.initialized(types.InitializedParams())
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=1, text=text
            )
        )
    )

    async def wait_for(version: int) -> float:
        while version not in published:
            arrived.clear()
            await asyncio.wait_for(arrived.wait(), 300)
        return published[version]

    cold = await wait_for(1) - began
    by_kind: dict[str, list[float]] = {}
    for version, (kind, edited) in enumerate(edits(text, count), start=2):
        sent = time.perf_counter()
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=edited)],
            )
        )
        by_kind.setdefault(kind, []).append(await wait_for(version) - sent)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return {"cold_s": round(cold, 2), **{k: summary(v) for k, v in by_kind.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", nargs="+", default=list(DEFAULT_FILES))
    parser.add_argument("--edits", type=int, default=10, help="edits of each kind per file")
    parser.add_argument("--wheel", help="a timm wheel already downloaded")
    parser.add_argument(
        "--no-end-to-end", action="store_true", help="server work only (no server process)"
    )
    parser.add_argument("--no-dependents", action="store_true", help="skip the shared-layer edit")
    args = parser.parse_args()
    sys.path.insert(0, str(SRC))
    with tempfile.TemporaryDirectory(prefix="tsinspect-lsp-bench-") as folder:
        os.environ["TSINSPECT_CACHE_DIR"] = str(Path(folder) / "cache")
        workspace = fetch_timm(Path(folder), args.wheel)
        files = len(list((workspace / "timm").rglob("*.py")))
        report: dict[str, Any] = {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg()[0],
            "workspace_files": files,
            "files": {},
        }
        for name in args.files:
            work = in_process(workspace, name, args.edits)
            e2e = {} if args.no_end_to_end else asyncio.run(end_to_end(workspace, name, args.edits))
            report["files"][name] = {"server_work": work, "end_to_end": e2e}
            print(name, json.dumps(report["files"][name], indent=1))
        if not args.no_dependents:
            report["dependents"] = dependents(workspace)
            print("dependents", json.dumps(report["dependents"], indent=1))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "lsp_latency.json").write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
