"""Check a config.pbtxt against Triton's rules and against the model it is meant to serve.

Three layers, each catching what the one before misses:

1. the text parses under Triton's real ModelConfig schema (``schema``);
2. the rules core and the libtorch backend apply at load and request time,
   which protobuf does not see: dims, dtypes, parameters, the naming
   conventions and their silent fallbacks, the input count;
3. the model itself, probed with exactly the config's inputs (meta device,
   real CPU forward when the meta device cannot decide): the dims and dtypes
   the model accepts, and the output dtypes and dims it returns, which
   Triton never checks.

No torch here; the probes go through ``tsinspect.ir.shapes``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from tsinspect.codes import finding
from tsinspect.diagnostics import Diagnostic, Severity
from tsinspect.errors import ConfigError, MissingDependencyError, TsinspectError
from tsinspect.ir import shapes
from tsinspect.ir.signature import Signature
from tsinspect.triton import naming
from tsinspect.triton.config import ModelConfig, TensorConfig
from tsinspect.triton.dtypes import is_supported_by_libtorch, torch_name_for_triton
from tsinspect.triton.infer import (
    FLEXIBLE_SIZES,
    ConfigOptions,
    Overrides,
    infer_model_config,
    output_mismatches,
)
from tsinspect.triton.parameters import key_problem, value_problem
from tsinspect.triton.pbtxt import read_config
from tsinspect.triton.schema import check_schema, schema_available, unavailable_reason
from tsinspect.triton.serving import signature_blockers

_PLATFORMS = ("", "pytorch_libtorch", "libtorch")


@dataclass
class _Context:
    path: str
    config: ModelConfig
    signature: Signature
    found: list[Diagnostic]

    def add(
        self,
        code: str,
        message: str,
        line: int = 0,
        hint: str | None = None,
        severity: Severity | None = None,
    ) -> None:
        self.found.append(
            finding(code, message, self.path, line=line, hint=hint, severity=severity)
        )


def check_config_text(
    text: str, path: str, require_schema: bool = False
) -> tuple[list[Diagnostic], bool]:
    """Schema check only: TS701 per error, or TS700 (info) when the schema is not installed."""
    if not schema_available():
        if require_schema:
            raise MissingDependencyError(unavailable_reason())
        return [finding("TS700", f"schema check skipped: {unavailable_reason()}", path)], False
    return [
        finding(
            "TS701",
            f"not a valid Triton ModelConfig: {error.message}",
            path,
            line=error.line,
            hint="fix the field name or value; see model_config.proto",
        )
        for error in check_schema(text)
    ], True


def check_rules(config: ModelConfig, path: str, folder_name: str | None = None) -> list[Diagnostic]:
    """Core's and the backend's load-time rules that protobuf does not enforce (no model needed)."""
    context = _Context(path, config, Signature((), _no_return()), [])
    _check_platform_and_name(context, folder_name)
    _check_dims_and_types(context)
    _check_batching_options(context)
    _check_parameters(context)
    return context.found


def _no_return() -> Any:
    from tsinspect.ir.signature import TorchType

    return TorchType(kind="None", text="None")


def _check_platform_and_name(context: _Context, folder_name: str | None) -> None:
    config = context.config
    if config.platform not in _PLATFORMS or config.backend not in ("", "pytorch"):
        context.add(
            "TS702",
            f"platform {config.platform!r} / backend {config.backend!r} does not run a TorchScript model.pt",
            config.line("platform") or config.line("backend"),
            hint='use platform: "pytorch_libtorch"',
        )
    if folder_name is not None and config.name and config.name != folder_name:
        context.add(
            "TS703",
            f"name {config.name!r} differs from the model folder {folder_name!r}; Triton refuses to load it",
            config.line("name"),
            hint=f'set name: "{folder_name}" or rename the folder',
        )


def _check_dims_and_types(context: _Context) -> None:
    config = context.config
    if config.max_batch_size < 0:
        context.add(
            "TS705",
            f"max_batch_size {config.max_batch_size} is negative",
            config.line("max_batch_size"),
            hint="use 0 (no batching) or a positive batch size",
        )
    if not config.inputs:
        context.add("TS710", "the config lists no input; the backend fails to load it", 0)
    if not config.outputs:
        context.add("TS716", "the config lists no output; the backend fails to load it", 0)
    for section, tensors in (("input", config.inputs), ("output", config.outputs)):
        for tensor in tensors:
            _check_tensor(context, section, tensor)


def _check_tensor(context: _Context, section: str, tensor: TensorConfig) -> None:
    config = context.config
    if not tensor.dims:
        context.add(
            "TS704",
            f"{section} '{tensor.name}' has empty dims; core rejects it (\"must specify 'dims'\")",
            tensor.line_of("dims"),
            hint="for a batch-only tensor use dims: [ 1 ] with reshape: { shape: [ ] }",
        )
    bad = [dim for dim in tensor.dims if dim == 0 or dim < -1]
    if bad:
        context.add(
            "TS704",
            f"{section} '{tensor.name}' has dims {list(tensor.dims)}: every dim must be >= 1 or -1",
            tensor.line_of("dims"),
        )
    if tensor.reshape is not None and not tensor.reshape and config.max_batch_size == 0:
        context.add(
            "TS704",
            f"{section} '{tensor.name}' has an empty reshape with max_batch_size 0, which core "
            "rejects",
            tensor.line_of("reshape"),
        )
    if not is_supported_by_libtorch(tensor.data_type):
        context.add(
            "TS709",
            f"{section} '{tensor.name}' is {tensor.data_type}, which the libtorch backend rejects at load "
            '("unsupported datatype")',
            tensor.line_of("data_type"),
            hint="use TYPE_FP32/TYPE_FP16 and convert inside forward"
            if tensor.data_type == "TYPE_BF16"
            else "use a type the backend converts (BOOL, UINT8, INT8..INT64, FP16, FP32, FP64, STRING)",
        )
    if tensor.data_type == "TYPE_STRING":
        shape = tensor.reshape if tensor.reshape is not None else tensor.dims
        rank = len(shape) + (1 if config.max_batch_size > 0 else 0)
        if rank != 1:
            hint = (
                "use dims: [ 1 ] with reshape: { shape: [ ] }"
                if config.max_batch_size > 0
                else "use dims: [ -1 ]"
            )
            context.add(
                "TS722",
                f"{section} '{tensor.name}' is TYPE_STRING with rank {rank}; strings are "
                "1-D List[str] including the batch dim",
                tensor.line,
                hint=hint,
            )


def _check_batching_options(context: _Context) -> None:
    config = context.config
    if config.dynamic_batching is None:
        return
    for size in config.dynamic_batching.preferred_batch_size:
        if not 1 <= size <= max(config.max_batch_size, 0):
            context.add(
                "TS706",
                f"preferred_batch_size {size} is outside 1..max_batch_size ({config.max_batch_size}); core "
                "rejects the config",
                config.line("dynamic_batching"),
            )


def _check_parameters(context: _Context) -> None:
    for key, value in context.config.parameters:
        line = context.config.line(f"parameters.{key}")
        problem = key_problem(key)
        if problem is not None:
            context.add("TS707", problem, line, hint="remove it, or use a key from docs/triton.md")
            continue
        problem = value_problem(key, value)
        if problem is not None:
            context.add("TS708", problem, line, hint='write value: { string_value: "true" }')


# --------------------------------------------------------------------------- against the model


def _check_signature(context: _Context) -> bool:
    """Argument and return types (TS605/TS606); False when the model cannot be served at all."""
    blockers = signature_blockers(context.signature, context.path)
    context.found.extend(blockers)
    return not blockers


def _dict_mode(signature: Signature) -> bool:
    return len(signature.arguments) == 1 and signature.arguments[0].type.is_str_tensor_dict


def _check_input_names(context: _Context, meta_module: Any) -> list[int] | None:
    """Naming and count rules; returns config input i -> forward position, or None when unusable."""
    config = context.config
    names = [tensor.name for tensor in config.inputs]
    arguments = context.signature.argument_names
    if _dict_mode(context.signature):
        keys = shapes.dict_keys_read(meta_module, 0)
        if keys is not None:
            for tensor in config.inputs:
                if tensor.name not in keys:
                    context.add(
                        "TS713",
                        f"input '{tensor.name}' is not a key the model reads from its dict "
                        f"(it reads {', '.join(keys)})",
                        tensor.line_of("name"),
                        hint="name the inputs after the dict keys forward reads",
                    )
            missing = [key for key in keys if key not in names]
            if missing:
                context.add(
                    "TS713",
                    f"the model reads dict key(s) {', '.join(missing)} that the config does not "
                    "provide; requests fail with a KeyError",
                    config.line("input"),
                    hint=f"add an input named {missing[0]!r}",
                )
        return list(range(len(names)))
    if len(names) != len(arguments):
        context.add(
            "TS710",
            f"the config has {len(names)} input(s) but forward({', '.join(arguments)}) takes {len(arguments)}; "
            f'the backend fails to load ("configuration expects {len(names)} inputs, model provides '
            f'{len(arguments)}")',
            config.line("input"),
            hint="list one input per forward argument, default-valued ones included",
        )
    mapping = naming.map_inputs(names, arguments)
    _naming_findings(context, "input", config.inputs, mapping, len(arguments), arguments)
    positions = list(mapping.positions)
    if len(set(positions)) != len(positions) or any(p >= len(arguments) for p in positions):
        return None
    if len(positions) != len(arguments):
        return None
    return positions


def _naming_findings(
    context: _Context,
    section: str,
    tensors: tuple[TensorConfig, ...],
    mapping: naming.Mapping,
    available: int | None,
    arguments: tuple[str, ...],
) -> None:
    names = [tensor.name for tensor in tensors]
    for tensor in tensors:
        position = tensor.name.find("__")
        if position >= 0 and "__" in tensor.name[position + 2 :]:
            context.add(
                "TS712",
                f"{section} name '{tensor.name}' has two '__': the backend reads the text after "
                "the first '__' as the index, so it is not a <name>__<index> name",
                tensor.line_of("name"),
                hint=f"use a single '__', e.g. {section.upper()}__{names.index(tensor.name)}",
            )
        elif tensor.name.endswith("__") and position == len(tensor.name) - 2:
            context.add(
                "TS712",
                f"{section} name '{tensor.name}' has an empty index; the backend reads it as 0",
                tensor.line_of("name"),
                severity=Severity.WARNING,
            )
    if mapping.convention is naming.Convention.NAMED_INDEX:
        counts = Counter(mapping.positions)
        for tensor, index in zip(tensors, mapping.positions, strict=True):
            if counts[index] > 1:
                context.add(
                    "TS712",
                    f"{section} '{tensor.name}' repeats index {index}; the backend does not "
                    "check this and overwrites one with the other",
                    tensor.line_of("name"),
                )
            if available is not None and index >= available:
                what = "forward takes" if section == "input" else "forward returns"
                context.add(
                    "TS712",
                    f"{section} '{tensor.name}' has index {index} but {what} only {available}",
                    tensor.line_of("name"),
                )
    elif mapping.convention is naming.Convention.STRICT_CONFIG_ORDERING and names:
        described = []
        for tensor, index in zip(tensors, mapping.positions, strict=True):
            target = (
                f"argument {index} '{arguments[index]}'"
                if section == "input" and index < len(arguments)
                else f"position {index}"
            )
            described.append(f"'{tensor.name}' -> {target}")
        as_arguments = [name for name in names if name in arguments]
        as_index = [name for name in names if naming.named_index(name) is not None]
        if as_arguments and len(as_arguments) < len(names):
            why = "mix forward-argument names with other names"
        elif as_index and len(as_index) < len(names):
            why = "mix <name>__<index> names with other names"
        else:
            why = (
                "match neither forward's argument names nor <name>__<index>"
                if section == "input"
                else "are not all <name>__<index>"
            )
        line = tensors[0].line
        if section == "output":
            hint = "name outputs OUTPUT__0, OUTPUT__1... so the mapping does not depend on order"
        else:
            hint = (
                "use forward's argument names ("
                + ", ".join(arguments)
                + ") or INPUT__0, INPUT__1..."
            )
        context.add(
            "TS711",
            f"the {section} names {why}, so the backend silently maps them by config order: "
            + ", ".join(described),
            line,
            hint=hint,
        )


def _probe_inputs(
    context: _Context, positions: list[int], batch: int | None, free_size: int
) -> list[shapes.ProbeInput] | dict[str, shapes.ProbeInput]:
    config = context.config
    specs: list[shapes.ProbeInput] = []
    for tensor in config.inputs:
        shape = config.full_shape(tensor, batch=batch)
        concrete = tuple(free_size if dim == -1 else dim for dim in shape)
        is_string = tensor.data_type == "TYPE_STRING"
        specs.append(
            shapes.ProbeInput(
                concrete, torch_name_for_triton(tensor.data_type) or "float32", is_string
            )
        )
    if _dict_mode(context.signature):
        return {tensor.name: spec for tensor, spec in zip(config.inputs, specs, strict=True)}
    ordered: list[shapes.ProbeInput] = [specs[0]] * len(positions)
    for spec, position in zip(specs, positions, strict=True):
        ordered[position] = spec
    return ordered


def _run(module: Any, meta_module: Any, inputs: Any) -> shapes.ProbeResult:
    result = shapes.run_probe(meta_module, inputs, device="meta")
    if not result.ok and result.failure is not None and result.failure.kind == "undecidable":
        # The meta device cannot run this model; one real forward on zeros can.
        result = shapes.run_probe(module, inputs, device="cpu")
    return result


def _working_dims(
    module: Any,
    meta_module: Any,
    signature: Signature,
    path: str,
    config: ModelConfig,
    positions: list[int],
) -> str:
    """The dims inference finds for the model, named as in the config ('' when inference fails)."""
    dtypes = tuple(
        (None, tensor.data_type)
        for _, tensor in sorted(
            zip(positions, config.inputs, strict=True), key=lambda pair: pair[0]
        )
        if is_supported_by_libtorch(tensor.data_type) and tensor.data_type != "TYPE_STRING"
    )
    if len(dtypes) != len(config.inputs) or _dict_mode(signature):
        dtypes = ()
    for overrides in (Overrides(input_dtypes=dtypes), Overrides()):
        try:
            result = infer_model_config(
                module,
                meta_module,
                signature,
                path,
                overrides,
                ConfigOptions(name=config.name or "model"),
            )
        except TsinspectError:
            continue
        if result.config is None:
            continue
        inferred = result.config
        names = {
            position: tensor.name for position, tensor in zip(positions, config.inputs, strict=True)
        }
        parts = []
        for index, tensor in enumerate(inferred.inputs):
            label = tensor.name if _dict_mode(signature) else names.get(index, tensor.name)
            parts.append(f"{label}: {tensor.data_type} dims {list(tensor.dims)}")
        return f"max_batch_size {inferred.max_batch_size}; " + "; ".join(parts)
    return ""


def _check_against_model(
    context: _Context, module: Any, meta_module: Any, positions: list[int]
) -> None:
    config = context.config
    batches: list[int | None] = (
        [1, min(2, config.max_batch_size)] if config.max_batch_size > 0 else [None]
    )
    batches = list(dict.fromkeys(batches))
    has_variable = any(
        -1 in (t.reshape if t.reshape is not None else t.dims) for t in config.inputs
    )
    sizes = FLEXIBLE_SIZES[:2] if has_variable else FLEXIBLE_SIZES[:1]
    first = True
    for batch in batches:
        for size in sizes:
            result = _run(module, meta_module, _probe_inputs(context, positions, batch, size))
            if not result.ok:
                _report_probe_failure(
                    context,
                    module,
                    meta_module,
                    result.failure,
                    batch,
                    size,
                    has_variable,
                    positions,
                )
                return
            assert result.output is not None
            if not _check_outputs(context, result.output, batch, first):
                return
            first = False


def _report_probe_failure(
    context: _Context,
    module: Any,
    meta_module: Any,
    failure: shapes.ProbeFailure | None,
    batch: int | None,
    size: int,
    has_variable: bool,
    positions: list[int],
) -> None:
    config = context.config
    described = failure.describe() if failure else "unknown failure"
    fed = ", ".join(
        f"{tensor.name} {tensor.data_type} {list(config.full_shape(tensor, batch=batch))}"
        for tensor in config.inputs
    )
    if has_variable:
        fed += f" (-1 probed as {size})"
    working = _working_dims(module, meta_module, context.signature, context.path, config, positions)
    hint = (
        f"dims that run: {working}"
        if working
        else "check the dims against the model's first layers"
    )
    line = config.inputs[0].line_of("dims") if config.inputs else config.line("input")
    if failure is not None and failure.kind == "dtype":
        line = config.inputs[0].line_of("data_type") if config.inputs else line
        context.add(
            "TS714",
            f"the model rejects the config's input dtypes when fed {fed}: {described}",
            line,
            hint=hint,
        )
    elif failure is not None and failure.kind == "undecidable":
        context.add(
            "TS723",
            f"the model could not be run with the config's inputs ({fed}): {described}",
            line,
            hint=hint,
        )
    else:
        context.add(
            "TS715",
            f"the model cannot take the config's inputs {fed}: {described}",
            line,
            hint=hint,
        )


def _check_outputs(
    context: _Context, output: shapes.OutputValue, batch: int | None, first: bool
) -> bool:
    config = context.config
    if output.kind not in ("tensor", "tuple", "str_list"):
        context.add(
            "TS606",
            f"forward returned a {output.type_name or output.kind}; the backend fails at the first "
            "request",
            config.line("output"),
            hint="return a Tensor or a tuple of tensors",
        )
        return False
    returned = list(output.elements) if output.kind == "tuple" else [output]
    for index, element in enumerate(returned):
        if element.tensor is not None and not element.tensor.shape:
            context.add(
                "TS721",
                f"output {index} is a 0-d tensor; the backend refuses scalars",
                config.line("output"),
                hint="return value.reshape(1)",
            )
            return False
    names = [tensor.name for tensor in config.outputs]
    mapping = naming.map_outputs(names)
    if first:
        _naming_findings(context, "output", config.outputs, mapping, len(returned), ())
    if mapping.convention is not naming.Convention.NAMED_INDEX and len(names) != len(returned):
        context.add(
            "TS716",
            f"the config lists {len(names)} output(s) but forward returns {len(returned)}",
            config.line("output"),
            hint="list one output per returned tensor",
        )
    if mapping.convention is naming.Convention.NAMED_INDEX and any(
        p >= len(returned) for p in mapping.positions
    ):
        return False
    if config.max_batch_size > 0 and batch is not None:
        for element, tensor in zip(
            (returned[p] for p in mapping.positions), config.outputs, strict=True
        ):
            if element.tensor is not None and element.tensor.shape[0] != batch:
                context.add(
                    "TS705",
                    f"output '{tensor.name}' has leading dim {element.tensor.shape[0]} for a batch "
                    f"of {batch}: the model does not batch, but max_batch_size is {config.max_batch_size}",
                    tensor.line,
                    hint="set max_batch_size: 0 and give full shapes in dims",
                )
                return False
    before = len(context.found)
    by_name = {entry.name: entry for entry in config.outputs}
    for problem in output_mismatches(config, output, batch):
        code = {"dtype": "TS717", "dims": "TS718"}.get(problem.kind, "TS716")
        entry = by_name.get(problem.name)
        line = (
            entry.line_of("data_type" if code == "TS717" else "dims")
            if entry
            else config.line("output")
        )
        hint = (
            "Triton never compares output dims; clients and ensembles rely on them"
            if code == "TS718"
            else None
        )
        if code == "TS717":
            hint = "set data_type to the type the model returns, or convert inside forward"
        context.add(code, problem.message, line, hint=hint)
    return len(context.found) == before


def validate_against_model(
    text: str,
    path: str,
    module: Any,
    meta_module: Any,
    signature: Signature,
    folder_name: str | None = None,
    require_schema: bool = False,
) -> tuple[list[Diagnostic], bool]:
    """Every check: schema, rules, naming, and probes of the model with the config's exact inputs.

    Returns (diagnostics, whether the schema check ran).
    """
    found, schema_checked = check_config_text(text, path, require_schema)
    try:
        config = read_config(text, path)
    except ConfigError as error:
        if not any(d.code == "TS701" for d in found):
            found.append(finding("TS701", str(error).removeprefix(f"{path}: "), path))
        return found, schema_checked
    found.extend(check_rules(config, path, folder_name))
    context = _Context(path, config, signature, found)
    if not _check_signature(context):
        return found, schema_checked
    positions = _check_input_names(context, meta_module)
    errors_so_far = any(d.severity is Severity.ERROR for d in found)
    if positions is None or (
        errors_so_far
        and any(d.code in ("TS704", "TS709", "TS710", "TS713", "TS722") for d in found)
    ):
        return found, schema_checked
    _check_against_model(context, module, meta_module, positions)
    return found, schema_checked
