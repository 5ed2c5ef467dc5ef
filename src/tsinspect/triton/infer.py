"""Infer a pytorch_libtorch config.pbtxt from a TorchScript model alone.

Steps (docs/triton.md explains each rule):

1. Blockers from forward's signature: argument and return types the backend
   cannot feed or read. No config is produced for a blocked model.
2. Per input: the first consuming op's weights give dtype, rank and channels
   or features (``ir.shapes.first_consumer``); overrides win.
3. Free dims are solved on the meta device: sizes 64, 97 and 128 all running
   means a variable dim (-1); otherwise a search for the sizes that run, and
   the most power-of-two-aligned one is picked.
4. Batching: outputs whose leading dim follows the inputs' leading dim for
   batch sizes 2 and 3 mean the model batches (max_batch_size > 0).
5. Outputs come from the probe; the final answer is confirmed by one real
   forward on zeros of exactly the config's dtypes and dims.

Nothing here imports torch; ``tsinspect.ir.shapes`` does the running.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tsinspect.codes import finding
from tsinspect.diagnostics import Diagnostic
from tsinspect.errors import InferenceError, InputError
from tsinspect.ir import shapes
from tsinspect.ir.signature import Signature
from tsinspect.triton import naming
from tsinspect.triton.config import (
    DEFAULT_MAX_BATCH_SIZE,
    DynamicBatching,
    InstanceGroup,
    ModelConfig,
    Provenance,
    TensorConfig,
)
from tsinspect.triton.dtypes import (
    is_supported_by_libtorch,
    torch_name_for_triton,
    triton_type_for_torch,
)
from tsinspect.triton.parameters import key_problem, value_problem
from tsinspect.triton.serving import signature_blockers

#: Sizes tried for a free dim before searching: all three running means "any size" (-1).
FLEXIBLE_SIZES: tuple[int, ...] = (64, 97, 128)
#: The search for the sizes that run covers 1..MAX_SIZE.
MAX_SIZE = 1 << 16
#: Batch sizes probed to decide whether the model batches (1 is avoided: squeeze() hides it).
BATCH_PROBES: tuple[int, int] = (2, 3)

_FREE = -2  # a dim still to solve in a shape template
#: Stop scanning sizes after this many identical failures in a row (the size is not the problem).
_SAME_FAILURE_LIMIT = 8


@dataclass(frozen=True)
class Overrides:
    """What the user fixes instead of inference.

    ``input_shapes`` and ``input_dtypes`` are (name or None, value) pairs: a
    name (forward argument, config name or dict key) or None for the next
    input in order. Shapes are config ``dims`` (without the batch dim when the
    model batches); dtypes are Triton types (``TYPE_FP16``).
    """

    input_shapes: tuple[tuple[str | None, tuple[int, ...]], ...] = ()
    input_dtypes: tuple[tuple[str | None, str], ...] = ()
    max_batch_size: int | None = None


@dataclass(frozen=True)
class ConfigOptions:
    """Rendering choices that inference does not decide."""

    name: str = "model"
    naming: str = "index"  # "index" -> input__0; "forward-args" -> forward's argument names
    instance_kind: str | None = None
    instance_count: int = 1
    dynamic_batching: bool = False
    preferred_batch_sizes: tuple[int, ...] = ()
    max_queue_delay_microseconds: int = 0
    parameters: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class InferenceResult:
    """A checked config, or the blockers that stop one; plus what was measured on the way."""

    config: ModelConfig | None
    blockers: tuple[Diagnostic, ...] = ()
    summary: tuple[str, ...] = ()
    probes: int = 0
    seconds: float = 0.0
    example_shapes: tuple[tuple[int, ...], ...] = field(default=())

    @property
    def ok(self) -> bool:
        """True when a config was produced."""
        return self.config is not None


@dataclass
class _Input:
    """One config input while it is being inferred."""

    label: str  # how users name it in messages: the argument name or dict key
    argument: str
    key: str | None
    is_str_list: bool = False
    dtype: str = ""
    dtype_from: Provenance | None = None
    templates: list[tuple[int, ...]] = field(default_factory=list)
    shape_from: list[str] = field(default_factory=list)
    override_dims: tuple[int, ...] | None = None
    solved: tuple[int, ...] = ()
    dims_from: Provenance | None = None


@dataclass
class _Prober:
    """Runs probes on the meta module; on the CPU module when the meta device cannot decide."""

    meta_module: Any
    cpu_module: Any
    dict_mode: bool
    count: int = 0
    cpu_count: int = 0
    cpu_reason: str = ""

    def run(
        self, inputs: list[_Input], full_shapes: Sequence[tuple[int, ...]], device: str = "meta"
    ) -> shapes.ProbeResult:
        self.count += 1
        specs = [
            shapes.ProbeInput(
                shape, torch_name_for_triton(item.dtype) or "float32", item.is_str_list
            )
            for item, shape in zip(inputs, full_shapes, strict=True)
        ]
        arguments: Any = specs
        if self.dict_mode:
            arguments = {
                item.key or item.label: spec for item, spec in zip(inputs, specs, strict=True)
            }
        if device == "cpu":
            return shapes.run_probe(self.cpu_module, arguments, device="cpu")
        result = shapes.run_probe(self.meta_module, arguments, device="meta")
        if result.failure is not None and result.failure.kind == "undecidable":
            # The model needs real values (.item(), data-dependent indexing): zeros on the CPU.
            self.cpu_count += 1
            self.cpu_reason = self.cpu_reason or result.failure.describe()
            return shapes.run_probe(self.cpu_module, arguments, device="cpu")
        return result


# --------------------------------------------------------------------------- blockers


# --------------------------------------------------------------------------- templates


@dataclass(frozen=True)
class _Template:
    """The per-request dims of one input (_FREE = to solve); ``batched``: a batch dim goes in front."""

    dims: tuple[int, ...]
    batched: bool = True

    def fill(self, size: int, batch: int) -> tuple[int, ...]:
        filled = tuple(size if dim == _FREE else dim for dim in self.dims)
        return (batch, *filled) if self.batched else filled

    @property
    def has_free(self) -> bool:
        return _FREE in self.dims


_GENERIC = [(_FREE,), (_FREE, _FREE), (_FREE, _FREE, _FREE)]


def _templates_from_consumer(
    consumer: shapes.Consumer | None,
) -> tuple[list[tuple[int, ...]], list[str]]:
    """Per-request dims templates (_FREE = to solve) and the reasons, from the first consumer.

    When the input reaches the consumer through a rank-changing op (``direct`` is
    False) the weight describes that op's input, so the generic templates follow.
    """
    if consumer is None:
        return list(_GENERIC), []
    templates, reasons = _consumer_templates(consumer)
    if not consumer.direct:
        templates += [template for template in _GENERIC if template not in templates]
    return templates, reasons


def _consumer_templates(consumer: shapes.Consumer) -> tuple[list[tuple[int, ...]], list[str]]:
    weight = consumer.weight_shape
    where = f"{consumer.op.removeprefix('aten::')} weight {consumer.weight_name} {list(weight)}"
    if consumer.role in ("conv", "conv_transpose") and len(weight) >= 3:
        channels = weight[1] * consumer.groups if consumer.role == "conv" else weight[0]
        spatial = len(weight) - 2
        reason = f"{where} takes rank {len(weight)} with {channels} channel(s)"
        return [(channels, *([_FREE] * spatial))], [reason]
    if consumer.role == "linear" and len(weight) == 2:
        return [(weight[1],), (_FREE, weight[1])], [f"{where} takes {weight[1]} features"]
    if consumer.role == "matmul" and len(weight) == 2:
        return [(weight[0],), (_FREE, weight[0])], [f"{where} takes {weight[0]} features"]
    if consumer.role == "rnn" and len(weight) == 2:
        return [(_FREE, weight[1])], [f"{where} takes {weight[1]} features per step (batch_first)"]
    if consumer.role == "layer_norm" and consumer.constant_list:
        normalized = consumer.constant_list
        return [(_FREE, *normalized), normalized], [f"layer_norm over {list(normalized)}"]
    return list(_GENERIC), []


def _dtype_from_consumer(consumer: shapes.Consumer | None) -> tuple[str, Provenance]:
    if consumer is None:
        return "TYPE_FP32", Provenance(
            "default", "no consuming op with weights found; assumed float32"
        )
    where = consumer.op.removeprefix("aten::")
    if consumer.role == "indices":
        return "TYPE_INT64", Provenance(
            "weights", f"feeds {where} as indices ({consumer.weight_name})"
        )
    if consumer.role == "mask":
        return "TYPE_BOOL", Provenance("graph", f"used as the condition of {where}")
    triton_type = triton_type_for_torch(consumer.weight_dtype) or "TYPE_FP32"
    return triton_type, Provenance(
        "weights", f"{where} weight {consumer.weight_name} is {consumer.weight_dtype}"
    )


# --------------------------------------------------------------------------- solving


_REDUCTION = (
    re.compile(r"same reduction dim, but got \[[^\]]*?(\d+)\] X \[(\d+)"),
    re.compile(r"cannot be multiplied \(\d+x(\d+) and (\d+)x\d+\)"),
)


def _size_direction(failure: shapes.ProbeFailure | None) -> int:
    """+1 when a failed probe's input was too small, -1 too large, 0 unknown."""
    if failure is None:
        return 0
    for pattern in _REDUCTION:
        match = pattern.search(failure.message)
        if match:
            got, expected = int(match.group(1)), int(match.group(2))
            return 1 if got < expected else -1
    if re.search(
        r"too small|smaller than kernel|Kernel size can't be greater|larger than", failure.message
    ):
        return 1
    return 0


def _aligned_pick(sizes: Sequence[int]) -> int:
    """The size the architecture was most likely built for, among sizes that all run.

    A multiple of 1000 when there is one (audio lengths are sample rate x seconds:
    8000, 16000), else the size with the most factors of two (28 of 28..31, 224 of
    193..224, 32 of 31..34), the smallest on a tie.
    """
    thousands = [size for size in sizes if size % 1000 == 0]
    if thousands:
        return thousands[0]

    def alignment(size: int) -> int:
        return (size & -size).bit_length()

    return sorted(sizes, key=lambda size: (-alignment(size), size))[0]


@dataclass
class _Solution:
    templates: list[_Template]
    full_shapes: list[tuple[int, ...]]  # what the model received on the deciding probe
    variable: bool
    sizes: list[int]
    picked: int
    output: shapes.OutputValue
    variable_inputs: list[bool] = field(default_factory=list)  # per input: its free dims are -1


def _solve(
    prober: _Prober, inputs: list[_Input], templates: list[_Template], batch: int, deadline: float
) -> tuple[_Solution | None, shapes.ProbeFailure | None]:
    """Find sizes for the free dims (one size shared by every free dim) that let forward run."""

    def probe(size: int) -> shapes.ProbeResult:
        return prober.run(inputs, [template.fill(size, batch) for template in templates])

    def solution(
        sizes: list[int], picked: int, variable: bool, output: shapes.OutputValue
    ) -> _Solution:
        return _Solution(
            templates,
            [t.fill(picked, batch) for t in templates],
            variable,
            sizes,
            picked,
            output,
            [variable and t.has_free for t in templates],
        )

    if not any(template.has_free for template in templates):
        result = probe(1)
        if result.ok and result.output is not None:
            return solution([], 1, False, result.output), None
        return None, result.failure

    flexible = [probe(size) for size in FLEXIBLE_SIZES]
    if all(result.ok for result in flexible):
        output = flexible[0].output
        assert output is not None
        return solution(list(FLEXIBLE_SIZES), FLEXIBLE_SIZES[0], True, output), None
    first_failure = next(result.failure for result in flexible if not result.ok)
    if first_failure is not None and first_failure.kind in ("undecidable", "dtype", "other"):
        return None, first_failure

    # Binary search for the smallest size that is not too small (probe errors tell the direction
    # for the usual Linear-after-convolutions case), then for the largest size that still runs.
    low = _bisect(probe, 1, MAX_SIZE, deadline, want_first_ok=True)
    first = probe(low) if low is not None else None
    if low is not None and first is not None and first.ok and first.output is not None:
        high = (
            _bisect(probe, low, min(2 * low + 64, MAX_SIZE), deadline, want_first_ok=False) or low
        )
        picked = _aligned_pick(range(low, high + 1))
        chosen = probe(picked)
        if chosen.ok and chosen.output is not None:
            return solution(list(range(low, high + 1)), picked, False, chosen.output), None
        return solution([low], low, False, first.output), None
    # No direction to follow: try every small size.
    sizes: list[int] = []
    outputs: dict[int, shapes.OutputValue] = {}
    last_failure = first_failure
    repeats = 0
    for size in range(1, 257):
        if time.monotonic() > deadline:
            break
        result = probe(size)
        if result.ok and result.output is not None:
            sizes.append(size)
            outputs[size] = result.output
        else:
            failure = result.failure
            same = (
                failure is not None
                and last_failure is not None
                and (
                    (failure.source, failure.message) == (last_failure.source, last_failure.message)
                )
            )
            repeats = repeats + 1 if same else 0
            last_failure = failure
            if sizes:
                break  # the run of sizes that work has ended
            if failure is not None and failure.kind != "mismatch":
                return None, failure
            if repeats >= _SAME_FAILURE_LIMIT:
                break  # the same error whatever the size: size is not the problem
    if not sizes:
        return None, last_failure
    picked = _aligned_pick(sizes)
    return solution(sizes, picked, False, outputs[picked]), None


def _bisect(probe: Any, low: int, high: int, deadline: float, want_first_ok: bool) -> int | None:
    """Binary search over sizes using probe errors' direction.

    ``want_first_ok``: the smallest size that is not too small; else the
    largest size that runs (starting from a ``low`` that runs). None when a
    probe gives no direction.
    """
    while low < high and time.monotonic() < deadline:
        middle = (low + high) // 2 if want_first_ok else (low + high + 1) // 2
        result = probe(middle)
        direction = _size_direction(result.failure)
        if want_first_ok:
            if result.ok or direction < 0:
                high = middle
            elif direction > 0:
                low = middle + 1
            else:
                return None
        elif result.ok or direction > 0:
            low = middle
        elif direction < 0:
            high = middle - 1
        else:
            return None
    return low


def _tensors_of(output: shapes.OutputValue) -> list[shapes.OutputValue]:
    return list(output.elements) if output.kind == "tuple" else [output]


def _leading_dims(output: shapes.OutputValue) -> list[int | None]:
    leading: list[int | None] = []
    for item in _tensors_of(output):
        if item.kind == "tensor" and item.tensor is not None and item.tensor.shape:
            leading.append(item.tensor.shape[0])
        else:
            leading.append(None)
    return leading


def _size_label(sizes: Sequence[int]) -> str:
    if not sizes:
        return ""
    if list(sizes) == list(range(sizes[0], sizes[-1] + 1)) and len(sizes) > 1:
        return f"{sizes[0]}..{sizes[-1]}"
    return ", ".join(str(size) for size in sizes)


# --------------------------------------------------------------------------- main entry


def _match_overrides(
    items: list[_Input],
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
    overrides: Overrides = Overrides(),
    options: ConfigOptions = ConfigOptions(),
    time_budget_s: float = 60.0,
) -> InferenceResult:
    """Infer and check a config for a loaded model (``module`` on CPU, ``meta_module`` on meta).

    Returns blockers instead of a config when the backend cannot serve the
    model; raises InferenceError (message names the option to pass) when
    inference itself fails; raises InputError for bad overrides or options.
    """
    started = time.monotonic()
    deadline = started + time_budget_s
    blockers = signature_blockers(signature, model_path)
    if blockers:
        return InferenceResult(
            config=None, blockers=tuple(blockers), seconds=time.monotonic() - started
        )
    dict_mode = len(signature.arguments) == 1 and signature.arguments[0].type.is_str_tensor_dict
    items: list[_Input] = []
    if dict_mode:
        argument = signature.arguments[0]
        keys = shapes.dict_keys_read(meta_module, 0)
        if not keys:
            raise InferenceError(
                f"forward's dict argument '{argument.name}' is not read with constant string keys, so the "
                'input names cannot be known: read it as x["name"] with literal keys',
                path=model_path,
            )
        items = [_Input(label=key, argument=argument.name, key=key) for key in keys]
    else:
        for argument in signature.arguments:
            items.append(
                _Input(
                    label=argument.name,
                    argument=argument.name,
                    key=None,
                    is_str_list=argument.type.is_str_list,
                )
            )

    config_names = _input_names(items, options.naming, dict_mode)
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
            item.dtype, item.dtype_from = _dtype_from_consumer(consumer)
            item.templates, item.shape_from = _templates_from_consumer(consumer)
        if index in dtype_overrides:
            item.dtype, item.dtype_from = (
                dtype_overrides[index],
                Provenance("override", "--input-dtype"),
            )
        if index in shape_overrides:
            item.override_dims = tuple(shape_overrides[index])

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
    if blockers:
        return InferenceResult(
            config=None, blockers=tuple(blockers), seconds=time.monotonic() - started
        )

    prober = _Prober(meta_module, module, dict_mode)
    solution, batching, failure = _solve_all(prober, items, overrides, deadline)
    if solution is None:
        raise _inference_failure(items, failure, model_path, prober.count, prober.cpu_count > 0)

    for index, item in enumerate(items):
        if item.override_dims is not None and -1 in item.override_dims:
            solution.variable_inputs[index] = True  # the user asked for a variable dim
    max_batch_size, batch_from = _batch_decision(batching, overrides)
    if max_batch_size == 0 and any(t.batched for t in solution.templates):
        # Full shapes without batching: what the model returns for a leading dim of 1.
        at_one = [t.fill(solution.picked, 1) for t in solution.templates]
        single = prober.run(items, at_one)
        if not single.ok or single.output is None:
            raise _inference_failure(items, single.failure, model_path, prober.count)
        solution.full_shapes, solution.output = at_one, single.output

    # Variable output dims: those that change when the free input dims change.
    variable_output: list[set[int]] = [set() for _ in _tensors_of(solution.output)]
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
            pairs = zip(_tensors_of(solution.output), _tensors_of(other.output), strict=False)
            for position, (first, second) in enumerate(pairs):
                if first.tensor is not None and second.tensor is not None:
                    for axis, (a, b) in enumerate(
                        zip(first.tensor.shape, second.tensor.shape, strict=False)
                    ):
                        if a != b:
                            variable_output[position].add(axis)

    output_blockers, outputs = _outputs(
        solution.output, variable_output, max_batch_size > 0, model_path
    )
    if output_blockers:
        return InferenceResult(
            config=None,
            blockers=tuple(output_blockers),
            probes=prober.count,
            seconds=time.monotonic() - started,
        )

    inputs = _input_configs(items, solution, config_names, max_batch_size > 0)
    config = ModelConfig(
        name=options.name,
        max_batch_size=max_batch_size,
        inputs=tuple(inputs),
        outputs=tuple(outputs),
        instance_groups=(InstanceGroup(options.instance_kind, options.instance_count),)
        if options.instance_kind
        else (),
        dynamic_batching=_dynamic_batching(options, max_batch_size),
        parameters=_checked_parameters(options.parameters),
        provenance=(("max_batch_size", batch_from),),
    )
    # Never hand out a config that was not run: one real forward on zeros of exactly its inputs.
    example = _confirm(prober, module, items, config, solution, model_path)
    cpu_note = ""
    if prober.cpu_count:
        cpu_note = (
            f"{prober.cpu_count} probe(s) ran on the CPU with zeros because the meta device cannot run "
            f"this model ({prober.cpu_reason})"
        )
    summary = _summary(config, prober.count, cpu_note)
    notes = (
        f"Generated by tsinspect from {model_path.rsplit('/', 1)[-1]} for Triton's PyTorch (libtorch) backend.",
        "Values marked '<-' were inferred (weights, probe, graph, default) or given (override);",
        "checked by one forward pass on zeros of exactly these inputs. Review before deploying.",
    )
    config = _with_notes(config, notes)
    return InferenceResult(
        config=config,
        summary=summary,
        probes=prober.count,
        seconds=time.monotonic() - started,
        example_shapes=example,
    )


def _with_notes(config: ModelConfig, notes: tuple[str, ...]) -> ModelConfig:
    from dataclasses import replace

    return replace(config, notes=notes)


def _input_names(items: list[_Input], naming_choice: str, dict_mode: bool) -> list[str]:
    if dict_mode:
        return [item.key or item.label for item in items]
    if naming_choice == "forward-args":
        return [item.argument for item in items]
    if naming_choice != "index":
        raise InputError(f"--naming must be 'index' or 'forward-args', not {naming_choice!r}")
    return list(naming.default_names(naming.DEFAULT_INPUT_PREFIX, len(items)))


def _solve_all(
    prober: _Prober, items: list[_Input], overrides: Overrides, deadline: float
) -> tuple[_Solution | None, bool, shapes.ProbeFailure | None]:
    """Solve every input's free dims, then decide batching. Returns (solution, batches, failure)."""
    choices: list[list[_Template]] = []
    for item in items:
        if item.override_dims is not None:
            dims = tuple(_FREE if dim == -1 else dim for dim in item.override_dims)
            # --input-shape gives config dims: the full shape when the user turns batching off.
            choices.append([_Template(dims, batched=overrides.max_batch_size != 0)])
        else:
            choices.append([_Template(dims) for dims in item.templates])
    last_failure: shapes.ProbeFailure | None = None
    combinations = list(itertools.islice(itertools.product(*choices), 16))
    for combination in combinations:
        templates = list(combination)
        solution, failure = _solve(prober, items, templates, BATCH_PROBES[0], deadline)
        if solution is None:
            last_failure = last_failure or failure
            continue
        if not solution.variable:
            _mark_flexible_inputs(prober, items, solution, BATCH_PROBES[0])
        batches = all(t.batched for t in templates) and _batch_agnostic(prober, items, solution)
        return solution, batches, None
    # Maybe the model only runs unbatched or with a leading dim of 1.
    for combination in combinations:
        templates = list(combination)
        if not all(t.batched for t in templates):
            continue
        solution, failure = _solve(prober, items, templates, 1, deadline)
        if solution is not None:
            return solution, False, None
    return None, False, last_failure


def _mark_flexible_inputs(
    prober: _Prober, items: list[_Input], solution: _Solution, batch: int
) -> None:
    """With several inputs sharing one solved size, find those that take any size on their own.

    An image fixed at 224 beside token ids of any length: the ids get -1.
    """
    free = [index for index, template in enumerate(solution.templates) if template.has_free]
    if len(free) < 2:
        return
    for index in free:
        runs = True
        for size in FLEXIBLE_SIZES:
            shapes_at = [
                template.fill(size if position == index else solution.picked, batch)
                for position, template in enumerate(solution.templates)
            ]
            if not prober.run(items, shapes_at).ok:
                runs = False
                break
        solution.variable_inputs[index] = runs


def _batch_agnostic(prober: _Prober, items: list[_Input], solution: _Solution) -> bool:
    for batch in BATCH_PROBES:
        result = prober.run(items, [t.fill(solution.picked, batch) for t in solution.templates])
        if not result.ok or result.output is None:
            return False
        leading = _leading_dims(result.output)
        if not leading or any(dim != batch for dim in leading):
            return False
    return True


def _batch_decision(batching: bool | None, overrides: Overrides) -> tuple[int, Provenance]:
    if overrides.max_batch_size is not None:
        return overrides.max_batch_size, Provenance("override", "--max-batch-size")
    if batching:
        return DEFAULT_MAX_BATCH_SIZE, Provenance(
            "probe",
            f"every output's leading dim follows the inputs' for batch {BATCH_PROBES[0]} and "
            f"{BATCH_PROBES[1]}; {DEFAULT_MAX_BATCH_SIZE} is tsinspect's default, raise it with "
            "--max-batch-size",
        )
    return 0, Provenance(
        "probe", "the outputs do not follow the inputs' leading dim: no batching, full shapes"
    )


def _outputs(
    output: shapes.OutputValue, variable: list[set[int]], batching: bool, path: str
) -> tuple[list[Diagnostic], list[TensorConfig]]:
    blockers: list[Diagnostic] = []
    configs: list[TensorConfig] = []
    if output.kind not in ("tensor", "tuple", "str_list"):
        blockers.append(
            finding(
                "TS606",
                f"forward returned a {output.type_name or output.kind}, which the libtorch "
                "backend cannot read (only Tensor, List[str] or a tuple of those)",
                path,
                hint="return a Tensor or a tuple of tensors",
            )
        )
        return blockers, configs
    elements = _tensors_of(output)
    for index, element in enumerate(elements):
        name = f"{naming.DEFAULT_OUTPUT_PREFIX}__{index}"
        dims: tuple[int, ...]
        reshape: tuple[int, ...] | None
        if element.kind == "str_list":
            configs.append(
                _string_list_config(name, batching, Provenance("model", "returns List[str]"))
            )
            continue
        if element.kind != "tensor" or element.tensor is None:
            blockers.append(
                finding(
                    "TS606",
                    f"output {index} is a {element.type_name or element.kind}; tuple elements "
                    "must be Tensors or List[str]",
                    path,
                    hint="flatten the returned tuple",
                )
            )
            continue
        tensor = element.tensor
        if not tensor.shape:
            blockers.append(
                finding(
                    "TS721",
                    f"output {index} is a 0-d tensor (a scalar), which the backend refuses "
                    '("output ... is a scalar which is not supported")',
                    path,
                    hint="return it with at least one dim, e.g. value.reshape(1) or value.unsqueeze(0)",
                )
            )
            continue
        data_type = triton_type_for_torch(tensor.dtype)
        if data_type is None or not is_supported_by_libtorch(data_type):
            blockers.append(
                finding(
                    "TS709",
                    f"output {index} is {tensor.dtype}, which the libtorch backend cannot return",
                    path,
                    hint="convert it before returning, e.g. .float() or .half()",
                )
            )
            continue
        if 0 in tensor.shape:
            raise InferenceError(
                f"output {index} has shape {list(tensor.shape)} on zero-filled inputs: its size depends on the "
                "input values, so no dims can be inferred; write the config by hand and check it with "
                "tsinspect validate",
                path=path,
            )
        shape = list(tensor.shape)
        for axis in variable[index] if index < len(variable) else ():
            shape[axis] = -1
        reshape = None
        dims = tuple(shape[1:]) if batching else tuple(shape)
        if not dims:
            dims, reshape = (1,), ()
        detail = f"forward returns {tensor.dtype} {list(tensor.shape)}"
        detail += f" for a batch of {tensor.shape[0]}" if batching else " (full shape)"
        configs.append(
            TensorConfig(
                name,
                data_type,
                dims,
                reshape,
                (("data_type", Provenance("probe", detail)), ("dims", Provenance("probe", detail))),
            )
        )
    return blockers, configs


def _string_list_config(name: str, batching: bool, data_type_from: Provenance) -> TensorConfig:
    """A List[str] input or output: TYPE_STRING, one string per batch item ([1] reshaped to [])
    when batching, else a variable-length list ([-1])."""
    dims, reshape = ((1,), ()) if batching else ((-1,), None)
    return TensorConfig(name, "TYPE_STRING", dims, reshape, (("data_type", data_type_from),))


def _input_configs(
    items: list[_Input], solution: _Solution, names: list[str], batching: bool
) -> list[TensorConfig]:
    configs: list[TensorConfig] = []
    for index, (item, template, name) in enumerate(
        zip(items, solution.templates, names, strict=True)
    ):
        variable = solution.variable_inputs[index] or item.override_dims is not None
        dims: tuple[int, ...]
        reshape: tuple[int, ...] | None
        if item.is_str_list:
            provenance = item.dtype_from or Provenance("declared type", "")
            configs.append(_string_list_config(name, batching, provenance))
            continue
        solved = tuple(
            (-1 if variable else solution.picked) if dim == _FREE else dim for dim in template.dims
        )
        # Without batching the config holds the full shape; a batched template probed at
        # batch 1 gets its leading 1 back.
        dims = solved if batching or not template.batched else (1, *solved)
        reshape = None
        if not dims:
            dims, reshape = (1,), ()
        if item.override_dims is not None:
            dims_from = Provenance("override", "--input-shape")
        else:
            parts = list(item.shape_from)
            if template.has_free:
                if solution.variable:
                    parts.append(f"meta probe: sizes {_size_label(solution.sizes)} all run, so -1")
                elif variable:
                    parts.append(
                        f"meta probe: sizes {_size_label(FLEXIBLE_SIZES)} all run with the other "
                        f"inputs at {solution.picked}, so -1"
                    )
                elif len(solution.sizes) > 1:
                    parts.append(
                        f"meta probe: sizes {_size_label(solution.sizes)} run; picked {solution.picked}"
                    )
                else:
                    parts.append(f"meta probe: only size {solution.picked} runs")
            dims_from = Provenance(
                "weights" if item.shape_from else "probe", "; ".join(parts) or "meta probe"
            )
        configs.append(
            TensorConfig(
                name,
                item.dtype,
                dims,
                reshape,
                (("data_type", item.dtype_from or Provenance("default", "")), ("dims", dims_from)),
            )
        )
    return configs


def _dynamic_batching(options: ConfigOptions, max_batch_size: int) -> DynamicBatching | None:
    if not options.dynamic_batching and not options.preferred_batch_sizes:
        return None
    if max_batch_size <= 0:
        raise InputError("--dynamic-batching needs max_batch_size > 0 (the model does not batch)")
    for size in options.preferred_batch_sizes:
        if not 1 <= size <= max_batch_size:
            raise InputError(
                f"--preferred-batch-size {size} is outside 1..{max_batch_size} (max_batch_size)"
            )
    return DynamicBatching(
        tuple(options.preferred_batch_sizes), options.max_queue_delay_microseconds
    )


def _checked_parameters(parameters: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    for key, value in parameters:
        problem = key_problem(key) or value_problem(key, value)
        if problem is not None:
            raise InputError(f"--parameter: {problem}")
    return tuple(parameters)


def _confirm(
    prober: _Prober,
    module: Any,
    items: list[_Input],
    config: ModelConfig,
    solution: _Solution,
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


@dataclass(frozen=True)
class OutputMismatch:
    """One way a forward result differs from the config: ``kind`` dtype, dims, count or kind."""

    kind: str
    name: str
    message: str


def output_mismatches(
    config: ModelConfig, output: shapes.OutputValue, batch: int | None
) -> list[OutputMismatch]:
    """How a forward result differs from the config's outputs (dtype, dims); [] when it matches."""
    problems: list[OutputMismatch] = []
    mapping = naming.map_outputs([tensor.name for tensor in config.outputs])
    returned = _tensors_of(output)
    for tensor, position in zip(config.outputs, mapping.positions, strict=True):
        if position >= len(returned):
            problems.append(
                OutputMismatch(
                    "count",
                    tensor.name,
                    f"output '{tensor.name}' reads element "
                    f"{position} but forward returns {len(returned)}",
                )
            )
            continue
        element = returned[position]
        if tensor.data_type == "TYPE_STRING":
            if element.kind != "str_list":
                problems.append(
                    OutputMismatch(
                        "dtype",
                        tensor.name,
                        f"output '{tensor.name}' is TYPE_STRING "
                        f"but forward returns a {element.kind}",
                    )
                )
            continue
        if element.tensor is None:
            problems.append(
                OutputMismatch(
                    "kind",
                    tensor.name,
                    f"output '{tensor.name}': forward returns a "
                    f"{element.type_name or element.kind}",
                )
            )
            continue
        got_type = triton_type_for_torch(element.tensor.dtype)
        if got_type != tensor.data_type:
            problems.append(
                OutputMismatch(
                    "dtype",
                    tensor.name,
                    f"output '{tensor.name}' is {tensor.data_type} "
                    f"in the config but the model returns {element.tensor.dtype} ({got_type})",
                )
            )
        expected = config.full_shape(tensor, batch=batch)
        got = element.tensor.shape
        if len(expected) != len(got) or any(
            e not in (-1, g) for e, g in zip(expected, got, strict=False)
        ):
            problems.append(
                OutputMismatch(
                    "dims",
                    tensor.name,
                    f"output '{tensor.name}' has shape {list(got)} but "
                    f"the config says {list(expected)}",
                )
            )
    return problems


def _summary(config: ModelConfig, probes: int, cpu_note: str) -> tuple[str, ...]:
    lines = [f"max_batch_size {config.max_batch_size} <- {config.provenance_of('max_batch_size')}"]
    for section, tensors in (("input", config.inputs), ("output", config.outputs)):
        for tensor in tensors:
            lines.append(f"{section} {tensor.name}: {tensor.data_type} dims {list(tensor.dims)}")
            for what, provenance in tensor.provenance:
                lines.append(f"  {what} <- {provenance}")
    lines.append(f"{probes} probe(s) run; confirmed by one real forward pass on zeros")
    if cpu_note:
        lines.append(cpu_note)
    return tuple(lines)


def _inference_failure(
    items: list[_Input],
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
