"""LoadedModel: everything tsinspect reads from one TorchScript archive, as frozen records.

:func:`read_model` puts together the archive sniffing (``archive``), the graph
walk (``walk``), forward's signature (``signature``), the parameters and the
submodule tree (read through the public ``ScriptModule`` API) and the TS6xx
findings. Nothing downstream of it needs torch, except the optional
``module`` handle kept for callers that want to run the model.

How ``kind`` (``scripted`` or ``traced``) is decided, measured on torch 2.13:

1. ``torch.jit.trace`` stores the example inputs as a ``traced_inputs.pkl``
   record (torch >= 2.0); ``torch.jit.script`` never writes it. Strong, but a
   user can trace with ``_store_inputs=False``.
2. Source ranges: a scripted graph's nodes keep ``File "model.py", line N``
   ranges into the compiled source; a traced graph keeps the tracer's Python
   stack, ``model.py(N): forward`` lines. This is the fallback, and the
   evidence string says which signal decided.
3. ``prim::If``/``prim::Loop`` in forward's graph with no other signal: scripted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from tsinspect.diagnostics import Diagnostic, sorted_diagnostics
from tsinspect.ir.archive import ArchiveInfo
from tsinspect.ir.findings import LIBTORCH_NAMESPACES, ParameterRecord, archive_findings
from tsinspect.ir.signature import Signature, read_signature
from tsinspect.ir.walk import (
    GraphSummary,
    GraphWalk,
    MethodBodies,
    OpRecord,
    summarise_module,
    summarise_walk,
    walk_module,
)

#: ``LoadedModel.kind`` values.
SCRIPTED = "scripted"
TRACED = "traced"
UNKNOWN = "unknown"

# Bookkeeping nodes that say nothing about what the model computes.
_BOOKKEEPING_KINDS = frozenset(
    {
        "prim::Constant",
        "prim::GetAttr",
        "prim::ListConstruct",
        "prim::TupleConstruct",
        "prim::ListUnpack",
        "prim::TupleUnpack",
        "prim::DictConstruct",
        "prim::NumToTensor",
        "prim::Uninitialized",
    }
)


@dataclass(frozen=True)
class SubmoduleRecord:
    """One submodule: dotted path (``""`` for the root), class name, and its own parameters/buffers."""

    path: str
    type_name: str
    parameters: tuple[ParameterRecord, ...]

    @property
    def depth(self) -> int:
        """0 for the root, 1 for ``conv1``, 3 for ``layer1.0.conv2``."""
        return 0 if not self.path else self.path.count(".") + 1


@dataclass(frozen=True)
class LoadedModel:
    """What one TorchScript archive holds, read without running it.

    ``summary`` holds what the text summary prints (node kinds and counts,
    the records the findings read), computed from each distinct method body
    once; ``walk`` (and ``ops``, ``graph``, ``input_node_ids``,
    ``output_node_id``) is the inlined forward, built from ``module`` on first
    access and then kept: the summary never pays for it. ``graph`` is a
    networkx.DiGraph (attributes in docs/graph.md); ``ops`` the same nodes as
    records; ``kind`` is ``scripted``, ``traced`` or ``unknown`` and
    ``kind_evidence`` says why; ``producer_version`` is the archive's
    ``version`` record (the TorchScript file format version; archives do not
    record the PyTorch release).
    """

    path: str
    kind: str
    kind_evidence: str
    producer_version: str | None
    signature: Signature
    parameters: tuple[ParameterRecord, ...]
    submodules: tuple[SubmoduleRecord, ...]
    summary: GraphSummary = field(repr=False)
    findings: tuple[Diagnostic, ...] = ()
    training: bool = False
    archive: ArchiveInfo | None = field(default=None, repr=False, compare=False)
    module: Any = field(default=None, repr=False, compare=False)
    # The method bodies the summary read (graph copies after four passes each): the walk
    # reuses them instead of making them again.
    method_bodies: MethodBodies | None = field(default=None, repr=False, compare=False)

    @cached_property
    def walk(self) -> GraphWalk:
        """The inlined forward's records (built from ``module`` on first access, then kept)."""
        return walk_module(self.module, bodies=self.method_bodies)

    @property
    def ops(self) -> tuple[OpRecord, ...]:
        """One record per node of the inlined forward, in walk order."""
        return self.walk.ops

    @property
    def input_node_ids(self) -> tuple[int, ...]:
        """The graph's input nodes (forward's arguments, self excluded)."""
        return self.walk.input_node_ids

    @property
    def output_node_id(self) -> int:
        """The graph's output node."""
        return self.walk.output_node_id

    @property
    def graph(self) -> Any:
        """The networkx.DiGraph of forward (attributes in docs/graph.md), built on first use."""
        return self.walk.graph

    @property
    def node_count(self) -> int:
        """Nodes in the inlined forward (``len(ops)``), known without walking it."""
        return self.summary.node_count

    @property
    def total_parameter_bytes(self) -> int:
        """Bytes held by all parameters and buffers."""
        return sum(p.size_bytes for p in self.parameters)

    @property
    def total_parameter_count(self) -> int:
        """Number of elements in all parameters (buffers excluded)."""
        total = 0
        for record in self.parameters:
            if record.role == "parameter":
                count = 1
                for dim in record.shape:
                    count *= dim
                total += count
        return total

    @property
    def custom_op_namespaces(self) -> tuple[str, ...]:
        """Operator namespaces outside libtorch (``torchvision``...), sorted."""
        return tuple(
            sorted(
                {
                    kind.split("::", 1)[0]
                    for kind, _ in self.summary.kind_counts
                    if "::" in kind and kind.split("::", 1)[0] not in LIBTORCH_NAMESPACES
                }
            )
        )

    @property
    def device_constants(self) -> tuple[str, ...]:
        """Device constants in the graph (``cuda:0``, ``cpu``), sorted, without repeats."""
        return tuple(
            sorted(
                {
                    op.constant or ""
                    for op in self.summary.finding_ops
                    if op.kind == "prim::Constant"
                    and op.outputs
                    and op.outputs[0].type.kind == "Device"
                }
            )
        )

    def op_histogram(self, include_bookkeeping: bool = False) -> list[tuple[str, int]]:
        """(kind, count) of the graph's nodes, most frequent first, then by kind."""
        counts = [
            (kind, count)
            for kind, count in self.summary.kind_counts
            if include_bookkeeping or kind not in _BOOKKEEPING_KINDS
        ]
        return sorted(counts, key=lambda item: (-item[1], item[0]))


def read_model(script_module: Any, info: ArchiveInfo, *, walk: bool = False) -> LoadedModel:
    """Read a loaded ScriptModule and its archive facts into a LoadedModel.

    The summary reads each distinct method body once; the inlined walk waits
    for the first use of ``walk``/``ops``/``graph``. With ``walk=True`` (a caller
    that needs the walk anyway), and for the rare graph the summary cannot
    follow, the walk is done here and the summary taken from it.
    """
    signature = read_signature(script_module, path=info.path)
    bodies = MethodBodies()
    summary = None if walk else summarise_module(script_module, bodies=bodies)
    walked = None
    if summary is None:
        walked = walk_module(script_module, bodies=bodies)
        summary = summarise_walk(walked)
    parameters = read_parameters(script_module)
    submodules = read_submodules(script_module, parameters)
    kind, evidence = decide_kind(info, summary)
    training = bool(getattr(script_module, "training", False))
    # Training mode changes what the server computes only where the graph reads it.
    reads_training = training and training_readers(script_module) != ()
    findings = archive_findings(info.path, summary.finding_ops, parameters, kind, reads_training)
    findings = _with_code_findings(findings, info.code_findings)
    model = LoadedModel(
        path=info.path,
        kind=kind,
        kind_evidence=evidence,
        producer_version=info.file_format_version,
        signature=signature,
        parameters=parameters,
        submodules=submodules,
        summary=summary,
        findings=findings,
        training=training,
        archive=info,
        module=script_module,
        method_bodies=bodies if walked is None else None,
    )
    if walked is not None:
        model.__dict__["walk"] = walked  # fills the cached_property: no second walk
    return model


#: Ops whose ``training`` argument a trace bakes in as a constant (argument position).
_TRAIN_ARGUMENT: dict[str, int] = {
    "aten::dropout": 2,
    "aten::dropout_": 2,
    "aten::feature_dropout": 2,
    "aten::alpha_dropout": 2,
    "aten::feature_alpha_dropout": 2,
    "aten::batch_norm": 5,
    "aten::instance_norm": 5,
}


def training_readers(script_module: Any) -> tuple[str, ...]:
    """Where the saved code depends on training mode, as ``module path: what`` texts.

    A scripted module reads ``self.training`` (``prim::GetAttr[name="training"]``:
    dropout, batch norm, user code); a traced one has the flag baked into its
    dropout and batch-norm calls as a constant True. Modules in training mode
    that read neither compute the same thing in eval mode, so saving them
    without ``.eval()`` is harmless.
    """
    found: list[str] = []
    for name, submodule in script_module.named_modules():
        if not getattr(submodule, "training", False):
            continue
        try:
            method_names = list(submodule._c._method_names())
        except (AttributeError, RuntimeError):
            continue
        for method_name in method_names:
            try:
                graph = submodule._c._get_method(method_name).graph
            except RuntimeError:
                continue
            reason = _training_use(graph)
            if reason:
                found.append(f"{name or type(submodule).__name__}.{method_name}: {reason}")
                break
    return tuple(found)


def _training_use(graph: Any) -> str:
    for node in graph.findAllNodes("prim::GetAttr", True):
        if node.s("name") == "training":
            return "reads self.training"
    for kind, position in _TRAIN_ARGUMENT.items():
        for node in graph.findAllNodes(kind, True):
            inputs = list(node.inputs())
            if position < len(inputs):
                producer = inputs[position].node()
                if (
                    producer.kind() == "prim::Constant"
                    and producer.hasAttribute("value")
                    and producer.kindOf("value") == "i"
                    and producer.i("value") == 1
                ):
                    return f"{kind} with training=True baked in"
    return ""


def _with_code_findings(
    findings: tuple[Diagnostic, ...], code_findings: tuple[Diagnostic, ...]
) -> tuple[Diagnostic, ...]:
    """The graph's findings plus the pre-load scan's (a trusted model's TS611-TS613, and TS603
    for the custom operators outside forward's graph, which the graph's TS603 does not see)."""
    graph_custom = " ".join(d.message for d in findings if d.code == "TS603")
    extra = [
        d
        for d in code_findings
        if d.code != "TS603"
        or d.message.split(" calls ", 1)[-1].split(" ", 1)[0] not in graph_custom
    ]
    return tuple(sorted_diagnostics([*findings, *extra]))


def decide_kind(info: ArchiveInfo, summary: GraphSummary) -> tuple[str, str]:
    """(kind, evidence): ``traced`` or ``scripted`` and the signal that decided it."""
    if info.traced_inputs:
        return TRACED, "the archive stores traced_inputs.pkl, which torch.jit.trace writes"
    if summary.source_style == "traced":
        return TRACED, "source ranges are Python stack frames recorded by the tracer"
    if summary.source_style in ("scripted", "mixed"):
        return SCRIPTED, "source ranges point into the compiled Python source"
    if any(kind in ("prim::If", "prim::Loop") for kind, _ in summary.kind_counts):
        return SCRIPTED, "forward's graph has prim::If/prim::Loop"
    return UNKNOWN, "the archive kept no source ranges and no traced inputs"


def _dtype_name(dtype: Any) -> str:
    return str(dtype).removeprefix("torch.")


def read_parameters(script_module: Any) -> tuple[ParameterRecord, ...]:
    """Parameters, then buffers, in module order (``named_parameters`` / ``named_buffers``)."""
    records = []
    for role, items in (
        ("parameter", script_module.named_parameters()),
        ("buffer", script_module.named_buffers()),
    ):
        for name, tensor in items:
            records.append(
                ParameterRecord(
                    name=name,
                    role=role,
                    shape=tuple(int(d) for d in tensor.shape),
                    dtype=_dtype_name(tensor.dtype),
                    size_bytes=int(tensor.numel()) * int(tensor.element_size()),
                )
            )
    return tuple(records)


def read_submodules(
    script_module: Any, parameters: tuple[ParameterRecord, ...]
) -> tuple[SubmoduleRecord, ...]:
    """The submodule tree in definition order, each with its own (non-recursive) parameters."""
    by_owner: dict[str, list[ParameterRecord]] = {}
    for record in parameters:
        owner = record.name.rpartition(".")[0]
        by_owner.setdefault(owner, []).append(record)
    records = []
    for path, submodule in script_module.named_modules():
        type_name = str(getattr(submodule, "original_name", type(submodule).__name__))
        records.append(SubmoduleRecord(path, type_name, tuple(by_owner.get(path, ()))))
    return tuple(records)


__all__ = [
    "SCRIPTED",
    "TRACED",
    "UNKNOWN",
    "LoadedModel",
    "SubmoduleRecord",
    "decide_kind",
    "read_model",
    "read_parameters",
    "read_submodules",
]
