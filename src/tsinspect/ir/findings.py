"""The TS6xx family: findings in a model archive, computed on the walk's records.

The codes themselves (name, default severity, summary) are rows of the one table of
the model side, :mod:`tsinspect.codes`. Every check here is a pure function of the
records (:class:`~tsinspect.ir.walk.OpRecord`, the signature, the parameter
records): no torch. A finding's ``path`` is the archive; line and column are 0
because the archive is not a text file, and the message names the source
location the archive kept, when it kept one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tsinspect.codes import finding
from tsinspect.diagnostics import Diagnostic, Severity, sorted_diagnostics
from tsinspect.ir.walk import OpRecord

#: Operator namespaces that libtorch itself registers in C++; any other
#: namespace (torchvision, torchaudio, a user's library, and Python-registered
#: ones like ``prims``) needs its library loaded into the serving process.
LIBTORCH_NAMESPACES: frozenset[str] = frozenset(
    {
        "aten",
        "prim",
        "quantized",
        "_quantized",
        "quantization",
        "mkldnn",
        "mkldnn_prepacked",
        "onednn",
        "mkl",
        "sparse",
        "static_runtime",
        "c10d",
        "_c10d_functional",
        "_c10d_functional_autograd",
        "profiler",
        "symm_mem",
    }
)

# The message TorchScript puts in the stub that replaces an @unused/@ignore method.
_IGNORED_STUB_MESSAGE = "annotated to be ignored"


@dataclass(frozen=True)
class ParameterRecord:
    """A parameter or buffer: dotted name, ``parameter``/``buffer``, shape, dtype and size in bytes."""

    name: str
    role: str
    shape: tuple[int, ...]
    dtype: str
    size_bytes: int

    @property
    def shape_text(self) -> str:
        """``float32[32, 1, 3, 3]``."""
        return f"{self.dtype}[{', '.join(str(d) for d in self.shape)}]"


def archive_findings(
    path: str,
    ops: Iterable[OpRecord],
    parameters: Iterable[ParameterRecord],
    kind: str,
    training: bool,
) -> tuple[Diagnostic, ...]:
    """Every TS6xx finding for one archive, in the deterministic output order.

    ``training``: the module was saved in training mode *and* its graph reads the flag
    (``ir.model.training_readers``); a module that never reads it computes the same in eval mode.
    """
    op_list = list(ops)
    found: list[Diagnostic] = []
    found += device_constants(path, op_list, kind)
    found += traced_control_flow(path, op_list, kind)
    found += custom_op_libraries(path, op_list)
    found += python_escape_hatches(path, op_list)
    found += reduced_precision(path, list(parameters))
    found += prints(path, op_list)
    if training:  # the caller passes True only when the graph reads the flag
        found.append(
            finding(
                "TS610",
                "the module was saved in training mode and its graph reads it: dropout stays "
                "active and batch norm uses batch statistics when the server runs it",
                path,
                hint="call model.eval() before torch.jit.script/trace and save again",
            )
        )
    return tuple(sorted_diagnostics(found))


def _where(op: OpRecord) -> str:
    parts = [op.kind]
    if op.scope:
        parts.append(f"in {op.scope}")
    if op.source:
        parts.append(f"at {op.source}")
    return " ".join(parts)


def device_constants(path: str, ops: list[OpRecord], kind: str) -> list[Diagnostic]:
    """TS601: ``prim::Constant`` values of type Device: ``cuda*`` always, ``cpu`` in traced models."""
    device_ops: list[tuple[OpRecord, str]] = [
        (op, op.constant or "")
        for op in ops
        if op.kind == "prim::Constant" and op.outputs and op.outputs[0].type.kind == "Device"
    ]
    if not device_ops:
        return []  # most models; the consumers below are a pass over every op's inputs
    consumers: dict[int, OpRecord] = {}
    for op in ops:
        for value_id in op.inputs:
            consumers.setdefault(value_id, op)
    found = []
    seen: set[tuple[str, str]] = set()
    for op, device in device_ops:
        user = consumers.get(op.outputs[0].id)
        if user is None:
            continue  # an unused constant changes nothing
        where = _where(user)
        if (device, where) in seen:
            continue
        seen.add((device, where))
        if device.startswith("cuda"):
            found.append(
                finding(
                    "TS601",
                    f"the graph hard-codes device '{device}' ({where}): it fails on a KIND_CPU "
                    "instance and puts tensors on the wrong GPU elsewhere",
                    path,
                    hint="derive the device from an input (x.device) or a buffer instead of a literal",
                )
            )
        elif device == "cpu" and kind == "traced":
            found.append(
                finding(
                    "TS601",
                    f"tracing baked device 'cpu' into the graph ({where}): on a KIND_GPU instance "
                    "this tensor stays on the CPU while the inputs are on the GPU",
                    path,
                    hint="script the model (torch.jit.script), or trace on the device you serve on",
                )
            )
    return found


def traced_control_flow(path: str, ops: list[OpRecord], kind: str) -> list[Diagnostic]:
    """TS602: a traced model kept only the path its example inputs took."""
    if kind != "traced":
        return []
    has_control = any(op.kind in ("prim::If", "prim::Loop") for op in ops)
    detail = (
        "the archive has no prim::If or prim::Loop, so every if/for on tensor values in forward "
        "was frozen to the branch and trip count of the example inputs"
        if not has_control
        else "control flow outside the scripted submodules was frozen to the example inputs' path"
    )
    return [
        finding(
            "TS602",
            f"made by torch.jit.trace: {detail}",
            path,
            hint="if forward branches or loops on data, export with torch.jit.script instead",
        )
    ]


def custom_op_libraries(path: str, ops: list[OpRecord]) -> list[Diagnostic]:
    """TS603: operators from namespaces libtorch does not register, grouped by namespace."""
    by_namespace: dict[str, set[str]] = {}
    for op in ops:
        namespace = op.namespace
        if namespace not in LIBTORCH_NAMESPACES and "::" in op.kind:
            by_namespace.setdefault(namespace, set()).add(op.kind)
    return [
        finding(
            "TS603",
            f"the model calls operators from '{namespace}' ({', '.join(sorted(kinds))}), which "
            "libtorch does not provide: the server must load the library that registers them",
            path,
            hint="load the op library in Triton (LD_PRELOAD=/path/to/lib.so) or replace the ops",
        )
        for namespace, kinds in sorted(by_namespace.items())
    ]


def python_escape_hatches(path: str, ops: list[OpRecord]) -> list[Diagnostic]:
    """TS604: ``prim::PythonOp`` calls, and the raising stubs of @torch.jit.unused/@ignore methods."""
    constants = {
        op.outputs[0].id: op.constant for op in ops if op.kind == "prim::Constant" and op.outputs
    }
    found = []
    for op in ops:
        if op.kind == "prim::PythonOp":
            found.append(
                finding(
                    "TS604",
                    f"a Python call ({_where(op)}) that libtorch cannot run",
                    path,
                    hint="express it with torch ops, or a custom op",
                )
            )
        elif op.kind == "prim::RaiseException" and op.inputs:
            message = constants.get(op.inputs[0]) or ""
            if _IGNORED_STUB_MESSAGE in message:
                found.append(
                    finding(
                        "TS604",
                        f"forward calls a @torch.jit.unused/@ignore method ({_where(op)}): the "
                        "archive raises 'This Python function is annotated to be ignored' if that "
                        "path runs",
                        path,
                        severity=Severity.WARNING,
                        hint="make sure that path is never taken when served (e.g. only under self.training)",
                    )
                )
    return found


def reduced_precision(path: str, parameters: list[ParameterRecord]) -> list[Diagnostic]:
    """TS607/TS608: bfloat16 and float16 weights."""
    found = []
    for dtype, code, note, hint in (
        (
            "bfloat16",
            "TS607",
            "bf16 is slow on CPU instances without native bf16 support, and Triton's PyTorch "
            "backend has no TYPE_BF16 for inputs or outputs (config checks those: TS709)",
            "keep the model's inputs and outputs float32/float16 and cast inside forward",
        ),
        (
            "float16",
            "TS608",
            "many CPU kernels lack float16: serve it on a KIND_GPU instance",
            "for KIND_CPU instances, export a float32 copy (model.float())",
        ),
    ):
        matching = [p for p in parameters if p.dtype == dtype]
        if not matching:
            continue
        names = ", ".join(p.name for p in matching[:3]) + (", ..." if len(matching) > 3 else "")
        found.append(
            finding(
                code,
                f"{len(matching)} of {len(parameters)} parameters and buffers are {dtype} "
                f"({names}): {note}",
                path,
                hint=hint,
            )
        )
    return found


def prints(path: str, ops: list[OpRecord]) -> list[Diagnostic]:
    """TS609: ``print`` in compiled code."""
    printing = [op for op in ops if op.kind == "prim::Print"]
    if not printing:
        return []
    return [
        finding(
            "TS609",
            f"forward prints ({_where(printing[0])}"
            + (f", and {len(printing) - 1} more" if len(printing) > 1 else "")
            + "): every request writes to the server's stdout",
            path,
            hint="remove the print, or guard it with a flag set off for serving",
        )
    ]
