"""The symbolic solver's answer (``ir.symbolic``) as a config: its shapes become every input's
first template, and when it decides every input and output, the config comes straight from
it, confirmed by one real forward pass instead of a probing search.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from tsinspect.triton.config import (
    DEFAULT_MAX_BATCH_SIZE,
    InstanceGroup,
    ModelConfig,
    Provenance,
)
from tsinspect.triton.infer.outputs import output_configs, output_mismatches, tensors_of
from tsinspect.triton.infer.parts import (
    checked_parameters,
    dynamic_batching_config,
    input_configs,
    summary_lines,
)
from tsinspect.triton.infer.records import (
    BATCH_PROBES,
    FREE,
    ConfigOptions,
    InferenceResult,
    InputState,
    Overrides,
    Solution,
    Template,
)
from tsinspect.triton.infer.search import (
    Prober,
)


def apply_solved_shapes(module: Any, items: list[InputState]) -> Any:
    """Put the symbolic solver's shape first among each input's templates (ir.symbolic).

    The solver reads the graph and the weights without running anything; its
    answer is then confirmed by the same probes as any template. When it
    cannot decide an input (no rank-fixing reader, an op it does not know),
    the input keeps today's templates and probing alone decides.
    """
    from tsinspect.ir.symbolic.module import module_shapes
    from tsinspect.ir.symbolic.solver import describe_dims

    try:
        shapes_found = module_shapes(module)
    except (RuntimeError, ValueError, TypeError, RecursionError):
        return None  # a graph the walk cannot read: the probes decide, as before
    for index, solved_input in enumerate(shapes_found.inputs):
        item = next(
            (
                candidate
                for candidate in items
                if candidate.key == solved_input.key
                and (candidate.argument == solved_input.argument or candidate.key is not None)
            ),
            None,
        )
        if item is None or item.is_str_list:
            continue
        dims = shapes_found.dims_of(index)
        template: list[int] = []
        solved_dims = []
        for position, (dim, solved) in enumerate(
            zip(shapes_found.shapes[index].dims, dims, strict=True)
        ):
            if position == 0:
                continue  # N: the batch dim, which batching decides
            if solved is None:
                template.append(int(dim))
            elif solved.value is None:
                template.append(FREE)
            else:
                template.append(solved.value)
                solved_dims.append(solved)
        solved_template = tuple(template)
        item.solved_dims = solved_template
        item.solved_from = describe_dims(solved_dims)
        item.templates = [solved_template] + [t for t in item.templates if t != solved_template]
    return shapes_found


#: A second size for free dims when confirming a solved config: odd, small, unlike 64.
_SECOND_SIZE = 33


def solved_config(
    module: Any,
    items: list[InputState],
    solved_shapes: Any,
    config_names: list[str],
    overrides: Overrides,
    options: ConfigOptions,
    model_path: str,
    dict_mode: bool,
) -> InferenceResult | None:
    """The config straight from the solved shapes, confirmed by one real forward on the CPU.

    Only when the solver decided every input and knows every output's shape with
    the inputs' batch dim ``N`` in front: then the meta probes (each as slow as a
    forward) have nothing left to find. The forward runs zeros of the config's
    dtypes and dims (a batch of 2, free dims at 33) and must give exactly the
    output shapes the solver predicted there. Any doubt returns None, and the
    probes decide as before.
    """
    import sympy

    from tsinspect.ir.symbolic import SymTensor

    started = time.monotonic()
    if overrides.input_shapes or overrides.max_batch_size is not None:
        return None
    if len(solved_shapes.inputs) != len(items) or any(
        item.solved_dims is None or item.is_str_list for item in items
    ):
        return None
    returned = solved_shapes.outputs[0] if len(solved_shapes.outputs) == 1 else None
    elements = list(returned) if isinstance(returned, tuple) else [returned]
    batch_symbol = sympy.Symbol("N", integer=True, positive=True)
    predicted = [value for value in elements if isinstance(value, SymTensor) and value.rank >= 1]
    if not predicted or len(predicted) != len(elements):
        return None
    batched = all(value.dims[0] == batch_symbol for value in predicted)
    baked = not any(batch_symbol in dim.free_symbols for v in predicted for dim in v.dims)
    if not (batched or baked):
        return None
    free = {
        symbol: solved
        for symbol, solved in solved_shapes.solution.dims.items()
        if solved.free and symbol != batch_symbol
    }
    # One forward, at a point where a wrong prediction shows: a batch of 2 (1 hides a batch
    # dim that squeeze() drops) and free dims at an odd size no stride divides.
    size = max([_SECOND_SIZE, *(solved.minimum for solved in free.values())])
    batch = BATCH_PROBES[0]
    batch_dim = solved_shapes.solution.dims.get(batch_symbol)
    if baked:
        # No output depends on the batch dim: tracing unrolled a loop over it (x[0], x[1]...).
        # The batch the graph reads is the smallest the indexing allows: the traced one.
        batch = batch_dim.minimum if batch_dim is not None else 1
    full_dims = [
        tuple(item.solved_dims or ()) if batched else (batch, *(item.solved_dims or ()))
        for item in items
    ]
    prober = Prober(None, module, dict_mode)
    templates = [Template(dims, batched=batched) for dims in full_dims]
    mapping = {symbol: sympy.Integer(size) for symbol in free}
    mapping[batch_symbol] = sympy.Integer(batch)
    want = []
    for value in predicted:
        dims = [dim.xreplace(mapping) for dim in value.dims]
        if not all(dim.is_Integer for dim in dims):
            return None
        want.append([int(dim) for dim in dims])
    first = prober.run(items, [t.fill(size, batch) for t in templates], device="cpu")
    if not first.ok or first.output is None:
        return None
    got = [
        list(element.tensor.shape) if element.tensor is not None else None
        for element in tensors_of(first.output)
    ]
    if got != want:
        return None  # the solver and torch disagree: let the probes decide
    variable_output = [
        {axis for axis, dim in enumerate(value.dims) if axis and dim.free_symbols & free.keys()}
        for value in predicted
    ]
    output_blockers, outputs = output_configs(first.output, variable_output, batched, model_path)
    if output_blockers:
        return None  # the probing path reports them, with its own wording
    outputs = [
        replace(
            tensor,
            provenance=tuple(
                (what, Provenance("solved", f"{value.text()}; {provenance.detail}"))
                if what == "dims"
                else (what, provenance)
                for what, provenance in tensor.provenance
            ),
        )
        for tensor, value in zip(outputs, predicted, strict=True)
    ]
    variable_inputs = [FREE in (item.solved_dims or ()) for item in items]
    solution = Solution(
        templates,
        [t.fill(size, batch) for t in templates],
        any(variable_inputs),
        [size],
        size,
        first.output,
        variable_inputs,
    )
    for item, item_dims in zip(items, full_dims, strict=True):
        item.solved_dims = item_dims  # from here on the config's dims are these
    inputs = input_configs(items, solution, config_names, batched)
    max_batch_size = DEFAULT_MAX_BATCH_SIZE if batched else 0
    batch_from = Provenance(
        "solved",
        f"every output's leading dim is the inputs' batch dim N (checked at batch {batch}); "
        f"{DEFAULT_MAX_BATCH_SIZE} is tsinspect's default, raise it with --max-batch-size",
    )
    if baked:
        rows = (
            f"the graph reads fixed rows of it (x[0]..x[{batch - 1}], as a traced loop over "
            "the batch leaves), so the batch is baked in"
            if batch > 1
            else "it cannot batch"
        )
        batch_from = Provenance(
            "solved",
            f"no output dim depends on the inputs' batch dim N: {rows}: no batching, full "
            f"shapes with N = {batch}",
        )
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
    if output_mismatches(config, first.output, batch=batch if batched else None):
        return None
    summary = list(summary_lines(config, prober.count, ""))
    summary[-1] = (
        f"one real forward pass on zeros (batch {batch}"
        + (f", free dims at {size}" if free else "")
        + ") confirmed the solved shapes; no meta probe was needed"
    )
    notes = (
        f"Generated by tsinspect from {model_path.rsplit('/', 1)[-1]} for Triton's PyTorch (libtorch) backend.",
        "Values marked '<-' were inferred (weights, solved, probe, graph, default) or given (override);",
        "checked by one forward pass on zeros of exactly these inputs. Review before deploying.",
    )
    return InferenceResult(
        config=replace(config, notes=notes),
        summary=tuple(summary),
        probes=prober.count,
        seconds=time.monotonic() - started,
        example_shapes=tuple(tuple(t.fill(size, batch)) for t in templates),
    )
