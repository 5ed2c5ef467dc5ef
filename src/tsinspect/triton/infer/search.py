"""The probing search for free dims: meta probes (the CPU where meta cannot decide), the
flexible-size test, a bisection for the sizes that run, and the batching decision.

Each probe is a forward call in ``ir.shapes``' worker; nothing here imports torch.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tsinspect.ir import shapes
from tsinspect.triton.config import (
    DEFAULT_MAX_BATCH_SIZE,
    Provenance,
)
from tsinspect.triton.dtypes import (
    torch_name_for_triton,
)
from tsinspect.triton.infer.outputs import leading_dims
from tsinspect.triton.infer.records import (
    BATCH_PROBES,
    CPU_PROBE_ELEMENTS,
    FLEXIBLE_SIZES,
    FREE,
    MAX_SIZE,
    SAME_FAILURE_LIMIT,
    InputState,
    Overrides,
    Solution,
    Template,
)


@dataclass
class Prober:
    """Runs probes on the meta module; on the CPU module when the meta device cannot decide."""

    meta_module: Any
    cpu_module: Any
    dict_mode: bool
    count: int = 0
    cpu_count: int = 0
    cpu_reason: str = ""

    def run(
        self, inputs: list[InputState], full_shapes: Sequence[tuple[int, ...]], device: str = "meta"
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
            # The model needs real values (.item(), data-dependent indexing), a CPU constant
            # meets the meta input, or torch cannot load it on meta at all: zeros on the CPU.
            self.cpu_reason = self.cpu_reason or _portable_reason(result.failure)
            elements = sum(_elements(shape) for shape in full_shapes)
            if elements > CPU_PROBE_ELEMENTS:
                # Real memory and time on the CPU: a search step this large is skipped as "too
                # large", so the search settles on the smallest sizes that run.
                return shapes.ProbeResult(
                    output=None,
                    failure=shapes.ProbeFailure(
                        kind="too_large",
                        message=f"{elements} input elements is more than a CPU probe may use",
                    ),
                    device="cpu",
                )
            self.cpu_count += 1
            return shapes.run_probe(self.cpu_module, arguments, device="cpu")
        return result


def _portable_reason(failure: shapes.ProbeFailure) -> str:
    """``failure.describe()`` naming the model's source file without its folder: the config
    says why the CPU was used, and the same model gives the same text on every machine."""
    source = failure.source
    if source:
        file, _, line = source.rpartition(":")
        source = f"{file.replace(chr(92), '/').rsplit('/', 1)[-1]}:{line}"
    return dataclasses.replace(failure, source=source).describe()


def _elements(shape: Sequence[int]) -> int:
    count = 1
    for dim in shape:
        count *= max(dim, 1)
    return count


_REDUCTION = (
    re.compile(r"same reduction dim, but got \[[^\]]*?(\d+)\] X \[(\d+)"),
    re.compile(r"cannot be multiplied \(\d+x(\d+) and (\d+)x\d+\)"),
)


def _size_direction(failure: shapes.ProbeFailure | None) -> int:
    """+1 when a failed probe's input was too small, -1 too large, 0 unknown."""
    if failure is None:
        return 0
    if failure.kind == "too_large":
        return -1
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


def _solve(
    prober: Prober, inputs: list[InputState], templates: list[Template], batch: int, deadline: float
) -> tuple[Solution | None, shapes.ProbeFailure | None]:
    """Find sizes for the free dims (one size shared by every free dim) that let forward run."""

    def probe(size: int) -> shapes.ProbeResult:
        return prober.run(inputs, [template.fill(size, batch) for template in templates])

    def solution(
        sizes: list[int], picked: int, variable: bool, output: shapes.OutputValue
    ) -> Solution:
        return Solution(
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
            if repeats >= SAME_FAILURE_LIMIT:
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


def solve_all(
    prober: Prober, items: list[InputState], overrides: Overrides, deadline: float
) -> tuple[Solution | None, bool, shapes.ProbeFailure | None]:
    """Solve every input's free dims, then decide batching. Returns (solution, batches, failure)."""
    choices: list[list[Template]] = []
    for item in items:
        if item.override_dims is not None:
            dims = tuple(FREE if dim == -1 else dim for dim in item.override_dims)
            # --input-shape gives config dims: the full shape when the user turns batching off.
            choices.append([Template(dims, batched=overrides.max_batch_size != 0)])
        elif item.fixed_leading is not None:
            # Dim 0 is fixed by the graph: the full shape, never a batch dim in front.
            choices.append(
                [
                    Template((item.fixed_leading.size, *dims), batched=False)
                    for dims in item.templates
                ]
            )
        else:
            choices.append([Template(dims) for dims in item.templates])
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
    prober: Prober, items: list[InputState], solution: Solution, batch: int
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


def _batch_agnostic(prober: Prober, items: list[InputState], solution: Solution) -> bool:
    for batch in BATCH_PROBES:
        result = prober.run(items, [t.fill(solution.picked, batch) for t in solution.templates])
        if not result.ok or result.output is None:
            return False
        leading = leading_dims(result.output)
        if not leading or any(dim != batch for dim in leading):
            return False
    return True


def batch_decision(batching: bool | None, overrides: Overrides) -> tuple[int, Provenance]:
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
