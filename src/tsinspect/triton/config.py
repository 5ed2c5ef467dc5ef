"""The config.pbtxt of a pytorch_libtorch model, as frozen records.

No protobuf here: these records are what tsinspect infers and renders, and
what it reads back from a user's config (``pbtxt.read_config``). The schema
check against Triton's real ModelConfig message lives in ``schema``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PLATFORM = "pytorch_libtorch"
DEFAULT_MAX_BATCH_SIZE = 8

#: How a value was found. ``override``: the user passed it; ``weights``: read from the
#: weights of the first op that consumes the input; ``solved``: the equations the weights put
#: on the input dims, solved symbolically (ir/symbolic); ``probe``: solved by running the model
#: on the meta device; ``declared type``: forward's TorchScript signature; ``graph``: read
#: from the forward graph (dict keys); ``default``: tsinspect's default; ``model``: the
#: model's own output when run.
SOURCES: tuple[str, ...] = (
    "override",
    "weights",
    "solved",
    "probe",
    "declared type",
    "graph",
    "default",
    "model",
)


@dataclass(frozen=True)
class Provenance:
    """Where one inferred value came from: ``source`` (one of SOURCES) and a detail for people."""

    source: str
    detail: str

    def __str__(self) -> str:
        return f"{self.source}: {self.detail}" if self.detail else self.source


@dataclass(frozen=True)
class TensorConfig:
    """One ``input`` or ``output`` entry.

    ``dims`` excludes the batch dimension when the model's ``max_batch_size`` is
    positive; ``-1`` is a variable-size dimension. ``reshape`` is the shape the
    model receives when it differs from ``dims`` (``()`` for a batch-only tensor,
    which Triton still needs to describe as ``dims: [1]``); None when absent.
    ``line`` is the line of the entry in a config read from a file (0 otherwise).
    """

    name: str
    data_type: str
    dims: tuple[int, ...]
    reshape: tuple[int, ...] | None = None
    provenance: tuple[tuple[str, Provenance], ...] = ()
    line: int = 0
    field_lines: tuple[tuple[str, int], ...] = ()

    def line_of(self, field_name: str) -> int:
        """The line of ``name``, ``data_type``, ``dims`` or ``reshape`` in a config read from a file.

        Falls back to the entry's own line, and 0 when the config was not read from a file.
        """
        for key, line in self.field_lines:
            if key == field_name:
                return line
        return self.line

    def provenance_of(self, what: str) -> Provenance | None:
        """The provenance recorded for ``what`` (``name``, ``data_type`` or ``dims``)."""
        for key, value in self.provenance:
            if key == what:
                return value
        return None


@dataclass(frozen=True)
class InstanceGroup:
    """``instance_group`` entry: ``kind`` is KIND_CPU, KIND_GPU, KIND_AUTO or KIND_MODEL."""

    kind: str = "KIND_CPU"
    count: int = 1


@dataclass(frozen=True)
class DynamicBatching:
    """``dynamic_batching``: preferred sizes lie in 1..max_batch_size (core checks it)."""

    preferred_batch_size: tuple[int, ...] = ()
    max_queue_delay_microseconds: int = 0


@dataclass(frozen=True)
class ModelConfig:
    """A whole config.pbtxt for ``platform: "pytorch_libtorch"``.

    ``parameters`` are (key, string value) pairs, in order; ``notes`` are
    comment lines rendered at the top of the file (how values were inferred).
    """

    name: str
    max_batch_size: int
    inputs: tuple[TensorConfig, ...]
    outputs: tuple[TensorConfig, ...]
    platform: str = PLATFORM
    backend: str = ""
    default_model_filename: str = ""
    instance_groups: tuple[InstanceGroup, ...] = ()
    dynamic_batching: DynamicBatching | None = None
    parameters: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = field(default=())
    provenance: tuple[tuple[str, Provenance], ...] = ()
    line_of: tuple[tuple[str, int], ...] = ()

    def provenance_of(self, what: str) -> Provenance | None:
        """The provenance recorded for a top-level value (``max_batch_size``)."""
        for key, value in self.provenance:
            if key == what:
                return value
        return None

    def line(self, field_name: str) -> int:
        """The 1-based line of a top-level field in a config read from a file; 0 when unknown."""
        for key, line in self.line_of:
            if key == field_name:
                return line
        return 0

    @property
    def batching(self) -> bool:
        """True when Triton adds a batch dimension in front of every ``dims``."""
        return self.max_batch_size > 0

    def full_shape(self, tensor: TensorConfig, batch: int | None = None) -> tuple[int, ...]:
        """The shape the model receives for ``tensor``: ``reshape`` or ``dims``, after the batch dim if batching."""
        shape = tensor.reshape if tensor.reshape is not None else tensor.dims
        if self.batching:
            return (-1 if batch is None else batch, *shape)
        return shape
