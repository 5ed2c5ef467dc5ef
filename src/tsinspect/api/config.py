"""Triton configs for TorchScript models: infer, render, write, validate.

``infer_config`` reads shapes and dtypes from the model itself (weights and
meta-device probes) and confirms the answer with one real forward pass;
``render_config`` turns it into config.pbtxt text; ``write_config`` and
``write_model_repository`` put it on disk without clobbering anything;
``validate_config`` checks a hand-written config against the model. torch is
imported only inside the calls that load a model.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tsinspect.api.model import load_libraries
from tsinspect.api.stdio import model_output_to_stderr
from tsinspect.diagnostics import Diagnostic, Severity, sorted_diagnostics
from tsinspect.errors import InputError, OverwriteError
from tsinspect.gcpause import with_cyclic_gc_paused
from tsinspect.triton.config import ModelConfig
from tsinspect.triton.dtypes import parse_dtype
from tsinspect.triton.infer import ConfigOptions, InferenceResult, Overrides, infer_model_config

ShapeSpec = Mapping[str, Sequence[int]] | Sequence[Sequence[int]] | None
DtypeSpec = Mapping[str, str] | Sequence[str] | None


@dataclass(frozen=True)
class ProbedModel:
    """A model ready for config work: the CPU module, its meta copy, forward's signature, the file.

    ``module`` and ``meta_module`` run their probes in ``runner``'s worker
    process, each call under its time limit (``ir.shapes.runner``); attributes
    read through to the CPU module. The meta copy is made on the first meta
    probe only: a model whose shapes the symbolic solver decides never needs
    it. When torch cannot make it (a frozen model does not load on the meta
    device), ``meta_module.unavailable`` says why and its probes all run on the CPU.
    """

    module: Any
    meta_module: Any
    signature: Any
    path: str
    runner: Any = None


def load_for_probing(
    model: str | os.PathLike[str] | Any,
    *,
    trust_model: bool = False,
    time_limit_s: float | None = None,
    archive: Any = None,
) -> ProbedModel:
    """A TorchScript archive, a ScriptModule, or a ``tsinspect.load_model`` result, ready to probe.

    An archive whose code the pre-load scan flagged raises UntrustedModelError
    unless ``trust_model`` (docs/security.md); the probes run its ``forward``.
    ``time_limit_s`` bounds each forward call (default
    ``DEFAULT_TIME_LIMIT_S``; None or 0 for none). ``archive``: the path's
    ``ir.archive.ArchiveInfo`` when the caller has already scanned it (it is
    not scanned again).

    A model already read by ``tsinspect.load_model`` is not loaded again (twice the
    memory for a large model). The meta copy the probes run on is loaded on first use.
    """
    from tsinspect.ir.archive import load_checked, load_scripted
    from tsinspect.ir.model import LoadedModel
    from tsinspect.ir.shapes.runner import DEFAULT_TIME_LIMIT_S, ModelRunner
    from tsinspect.ir.signature import read_signature

    if isinstance(model, ProbedModel):
        return model
    if isinstance(model, LoadedModel):
        path, module, signature = model.path, model.module, model.signature
        source: Any = path
    elif isinstance(model, (str, os.PathLike)):
        path = str(model)
        if archive is not None and archive.path == path:
            module = load_checked(archive, trust_model=trust_model)
        else:
            module = load_scripted(path, trust_model=trust_model)
        signature = read_signature(module, path=path)
        source = path
    else:
        if not hasattr(model, "forward") or not hasattr(model, "_c"):
            raise InputError(
                "infer_config needs a TorchScript file or a torch.jit.ScriptModule "
                "(script or trace the model first)"
            )
        path = "<module>"
        module = model
        signature = read_signature(module, path=path)
        source = model
    module.eval()
    limit = DEFAULT_TIME_LIMIT_S if time_limit_s is None else time_limit_s
    runner = ModelRunner(
        {"cpu": module}, limit, path, lazy={"meta": lambda: _meta_copy_or_reason(source)}
    )
    return ProbedModel(
        runner.guard("cpu"), runner.guard("meta", reads=module), signature, path, runner
    )


def _meta_copy_or_reason(source: Any) -> tuple[Any, str]:
    """The meta copy, or None and why torch cannot make one.

    Loading on the meta device runs the archive's constant code on meta
    tensors; a frozen model's (``torch.jit.freeze``) compares constants with
    ``aten::equal``, which has no meta kernel. Such a model is probed on the CPU.
    """
    from tsinspect.ir.shapes import meta_copy
    from tsinspect.ir.shapes.failures import first_sentence

    try:
        meta = meta_copy(source)
        meta.eval()
        return meta, ""
    except Exception as error:  # any load failure on meta only means: probe on the CPU
        text = str(error).strip()
        message = first_sentence(text.splitlines()[0] if text else "") or type(error).__name__
        no_kernel = re.match(
            r"([\w:.]+): attempted to run this operator with Meta tensors", message
        )
        if no_kernel is not None:
            message = f"{no_kernel.group(1)} has no meta kernel"
        return None, f"torch cannot load this model on the meta device ({message})"


def _refuse_before_libraries(model: Any, trust_model: bool) -> Any:
    """Refuse a flagged archive before any custom-op library is loaded into the process.

    Returns the archive's ``ArchiveInfo`` (None for a loaded module), for the load
    to use instead of scanning the archive a second time.
    """
    if isinstance(model, (str, os.PathLike)):
        from tsinspect.ir.archive import refuse_untrusted, require_torchscript

        info = require_torchscript(os.fspath(model))
        refuse_untrusted(info, trust_model)
        return info
    return None


def _shape_pairs(spec: ShapeSpec) -> tuple[tuple[str | None, tuple[int, ...]], ...]:
    if spec is None:
        return ()
    if isinstance(spec, Mapping):
        return tuple((name, tuple(int(d) for d in dims)) for name, dims in spec.items())
    return tuple((None, tuple(int(d) for d in dims)) for dims in spec)


def _dtype_pairs(spec: DtypeSpec) -> tuple[tuple[str | None, str], ...]:
    if spec is None:
        return ()
    pairs: list[tuple[str | None, str]] = []
    items = spec.items() if isinstance(spec, Mapping) else [(None, value) for value in spec]
    for name, text in items:
        triton_type = parse_dtype(text)
        if triton_type is None:
            raise InputError(
                f"--input-dtype: {text!r} is not a data type (try fp32, fp16, int64, bool)"
            )
        pairs.append((name, triton_type))
    return tuple(pairs)


@with_cyclic_gc_paused  # imports and a loaded model's many small objects (tsinspect.gcpause)
def infer_config(
    model: str | os.PathLike[str] | Any,
    *,
    input_shapes: ShapeSpec = None,
    input_dtypes: DtypeSpec = None,
    max_batch_size: int | None = None,
    name: str | None = None,
    naming: str = "index",
    instance_kind: str | None = None,
    instance_count: int = 1,
    dynamic_batching: bool = False,
    preferred_batch_sizes: Sequence[int] = (),
    max_queue_delay_microseconds: int = 0,
    parameters: Mapping[str, str] | Sequence[tuple[str, str]] = (),
    libraries: Iterable[str | os.PathLike[str]] = (),
    trust_model: bool = False,
    time_limit_s: float | None = None,
) -> InferenceResult:
    """Infer a checked pytorch_libtorch config for a model; blockers instead when it cannot be served.

    This runs the model: ``torch.jit.load`` runs its ``__setstate__`` methods
    and the probes run ``forward``. An archive whose code the pre-load scan
    flagged raises UntrustedModelError unless ``trust_model`` (docs/security.md).

    ``input_shapes`` are config dims (without the batch dim when the model
    batches), by input name or in order; ``input_dtypes`` are dtype spellings
    (``fp16``, ``int64``, ``TYPE_FP32``). ``name`` defaults to the file's stem.
    ``libraries``: custom-op libraries the model's operators come from.
    ``time_limit_s``: seconds each forward call may take (default 120; None
    for the default, 0 for no limit); ModelTimeoutError when one does not
    return in time. Raises InferenceError, naming the option to pass, when
    shapes or dtypes cannot be inferred.
    """
    name = default_name(model, name)
    archive = _refuse_before_libraries(model, trust_model)
    library_list = [os.fspath(library) for library in libraries]
    load_libraries(library_list)
    loaded = load_for_probing(
        model, trust_model=trust_model, time_limit_s=time_limit_s, archive=archive
    )
    try:
        result = _infer_loaded(
            loaded,
            input_shapes=input_shapes,
            input_dtypes=input_dtypes,
            max_batch_size=max_batch_size,
            name=name,
            naming=naming,
            instance_kind=instance_kind,
            instance_count=instance_count,
            dynamic_batching=dynamic_batching,
            preferred_batch_sizes=preferred_batch_sizes,
            max_queue_delay_microseconds=max_queue_delay_microseconds,
            parameters=parameters,
        )
    finally:
        if loaded is not model and loaded.runner is not None:
            loaded.runner.close()  # a ProbedModel the caller passed in is the caller's to close
    return _with_library_note(result, library_list)


def _with_library_note(result: InferenceResult, libraries: Sequence[str]) -> InferenceResult:
    """Say in the config that the server needs the custom-op libraries the model was read with."""
    if result.config is None or not libraries:
        return result
    from dataclasses import replace

    names = ":".join(Path(library).name for library in libraries)
    note = (
        f"The model's custom operators come from {', '.join(libraries)}: the server must load "
        f"it too (e.g. LD_PRELOAD={names} tritonserver ...), built for its libtorch."
    )
    return replace(result, config=replace(result.config, notes=(*result.config.notes, note)))


def _infer_loaded(
    loaded: ProbedModel,
    *,
    input_shapes: ShapeSpec,
    input_dtypes: DtypeSpec,
    max_batch_size: int | None,
    name: str,
    naming: str,
    instance_kind: str | None,
    instance_count: int,
    dynamic_batching: bool,
    preferred_batch_sizes: Sequence[int],
    max_queue_delay_microseconds: int,
    parameters: Mapping[str, str] | Sequence[tuple[str, str]],
) -> InferenceResult:
    if instance_kind is not None and instance_kind not in (
        "KIND_CPU",
        "KIND_GPU",
        "KIND_AUTO",
        "KIND_MODEL",
    ):
        raise InputError(
            f"--instance-kind must be KIND_CPU, KIND_GPU, KIND_AUTO or KIND_MODEL, not {instance_kind!r}"
        )
    if instance_count < 1:
        raise InputError("--instance-count must be at least 1")
    parameter_pairs = (
        tuple(parameters.items()) if isinstance(parameters, Mapping) else tuple(parameters)
    )
    overrides = Overrides(
        input_shapes=_shape_pairs(input_shapes),
        input_dtypes=_dtype_pairs(input_dtypes),
        max_batch_size=max_batch_size,
    )
    options = ConfigOptions(
        name=name,
        naming=naming,
        instance_kind=instance_kind,
        instance_count=instance_count,
        dynamic_batching=dynamic_batching,
        preferred_batch_sizes=tuple(preferred_batch_sizes),
        max_queue_delay_microseconds=max_queue_delay_microseconds,
        parameters=parameter_pairs,
    )
    # The probes run the model: what it prints must not land in a config written to stdout.
    with model_output_to_stderr():
        return infer_model_config(
            loaded.module, loaded.meta_module, loaded.signature, loaded.path, overrides, options
        )


def infer_config_from_text(
    model: str | os.PathLike[str] | Any,
    *,
    input_shapes: Sequence[str] = (),
    input_dtypes: Sequence[str] = (),
    parameters: Sequence[str] = (),
    **options: Any,
) -> InferenceResult:
    """``infer_config`` with overrides spelled as on the command line.

    ``input_shapes`` and ``input_dtypes`` as :func:`parse_input_overrides` reads them;
    ``parameters``: ``KEY=VALUE``. InputError on bad syntax.
    """
    shapes, dtypes = parse_input_overrides(input_shapes, input_dtypes)
    parameter_pairs = []
    for text in parameters:
        if "=" not in text:
            raise InputError(f"--parameter {text!r}: expected KEY=VALUE")
        key, value = text.split("=", 1)
        parameter_pairs.append((key.strip(), value.strip()))
    return infer_config(
        model, input_shapes=shapes, input_dtypes=dtypes, parameters=parameter_pairs, **options
    )


def parse_input_overrides(
    input_shapes: Sequence[str], input_dtypes: Sequence[str]
) -> tuple[ShapeSpec, DtypeSpec]:
    """``--input-shape`` / ``--input-dtype`` texts as ``infer_config``'s ``input_shapes`` /
    ``input_dtypes``: ``x=1,28,28`` or ``1,28,28`` (in order), ``x=fp16`` or ``fp16``; all by
    name or all in order, not mixed. InputError on bad syntax."""
    shape_pairs = [parse_named(text) for text in input_shapes]
    dtype_pairs = [parse_named(text) for text in input_dtypes]
    if {name is None for name, _ in shape_pairs} == {True, False}:
        raise InputError("--input-shape: give all shapes by name or all in order")
    if {name is None for name, _ in dtype_pairs} == {True, False}:
        raise InputError("--input-dtype: give all dtypes by name or all in order")
    shapes: ShapeSpec = None
    if shape_pairs and shape_pairs[0][0] is not None:
        shapes = {str(name): parse_dims(value) for name, value in shape_pairs}
    elif shape_pairs:
        shapes = [parse_dims(value) for _, value in shape_pairs]
    dtypes: DtypeSpec = None
    if dtype_pairs and dtype_pairs[0][0] is not None:
        dtypes = {str(name): value for name, value in dtype_pairs}
    elif dtype_pairs:
        dtypes = [value for _, value in dtype_pairs]
    return shapes, dtypes


def parse_dims(text: str) -> tuple[int, ...]:
    """``1,28,28`` or ``[1, 28, 28]`` or ``1x28x28`` as dims; -1 allowed; InputError otherwise."""
    cleaned = text.strip().strip("[]()")
    parts = [part for part in re.split(r"[,x\s]+", cleaned) if part]
    try:
        dims = tuple(int(part) for part in parts)
    except ValueError:
        raise InputError(
            f"--input-shape: {text!r} is not a list of integers like 1,28,28"
        ) from None
    if any(dim == 0 or dim < -1 for dim in dims):
        raise InputError(f"--input-shape: {text!r}: every dim must be >= 1 or -1 (variable)")
    return dims


def parse_named(text: str) -> tuple[str | None, str]:
    """``x=1,28,28`` -> ("x", "1,28,28"); ``1,28,28`` -> (None, "1,28,28")."""
    if "=" in text:
        name, value = text.split("=", 1)
        return name.strip() or None, value
    return None, text


def render_config(config: ModelConfig | InferenceResult) -> str:
    """The config.pbtxt text for an inferred (or hand-built) config."""
    from tsinspect.render.config_pbtxt import render_config as render

    if isinstance(config, InferenceResult):
        if config.config is None:
            raise InputError("no config to render: the model has blockers (see result.blockers)")
        return render(config.config)
    return render(config)


def check_name(name: str) -> str:
    """A model name usable as a folder in a model repository; InputError otherwise."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or name != name.strip():
        raise InputError(
            f"--name {name!r} cannot be a model folder name; use letters, digits, '-', '_' or '.'"
        )
    return name


def ensure_writable(
    output: str | os.PathLike[str] | None,
    repository: str | os.PathLike[str] | None,
    name: str,
    force: bool,
) -> None:
    """Refuse early (OverwriteError) when writing would replace a file, before any slow work."""
    targets = []
    if output is not None:
        targets.append(Path(output))
    if repository is not None:
        folder = Path(repository) / name
        targets += [folder / "config.pbtxt", folder / "1" / "model.pt"]
    from tsinspect.files import check_output

    for target in targets:
        check_output(target, force, make_parents=True)


def default_name(model: str | os.PathLike[str] | Any, name: str | None) -> str:
    """The model's name: ``name`` when given, else the file's stem (``model`` for a loaded module)."""
    if name is not None:
        return check_name(name)
    if isinstance(model, (str, os.PathLike)):
        return check_name(Path(model).stem)
    return "model"


def write_config(text: str, out: str | os.PathLike[str], force: bool = False) -> Path:
    """Write config text to ``out`` atomically; OverwriteError if it exists and not ``force``."""
    from tsinspect.files import write_output

    return write_output(out, text.encode("utf-8"), force=force, make_parents=True)


def write_model_repository(
    model_path: str | os.PathLike[str],
    text: str,
    name: str,
    repository: str | os.PathLike[str],
    force: bool = False,
    version: int = 1,
) -> Path:
    """Lay out ``repository/<name>/config.pbtxt`` and ``repository/<name>/<version>/model.pt``.

    Refuses (OverwriteError) when either file exists, unless ``force``.
    Returns the model's folder.
    """
    folder = Path(repository) / name
    config_path = folder / "config.pbtxt"
    model_target = folder / str(version) / "model.pt"
    existing = [path for path in (config_path, model_target) if path.exists()]
    if existing and not force:
        raise OverwriteError(
            f"{folder} already holds a model ({existing[0].name}); pass --force to replace it",
            path=None,
        )
    from tsinspect.files import copy_output, write_output

    copy_output(model_path, model_target, force=True, make_parents=True)
    write_output(config_path, text.encode("utf-8"), force=True)
    return folder


@dataclass(frozen=True)
class ValidationResult:
    """What ``validate_config`` found: sorted TS7xx diagnostics, and whether the schema check ran."""

    diagnostics: tuple[Diagnostic, ...]
    schema_checked: bool
    config_path: str

    @property
    def ok(self) -> bool:
        """True when nothing worse than info was found."""
        return not any(d.severity in (Severity.ERROR, Severity.WARNING) for d in self.diagnostics)


def resolve_config_path(config: str | os.PathLike[str]) -> tuple[Path, str | None]:
    """``config.pbtxt``, or a model folder ``DIR/<name>/`` holding one -> (file, folder name or None)."""
    path = Path(config)
    if path.is_dir():
        candidate = path / "config.pbtxt"
        if not candidate.is_file():
            raise InputError(f"{path} has no config.pbtxt; pass the config file or a model folder")
        return candidate, path.resolve().name
    if not path.is_file():
        raise InputError(f"{path}: no such config file")
    return path, None


def resolve_model_path(model: str | os.PathLike[str]) -> Path:
    """A .pt file, or a model folder whose highest numeric version holds model.pt."""
    path = Path(model)
    if path.is_dir():
        versions = sorted(
            (p for p in path.iterdir() if p.is_dir() and p.name.isdigit()),
            key=lambda p: int(p.name),
        )
        for version in reversed(versions):
            if (version / "model.pt").is_file():
                return version / "model.pt"
        raise InputError(f"{path} has no <version>/model.pt; pass the .pt file")
    return path


def validate_config(
    model: str | os.PathLike[str] | Any,
    config: str | os.PathLike[str],
    require_schema: bool = False,
    libraries: Iterable[str | os.PathLike[str]] = (),
    trust_model: bool = False,
    time_limit_s: float | None = None,
) -> ValidationResult:
    """Check a config.pbtxt (or a model folder) against the model; TS7xx diagnostics.

    ``model`` may be omitted by passing the model folder as ``config`` and the
    same folder as ``model``. With ``require_schema`` a missing tritonclient is
    an error (MissingDependencyError) instead of an info note. ``libraries``:
    custom-op libraries the model's operators come from. The model is run (its
    ``__setstate__`` at load, then ``forward``): an archive whose code the
    pre-load scan flagged raises UntrustedModelError unless ``trust_model``.
    ``time_limit_s`` bounds each forward call as in :func:`infer_config`.
    """
    from tsinspect.triton.pbtxt import check_readable
    from tsinspect.triton.validate import validate_against_model

    config_path, folder_name = resolve_config_path(config)
    model_ref = resolve_model_path(model) if isinstance(model, (str, os.PathLike)) else model
    try:
        text = config_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{config_path}: cannot read the config ({error})") from None
    check_readable(text, str(config_path))  # bad escapes, runaway nesting: exit 2, one line
    archive = _refuse_before_libraries(model_ref, trust_model)
    load_libraries(libraries)
    loaded = load_for_probing(
        model_ref, trust_model=trust_model, time_limit_s=time_limit_s, archive=archive
    )
    try:
        with model_output_to_stderr():
            diagnostics, schema_checked = validate_against_model(
                text,
                str(config_path),
                loaded.module,
                loaded.meta_module,
                loaded.signature,
                folder_name=folder_name,
                require_schema=require_schema,
            )
    finally:
        if loaded is not model_ref and loaded.runner is not None:
            loaded.runner.close()
    return ValidationResult(
        tuple(sorted_diagnostics(diagnostics)), schema_checked, str(config_path)
    )
