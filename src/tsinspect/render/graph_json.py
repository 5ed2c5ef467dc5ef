"""``tsinspect graph --json``: a documented, machine-readable form of a LoadedModel (docs/graph.md).

Pure: records in, JSON text out. The graph is networkx's node-link form
(``networkx.node_link_data(graph, edges="edges")``); every other field is
spelled out here and documented in docs/graph.md.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import networkx as nx

from tsinspect.ir.model import LoadedModel
from tsinspect.ir.signature import Signature, TorchType
from tsinspect.render.dot import view_graph
from tsinspect.render.json_format import diagnostic_to_dict

if TYPE_CHECKING:
    from tsinspect.ir.symbolic import GraphShapes

#: Bumped when a field changes meaning or disappears (adding fields does not bump it).
GRAPH_SCHEMA_VERSION = 1


def type_to_dict(torch_type: TorchType) -> dict[str, Any]:
    """``{"kind", "text", "args"}``, recursively."""
    return {
        "kind": torch_type.kind,
        "text": torch_type.text,
        "args": [type_to_dict(arg) for arg in torch_type.args],
    }


def signature_to_dict(signature: Signature) -> dict[str, Any]:
    """forward's arguments (without self) and return type."""
    return {
        "method": signature.method,
        "text": str(signature),
        "arguments": [
            {
                "name": argument.name,
                "type": type_to_dict(argument.type),
                "default": argument.default,
                "keyword_only": argument.keyword_only,
            }
            for argument in signature.arguments
        ],
        "returns": type_to_dict(signature.returns),
    }


def shapes_to_dict(
    shapes: GraphShapes,
    module_inputs: Mapping[str, str] | None = None,
    module_outputs: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The inferred input shapes, how each dim was found, and each submodule's shapes."""
    inputs = []
    for index, item in enumerate(shapes.inputs):
        dims = []
        for symbol, solved in zip(item.shape.dims, shapes.dims_of(index), strict=True):
            entry: dict[str, Any] = {"name": str(symbol), "value": None, "free": False}
            if solved is not None:
                entry.update(
                    value=solved.value,
                    free=solved.free,
                    minimum=solved.minimum,
                    sizes=list(solved.sizes) if solved.sizes else None,
                    equations=list(solved.equations),
                    note=solved.note,
                )
            else:
                entry["value"] = int(symbol)
            dims.append(entry)
        inputs.append(
            {
                "argument": item.argument,
                "key": item.key,
                "shape": shapes.shapes[index].text(),
                "symbolic": item.shape.text(),
                "reason": item.reason,
                "dims": dims,
            }
        )
    paths = sorted(set(module_inputs or {}) | set(module_outputs or {}))
    return {
        "inputs": inputs,
        "constraints": [
            {"kind": c.kind, "text": c.text, "where": c.where} for c in shapes.constraints
        ],
        "conflicts": list(shapes.solution.conflicts),
        "unknown_ops": dict(sorted(shapes.analysis.unknown_kinds.items())),
        "modules": {
            path: {
                "input": (module_inputs or {}).get(path),
                "output": (module_outputs or {}).get(path),
            }
            for path in paths
        },
    }


def model_to_dict(
    model: LoadedModel,
    depth: int | None = None,
    show_all: bool = True,
    shapes: GraphShapes | None = None,
) -> dict[str, Any]:
    """The whole document as a dict (see docs/graph.md for every field).

    With ``shapes`` (``api.model.model_shapes``, which also puts ``shapes`` on
    the graph's edges), a ``shapes`` field: the inferred inputs and each
    submodule's input and output shapes.
    """
    module_types = {s.path: s.type_name for s in model.submodules}
    graph = model.graph
    if depth is not None or not show_all:
        graph = view_graph(graph, depth=depth, show_all=show_all, module_types=module_types)
    return {
        "version": GRAPH_SCHEMA_VERSION,
        "tool": "tsinspect",
        "path": model.path,
        "kind": model.kind,
        "kind_evidence": model.kind_evidence,
        "producer_version": model.producer_version,
        "training": model.training,
        "signature": signature_to_dict(model.signature),
        "parameters": [
            {
                "name": p.name,
                "role": p.role,
                "shape": list(p.shape),
                "dtype": p.dtype,
                "size_bytes": p.size_bytes,
            }
            for p in model.parameters
        ],
        "total_parameter_bytes": model.total_parameter_bytes,
        "total_parameter_count": model.total_parameter_count,
        "submodules": [
            {"path": s.path, "type": s.type_name, "parameters": [p.name for p in s.parameters]}
            for s in model.submodules
        ],
        "op_histogram": dict(model.op_histogram(include_bookkeeping=True)),
        "custom_op_namespaces": list(model.custom_op_namespaces),
        "device_constants": list(model.device_constants),
        "findings": [diagnostic_to_dict(d) for d in model.findings],
        "shapes": _shapes_field(model, shapes),
        "graph": _node_link(graph),
    }


def _shapes_field(model: LoadedModel, shapes: GraphShapes | None) -> dict[str, Any] | None:
    if shapes is None:
        return None
    from tsinspect.ir.symbolic.edges import module_inputs, module_outputs

    return shapes_to_dict(
        shapes, module_inputs(model.walk, shapes), module_outputs(model.walk, shapes)
    )


def _node_link(graph: Any) -> Mapping[str, Any]:
    data: dict[str, Any] = nx.node_link_data(graph, edges="edges")
    return data


def render_graph_json(
    model: LoadedModel,
    depth: int | None = None,
    show_all: bool = True,
    shapes: GraphShapes | None = None,
) -> str:
    """The JSON document, indented, with a trailing newline."""
    document = model_to_dict(model, depth=depth, show_all=show_all, shapes=shapes)
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
