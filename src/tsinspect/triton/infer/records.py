"""What inference works on and hands back: overrides and options in, ``InferenceResult`` out,
and the per-input state, shape templates and solutions in between; plus the sizes it probes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tsinspect.diagnostics import Diagnostic
from tsinspect.ir import shapes
from tsinspect.triton.config import (
    ModelConfig,
    Provenance,
)

#: Sizes tried for a free dim before searching: all three running means "any size" (-1).
FLEXIBLE_SIZES: tuple[int, ...] = (64, 97, 128)


#: The search for the sizes that run covers 1..MAX_SIZE.
MAX_SIZE = 1 << 16


#: Probes that fall back to the CPU use real memory: beyond this many input elements (16 MiB of
#: float32) a search step counts as too large instead of running.
CPU_PROBE_ELEMENTS = 1 << 22


#: Batch sizes probed to decide whether the model batches (1 is avoided: squeeze() hides it).
BATCH_PROBES: tuple[int, int] = (2, 3)


FREE = -2  # a dim still to solve in a shape template


#: Stop scanning sizes after this many identical failures in a row (the size is not the problem).
SAME_FAILURE_LIMIT = 8


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
class InputState:
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
    solved_dims: tuple[int, ...] | None = None  # the symbolic solver's template (FREE: free)
    solved_from: str = ""
    fixed_leading: shapes.FixedLeadingDim | None = None  # dim 0 is a constant in the graph


@dataclass(frozen=True)
class Template:
    """The per-request dims of one input (FREE = to solve); ``batched``: a batch dim goes in front."""

    dims: tuple[int, ...]
    batched: bool = True

    def fill(self, size: int, batch: int) -> tuple[int, ...]:
        filled = tuple(size if dim == FREE else dim for dim in self.dims)
        return (batch, *filled) if self.batched else filled

    @property
    def has_free(self) -> bool:
        return FREE in self.dims


@dataclass
class Solution:
    templates: list[Template]
    full_shapes: list[tuple[int, ...]]  # what the model received on the deciding probe
    variable: bool
    sizes: list[int]
    picked: int
    output: shapes.OutputValue
    variable_inputs: list[bool] = field(default_factory=list)  # per input: its free dims are -1
