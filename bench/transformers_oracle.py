"""Ground truth for the linter: run the real ``torch.jit.script`` on Hugging Face transformers, class by class.

Runs inside the venv made by ``bench/setup_hf_env.sh`` (the system torch 2.13.0 +
a pinned transformers), never in the system Python::

    V=/tmp/tsinspect-hf-venv/bin/python
    $V bench/transformers_oracle.py                       # every model type below, ~2 min on 1 core
    $V bench/transformers_oracle.py --types bert gpt2 t5  # a few
    $V bench/transformers_oracle.py --list                # the model types and their tiny configs

For every model type (BERT, GPT-2, T5, ViT, CLIP, Llama, Whisper, Wav2Vec2 and
their kin) the parent process builds a tiny model from the config class (hidden
size 32, two layers, two heads, a small vocabulary; per-architecture overrides in
``OVERRIDES``) with random weights: nothing is downloaded. Then every distinct
``nn.Module`` subclass defined in transformers among the model's submodules,
the model's own class first, is scripted once, on the first instance met:
``torch.jit.script(instance)``. Scripting the model's own class is scripting the
model. A class shared by several models (``GELUActivation``, a ``Bert*`` class
that RoBERTa reuses) is scripted once and lists every model that uses it.

Each attempt runs in its own forked child of the parent that built the models (it
inherits them, and no TorchScript cache), bounded by ``--script-timeout``;
``--workers`` children at a time (1 by default: the machine's two cores are shared).

For every class the JSON records its defining file and line, the transformers
classes it derives from (with their files: a base in another file is code the
linter reaches across files), and for failures the error text, every
``File "...", line N`` frame and the innermost frame inside transformers.

Two places where the oracle corrects or supplies a location, each marked in the
frame's ``note``:

* A ``forward`` under a ``functools.wraps`` decorator (``@deprecate_kwarg``,
  ``@can_return_tuple``...): TorchScript names the decorator's file with the
  decorated function's line numbers (``get_source_lines_and_file`` takes the file
  from ``inspect.getsourcefile``, which does not unwrap, and the lines from
  ``inspect.getsourcelines``, which does: pytorch@v2.13.0:torch/_sources.py:23-24).
  A frame whose quoted source is not at that line of that file is moved to the
  file of the model's classes where it is.
* ``Failed to get source for <function BertConfig.__init__ ...>``: a class
  annotation ``config: BertConfig`` (on ``BertPreTrainedModel``) makes TorchScript
  compile the config class, a dataclass whose generated ``__init__`` has no source
  (pytorch@v2.13.0:torch/jit/_recursive.py:158-178 finds the annotations,
  :218-225 compiles them; the ``OSError`` escapes the ``RuntimeError`` handler).
  The error names no line; the oracle points it at the annotation's line (the first
  in TorchScript's order: submodules before their parent), and scripts the class once
  more with every config-annotated attribute of it and its submodules in
  ``__jit_ignored_attributes__`` (variant ``annotation_ignored``) to see what comes next.
"""

from __future__ import annotations

import argparse
import inspect
import multiprocessing
import multiprocessing.connection
import os
import platform
import re
import resource
import signal
import sys
import time
import traceback
import warnings
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from oracle_common import Frame, error_gist_of, parse_frames, write_json

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "transformers_oracle.json"

# The model types, by family. Names are transformers' ``model_type`` keys.
MODEL_TYPES: tuple[str, ...] = (
    # encoders
    "bert",
    "roberta",
    "xlm-roberta",
    "distilbert",
    "albert",
    "electra",
    "deberta",
    "deberta-v2",
    "mpnet",
    "mobilebert",
    # decoders
    "gpt2",
    "gpt_neo",
    "gptj",
    "gpt_neox",
    "opt",
    "bloom",
    "falcon",
    "llama",
    "mistral",
    "mixtral",
    "qwen2",
    "qwen3",
    "phi",
    "phi3",
    "gemma",
    "gemma2",
    # encoder-decoders
    "t5",
    "mt5",
    "bart",
    "mbart",
    "pegasus",
    "marian",
    "whisper",
    # vision
    "vit",
    "deit",
    "beit",
    "dinov2",
    "swin",
    "convnext",
    "segformer",
    "resnet",
    # vision-language
    "clip",
    "siglip",
    # speech
    "wav2vec2",
    "hubert",
    "wavlm",
)

# Set on every config (and sub-config) whose default for the key is an int: the
# names are canonical config fields or their ``attribute_map`` aliases.
TINY: dict[str, int] = {
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "num_key_value_heads": 1,
    "intermediate_size": 37,
    "head_dim": 16,
    "embedding_size": 16,
    "d_model": 32,
    "d_ff": 37,
    "d_kv": 16,
    "num_layers": 2,
    "num_decoder_layers": 2,
    "num_heads": 2,
    "encoder_layers": 2,
    "decoder_layers": 2,
    "encoder_attention_heads": 2,
    "decoder_attention_heads": 2,
    "encoder_ffn_dim": 37,
    "decoder_ffn_dim": 37,
    "projection_dim": 16,
    "num_local_experts": 4,
    "num_experts": 4,
    "num_experts_per_tok": 2,
    "moe_intermediate_size": 16,
    "shared_expert_intermediate_size": 16,
}
# Lowered to at most this (the vocabulary never below the largest special token id + 1).
CAPS: dict[str, int] = {"max_position_embeddings": 512, "vocab_size": 1000}
# Per model type, passed to the config class after TINY (lists whose length is the depth).
OVERRIDES: dict[str, dict[str, Any]] = {
    "gpt_neo": {"attention_types": [[["global", "local"], 1]], "num_layers": 2},
    "mobilebert": {
        "intra_bottleneck_size": 16,
        "num_feedforward_networks": 2,
        "true_hidden_size": 32,
    },
    "swin": {"embed_dim": 16, "depths": [1, 1], "num_heads": [1, 2], "image_size": 56},
    "convnext": {"hidden_sizes": [8, 16], "depths": [1, 1], "num_stages": 2},
    "resnet": {"embedding_size": 8, "hidden_sizes": [8, 16], "depths": [1, 1]},
    "segformer": {
        "hidden_sizes": [8, 16, 24, 32],
        "num_attention_heads": [1, 1, 1, 1],
        "depths": [1, 1, 1, 1],
        "decoder_hidden_size": 32,
    },
    "vit": {"image_size": 32, "patch_size": 8},
    "deit": {"image_size": 32, "patch_size": 8},
    "beit": {"image_size": 32, "patch_size": 8},
    "dinov2": {"image_size": 32, "patch_size": 8},
}

_NO_SOURCE = re.compile(r"Failed to get source for <function (?P<cls>[\w.]+)\.__init__ at")


@dataclass
class ModelRecord:
    """One model type: its tiny config, how it built, and the classes it is made of."""

    model_type: str
    config_class: str = ""
    config: dict[str, Any] = field(default_factory=dict)
    # built | construct_failed | construct_timeout
    status: str = "not_run"
    model_class: str = ""
    model_class_file: str = ""
    params: int | None = None
    construct_seconds: float | None = None
    error: str = ""
    # Keys of the transformers classes among model.modules(), in that order.
    classes: list[str] = field(default_factory=list)
    # The status of scripting the model itself (its own class), filled in at the end.
    script_status: str = ""


@dataclass
class ClassRecord:
    """One attempt at scripting one instance of one transformers class."""

    key: str
    class_key: str
    name: str
    qualname: str
    module: str
    file: str
    rel_file: str
    class_line: int
    # The transformers classes in the MRO below this one that derive from nn.Module.
    bases: list[dict[str, Any]] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    top_of: list[str] = field(default_factory=list)
    instance_of: str = ""
    instance_path: str = ""
    # "default": torch.jit.script(instance); "annotation_ignored": a retry with the class
    # annotations TorchScript could not compile in __jit_ignored_attributes__.
    variant: str = "default"
    ignored_attributes: list[str] = field(default_factory=list)
    # scripted | script_failed | script_timeout | crashed | not_run
    status: str = "not_run"
    script_seconds: float | None = None
    script_cpu_seconds: float | None = None
    error_type: str = ""
    error_gist: str = ""
    error: str = ""
    frames: list[dict[str, Any]] = field(default_factory=list)
    error_frame: dict[str, Any] | None = None
    transformers_frame: dict[str, Any] | None = None
    # Attributes whose class annotation could not be compiled: the retry ignores them.
    unscriptable_annotations: list[str] = field(default_factory=list)


def _source_file(obj: Any) -> str:
    try:
        file = inspect.getsourcefile(obj) or ""
    except TypeError:
        return ""
    return os.path.realpath(file) if file else ""


def _rel(path: str, root: str) -> str:
    parent = os.path.dirname(root)
    return os.path.relpath(path, parent) if path.startswith(parent + os.sep) else path


def _accepts(config_default: Any, name: str) -> bool:
    """True when the config has a plain int field ``name`` (not a bool, not a computed property)."""
    value = getattr(config_default, name, None)
    if isinstance(getattr(type(config_default), name, None), property):
        return False
    return isinstance(value, int) and not isinstance(value, bool)


def _token_floor(config: Any) -> int:
    ids: list[int] = []
    for name in ("pad_token_id", "bos_token_id", "eos_token_id", "decoder_start_token_id"):
        value = getattr(config, name, None)
        if isinstance(value, int):
            ids.append(value)
        elif isinstance(value, list | tuple):
            ids += [v for v in value if isinstance(v, int)]
    return max(ids, default=0) + 1


def tiny_kwargs(config_class: type, overrides: dict[str, Any]) -> dict[str, Any]:
    """Constructor arguments that make ``config_class`` tiny; sub-configs (CLIP's text/vision) too."""
    default = config_class()
    aliases = getattr(default, "attribute_map", None) or {}
    kwargs: dict[str, Any] = {}
    for key, value in TINY.items():
        real = aliases.get(key, key)
        if _accepts(default, real):
            kwargs[real] = value
    for key, cap in CAPS.items():
        real = aliases.get(key, key)
        current = getattr(default, real, None)
        if _accepts(default, real) and current > cap:
            kwargs[real] = max(cap, _token_floor(default)) if key == "vocab_size" else cap
    for name, sub_class in (getattr(default, "sub_configs", None) or {}).items():
        if isinstance(sub_class, type) and hasattr(sub_class, "model_type"):
            kwargs[name] = tiny_kwargs(sub_class, {})
    kwargs.update(overrides)
    return kwargs


class _Timeout(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _Timeout


def build_model(model_type: str, timeout: float) -> tuple[ModelRecord, Any]:
    """Build the tiny model of ``model_type`` in this process (bounded by SIGALRM)."""
    from transformers import CONFIG_MAPPING, AutoModel

    record = ModelRecord(model_type=model_type)
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        config_class = CONFIG_MAPPING[model_type]
        record.config_class = f"{config_class.__module__}.{config_class.__qualname__}"
        kwargs = tiny_kwargs(config_class, OVERRIDES.get(model_type, {}))
        record.config = kwargs
        start = time.perf_counter()
        model = AutoModel.from_config(config_class(**kwargs)).eval()
        record.construct_seconds = time.perf_counter() - start
    except _Timeout:
        record.status = "construct_timeout"
        return record, None
    except Exception as exc:  # any construction failure is a result to record
        record.status = "construct_failed"
        record.error = f"{type(exc).__name__}: {str(exc)[:4000]}"
        return record, None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    cls = type(model)
    record.status = "built"
    record.model_class = f"{cls.__module__}.{cls.__qualname__}"
    record.model_class_file = _source_file(cls)
    record.params = sum(p.numel() for p in model.parameters())
    return record, model


def _bases(cls: type, root: str) -> list[dict[str, Any]]:
    """The transformers nn.Module classes ``cls`` derives from, nearest first."""
    import torch

    bases = []
    for base in cls.__mro__[1:]:
        if not base.__module__.startswith("transformers."):
            continue
        if not issubclass(base, torch.nn.Module):
            continue
        file = _source_file(base)
        bases.append(
            {
                "qualname": base.__qualname__,
                "module": base.__module__,
                "file": file,
                "rel_file": _rel(file, root),
            }
        )
    return bases


def _class_record(cls: type, root: str, variant: str = "default") -> ClassRecord:
    file = _source_file(cls)
    try:
        line = inspect.getsourcelines(cls)[1]
    except (OSError, TypeError):
        line = 0
    class_key = f"{cls.__module__}.{cls.__qualname__}"
    return ClassRecord(
        key=class_key if variant == "default" else f"{class_key}[{variant}]",
        class_key=class_key,
        name=cls.__name__,
        qualname=cls.__qualname__,
        module=cls.__module__,
        file=file,
        rel_file=_rel(file, root),
        class_line=line,
        bases=_bases(cls, root),
        variant=variant,
    )


_LINES: dict[str, list[str]] = {}


def _line_of(path: str, line: int) -> str:
    if path not in _LINES:
        try:
            _LINES[path] = Path(path).read_text(encoding="utf-8").splitlines()
        except OSError:
            _LINES[path] = []
    lines = _LINES[path]
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


def _candidate_files(instance: Any) -> list[str]:
    """Files of the transformers classes (and their bases) among the instance's submodules."""
    files: dict[str, None] = {}
    for sub in instance.modules():
        for cls in type(sub).__mro__:
            if cls.__module__.startswith("transformers."):
                file = _source_file(cls)
                if file:
                    files[file] = None
    return list(files)


def correct_frames(frames: list[Frame], candidates: list[str], root: str) -> None:
    """Move frames whose quoted source is not at their line to the candidate file where it is."""
    for frame in frames:
        marked = frame.marked_line()
        if not marked or _line_of(os.path.realpath(frame.file), frame.line) == marked:
            continue
        for file in candidates:
            if _line_of(file, frame.line) == marked:
                frame.note = (
                    f"TorchScript named {_rel(os.path.realpath(frame.file), root)}; the quoted "
                    "source is at this line of this file (a function under a functools.wraps "
                    "decorator)"
                )
                frame.file = file
                frame.in_package = file.startswith(root)
                break


def _torch_annotations(cls: type) -> tuple[type | None, dict[str, Any]]:
    """The annotations TorchScript reads for ``cls``, and the class they come from.

    The same walk as ``torch.jit._recursive.get_annotations``: ``cls``'s own, else
    the first base (depth first) that has any.
    """
    pending = [cls]
    while pending:
        current = pending.pop(0)
        found = inspect.get_annotations(current)
        if found:
            return current, found
        pending = list(current.__bases__) + pending
    return None, {}


def _post_order(module: Any) -> list[Any]:
    """Submodules children first, as TorchScript infers their types (before the parent's attributes)."""
    order: list[Any] = []
    for child in module._modules.values():
        if child is not None:
            order += _post_order(child)
    order.append(module)
    return order


def _type_name(annotation: Any) -> str:
    return annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")


def config_annotations(instance: Any) -> list[tuple[Any, type, str, str]]:
    """(submodule, annotating class, attribute, type name) for each attribute set on a
    submodule and annotated with a config class: TorchScript tries to compile those."""
    from transformers import PreTrainedConfig

    found = []
    for sub in _post_order(instance):
        owner, annotations = _torch_annotations(type(sub))
        for name, annotation in annotations.items():
            type_name = _type_name(annotation)
            is_config = (
                issubclass(annotation, PreTrainedConfig)
                if isinstance(annotation, type)
                else type_name.endswith("Config")
            )
            if owner is not None and is_config and name in vars(sub):
                found.append((sub, owner, name, type_name))
    return found


def _annotation_frame(
    entries: list[tuple[Any, type, str, str]], type_name: str, root: str
) -> Frame | None:
    """The class annotation TorchScript failed on: the first (in its order) naming ``type_name``."""
    short = type_name.rsplit(".", 1)[-1]
    for _, owner, name, annotated in entries:
        if annotated.rsplit(".", 1)[-1] != short:
            continue
        file = _source_file(owner)
        try:
            source, first = inspect.getsourcelines(owner)
        except (OSError, TypeError):
            continue
        pattern = re.compile(rf"^\s+{re.escape(name)}\s*:")
        for offset, text in enumerate(source):
            if pattern.match(text):
                return Frame(
                    file=file,
                    line=first + offset,
                    function=owner.__qualname__,
                    in_package=file.startswith(root),
                    snippet=text.rstrip(),
                    note=(
                        f"no line in TorchScript's error; the class annotation of '{name}' "
                        f"({annotated}) on {owner.__qualname__}, which it could not compile"
                    ),
                )
    return None


def _child(
    instance: Any,
    ignored: list[str],
    conn: multiprocessing.connection.Connection,
    root: str,
    max_memory_gb: float,
) -> None:
    """Script one instance in a forked child; send the result through ``conn``."""
    import torch

    limit = int(max_memory_gb * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    if ignored:
        # Every config-annotated attribute, on each class: the child is a fork, the change dies with it.
        for sub, _, name, _ in config_annotations(instance):
            sub_cls = type(sub)
            current = list(getattr(sub_cls, "__jit_ignored_attributes__", []))
            if name not in current:
                sub_cls.__jit_ignored_attributes__ = [*current, name]
    result: dict[str, Any] = {}
    start = time.perf_counter()
    cpu_start = time.process_time()
    try:
        torch.jit.script(instance)
    except Exception as exc:  # the scripting error is the measurement
        result["script_seconds"] = time.perf_counter() - start
        result["script_cpu_seconds"] = time.process_time() - cpu_start
        message = str(exc)
        frames = parse_frames(message, root)
        correct_frames(frames, _candidate_files(instance), root)
        unscriptable: list[str] = []
        no_source = _NO_SOURCE.search(message)
        if not frames and no_source:
            entries = config_annotations(instance)
            frame = _annotation_frame(entries, no_source.group("cls"), root)
            frames = [frame] if frame is not None else []
            unscriptable = sorted(
                {f"{type(sub).__qualname__}.{name}" for sub, _, name, _ in entries}
            )
        if not frames:
            # Some failures carry their location only in the Python traceback.
            frames = parse_frames("".join(traceback.format_exception(exc)), root)
            frames = [f for f in frames if f.in_package]
        result.update(
            stage="script_failed",
            error_type=type(exc).__name__,
            error=message[:20000],
            error_gist=error_gist_of(message),
            frames=[asdict(f) for f in frames],
            error_frame=asdict(frames[0]) if frames else None,
            transformers_frame=next((asdict(f) for f in frames if f.in_package), None),
            unscriptable_annotations=unscriptable,
        )
    else:
        result["script_seconds"] = time.perf_counter() - start
        result["script_cpu_seconds"] = time.process_time() - cpu_start
        result["stage"] = "scripted"
    conn.send(result)


@dataclass
class _Running:
    record: ClassRecord
    process: multiprocessing.process.BaseProcess
    conn: multiprocessing.connection.Connection
    started: float


def _environment(root: str) -> dict[str, Any]:
    import torch
    import transformers

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_file": torch.__file__,
        "transformers": transformers.__version__,
        "transformers_root": root,
        "machine": platform.platform(),
        "cpu_count": os.cpu_count(),
    }


def _round_robin(groups: list[list[ClassRecord]]) -> list[ClassRecord]:
    ordered: list[ClassRecord] = []
    depth = 0
    while any(depth < len(group) for group in groups):
        ordered += [group[depth] for group in groups if depth < len(group)]
        depth += 1
    return ordered


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Build the models, script their classes, and return the JSON payload (also written to ``args.out``)."""
    import torch
    import transformers

    # One thread: the children are forked from this process and must not inherit a thread pool.
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    transformers.logging.set_verbosity_error()
    root = os.path.realpath(os.path.dirname(transformers.__file__))

    models: list[ModelRecord] = []
    classes: dict[str, ClassRecord] = {}
    instances: dict[str, Any] = {}
    per_model: list[list[ClassRecord]] = []
    for model_type in args.types:
        record, model = build_model(model_type, args.construct_timeout)
        models.append(record)
        print(f"built {model_type:14s} {record.status:18s} {record.error[:90]}", flush=True)
        if model is None:
            continue
        mine: list[ClassRecord] = []
        for path, sub in model.named_modules():
            cls = type(sub)
            if not cls.__module__.startswith("transformers."):
                continue
            class_key = f"{cls.__module__}.{cls.__qualname__}"
            if class_key not in record.classes:
                record.classes.append(class_key)
            entry = classes.get(class_key)
            if entry is None:
                entry = _class_record(cls, root)
                entry.instance_of = model_type
                entry.instance_path = path or "(model)"
                classes[class_key] = entry
                instances[class_key] = sub
                mine.append(entry)
            if model_type not in entry.models:
                entry.models.append(model_type)
            if not path:
                entry.top_of.append(model_type)
        per_model.append(mine)

    records: list[ClassRecord] = list(classes.values())
    payload: dict[str, Any] = {
        "environment": _environment(root),
        "settings": {
            "types": list(args.types),
            "script_timeout": args.script_timeout,
            "construct_timeout": args.construct_timeout,
            "max_seconds": args.max_seconds,
            "workers": args.workers,
            "max_memory_gb": args.max_memory_gb,
            "tiny": TINY,
            "caps": CAPS,
        },
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "models": [],
        "classes": [],
    }

    def save() -> None:
        payload["models"] = [asdict(m) for m in models]
        payload["classes"] = [asdict(r) for r in records]
        write_json(args.out, payload)

    # fork: the child inherits the built models, and no compiled state.
    context = multiprocessing.get_context("fork")
    deadline = time.monotonic() + args.max_seconds
    # Round-robin over models, each model's own class first, so a cut-short run covers every model.
    pending = _round_robin(per_model)
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
            f"[{done}/{len(records)}] {r.key[13:]:70s} {r.status:14s} {timing:>6s} {r.error_gist[:70]}",
            flush=True,
        )
        if r.unscriptable_annotations and r.variant == "default":
            retry = _class_record(type(instances[r.class_key]), root, "annotation_ignored")
            retry.models, retry.top_of = r.models, r.top_of
            retry.instance_of, retry.instance_path = r.instance_of, r.instance_path
            retry.ignored_attributes = list(r.unscriptable_annotations)
            records.append(retry)
            pending.insert(0, retry)
        save()

    while pending or running:
        now = time.monotonic()
        while pending and len(running) < args.workers and now < deadline:
            record = pending.pop(0)
            parent_conn, child_conn = context.Pipe(duplex=False)
            process = context.Process(
                target=_child,
                args=(
                    instances[record.class_key],
                    record.ignored_attributes,
                    child_conn,
                    root,
                    args.max_memory_gb,
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
                    finish(item, "crashed")
                    continue
                for key, value in message.items():
                    if key != "stage":
                        setattr(item.record, key, value)
                finish(item, message["stage"])
                continue
            now = time.monotonic()
            if now - item.started > args.script_timeout:
                finish(item, "script_timeout")
            elif now >= deadline + 5:
                finish(item, "not_run")

    by_key = {r.key: r for r in records}
    for model in models:
        if model.model_class in by_key:
            model.script_status = by_key[model.model_class].status
    payload["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    counts: dict[str, int] = defaultdict(int)
    for rec in records:
        counts[f"{rec.variant}:{rec.status}"] += 1
    for model in models:
        counts[f"model:{model.status}"] += 1
        if model.script_status:
            counts[f"model_script:{model.script_status}"] += 1
    payload["counts"] = dict(sorted(counts.items()))
    save()
    return payload


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON output path")
    parser.add_argument(
        "--types", nargs="*", default=list(MODEL_TYPES), help="model types (default: all listed)"
    )
    parser.add_argument("--workers", type=int, default=1, help="classes scripted in parallel")
    parser.add_argument(
        "--construct-timeout", type=float, default=30.0, help="seconds to build a model"
    )
    parser.add_argument(
        "--script-timeout", type=float, default=120.0, help="seconds to script one class"
    )
    parser.add_argument(
        "--max-seconds", type=float, default=900.0, help="total bound on the scripting"
    )
    parser.add_argument(
        "--max-memory-gb", type=float, default=9.0, help="address-space cap per child"
    )
    parser.add_argument(
        "--list", action="store_true", help="print the model types and tiny configs and exit"
    )
    args = parser.parse_args(argv)
    if args.list:
        from transformers import CONFIG_MAPPING

        for model_type in args.types:
            kwargs = tiny_kwargs(CONFIG_MAPPING[model_type], OVERRIDES.get(model_type, {}))
            print(f"{model_type:14s} {kwargs}")
        return 0
    payload = run(args)
    print(payload["counts"], f"-> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
