"""The composer: the inlined walk, each body's records copied at every call site."""

from __future__ import annotations

import gc
import re
from dataclasses import dataclass
from typing import Any

from tsinspect.ir.walk.bodies import (
    _Bodies,
    _Call,
    _call_target,
    _CannotSummarise,
    _graph_inputs,
    _graph_outputs,
    _is_inlined_function_constant,
    _self_unique,
)
from tsinspect.ir.walk.flat import (
    _KINDS_WITH_BLOCKS,
    _NO_SOURCE_KINDS,
    _Walker,
    block_nodes,
    constant_text,
    walk_graph,
)
from tsinspect.ir.walk.records import GraphWalk, OpRecord, ValueRecord

_new_record = object.__new__


def walk_module(
    script_module: Any, method: str = "forward", bodies: _Bodies | None = None
) -> GraphWalk:
    """Records and a DiGraph for ``script_module.<method>`` with every submodule and function call inlined.

    Each distinct method body (one per TorchScript type: submodules of one
    type share their code) is read once and its records are copied at every
    call site, as an inline pass would; see :class:`_Bodies` for the clean-ups
    applied to each body. A call on a module value that is not read from
    ``self`` (none seen in practice) cannot be followed that way: the graph is
    then inlined by ``torch._C._jit_pass_inline`` and walked by
    :func:`walk_graph`. The module is not changed. ``bodies``: the bodies
    :func:`~tsinspect.ir.walk.summary.summarise_module` already made for this module (each
    body is a graph copy plus four passes: making them twice cost a ResNet-50 ~40 ms).
    """
    was_enabled = gc.isenabled()
    gc.disable()  # as in walk_graph
    try:
        try:
            return _Composer(bodies or _Bodies()).walk(script_module._c, method)
        except _CannotSummarise:
            pass
    finally:
        if was_enabled:
            gc.enable()
    import torch

    graph = getattr(script_module, method).graph.copy()
    torch._C._jit_pass_inline(graph)
    return walk_graph(graph)


@dataclass
class _TemplateNode:
    """One node of a body, read completely; ids are the body's own value uniques."""

    kind: str
    source: tuple[str | None, int | None, str]
    block: tuple[tuple[int, int], ...]  # (owner's index in the body, block index)
    inputs: tuple[int, ...]
    outputs: tuple[ValueRecord, ...]
    constant: str | None
    attribute: str | None  # a prim::GetAttr's name
    block_params: tuple[tuple[ValueRecord, ...], ...]
    call: _Call | None = None


@dataclass
class _BlockEnd:
    owner: int  # the owner's index in the body
    returned: tuple[int, ...]


@dataclass
class _Template:
    inputs: tuple[ValueRecord, ...]  # self first for a method
    has_self: bool
    outputs: tuple[int, ...]
    events: list[_TemplateNode | _BlockEnd]
    traced: bool = False  # a source range of its nodes is a traced stack


def _sharing_key(module: Any, method: str) -> str | None:
    """The text of ``module``'s method graph with its own type's name taken out, or None.

    Submodules of one class that differ only in constants the method does not read get
    their own TorchScript type each (a ResNet-50 has 23 ``Conv2d`` types whose ``forward``
    is the same), and so their own body. Two methods whose graph text is the same apart
    from their own type's name give the same records: the text holds every node, its
    attributes and constants (doubles in full), every value's name and type (submodule
    types included, mangled names and all) and each node's source position; the body is
    made from that graph alone, and no record holds the self value's type. Not for a graph
    with a constant printed without its value (a tensor: ``<Tensor>``).
    """
    try:
        text = str(module._get_method(method).graph)
    except (RuntimeError, UnicodeDecodeError):  # a damaged debug_pkl record (see source_of)
        return None  # read on its own, where each node's source is read with that in mind
    if "[value=<" in text:
        return None
    # the whole name only: ``__torch__.m.Block`` is not a piece of ``__torch__.m.BlockStack``
    own = re.escape(module._type().qualified_name())
    return re.sub(own + r"(?![\w.])", "SELF", text)


class _Composer:
    """Builds the inlined walk by copying each body's records at its call sites."""

    def __init__(self, bodies: _Bodies) -> None:
        self.sources = bodies
        self.walker = _Walker()  # its ops, producers, names, types, attribute paths and caches
        self.method_templates: dict[tuple[str, str], _Template] = {}
        self.shared_templates: dict[str, _Template] = {}  # by _sharing_key
        self.next_value = 0

    def walk(self, module: Any, method: str) -> GraphWalk:
        walker = self.walker
        # the root's own body is never taken from another type's: its self value is recorded
        template = self.method_template(module, method, share=False)
        arguments: list[int] = []
        inputs: list[ValueRecord] = []
        input_node_ids: list[int] = []
        for position, value in enumerate(template.inputs):
            new = self.new_value(value)
            arguments.append(new.id)
            if position == 0 and template.has_self:
                walker.attr_path[new.id] = ""
                continue
            node_id = walker.new_id()
            walker.producer[new.id] = node_id
            inputs.append(new)
            input_node_ids.append(node_id)
        returned = self.instantiate(template, module, "", "", arguments, ())
        outputs = tuple(
            ValueRecord(value, walker.value_name[value], walker.value_type[value])
            for value in returned
        )
        return walker.result(inputs, input_node_ids, outputs)

    def new_value(self, value: ValueRecord) -> ValueRecord:
        # ValueRecord(...) with its fields set directly, as for OpRecord below (~5,000 a ResNet-50)
        new = _new_record(ValueRecord)
        new.__dict__.update(id=self.next_value, name=value.name, type=value.type)
        self.next_value += 1
        self.walker.value_name[new.id] = new.name
        self.walker.value_type[new.id] = new.type
        return new

    def method_template(self, module: Any, method: str, share: bool = True) -> _Template:
        key = (module._type().qualified_name(), method)
        template = self.method_templates.get(key)
        if template is not None:
            return template
        # Another type's identical method (see _sharing_key): its records, without making
        # and reading this type's body. Not where a traced stack gives the sources: the text
        # shows only a stack's innermost frame, and the records keep the user's frame.
        sharing = _sharing_key(module, method)
        template = self.shared_templates.get(sharing) if share and sharing else None
        if template is None:
            _, graph = self.sources.method(module, method)
            template = self.read_template(graph)
            if sharing and not template.traced:
                self.shared_templates.setdefault(sharing, template)
        self.method_templates[key] = template
        return template

    def read_template(self, graph: Any) -> _Template:
        walker = self.walker
        self_unique = _self_unique(graph)
        events: list[_TemplateNode | _BlockEnd] = []
        traced = False

        def record(value: Any) -> ValueRecord:
            return ValueRecord(value.unique(), value.debugName(), walker.type_of(value))

        def read_block(block: Any, path: tuple[tuple[int, int], ...]) -> None:
            for node in block_nodes(block):
                read_node(node, path)

        def read_node(node: Any, path: tuple[tuple[int, int], ...]) -> None:
            kind = node.kind()
            call: _Call | None = None
            if kind == "prim::CallMethod":
                target = _call_target(node, self_unique)
                if target is not None:
                    call = _Call(target[0], node.s("name"), target[1], target[2])
            elif (
                kind == "prim::Constant"
                and node.outputsSize() == 1
                and _is_inlined_function_constant(node)
            ):
                return
            index = len(events)
            inputs = tuple(node.inputsAt(i).unique() for i in range(node.inputsSize()))
            outputs = tuple(record(node.outputsAt(i)) for i in range(node.outputsSize()))
            if call is not None:
                events.append(
                    _TemplateNode(
                        kind, (None, None, "none"), path, inputs, outputs, None, None, (), call
                    )
                )
                return
            source: tuple[str | None, int | None, str] = (None, None, "none")
            if kind not in _NO_SOURCE_KINDS:
                source = walker.source_of(node)
                if source[2] == "traced":
                    nonlocal traced
                    traced = True
            blocks = list(node.blocks()) if kind in _KINDS_WITH_BLOCKS else []
            params = tuple(
                tuple(
                    record(block.paramNode().outputsAt(i))
                    for i in range(block.paramNode().outputsSize())
                )
                for block in blocks
            )
            events.append(
                _TemplateNode(
                    kind=kind,
                    source=source,
                    block=path,
                    inputs=inputs,
                    outputs=outputs,
                    constant=constant_text(node) if kind == "prim::Constant" else None,
                    attribute=node.s("name") if kind == "prim::GetAttr" else None,
                    block_params=params,
                )
            )
            for block_index, block in enumerate(blocks):
                read_block(block, (*path, (index, block_index)))
                block_return = block.returnNode()
                returned = tuple(
                    block_return.inputsAt(i).unique() for i in range(block_return.inputsSize())
                )
                events.append(_BlockEnd(index, returned))

        read_block(graph.block(), ())
        return _Template(
            inputs=tuple(record(value) for value in _graph_inputs(graph)),
            has_self=self_unique is not None,
            outputs=tuple(value.unique() for value in _graph_outputs(graph)),
            events=events,
            traced=traced,
        )

    def instantiate(
        self,
        template: _Template,
        module: Any,
        scope: str,
        module_type: str,
        arguments: list[int],
        prefix: tuple[tuple[int, int], ...],
    ) -> list[int]:
        """Copy ``template``'s records for one call; returns the global ids of its results."""
        walker = self.walker
        values = {
            value.id: argument for value, argument in zip(template.inputs, arguments, strict=True)
        }
        node_ids: dict[int, int] = {}  # event index -> node id, for block owners
        attr_path = walker.attr_path
        producer = walker.producer
        new_value = self.new_value
        for index, event in enumerate(template.events):
            if isinstance(event, _BlockEnd):
                walker.block_returns.append(
                    (node_ids[event.owner], tuple(values[unique] for unique in event.returned))
                )
                continue
            block = (
                prefix + tuple((node_ids[owner], i) for owner, i in event.block)
                if event.block
                else prefix
            )
            call = event.call
            if call is not None:
                callee = module
                for name in call.chain:
                    callee = callee.getattr(name)
                callee_scope, callee_type = scope, module_type
                if call.segment:
                    callee_scope = f"{scope}.{call.segment}" if scope else call.segment
                    callee_type = call.type_name
                results = self.instantiate(
                    self.method_template(callee, call.method),
                    callee,
                    callee_scope,
                    callee_type,
                    [values[unique] for unique in event.inputs],
                    block,
                )
                for output, result in zip(event.outputs, results, strict=True):
                    values[output.id] = result
                continue
            node_id = walker.new_id()
            node_ids[index] = node_id
            inputs = tuple(map(values.__getitem__, event.inputs))
            outputs = []
            for output in event.outputs:
                new = new_value(output)
                values[output.id] = new.id
                producer[new.id] = node_id
                outputs.append(new)
            for params in event.block_params:
                for param in params:
                    new = new_value(param)
                    values[param.id] = new.id
                    producer[new.id] = node_id
            target = event.kind
            if event.constant is not None:
                target = event.constant
            elif event.attribute is not None:
                owner = attr_path.get(inputs[0]) if inputs else None
                target = event.attribute if not owner else f"{owner}.{event.attribute}"
                attr_path[outputs[0].id] = target
            source_file, source_line, style = event.source
            # The same record OpRecord(...) makes, its fields set directly: the frozen
            # dataclass's __init__ sets each of its 13 fields through object.__setattr__,
            # ~5 us a record (a ResNet-50's walk makes 2,900 of them, one per node).
            record = _new_record(OpRecord)
            record.__dict__.update(
                id=node_id,
                kind=event.kind,
                scope=scope,
                module_type=module_type,
                source_file=source_file,
                source_line=source_line,
                block=block,
                inputs=inputs,
                outputs=tuple(outputs),
                constant=event.constant,
                target=target,
                num_blocks=len(event.block_params),
                traced_frame=style == "traced",
            )
            walker.ops.append(record)
        return [values[unique] for unique in template.outputs]
