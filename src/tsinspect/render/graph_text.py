"""``tsinspect graph``'s default output: what is inside a TorchScript archive, for people.

Pure: a LoadedModel in, text out. Sections: the archive line, the signature,
the parameters, the submodule tree (with each submodule's own parameters),
the op histogram and the TS6xx findings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from tsinspect.ir.model import LoadedModel
from tsinspect.render.text import render_diagnostic
from tsinspect.render.units import human_bytes

if TYPE_CHECKING:
    from tsinspect.ir.symbolic import GraphShapes

_HISTOGRAM_ROWS = 20


def _table(rows: Sequence[tuple[str, ...]], indent: str = "  ") -> list[str]:
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row)]
        lines.append((indent + "  ".join(cells)).rstrip())
    return lines


def _shape_lines(shapes: GraphShapes) -> list[str]:
    """The inferred input shapes, each solved dim with the equation that fixed it."""
    if not shapes.inputs:
        return ["  input shapes: not inferred (no input is read by an op that fixes its rank)"]
    lines = ["  input shapes (N: the batch; free dims stay symbols):"]
    for index in range(len(shapes.inputs)):
        lines.append(f"    {shapes.input_text(index)}  <- {shapes.inputs[index].reason}")
        for solved in shapes.dims_of(index):
            if solved is None or (solved.free and solved.name == "N" and solved.minimum <= 1):
                continue
            lines.append(f"      {solved.describe()}")
    for conflict in shapes.solution.conflicts:
        lines.append(f"    no size satisfies: {conflict}")
    return lines


def _subtree_parameter_counts(model: LoadedModel) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in model.parameters:
        if record.role != "parameter":
            continue
        size = 1
        for dim in record.shape:
            size *= dim
        parts = record.name.split(".")[:-1]
        for depth in range(len(parts) + 1):
            prefix = ".".join(parts[:depth])
            counts[prefix] = counts.get(prefix, 0) + size
    return counts


def render_graph_text(
    model: LoadedModel,
    depth: int | None = None,
    shapes: GraphShapes | None = None,
    module_shapes: Mapping[str, str] | None = None,
    module_input_shapes: Mapping[str, str] | None = None,
) -> str:
    """The summary: signature, parameters, submodules (down to ``depth`` levels), ops, findings.

    With ``shapes`` (``api.model.model_shapes``), the inferred input shapes and,
    per submodule, its output shape (``module_shapes``), the shape it sees (``module_input_shapes``) and parameter count
    (its own and its children's), as torchinfo prints them.
    """
    lines: list[str] = []
    version = f", file format version {model.producer_version}" if model.producer_version else ""
    lines.append(f"{model.path}: TorchScript archive, {model.kind}{version}")
    lines.append(f"  {model.kind}: {model.kind_evidence}")
    if model.kind == "traced":
        lines.append(
            "  control flow: frozen at trace time (only the example inputs' path was recorded)"
        )
    elif model.kind == "scripted":
        lines.append("  control flow: kept (if/for compiled to prim::If/prim::Loop)")
    lines.append("")

    signature = model.signature
    lines.append("signature")
    lines.append(f"  {signature}")
    lines.append("  inputs:")
    input_rows = [
        (a.name, a.type.text, f"default {a.default}" if a.default is not None else "")
        for a in signature.arguments
    ]
    lines.extend(_table(input_rows, indent="    ") or ["    (none)"])
    lines.append(f"  output: {signature.returns.text}")
    if shapes is not None:
        lines.extend(_shape_lines(shapes))
    lines.append("")

    parameters = [p for p in model.parameters if p.role == "parameter"]
    buffers = [p for p in model.parameters if p.role == "buffer"]
    dtypes = Counter(p.dtype for p in model.parameters)
    dtype_text = ", ".join(f"{dtype} x{count}" for dtype, count in sorted(dtypes.items()))
    lines.append(
        f"parameters: {len(parameters)} tensors, {model.total_parameter_count:,} elements; "
        f"buffers: {len(buffers)}; total {human_bytes(model.total_parameter_bytes)}"
        + (f" ({dtype_text})" if dtype_text else "")
    )
    lines.append("")

    children = [s for s in model.submodules if s.path]
    root = next((s for s in model.submodules if not s.path), None)
    root_name = root.type_name if root is not None else "module"
    lines.append(f"submodules ({len(children)}) of {root_name}")
    rows: list[tuple[str, ...]] = []
    counts = _subtree_parameter_counts(model) if shapes is not None else {}
    outputs = module_shapes or {}
    if shapes is not None:
        rows.append(("path", "type", "input shape", "output shape", "params", "own parameters"))
    seen = module_input_shapes or {}
    hidden = 0
    for submodule in model.submodules:
        if not submodule.path and not submodule.parameters:
            continue
        if depth is not None and submodule.depth > depth + 1:
            hidden += 1
            continue
        indent = "  " * max(submodule.depth - 1, 0)
        own = "  ".join(
            f"{p.name.rpartition('.')[2]} {p.shape_text}"
            + (" (buffer)" if p.role == "buffer" else "")
            for p in submodule.parameters
        )
        name = indent + (submodule.path or "(root)")
        if shapes is not None:
            shape = outputs.get(submodule.path, "?") if submodule.path else ""
            count = f"{counts.get(submodule.path, 0):,}"
            entering = seen.get(submodule.path, "?") if submodule.path else ""
            rows.append((name, submodule.type_name, entering, shape, count, own))
        else:
            rows.append((name, submodule.type_name, own))
    lines.extend(_table(rows) or ["  (none)"])
    if hidden:
        lines.append(f"  ... {hidden} deeper submodules not shown (--depth {depth})")
    lines.append("")

    histogram = model.op_histogram()
    total_nodes = model.node_count
    lines.append(f"operations ({total_nodes} graph nodes, {len(histogram)} kinds of operation)")
    op_rows = [(kind, str(count)) for kind, count in histogram[:_HISTOGRAM_ROWS]]
    lines.extend(_table(op_rows) or ["  (none)"])
    if len(histogram) > _HISTOGRAM_ROWS:
        lines.append(f"  ... {len(histogram) - _HISTOGRAM_ROWS} more kinds (--json lists all)")
    if model.custom_op_namespaces:
        lines.append(f"  custom op namespaces: {', '.join(model.custom_op_namespaces)}")
    if model.device_constants:
        lines.append(f"  device constants: {', '.join(model.device_constants)}")
    lines.append("")

    if model.findings:
        lines.append(f"findings ({len(model.findings)})")
        for diagnostic in model.findings:
            rendered = render_diagnostic(diagnostic)
            lines.extend("  " + line for line in rendered.splitlines())
    else:
        lines.append("findings: none")
    return "\n".join(lines) + "\n"
