"""Load a TorchScript archive and read what it holds: ``tsinspect.load_model``.

torch is imported only inside the calls; ``import tsinspect.api.model`` is cheap.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tsinspect.diagnostics import sorted_diagnostics
from tsinspect.errors import InputError, MissingDependencyError
from tsinspect.gcpause import cyclic_gc_paused
from tsinspect.ir.archive import (
    import_torch,
    load_checked,
    refuse_untrusted,
    require_torchscript,
)
from tsinspect.ir.model import LoadedModel, read_model
from tsinspect.triton.serving import signature_blockers

if TYPE_CHECKING:
    from tsinspect.ir.symbolic import GraphShapes


def load_model(
    path: str | Path,
    libraries: Iterable[str | os.PathLike[str]] = (),
    *,
    trust_model: bool = False,
    walk: bool = False,
) -> LoadedModel:
    """Read the TorchScript archive at ``path`` into a :class:`~tsinspect.ir.model.LoadedModel`.

    The file is recognised from its bytes first; a state_dict, an eager
    module, a corrupt zip, an empty file, a directory or a non-PyTorch file
    raises ModelArchiveError with a one-line message, and nothing is
    unpickled. ``libraries`` are custom-op shared libraries to load with
    ``torch.ops.load_library`` before the archive (what Triton needs too).
    The model is loaded on the CPU and its forward is never run, but
    ``torch.jit.load`` runs the archive's ``__setstate__`` methods: the archive's
    code is scanned first (docs/security.md), and when it defines ``__setstate__``
    or calls file, process or custom operators, UntrustedModelError is raised
    unless ``trust_model=True``.

    ``walk=True`` walks the inlined forward now (``model.walk``, which
    :func:`model_shapes` reads) and takes the summary from it, instead of reading
    each method body for the summary first: quicker for a caller that needs the
    shapes; the same model either way.
    """
    with cyclic_gc_paused():  # a loaded model's many small objects (tsinspect.gcpause)
        info = require_torchscript(path)
        refuse_untrusted(info, trust_model)
        load_libraries(libraries)
        module = load_checked(info, trust_model=trust_model)
        model = read_model(module, info, walk=walk)
    # What Triton's backend can serve is Triton's rule (triton/), not the archive reader's.
    serving = signature_blockers(model.signature, model.path)
    result = dataclasses.replace(
        model, findings=tuple(sorted_diagnostics([*model.findings, *serving]))
    )
    if "walk" in model.__dict__:  # a walk already made is a filled cached_property: keep it
        result.__dict__["walk"] = model.__dict__["walk"]
    return result


def load_libraries(libraries: Iterable[str | os.PathLike[str]]) -> None:
    """Load custom-op shared libraries with ``torch.ops.load_library`` (what Triton does too),
    so that archives using their operators load. InputError naming a missing or unloadable one."""
    library_paths = [Path(library) for library in libraries]
    if not library_paths:
        return
    torch = import_torch()
    for library in library_paths:
        if not library.is_file():
            raise InputError("no such custom-op library: check the path", path=str(library))
        try:
            torch.ops.load_library(str(library))
        except OSError as error:
            raise InputError(
                f"cannot load this custom-op library ({error}): build it for this torch version",
                path=str(library),
            ) from None


def model_shapes(
    model: LoadedModel,
    input_shapes: Mapping[str, Sequence[int]] | None = None,
    *,
    annotate: bool = True,
) -> GraphShapes:
    """Shapes on every value of ``model``'s forward, its inputs' shapes inferred (docs/graph.md).

    The input dims are named by the op that first reads each input, the
    equations the weights impose are solved (``ir.symbolic``), and the graph's
    edges get a ``shapes`` attribute and its nodes ``meta["shapes"]``.
    ``input_shapes`` fixes inputs by argument name or dict key (full shapes,
    batch dim included; -1 leaves a dim free). Nothing is run. ``annotate=False``
    skips the networkx graph (the text summary does not draw it).
    """
    from tsinspect.ir.symbolic import infer_shapes
    from tsinspect.ir.symbolic.edges import annotate_graph

    parameter_shapes = {record.name: record.shape for record in model.parameters}
    shapes = infer_shapes(model.walk, parameter_shapes, input_shapes)
    known = {item.label for item in shapes.inputs}
    for name in input_shapes or {}:
        if name not in known:
            listed = ", ".join(sorted(known)) or "none whose shape can be named"
            raise InputError(
                f"--input-shape: the model has no input {name!r} (inputs: {listed})",
                path=model.path,
            )
    if annotate:
        annotate_graph(model.graph, model.walk, shapes)
    return shapes


#: Output formats Graphviz's ``dot`` renders for ``tsinspect graph``.
PICTURE_FORMATS = ("svg", "png")
_GRAPHVIZ_HINT = (
    "install Graphviz (apt-get install graphviz, brew install graphviz, or conda install graphviz) "
    "or use --dot and render it elsewhere"
)


def render_picture(dot_text: str, picture_format: str, timeout_s: float = 300.0) -> bytes:
    """Run Graphviz's ``dot -T<format>`` on DOT text and return the picture's bytes.

    MissingDependencyError when ``dot`` is not installed; InputError when it fails.
    """
    import shutil
    import subprocess

    if picture_format not in PICTURE_FORMATS:
        raise InputError(f"unknown picture format {picture_format!r}: use svg or png")
    executable = shutil.which("dot")
    if executable is None:
        raise MissingDependencyError(
            f"--{picture_format} needs Graphviz's dot program, which is not installed: {_GRAPHVIZ_HINT}"
        )
    try:
        completed = subprocess.run(
            [executable, f"-T{picture_format}"],
            input=dot_text.encode("utf-8"),
            capture_output=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise InputError(
            f"Graphviz dot took more than {timeout_s:.0f} s: draw a smaller graph with --collapse or --depth N"
        ) from None
    if completed.returncode != 0:
        message = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        first = message[0] if message else f"exit code {completed.returncode}"
        raise InputError(f"Graphviz dot failed ({first}): try --dot to inspect the graph text")
    return completed.stdout


def write_output(path: str | Path, data: bytes, force: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically, with the user's umask (see ``tsinspect.files``).

    OverwriteError when the file exists and not ``force``; InputError for a folder, a device
    node or FIFO (never replaced), or a missing parent folder. A failure never leaves a
    half-written file.
    """
    from tsinspect.files import write_output as write

    return write(path, data, force=force)
