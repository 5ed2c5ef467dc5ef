"""The pieces of a ModelConfig built from a solution: input configs with their provenance,
dynamic batching, checked parameters, names, notes and the summary lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from tsinspect.errors import InputError
from tsinspect.triton import naming
from tsinspect.triton.config import (
    DynamicBatching,
    ModelConfig,
    Provenance,
    TensorConfig,
)
from tsinspect.triton.infer.outputs import string_list_config
from tsinspect.triton.infer.records import (
    FLEXIBLE_SIZES,
    FREE,
    ConfigOptions,
    InputState,
    Solution,
)
from tsinspect.triton.parameters import key_problem, value_problem


def _solved_provenance(item: InputState, solution: Solution, variable: bool) -> Provenance:
    """``solved: H = 28 from fc1 ... == 3136; confirmed by probe``."""
    parts = [item.solved_from] if item.solved_from else []
    if FREE in (item.solved_dims or ()):
        if variable:
            if solution.variable and len(solution.sizes) == 1:
                parts.append(
                    "free dims: no weight fixes them, and at size "
                    f"{solution.sizes[0]} the model returns the shapes the solver predicts, so -1"
                )
            else:
                parts.append(
                    f"free dims: no weight fixes them; sizes {_size_label(FLEXIBLE_SIZES)} all run, so -1"
                )
        else:
            parts.append(f"free dims: probe picked {solution.picked}")
    parts.append("confirmed by running the model")
    return Provenance("solved", "; ".join(parts))


def clip(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def with_notes(config: ModelConfig, notes: tuple[str, ...]) -> ModelConfig:

    return replace(config, notes=notes)


def input_names(items: list[InputState], naming_choice: str, dict_mode: bool) -> list[str]:
    if dict_mode:
        return [item.key or item.label for item in items]
    if naming_choice == "forward-args":
        return [item.argument for item in items]
    if naming_choice != "index":
        raise InputError(f"--naming must be 'index' or 'forward-args', not {naming_choice!r}")
    return list(naming.default_names(naming.DEFAULT_INPUT_PREFIX, len(items)))


def input_configs(
    items: list[InputState],
    solution: Solution,
    names: list[str],
    batching: bool,
    probe_label: str = "meta probe",
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
            configs.append(string_list_config(name, batching, provenance))
            continue
        solved = tuple(
            (-1 if variable else solution.picked) if dim == FREE else dim for dim in template.dims
        )
        # Without batching the config holds the full shape; a batched template probed at
        # batch 1 gets its leading 1 back.
        dims = solved if batching or not template.batched else (1, *solved)
        reshape = None
        if not dims:
            dims, reshape = (1,), ()
        if item.override_dims is not None:
            dims_from = Provenance("override", "--input-shape")
        elif item.solved_dims is not None and template.dims == item.solved_dims:
            dims_from = _solved_provenance(item, solution, variable)
        else:
            parts = list(item.shape_from)
            if template.has_free:
                if solution.variable:
                    parts.append(
                        f"{probe_label}: sizes {_size_label(solution.sizes)} all run, so -1"
                    )
                elif variable:
                    parts.append(
                        f"{probe_label}: sizes {_size_label(FLEXIBLE_SIZES)} all run with the other "
                        f"inputs at {solution.picked}, so -1"
                    )
                elif len(solution.sizes) > 1:
                    parts.append(
                        f"{probe_label}: sizes {_size_label(solution.sizes)} run; picked {solution.picked}"
                    )
                else:
                    parts.append(f"{probe_label}: only size {solution.picked} runs")
            dims_from = Provenance(
                "weights" if item.shape_from else "probe", "; ".join(parts) or probe_label
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


def dynamic_batching_config(options: ConfigOptions, max_batch_size: int) -> DynamicBatching | None:
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


def checked_parameters(parameters: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    for key, value in parameters:
        problem = key_problem(key) or value_problem(key, value)
        if problem is not None:
            raise InputError(f"--parameter: {problem}")
    return tuple(parameters)


def summary_lines(config: ModelConfig, probes: int, cpu_note: str) -> tuple[str, ...]:
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


def _size_label(sizes: Sequence[int]) -> str:
    if not sizes:
        return ""
    if list(sizes) == list(range(sizes[0], sizes[-1] + 1)) and len(sizes) > 1:
        return f"{sizes[0]}..{sizes[-1]}"
    return ", ".join(str(size) for size in sizes)
