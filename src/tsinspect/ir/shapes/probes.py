"""Meta-device probes: run forward on shapes without data.

A probe calls a copy of the model loaded with ``map_location="meta"`` on meta
tensors: every op computes only output shapes and dtypes, so a probe costs a
few milliseconds and no memory for data (measured on torch 2.13: the first
meta call in a process takes ~0.8 s while torch registers its meta kernels,
later calls ~2 ms for SimpleCNN). Where meta cannot run the model, the caller
runs the same probe on the CPU copy.

torch is imported only inside functions.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tsinspect.ir.shapes.failures import ProbeFailure, classify_failure


@dataclass(frozen=True)
class TensorValue:
    """One tensor a probe produced: shape and dtype (``float32``...)."""

    shape: tuple[int, ...]
    dtype: str


@dataclass(frozen=True)
class OutputValue:
    """What forward returned: ``kind`` tensor, tuple, str_list, dict, list, none or other.

    For a tuple, ``elements`` holds each element's OutputValue; ``tensor`` is
    set for kind tensor; ``type_name`` names the Python type for the others.
    """

    kind: str
    tensor: TensorValue | None = None
    elements: tuple[OutputValue, ...] = ()
    type_name: str = ""


@dataclass(frozen=True)
class ProbeInput:
    """One argument for a probe: a tensor of ``shape`` and ``dtype``, or a ``List[str]`` of ``shape[0]`` items."""

    shape: tuple[int, ...]
    dtype: str
    is_str_list: bool = False


@dataclass(frozen=True)
class ProbeResult:
    """The result of one forward call: ``output`` on success, ``failure`` otherwise."""

    output: OutputValue | None
    failure: ProbeFailure | None
    device: str

    @property
    def ok(self) -> bool:
        """True when forward ran to the end."""
        return self.failure is None


# --------------------------------------------------------------------------- loading


def meta_copy(module_or_path: Any) -> Any:
    """A copy of a TorchScript module whose parameters and buffers live on the meta device.

    ``ScriptModule.to("meta")`` is refused by torch ("param must be a
    Parameter"), so the copy is made by loading with ``map_location="meta"``:
    from the path when given one, else from an in-memory save of the module.
    The caller has already loaded the archive through ``ir.archive``, so its
    errors were reported there.
    """
    import torch

    if isinstance(module_or_path, (str, bytes)) or hasattr(module_or_path, "__fspath__"):
        return torch.jit.load(str(module_or_path), map_location="meta")  # type: ignore[no-untyped-call]
    buffer = io.BytesIO()
    torch.jit.save(module_or_path, buffer)
    buffer.seek(0)
    return torch.jit.load(buffer, map_location="meta")  # type: ignore[no-untyped-call]


# --------------------------------------------------------------------------- running


def import_dynamo_safely() -> None:
    """Import torch._dynamo (meta kernels need it) without a stray ``triton`` folder breaking it.

    torch._dynamo imports OpenAI's ``triton`` when it is importable. A plain
    directory named ``triton`` on sys.path (a Triton model repository in the
    working directory, a ``tests/triton`` folder) is importable as a namespace
    package without ``triton.language``, and the first meta op then fails with
    "module 'triton' has no attribute 'language'". Such entries are hidden
    from sys.path for this one import.
    """
    import importlib.util
    import os
    import sys

    if "torch._dynamo" in sys.modules:
        return
    try:
        spec = importlib.util.find_spec("triton")
    except (ImportError, ValueError):
        spec = None
    if spec is None or spec.origin is not None or "triton" in sys.modules:
        import torch._dynamo

        return
    saved = list(sys.path)
    sys.path[:] = [
        entry
        for entry in saved
        if not (
            os.path.isdir(os.path.join(entry or ".", "triton"))
            and not os.path.isfile(os.path.join(entry or ".", "triton", "__init__.py"))
        )
    ]
    try:
        import torch._dynamo  # noqa: F401
    finally:
        sys.path[:] = saved


def _make_argument(spec: ProbeInput, device: str) -> Any:
    import torch

    if spec.is_str_list:
        return ["a"] * (spec.shape[0] if spec.shape else 1)
    dtype = getattr(torch, spec.dtype)
    return torch.zeros(spec.shape, dtype=dtype, device=device)


def describe_output(value: Any) -> OutputValue:
    """Summarise a forward result (tensors by shape and dtype) so that no torch object escapes."""
    import torch

    if isinstance(value, torch.Tensor):
        return OutputValue(
            kind="tensor",
            tensor=TensorValue(
                tuple(int(d) for d in value.shape), str(value.dtype).removeprefix("torch.")
            ),
        )
    if isinstance(value, tuple):
        return OutputValue(kind="tuple", elements=tuple(describe_output(item) for item in value))
    if isinstance(value, list):
        if all(isinstance(item, str) for item in value):
            return OutputValue(kind="str_list", type_name="List[str]")
        return OutputValue(kind="list", type_name="list")
    if isinstance(value, dict):
        return OutputValue(kind="dict", type_name="dict")
    if value is None:
        return OutputValue(kind="none", type_name="None")
    return OutputValue(kind="other", type_name=type(value).__name__)


def run_probe(
    module: Any,
    inputs: Sequence[ProbeInput] | Mapping[str, ProbeInput],
    device: str = "meta",
) -> ProbeResult:
    """Call ``module`` once on zeros of the given shapes and dtypes on ``device``.

    A sequence is passed positionally; a mapping is passed as one
    ``Dict[str, Tensor]`` argument (Triton's dict-input mode). Grad is off,
    as in Triton (INFERENCE_MODE defaults to true). A module wrapped by
    ``ModelRunner.guard`` runs in the runner's worker under its time limit
    (``ModelTimeoutError`` when forward does not return in time).
    """
    from tsinspect.ir.shapes.runner import GuardedModule

    if isinstance(module, GuardedModule):
        return module.run(inputs, device)
    return run_probe_here(module, inputs, device)


def run_probe_here(
    module: Any,
    inputs: Sequence[ProbeInput] | Mapping[str, ProbeInput],
    device: str,
) -> ProbeResult:
    """``run_probe`` in this process, with no time limit (the worker's side of a ModelRunner)."""
    import torch

    if device == "meta":
        import_dynamo_safely()  # meta kernels need it; a CPU forward does not
    try:
        if isinstance(inputs, Mapping):
            arguments: list[Any] = [
                {name: _make_argument(spec, device) for name, spec in inputs.items()}
            ]
        else:
            arguments = [_make_argument(spec, device) for spec in inputs]
        # Not under torch.jit.optimized_execution(False): a method first run in that mode keeps
        # an un-inlined optimized graph, and inlined_graph / _jit_pass_inline stop inlining it.
        with torch.inference_mode():
            output = module(*arguments)
    except Exception as error:  # the model's own failure is the result, not a crash
        return ProbeResult(output=None, failure=classify_failure(error), device=device)
    return ProbeResult(output=describe_output(output), failure=None, device=device)
