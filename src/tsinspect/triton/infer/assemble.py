"""The config assembly: ``infer_model_config`` in steps.

1. Blockers from forward's signature: argument and return types the backend
   cannot feed or read. No config is produced for a blocked model.
2. Per input: the first consuming op's weights give dtype, rank and channels
   or features (``templates``); overrides win.
3. The symbolic solver (``solved``): when it decides every shape, the config
   comes from it, confirmed by one real forward pass.
4. Otherwise the probing search (``search``) solves free dims on the meta
   device and decides batching; outputs come from the probe (``outputs``), and
   the answer is confirmed by one real forward on zeros of exactly the
   config's dtypes and dims.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from tsinspect.codes import finding
from tsinspect.diagnostics import Diagnostic
from tsinspect.errors import InferenceError, InputError
from tsinspect.ir import shapes
from tsinspect.ir.signature import Signature
from tsinspect.triton.config import (
    InstanceGroup,
    ModelConfig,
    Provenance,
)
from tsinspect.triton.dtypes import (
    is_supported_by_libtorch,
)
from tsinspect.triton.infer.outputs import output_configs, output_mismatches, tensors_of
from tsinspect.triton.infer.parts import (
    checked_parameters,
    clip,
    dynamic_batching_config,
    input_configs,
    input_names,
    summary_lines,
    with_notes,
)
from tsinspect.triton.infer.records import (
    FLEXIBLE_SIZES,
    ConfigOptions,
    InferenceResult,
    InputState,
    Overrides,
    Solution,
)
from tsinspect.triton.infer.search import (
    Prober,
    batch_decision,
    solve_all,
)
from tsinspect.triton.infer.solved import apply_solved_shapes, solved_config
from tsinspect.triton.infer.templates import dtype_from_consumer, templates_from_consumer
from tsinspect.triton.serving import signature_blockers


def _match_overrides(
    items: list[InputState],
    pairs: Sequence[tuple[str | None, Any]],
    option: str,
    config_names: Sequence[str],
) -> dict[int, Any]:
    matched: dict[int, Any] = {}
    position = 0
    for name, value in pairs:
        if name is None:
            if position >= len(items):
                raise InputError(f"{option}: more values than the model's {len(items)} input(s)")
            matched[position] = value
            position += 1
            continue
        for index, item in enumerate(items):
            if name in (item.label, item.argument, config_names[index]):
                matched[index] = value
                break
        else:
            known = ", ".join(item.label for item in items)
            raise InputError(f"{option}: the model has no input {name!r} (inputs: {known})")
    return matched


def infer_model_config(
    module: Any,
    meta_module: Any,
    signature: Signature,
    model_path: str,
    overrides: Overrides = Overrides(),  # noqa: B008 (frozen: never mutated)
    options: ConfigOptions = ConfigOptions(),  # noqa: B008 (frozen: never mutated)
    time_budget_s: float = 60.0,
) -> InferenceResult:
    """Infer and check a config for a loaded model (``module`` on CPU, ``meta_module`` on meta).

    Returns blockers instead of a config when the backend cannot serve the
    model; raises InferenceError (message names the option to pass) when
    inference itself fails; raises InputError for bad overrides or options.
    """
    started = time.monotonic()
    blockers = signature_blockers(signature, model_path)
    if blockers:
        return InferenceResult(
            config=None, blockers=tuple(blockers), seconds=time.monotonic() - started
        )
    dict_mode = len(signature.arguments) == 1 and signature.arguments[0].type.is_str_tensor_dict
    items = _read_inputs(signature, meta_module, model_path, dict_mode)
    config_names = input_names(items, options.naming, dict_mode)
    _describe_inputs(items, meta_module, dict_mode, overrides, config_names)
    solved_shapes = apply_solved_shapes(module, items)
    blockers = _dtype_blockers(items, model_path)
    if blockers:
        return InferenceResult(
            config=None, blockers=tuple(blockers), seconds=time.monotonic() - started
        )
    if solved_shapes is not None:
        solved_result = solved_config(
            module, items, solved_shapes, config_names, overrides, options, model_path, dict_mode
        )
        if solved_result is not None:
            return solved_result
    return _probed_config(
        Prober(meta_module, module, dict_mode),
        items,
        config_names,
        overrides,
        options,
        model_path,
        started,
        started + time_budget_s,
    )


def _read_inputs(
    signature: Signature, meta_module: Any, model_path: str, dict_mode: bool
) -> list[InputState]:
    """One InputState per config input: forward's arguments, or the keys a dict argument is read with."""
    if not dict_mode:
        return [
            InputState(
                label=argument.name,
                argument=argument.name,
                key=None,
                is_str_list=argument.type.is_str_list,
            )
            for argument in signature.arguments
        ]
    argument = signature.arguments[0]
    keys = shapes.dict_keys_read(meta_module, 0)
    if not keys:
        raise InferenceError(
            f"forward's dict argument '{argument.name}' is not read with constant string keys, so the "
            'input names cannot be known: read it as x["name"] with literal keys',
            path=model_path,
        )
    return [InputState(label=key, argument=argument.name, key=key) for key in keys]


def _describe_inputs(
    items: list[InputState],
    meta_module: Any,
    dict_mode: bool,
    overrides: Overrides,
    config_names: list[str],
) -> None:
    """Each input's dtype, shape templates and fixed leading dim, from its first consumer and
    the graph; the user's overrides win."""
    shape_overrides = _match_overrides(items, overrides.input_shapes, "--input-shape", config_names)
    dtype_overrides = _match_overrides(items, overrides.input_dtypes, "--input-dtype", config_names)
    if overrides.max_batch_size is not None and overrides.max_batch_size < 0:
        raise InputError("--max-batch-size must be 0 (no batching) or positive")

    for index, item in enumerate(items):
        argument_index = 0 if dict_mode else index
        consumer = (
            None
            if item.is_str_list
            else shapes.first_consumer(meta_module, argument_index, item.key)
        )
        if item.is_str_list:
            item.dtype, item.dtype_from = "TYPE_STRING", Provenance("declared type", "List[str]")
            item.templates = [(1,)]
        else:
            item.dtype, item.dtype_from = dtype_from_consumer(consumer)
            item.templates, item.shape_from = templates_from_consumer(consumer)
        if index in dtype_overrides:
            item.dtype, item.dtype_from = (
                dtype_overrides[index],
                Provenance("override", "--input-dtype"),
            )
        if index in shape_overrides:
            item.override_dims = tuple(shape_overrides[index])
        elif not item.is_str_list and overrides.max_batch_size in (None, 0):
            item.fixed_leading = shapes.fixed_leading_dim(meta_module, argument_index, item.key)
            if item.fixed_leading is not None:
                how = (
                    "items selected one by one"
                    if item.fixed_leading.how == "select"
                    else "reshaped to a constant"
                )
                item.shape_from.append(f"graph: first dim {item.fixed_leading.size} ({how})")


def _dtype_blockers(items: list[InputState], model_path: str) -> list[Diagnostic]:
    """TS709 for each input whose dtype the libtorch backend rejects."""
    blockers = []
    for item in items:
        if not is_supported_by_libtorch(item.dtype):
            blockers.append(
                finding(
                    "TS709",
                    f"input '{item.label}' would need {item.dtype} ({item.dtype_from}), which the libtorch "
                    'backend rejects at load ("unsupported datatype")',
                    model_path,
                    hint="accept TYPE_FP32 or TYPE_FP16 and convert inside forward (x.to(torch.bfloat16)), "
                    "or export the model in float32/float16"
                    if item.dtype == "TYPE_BF16"
                    else "use a type the backend converts (BOOL, UINT8, INT8..INT64, FP16, FP32, FP64)",
                )
            )
    return blockers


def _probed_config(
    prober: Prober,
    items: list[InputState],
    config_names: list[str],
    overrides: Overrides,
    options: ConfigOptions,
    model_path: str,
    started: float,
    deadline: float,
) -> InferenceResult:
    """The config the probing search finds, confirmed by one real forward pass."""
    module = prober.cpu_module
    solution, batching, failure = solve_all(prober, items, overrides, deadline)
    if solution is None:
        raise _inference_failure(items, failure, model_path, prober.count, prober.cpu_count > 0)

    for index, item in enumerate(items):
        if item.override_dims is not None and -1 in item.override_dims:
            solution.variable_inputs[index] = True  # the user asked for a variable dim
    max_batch_size, batch_from = batch_decision(batching, overrides)
    fixed = [item for item in items if item.fixed_leading is not None]
    if fixed and overrides.max_batch_size is None:
        batch_from = Provenance("graph", _fixed_batch_reason(fixed))
    if max_batch_size == 0 and any(t.batched for t in solution.templates):
        # Full shapes without batching: what the model returns for a leading dim of 1.
        at_one = [t.fill(solution.picked, 1) for t in solution.templates]
        single = prober.run(items, at_one)
        if not single.ok or single.output is None:
            raise _inference_failure(items, single.failure, model_path, prober.count)
        solution.full_shapes, solution.output = at_one, single.output

    variable_output = _variable_output_axes(prober, items, solution)
    output_blockers, outputs = output_configs(
        solution.output, variable_output, max_batch_size > 0, model_path
    )
    if output_blockers:
        return InferenceResult(
            config=None,
            blockers=tuple(output_blockers),
            probes=prober.count,
            seconds=time.monotonic() - started,
        )

    # Probes that fell back to the CPU say so: the sizes were run on real (zero) tensors.
    probe_label = "CPU probe" if prober.cpu_count else "meta probe"
    inputs = input_configs(items, solution, config_names, max_batch_size > 0, probe_label)
    config = ModelConfig(
        name=options.name,
        max_batch_size=max_batch_size,
        inputs=tuple(inputs),
        outputs=tuple(outputs),
        instance_groups=(InstanceGroup(options.instance_kind, options.instance_count),)
        if options.instance_kind
        else (),
        dynamic_batching=dynamic_batching_config(options, max_batch_size),
        parameters=checked_parameters(options.parameters),
        provenance=(("max_batch_size", batch_from),),
    )
    # Never hand out a config that was not run: one real forward on zeros of exactly its inputs.
    example = _confirm(prober, module, items, config, solution, model_path)
    summary, notes = _probed_notes(prober, model_path, config, fixed)
    config = with_notes(config, notes)
    return InferenceResult(
        config=config,
        summary=summary,
        probes=prober.count,
        seconds=time.monotonic() - started,
        example_shapes=example,
    )


def _probed_notes(
    prober: Prober, model_path: str, config: ModelConfig, fixed: list[InputState]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The summary lines and the config's head notes for a config the probes found."""
    cpu_note = ""
    if prober.cpu_count:
        cpu_note = (
            f"{prober.cpu_count} probe(s) ran on the CPU with zeros because the meta device cannot run "
            f"this model ({prober.cpu_reason})"
        )
    summary = summary_lines(config, prober.count, cpu_note)
    notes: tuple[str, ...] = (
        f"Generated by tsinspect from {model_path.rsplit('/', 1)[-1]} for Triton's PyTorch (libtorch) backend.",
        "Values marked '<-' were inferred (weights, solved, probe, graph, default) or given (override);",
        "checked by one forward pass on zeros of exactly these inputs. Review before deploying.",
    )
    if fixed and config.max_batch_size == 0:
        notes += (f"No batching: {_fixed_batch_reason(fixed)}.",)
    if prober.cpu_count:
        notes += (
            f"Shapes were probed on the CPU ({prober.cpu_count} run(s), smallest sizes first): "
            f"{clip(prober.cpu_reason)}.",
        )
    return summary, notes


def _variable_output_axes(
    prober: Prober, items: list[InputState], solution: Solution
) -> list[set[int]]:
    """Each output's variable axes: those that change when the free input dims change."""
    variable_output: list[set[int]] = [set() for _ in tensors_of(solution.output)]
    if any(solution.variable_inputs):
        batch = solution.full_shapes[0][0] if solution.templates[0].batched else 1
        other = prober.run(
            items,
            [
                template.fill(FLEXIBLE_SIZES[1] if variable else solution.picked, batch)
                for template, variable in zip(
                    solution.templates, solution.variable_inputs, strict=True
                )
            ],
        )
        if other.ok and other.output is not None:
            pairs = zip(tensors_of(solution.output), tensors_of(other.output), strict=False)
            for position, (first, second) in enumerate(pairs):
                if first.tensor is not None and second.tensor is not None:
                    for axis, (a, b) in enumerate(
                        zip(first.tensor.shape, second.tensor.shape, strict=False)
                    ):
                        if a != b:
                            variable_output[position].add(axis)

    return variable_output


def _fixed_batch_reason(fixed: list[InputState]) -> str:
    first = fixed[0]
    assert first.fixed_leading is not None
    count = first.fixed_leading.size
    if first.fixed_leading.how == "select":
        how = (
            f"the graph takes items 0..{count - 1} of {first.label}'s first dim one by one "
            "(a loop over the batch unrolled by torch.jit.trace)"
        )
    else:
        how = (
            f"the graph reshapes {first.label} to a constant first dim of {count} (a batch size "
            "read as a Python int, made a constant by torch.jit.trace)"
        )
    return (
        f"{how}, so it accepts exactly {count}: max_batch_size 0 and full shapes; "
        "re-export with torch.jit.script, or trace without it, to batch"
    )


def _confirm(
    prober: Prober,
    module: Any,
    items: list[InputState],
    config: ModelConfig,
    solution: Solution,
    path: str,
) -> tuple[tuple[int, ...], ...]:
    example = []
    for tensor, shape in zip(config.inputs, solution.full_shapes, strict=True):
        full = config.full_shape(tensor, batch=1)
        concrete = tuple(
            (shape[axis] if axis < len(shape) else 1) if dim == -1 else dim
            for axis, dim in enumerate(full)
        )
        example.append(concrete)
    result = prober.run(items, example, device="cpu")
    if not result.ok or result.output is None:
        failure = result.failure
        raise InferenceError(
            "the inferred config does not run on the real model "
            f"({failure.describe() if failure else 'unknown failure'}): pass --input-shape and --input-dtype",
            path=path,
        )
    problems = output_mismatches(config, result.output, batch=1)
    if problems:
        raise InferenceError(
            "the real forward pass disagrees with the inferred outputs ("
            + "; ".join(problem.message for problem in problems)
            + "): the model behaves differently on real data than on the meta device; pass "
            "--input-shape to fix the inputs",
            path=path,
        )
    return tuple(example)


def _inference_failure(
    items: list[InputState],
    failure: shapes.ProbeFailure | None,
    path: str,
    probes: int,
    cpu_used: bool = False,
) -> InferenceError:
    names = ", ".join(item.label for item in items)
    example = " ".join(f"--input-shape {item.label}=..." for item in items)
    if failure is not None and failure.kind == "device":
        return InferenceError(
            f"cannot run the model on this machine: its code puts tensors on a CUDA device "
            f"({failure.describe()}); export it without hard-coded devices "
            f"(`tsinspect graph` lists them as TS601), or infer the config on a machine with a GPU",
            path=path,
        )
    if failure is None:
        reason = "no input shape made forward run"
    elif failure.kind == "undecidable":
        reason = (
            f"the model needs real values to run, so shapes cannot be probed on the meta device "
            f"({failure.describe()})"
        )
    elif failure.kind == "dtype":
        reason = f"the model rejects the inferred dtype ({failure.describe()}); pass --input-dtype"
    else:
        reason = f"no probed shape made forward run ({failure.describe()})"
    if cpu_used:
        reason += (
            "; probes ran on zero-filled inputs, so a model that needs real values cannot be probed"
        )
    return InferenceError(
        f"cannot infer the input shapes of {names} after {probes} probe(s): {reason}; "
        f"pass {example} (config dims, without the batch dim)",
        path=path,
    )
