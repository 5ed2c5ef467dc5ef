"""Method bodies: one per TorchScript type and method, free functions inlined, read once and shared by the summary and the composer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tsinspect.ir.walk.flat import _KINDS_WITH_BLOCKS, _is_module_self, block_nodes
from tsinspect.ir.walk.records import ValueRecord


class _CannotSummarise(Exception):
    """A graph the per-type summary cannot follow exactly; the caller walks the inlined graph."""


# Node kinds the TS6xx checks read besides constants and operators outside these namespaces.
_FINDING_KINDS = frozenset({"prim::PythonOp", "prim::Print", "prim::RaiseException"})


_COMMON_NAMESPACES = ("aten::", "prim::")


class _Bodies:
    """The method and function bodies the summary and the inlined walk both read, made once each.

    A method body is a copy of its graph after the clean-ups TorchScript's own
    inliner applies to each callee (peephole, constant propagation on
    immutable types, constant pooling): a ``ReLU`` whose ``inplace`` is a
    constant keeps one branch. Unlike ``torch._C._jit_pass_inline`` we never
    fold across a call (a ``None`` argument does not remove the callee's
    ``is None`` checks), so that every copy of a body is the same and the
    summary can count each body once. A free function's body is the function
    inlined alone into a small graph (TorchScript's optimised graph of it,
    nested functions included).
    """

    def __init__(self) -> None:
        self.methods: dict[tuple[str, str], Any] = {}
        self.functions: dict[str, Any] = {}

    def method(self, module: Any, method: str) -> tuple[tuple[str, str], Any]:
        import torch

        jit: Any = torch._C  # these passes are missing from torch's type stubs
        key = (module._type().qualified_name(), method)
        graph = self.methods.get(key)
        if graph is None:
            graph = module._get_method(method).graph.copy()
            self.inline_functions(graph)
            jit._jit_pass_peephole(graph, True)  # True: no shape peepholes, as the inliner
            jit._jit_pass_constant_propagation_immutable_types(graph)
            jit._jit_pass_constant_pooling(graph)
            self.methods[key] = graph
        return key, graph

    def inline_functions(self, graph: Any) -> None:
        """Replace each ``prim::CallFunction`` of a constant function by the function's body."""
        if not graph.findAllNodes("prim::CallFunction"):
            return  # most bodies: one C++ search instead of a Python step per node
        calls: list[Any] = []

        def find(block: Any) -> None:
            for node in block_nodes(block):
                kind = node.kind()
                if (
                    kind == "prim::CallFunction"
                    and node.inputsAt(0).node().kind() == "prim::Constant"
                ):
                    calls.append(node)
                elif kind in _KINDS_WITH_BLOCKS:
                    for inner in node.blocks():
                        find(inner)

        find(graph.block())
        for call in calls:
            stub = self.function(call, call.inputsAt(0).node())
            with graph.insert_point_guard(call):
                results = graph.insertGraph(
                    stub, [call.inputsAt(i) for i in range(1, call.inputsSize())]
                )
            for position, result in enumerate(results):
                call.outputsAt(position).replaceAllUsesWith(result)
            call.destroy()

    def function(self, call: Any, function_constant: Any) -> Any:
        """The function ``call`` calls, inlined alone into a graph that takes its arguments."""
        import torch

        key = str(function_constant.output().type())
        known = self.functions.get(key)
        if known is not None:
            return known
        stub: Any = torch._C.Graph()
        constant_copy = stub.createClone(function_constant, lambda value: value)
        stub.insertNode(constant_copy)
        # One stub input per argument position, even where the caller passes one value twice:
        # the stub is shared by every call site of the function.
        call_copy = stub.createClone(call, lambda value: constant_copy.output())
        call_copy.replaceInput(0, constant_copy.output())
        for position in range(1, call.inputsSize()):
            argument = stub.addInput()
            argument.setType(call.inputsAt(position).type())
            call_copy.replaceInput(position, argument)
        stub.insertNode(call_copy)
        for position in range(call_copy.outputsSize()):
            stub.registerOutput(call_copy.outputsAt(position))
        torch._C._jit_pass_inline(stub)
        self.functions[key] = stub
        return stub


#: The public name of :class:`_Bodies`, for callers that share one set of bodies between
#: :func:`~tsinspect.ir.walk.summary.summarise_module` and
#: :func:`~tsinspect.ir.walk.compose.walk_module`.
MethodBodies = _Bodies


def _graph_inputs(graph: Any) -> list[Any]:
    params = graph.param_node()  # Graph has no inputsAt; the param node's outputs are its inputs
    return [params.outputsAt(i) for i in range(params.outputsSize())]


def _graph_outputs(graph: Any) -> list[Any]:
    graph_return = graph.return_node()
    return [graph_return.inputsAt(i) for i in range(graph_return.inputsSize())]


def _call_target(node: Any, self_unique: int | None) -> tuple[tuple[str, ...], str, str] | None:
    """(attribute chain from self, instance name, class name) of a submodule call, or None if kept.

    The inline pass keeps calls on interfaces; it names the inlined instance
    after the ``prim::GetAttr`` that produced the module value (``""`` for a
    method of the same module, which becomes ``SELF`` and no scope segment).
    """
    module_value = node.inputsAt(0)
    module_type = module_value.type()
    if type(module_type).__name__ != "ClassType":
        return None
    chain: list[str] = []
    value = module_value
    while value.unique() != self_unique:
        producer = value.node()
        if producer.kind() != "prim::GetAttr":
            raise _CannotSummarise(f"a module value made by {producer.kind()}")
        chain.append(producer.s("name"))
        value = producer.inputsAt(0)
    chain.reverse()
    return tuple(chain), chain[-1] if chain else "", str(module_type).rsplit(".", 1)[-1]


def _is_inlined_function_constant(node: Any) -> bool:
    # the inline pass deletes a function constant once all its calls are inlined
    output = node.outputsAt(0)
    return output.type().kind() == "FunctionType" and bool(output.uses())


def _self_unique(graph: Any) -> int | None:
    inputs = _graph_inputs(graph)
    return inputs[0].unique() if inputs and _is_module_self(inputs[0]) else None


@dataclass
class _Call:
    """A submodule method call site: attribute chain from self, method, instance name, class."""

    chain: tuple[str, ...]
    method: str
    segment: str
    type_name: str


@dataclass
class _SpecialNode:
    """A node the findings read, as a template: scope and ids are filled in per copy."""

    kind: str
    source_file: str | None
    source_line: int | None
    traced_frame: bool
    inputs: tuple[int, ...]
    outputs: tuple[ValueRecord, ...]
    constant: str | None
    num_blocks: int


@dataclass
class _Body:
    """One body as the summary reads it: kind counts and ordered events."""

    counts: dict[str, int] = field(default_factory=dict)
    events: list[_Call | _SpecialNode] = field(default_factory=list)
