"""Ground truth for the linter: run the real ``torch.jit.script`` on a broad sample of timm models.

Runs inside the separate venv made by ``bench/setup_timm_env.sh`` (torch 2.14.1,
torchvision 0.29.1, timm), never in the system Python::

    V=/tmp/tsinspect-timm-venv/bin/python
    $V bench/timm_oracle.py                     # ~200-model sample, ~2 min on 2 idle cores
    $V bench/timm_oracle.py --all               # every model timm lists (bounded by --max-seconds)
    $V bench/timm_oracle.py --all --features-only --out bench/results/timm_oracle_features.json
    $V bench/timm_oracle.py --models resnet18 vit_tiny_patch16_224

Sampling: models are grouped by the module that defines their entrypoint
(``timm/models/<file>.py``); from each module we take the smallest-looking
variant of up to ``--max-stems`` architecture stems (a module like ``byobnet``
defines gernet, repvgg, regnetz...), at least ``--per-module`` picks, all built
with ``pretrained=False``. ``--all`` appends every other model, smallest-looking
first. Jobs are ordered round-robin over modules so that a run cut short by
``--max-seconds`` still covers every file.

Each model runs in its own forked child (the parent imported torch and timm
once, so a child starts in milliseconds and inherits no TorchScript caches).
Parameters are first counted on the meta device and models above
``--max-params`` are skipped; a construction that fails or takes longer than
``--construct-timeout`` is recorded and skipped, and scripting is bounded by
``--script-timeout``. Two children run at a time (``--workers``), one per core.

For every model the JSON records the defining file, the classes of all its
submodules (with their files, for attributing lint findings), the wall and CPU
time to script, and for failures the error text and every ``File "...", line N``
frame TorchScript names, plus the innermost frame inside timm.
"""

from __future__ import annotations

import argparse
import inspect
import json
import multiprocessing
import multiprocessing.connection
import os
import platform
import re
import resource
import sys
import time
import traceback
import warnings
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from oracle_common import error_gist_of, parse_frames, write_json

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "timm_oracle.json"

# Name tokens that mark a small variant, best first. timm names its sizes
# inconsistently across families, so the ranking is a heuristic over tokens.
_SMALL_TOKENS: tuple[str, ...] = (
    "test",
    "atto",
    "femto",
    "pico",
    "nano",
    "xxxs",
    "xxs",
    "tiny",
    "mini",
    "micro",
    "xs",
    "xsmall",
    "small",
    "s",
    "t",
    "b0",
    "lite0",
    "18",
    "050",
    "075",
    "100",
    "26",
    "b",
    "m",
    "base",
)
_LARGE_TOKENS = re.compile(
    r"(large|huge|giant|gigantic|xlarge|xxlarge|enormous|_l\d*$|_h\d*$|_g\d*$|"
    r"_xl|_e\d*$|b[4-8]|152|200|269|101|384|448|512|1024|_\d+b_|_\d+b$|_\d{3,}m)"
)


@dataclass
class ModelRecord:
    """What happened to one model."""

    name: str
    module: str
    module_file: str
    # "default": create_model(name); "features_only": create_model(name, features_only=True).
    variant: str = "default"
    key: str = ""
    # scripted | script_failed | construct_failed | construct_timeout | script_timeout
    # | skipped_large | crashed | not_run
    status: str = "not_run"
    model_class: str = ""
    model_class_file: str = ""
    construct_seconds: float | None = None
    script_seconds: float | None = None
    # CPU time of the (single-threaded) child while scripting: unlike the wall time it
    # does not grow when other work shares the cores.
    script_cpu_seconds: float | None = None
    params: int | None = None
    module_classes: list[dict[str, str]] = field(default_factory=list)
    error_type: str = ""
    error_gist: str = ""
    error: str = ""
    frames: list[dict[str, Any]] = field(default_factory=list)
    timm_frame: dict[str, Any] | None = None
    error_frame: dict[str, Any] | None = None


def _size_rank(name: str) -> tuple[int, int, int, str]:
    """Sort key: names with an early small-size token first, large-looking names last, then short names."""
    tokens = re.split(r"[_.]", name)
    best = len(_SMALL_TOKENS)
    for token in tokens:
        for rank, small in enumerate(_SMALL_TOKENS):
            if token == small or (len(small) > 2 and token.startswith(small)):
                best = min(best, rank)
    large = 1 if _LARGE_TOKENS.search(name) else 0
    return (large, best, len(name), name)


def _stem(name: str) -> str:
    """The architecture stem of a model name: ``repvgg_a2`` -> ``repvgg``, ``resnet18d`` -> ``resnet``."""
    head = name.split("_")[0]
    return re.sub(r"\d.*$", "", head) or head


def sample_models(per_module: int, max_stems: int, take_all: bool = False) -> list[tuple[str, str]]:
    """Pick (model name, module name) pairs: per module, the smallest-looking variant of each stem.

    Up to ``per_module`` picks come from distinct stems of the module (a module like
    ``byobnet`` defines gernet, repvgg, resnet51q, ...); ``max_stems`` caps that for
    modules with many stems. ``take_all`` appends every other model of the module,
    smallest-looking first. Ordered round-robin over modules.
    """
    import timm
    from timm.models import model_entrypoint

    by_module: dict[str, list[str]] = defaultdict(list)
    for name in timm.list_models():
        by_module[model_entrypoint(name).__module__].append(name)

    picks_per_module: dict[str, list[str]] = {}
    for module, names in sorted(by_module.items()):
        by_stem: dict[str, list[str]] = defaultdict(list)
        for name in names:
            by_stem[_stem(name)].append(name)
        # Stems with the most variants first: they are the module's main architecture.
        stems = sorted(by_stem, key=lambda s: (-len(by_stem[s]), s))
        picks = [min(by_stem[stem], key=_size_rank) for stem in stems[:max_stems]]
        # A module with fewer stems still gets per_module picks: the next smallest variants.
        for name in sorted(names, key=_size_rank):
            if len(picks) >= per_module:
                break
            if name not in picks:
                picks.append(name)
        if take_all:
            picks += [name for name in sorted(names, key=_size_rank) if name not in picks]
        picks_per_module[module] = picks

    ordered: list[tuple[str, str]] = []
    depth = 0
    while True:
        added = False
        for module, picks in sorted(picks_per_module.items()):
            if depth < len(picks):
                ordered.append((picks[depth], module))
                added = True
        if not added:
            return ordered
        depth += 1


def _module_classes(model: Any) -> list[dict[str, str]]:
    """Name, qualname, module and file of every class among the model's submodules."""
    classes: dict[tuple[str, str], dict[str, str]] = {}
    for sub in model.modules():
        cls = type(sub)
        try:
            file = inspect.getsourcefile(cls) or ""
        except TypeError:
            file = ""
        classes[(cls.__module__, cls.__qualname__)] = {
            "name": cls.__name__,
            "qualname": cls.__qualname__,
            "module": cls.__module__,
            "file": os.path.realpath(file) if file else "",
        }
    return sorted(classes.values(), key=lambda c: (c["name"], c["module"]))


def _child(
    name: str,
    conn: multiprocessing.connection.Connection,
    timm_root: str,
    max_params: int,
    max_memory_gb: float,
    features_only: bool,
    feature_cls: str = "",
) -> None:
    """Build and script one model in a forked child; report stages through ``conn``."""
    import timm
    import torch

    # A cap on the address space: a model too big for the machine fails to allocate
    # (recorded as construct_failed) instead of pushing the shared machine into the OOM killer.
    limit = int(max_memory_gb * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    # One thread per child: the workers already use one core each.
    torch.set_num_threads(1)
    # torch 2.14 warns that jit.script is deprecated, once per model; the log needs none of it.
    warnings.filterwarnings("ignore", category=FutureWarning)
    result: dict[str, Any] = {}
    kwargs: dict[str, Any] = {"features_only": True} if features_only else {}
    if features_only and feature_cls:
        kwargs["feature_cls"] = feature_cls
    # Count parameters on the meta device first (no memory, milliseconds), so giant
    # variants are skipped rather than allocated. Some models cannot be built on meta
    # (their __init__ calls .item()); those go on to the real build.
    try:
        with torch.device("meta"):
            meta_model = timm.create_model(name, pretrained=False, **kwargs)
        meta_params = sum(p.numel() for p in meta_model.parameters())
        del meta_model
    except Exception:  # only a size probe
        meta_params = 0
    if meta_params > max_params:
        conn.send({"stage": "skipped_large", "params": meta_params})
        return
    try:
        start = time.perf_counter()
        model = timm.create_model(name, pretrained=False, **kwargs)
        result["construct_seconds"] = time.perf_counter() - start
    except Exception as exc:  # any construction failure is a result to record
        conn.send(
            {
                "stage": "construct_failed",
                "error_type": type(exc).__name__,
                "error": str(exc)[:4000],
            }
        )
        return
    conn.send({"stage": "built", "construct_seconds": result["construct_seconds"]})
    cls = type(model)
    try:
        class_file = inspect.getsourcefile(cls) or ""
    except TypeError:
        class_file = ""
    result.update(
        model_class=cls.__qualname__,
        model_class_file=os.path.realpath(class_file) if class_file else "",
        params=sum(p.numel() for p in model.parameters()),
        module_classes=_module_classes(model),
    )
    model.eval()
    start = time.perf_counter()
    cpu_start = time.process_time()
    try:
        torch.jit.script(model)
    except Exception as exc:  # the scripting error is the measurement
        result["script_seconds"] = time.perf_counter() - start
        result["script_cpu_seconds"] = time.process_time() - cpu_start
        message = str(exc)
        frames = parse_frames(message, timm_root)
        if not frames:
            # Some failures (e.g. source lookup) carry their location only in the Python traceback.
            frames = parse_frames("".join(traceback.format_exception(exc)), timm_root)
            frames = [f for f in frames if f.in_package]
        result.update(
            stage="script_failed",
            error_type=type(exc).__name__,
            error=message[:20000],
            error_gist=error_gist_of(message),
            frames=[asdict(f) for f in frames],
            error_frame=asdict(frames[0]) if frames else None,
            timm_frame=next((asdict(f) for f in frames if f.in_package), None),
        )
    else:
        result["script_seconds"] = time.perf_counter() - start
        result["script_cpu_seconds"] = time.process_time() - cpu_start
        result["stage"] = "scripted"
    conn.send(result)


@dataclass
class _Running:
    record: ModelRecord
    process: multiprocessing.process.BaseProcess
    conn: multiprocessing.connection.Connection
    started: float
    built_at: float | None = None


def _environment(timm_root: str) -> dict[str, Any]:
    import timm
    import torch

    try:
        import torchvision

        torchvision_version = torchvision.__version__
    except Exception as exc:  # recorded, not fatal: timm imports it lazily
        torchvision_version = f"unavailable: {exc}"
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchvision": torchvision_version,
        "timm": timm.__version__,
        "timm_root": timm_root,
        "machine": platform.platform(),
        "cpu_count": os.cpu_count(),
        "scriptable_flag": False,
    }


def _apply(record: ModelRecord, message: dict[str, Any]) -> None:
    for key, value in message.items():
        if key == "stage":
            continue
        setattr(record, key, value)
    stage = message.get("stage")
    if stage in ("scripted", "script_failed", "construct_failed", "skipped_large"):
        record.status = stage
    if stage == "construct_failed":
        record.error_gist = error_gist_of(record.error)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the oracle over the sample and return the JSON payload (also written to ``args.out``)."""
    import timm
    from timm.models import model_entrypoint

    timm_root = os.path.realpath(os.path.dirname(timm.__file__))
    if args.models:
        jobs = [(name, model_entrypoint(name).__module__) for name in args.models]
    else:
        jobs = sample_models(args.per_module, args.max_stems, args.all)
    if args.limit:
        jobs = jobs[: args.limit]

    records: list[ModelRecord] = []
    for name, module in jobs:
        module_file = inspect.getsourcefile(sys.modules[module]) or ""
        variant = "features_only" if args.features_only else "default"
        if args.features_only and args.feature_cls:
            variant = f"features_{args.feature_cls}"
        records.append(
            ModelRecord(
                name=name,
                module=module,
                module_file=os.path.realpath(module_file),
                variant=variant,
                key=name if variant == "default" else f"{name}[{variant}]",
            )
        )

    payload: dict[str, Any] = {
        "environment": _environment(timm_root),
        "settings": {
            "per_module": args.per_module,
            "max_stems": args.max_stems,
            "construct_timeout": args.construct_timeout,
            "script_timeout": args.script_timeout,
            "max_seconds": args.max_seconds,
            "workers": args.workers,
            "all": args.all,
            "max_params": args.max_params,
            "max_memory_gb": args.max_memory_gb,
            "features_only": args.features_only,
            "feature_cls": args.feature_cls,
        },
        "models_available": len(timm.list_models()),
        "modules_available": len({model_entrypoint(n).__module__ for n in timm.list_models()}),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "records": [],
    }
    # fork: the child inherits the imported torch and timm, and no compiled state.
    context = multiprocessing.get_context("fork")
    deadline = time.monotonic() + args.max_seconds
    pending = list(records)
    if args.resume and args.out.exists():
        # Keep what an earlier run of the same sample settled; redo what it did not reach,
        # what timed out on construction (often only a busy machine) and what crashed.
        previous = {
            r.get("key") or r["name"]: r for r in json.loads(args.out.read_text())["records"]
        }
        redo = {"not_run", "construct_timeout", "crashed"}
        for index, record in enumerate(records):
            old = previous.get(record.key)
            if old is not None and old["status"] not in redo:
                records[index] = ModelRecord(
                    **{**old, "key": record.key, "variant": record.variant}
                )
        pending = [r for r in records if r.status == "not_run"]
        payload["resumed"] = True
    running: list[_Running] = []
    done = 0

    def finish(item: _Running, status: str | None = None) -> None:
        nonlocal done
        if status is not None:
            item.record.status = status
        if item.process.is_alive():
            item.process.kill()
        item.process.join()
        item.conn.close()
        running.remove(item)
        done += 1
        r = item.record
        timing = f"{r.script_seconds:.1f}s" if r.script_seconds is not None else "-"
        print(
            f"[{done}/{len(records)}] {r.name:45s} {r.status:18s} {timing:>7s} {r.error_gist[:80]}",
            flush=True,
        )
        payload["records"] = [asdict(rec) for rec in records]
        write_json(args.out, payload)

    while pending or running:
        now = time.monotonic()
        while pending and len(running) < args.workers and now < deadline:
            record = pending.pop(0)
            parent_conn, child_conn = context.Pipe(duplex=False)
            process = context.Process(
                target=_child,
                args=(
                    record.name,
                    child_conn,
                    timm_root,
                    args.max_params,
                    args.max_memory_gb,
                    args.features_only,
                    args.feature_cls,
                ),
                daemon=True,
            )
            process.start()
            child_conn.close()
            running.append(_Running(record, process, parent_conn, time.monotonic()))
        if now >= deadline:
            pending.clear()
        if not running:
            break
        ready = multiprocessing.connection.wait([item.conn for item in running], timeout=0.5)
        for item in list(running):
            if item.conn in ready:
                try:
                    message = item.conn.recv()
                except EOFError:
                    finish(item, "crashed" if item.record.status == "not_run" else None)
                    continue
                _apply(item.record, message)
                if message.get("stage") == "built":
                    item.built_at = time.monotonic()
                else:
                    finish(item)
                    continue
            now = time.monotonic()
            if item.built_at is None and now - item.started > args.construct_timeout:
                finish(item, "construct_timeout")
            elif item.built_at is not None and now - item.built_at > args.script_timeout:
                finish(item, "script_timeout")
            elif now >= deadline + 5:
                finish(item, "not_run")

    payload["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    payload["records"] = [asdict(rec) for rec in records]
    counts: dict[str, int] = defaultdict(int)
    for rec in records:
        counts[rec.status] += 1
    payload["counts"] = dict(sorted(counts.items()))
    write_json(args.out, payload)
    return payload


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON output path")
    parser.add_argument(
        "--models", nargs="*", help="script exactly these models instead of a sample"
    )
    parser.add_argument(
        "--per-module", type=int, default=2, help="picks per model module (at least)"
    )
    parser.add_argument(
        "--max-stems", type=int, default=3, help="at most this many stems per module"
    )
    parser.add_argument("--limit", type=int, default=0, help="stop after this many models (0: all)")
    parser.add_argument("--workers", type=int, default=2, help="models scripted in parallel")
    parser.add_argument(
        "--construct-timeout", type=float, default=20.0, help="seconds to build a model"
    )
    parser.add_argument(
        "--script-timeout", type=float, default=180.0, help="seconds to script a model"
    )
    parser.add_argument(
        "--max-seconds", type=float, default=1800.0, help="total time bound for the run"
    )
    parser.add_argument("--all", action="store_true", help="every model timm lists, not a sample")
    parser.add_argument(
        "--max-params", type=float, default=350e6, help="skip models with more parameters"
    )
    parser.add_argument(
        "--max-memory-gb", type=float, default=9.0, help="address-space cap per child"
    )
    parser.add_argument(
        "--features-only",
        action="store_true",
        help="build create_model(name, features_only=True): the backbone wrappers detection code scripts",
    )
    parser.add_argument(
        "--feature-cls",
        default="",
        help="with --features-only: the wrapper timm builds (getter, hook, list, dict), whatever "
        "the model's default; checks code only that wrapper compiles (variant features_<name>)",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep settled results already in --out; run only models it did not reach or that timed out",
    )
    parser.add_argument("--list", action="store_true", help="print the sample and exit")
    args = parser.parse_args(argv)
    if args.list:
        for name, module in sample_models(args.per_module, args.max_stems, args.all):
            print(f"{module:40s} {name}")
        return 0
    payload = run(args)
    print(json.dumps(payload["counts"]), f"-> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
