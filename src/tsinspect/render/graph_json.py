"""``tsinspect graph --json``: a documented, machine-readable form of a LoadedModel (docs/graph.md).

Pure: records in, JSON text out. The graph is networkx's node-link form
(``networkx.node_link_data(graph, edges="edges")``); every other field is
spelled out here and documented in docs/graph.md.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import networkx as nx

from tsinspect.ir.model import LoadedModel
from tsinspect.ir.signature import Signature, TorchType
from tsinspect.render.dot import view_graph
from tsinspect.render.json_format import diagnostic_to_dict

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


def model_to_dict(
    model: LoadedModel, depth: int | None = None, show_all: bool = True
) -> dict[str, Any]:
    """The whole document as a dict (see docs/graph.md for every field)."""
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
        "graph": _node_link(graph),
    }


def _node_link(graph: Any) -> Mapping[str, Any]:
    data: dict[str, Any] = nx.node_link_data(graph, edges="edges")
    return data


def render_graph_json(model: LoadedModel, depth: int | None = None, show_all: bool = True) -> str:
    """The JSON document, indented, with a trailing newline."""
    document = model_to_dict(model, depth=depth, show_all=show_all)
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
