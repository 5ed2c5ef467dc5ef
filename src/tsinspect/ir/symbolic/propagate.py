"""Shape propagation over the walked forward graph (``ir.walk.GraphWalk``), with sympy dims.

One pass in walk order (a topological order: producers before consumers,
a block's nodes after its owner). Each op kind with a rule in :mod:`rules`
maps its input values to output values and may add constraints; any other op
makes its outputs UNKNOWN, and so does anything that reads UNKNOWN. Nothing
here imports torch: the walk's records are all it reads, with the
parameters' real shapes for ``prim::GetAttr`` of a weight.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy

from tsinspect.ir.symbolic.constraints import Constraint
from tsinspect.ir.symbolic.rules import NONE_VALUE, RULES, Contradiction, OpContext
from tsinspect.ir.symbolic.values import UNKNOWN, SymTensor, parse_constant
from tsinspect.ir.walk import GraphWalk, OpRecord


@dataclass
class ShapeAnalysis:
    """What one pass found: a value per value id, the constraints, the ops it had no rule for."""

    values: dict[int, Any]
    constraints: list[Constraint]
    unknown_kinds: dict[str, int] = field(default_factory=dict)
    # ops where a run at these input shapes certainly fails: a ``prim::RaiseException`` that
    # is reached (every enclosing ``prim::If`` takes its block), an op whose rule found a
    # Contradiction; op id -> what it is (``norm: prim::RaiseException``)
    failures: dict[int, str] = field(default_factory=dict)

    def substituted(self, solved: Mapping[sympy.Symbol, int]) -> ShapeAnalysis:
        """The same values with the solved dims put in."""
        if not solved:
            return self
        mapping = {symbol: sympy.Integer(value) for symbol, value in solved.items()}
        cache: dict[sympy.Expr, sympy.Expr] = {}

        def put(value: Any) -> Any:
            if isinstance(value, SymTensor):
                return SymTensor(tuple(expr(dim) for dim in value.dims))
            if isinstance(value, sympy.Expr):
                return expr(value)
            if isinstance(value, list):
                return [put(item) for item in value]
            if isinstance(value, tuple):
                return tuple(put(item) for item in value)
            if isinstance(value, dict):
                return {key: put(item) for key, item in value.items()}
            return value

        def expr(dim: sympy.Expr) -> sympy.Expr:
            if dim.is_Integer:
                return dim
            cached = cache.get(dim)
            if cached is None:
                cached = dim.xreplace(mapping) if dim.free_symbols & mapping.keys() else dim
                cache[dim] = cached
            return cached

        return ShapeAnalysis(
            {key: put(value) for key, value in self.values.items()},
            self.constraints,
            self.unknown_kinds,
            self.failures,
        )


def propagate(
    walk: GraphWalk,
    parameter_shapes: Mapping[str, tuple[int, ...]],
    inputs: Mapping[int, Any],
) -> ShapeAnalysis:
    """Values for every value id of ``walk``, given the graph inputs' values (by value id).

    ``parameter_shapes`` maps a parameter or buffer name (``conv1.weight``) to
    its real shape; ``inputs`` maps a graph input's value id to a SymTensor
    (or a dict of them for a ``Dict[str, Tensor]`` argument).
    """
    values: dict[int, Any] = dict(inputs)
    constraints: list[Constraint] = []
    unknown_kinds: dict[str, int] = {}
    returns_by_owner: dict[int, list[tuple[int, ...]]] = {}
    for owner, returned in walk.block_returns:
        returns_by_owner.setdefault(owner, []).append(returned)
    # Blocks that raise: every torch.nn norm and many functionals inline a check such as
    # ``if input.dim() != 2 and input.dim() != 3: raise ValueError(...)``. Such a block never
    # returns, so its outputs (``prim::Uninitialized``) are not candidates for the If's.
    raising = {op.block[-1] for op in walk.ops if op.kind == "prim::RaiseException" and op.block}
    failures: dict[int, str] = {}
    taken: dict[int, int] = {}  # prim::If id -> the block every run that returns goes through
    # prim::If/prim::Loop outputs are known only after their blocks: settle them when the
    # next op outside the blocks comes (the walk lists block nodes right after their owner).
    pending: list[OpRecord] = []
    names: dict[int, str] = {}
    known: dict[
        sympy.Symbol, sympy.Integer
    ] = {}  # dims an equation fixed to a number  # value id -> attribute path, for the constraints' text
    # ``known`` only grows, and only inside a rule. When it grows, every value so far gets the
    # new numbers put in, once: later ops read numbers, not symbols, with no substitution per
    # argument (ResNet-50: ~6,000 of them). ``replaced`` caches what _put_known made of each
    # tensor and expression (a network repeats the same few shapes at every layer).
    replaced: dict[Any, Any] = {}
    known_size = 0
    params = {
        name: SymTensor(tuple(sympy.Integer(d) for d in shape))
        for name, shape in parameter_shapes.items()
    }

    def settle(op: OpRecord) -> None:
        branches = returns_by_owner.get(op.id, [])
        outputs = op.outputs
        if op.kind == "prim::If" and branches:
            condition = values.get(op.inputs[0], UNKNOWN) if op.inputs else UNKNOWN
            if isinstance(condition, bool) and len(branches) == 2:
                chosen = branches[0] if condition else branches[1]
                for out, value_id in zip(outputs, chosen, strict=False):
                    values[out.id] = values.get(value_id, UNKNOWN)
                return
            # the condition is not known: the result is what every block that returns gives
            returning = [
                branch for index, branch in enumerate(branches) if (op.id, index) not in raising
            ]
            for position, out in enumerate(outputs):
                candidates = [
                    values.get(branch[position], UNKNOWN)
                    for branch in returning
                    if position < len(branch)
                ]
                first = candidates[0] if candidates else UNKNOWN
                values[out.id] = first if all(_same(first, c) for c in candidates[1:]) else UNKNOWN
            return
        if op.kind == "prim::Loop" and branches:
            # carried values: the outputs keep the loop's inputs when the body returns them unchanged
            carried_in = op.inputs[2:]
            body = branches[0][1:]
            for out, initial, returned in zip(outputs, carried_in, body, strict=False):
                start = values.get(initial, UNKNOWN)
                values[out.id] = start if _same(start, values.get(returned, UNKNOWN)) else UNKNOWN
            return
        for out in outputs:
            values[out.id] = UNKNOWN

    for op in walk.ops:
        if len(known) != known_size:
            known_size = len(known)
            replaced.clear()
            values = {key: _put_known(value, known, replaced) for key, value in values.items()}
        while pending and not _inside(op, pending[-1]):
            settle(pending.pop())
        if op.block and any(taken.get(owner, index) != index for owner, index in op.block):
            # a block no returning run goes through (InstanceNorm2d's branch for unbatched
            # input, given a batched one): its ops must not put constraints on the input
            for out in op.outputs:
                values[out.id] = UNKNOWN
            continue
        if op.num_blocks:
            pending.append(op)
            if op.kind == "prim::If" and op.inputs:
                condition = values.get(op.inputs[0], UNKNOWN)
                returning = [index for index in (0, 1) if (op.id, index) not in raising]
                if isinstance(condition, bool):
                    taken[op.id] = 0 if condition else 1
                elif len(returning) == 1:
                    # ``if x.size(1) == 4: ... else: raise``: a run that returns went this way
                    taken[op.id] = returning[0]
            if op.kind == "prim::Loop":
                # the body's parameters (counter, carried values) start from the loop's inputs
                for out in op.outputs:
                    values[out.id] = UNKNOWN
            continue
        kind = op.kind
        if kind == "prim::Constant":
            values[op.outputs[0].id] = parse_constant(op.constant)
            continue
        if kind == "prim::GetAttr":
            values[op.outputs[0].id] = params.get(op.target, UNKNOWN)
            names[op.outputs[0].id] = op.target
            continue
        if kind == "prim::RaiseException":
            if all(taken.get(owner) == index for owner, index in op.block):
                failures[op.id] = _where(op)
            continue
        rule = RULES.get(kind)
        arguments = [values.get(value_id, UNKNOWN) for value_id in op.inputs]
        results: Any = None
        if rule is not None:
            context = OpContext(
                op, constraints, [names.get(value_id) for value_id in op.inputs], known
            )
            try:
                results = rule(context, arguments)
            except Contradiction:
                failures[op.id] = _where(op)
                results = None
            except Exception:
                # an argument of a form the rule does not handle (sympy raises its own error
                # types too): the op's outputs are unknown, never a crash of `graph`
                results = None
        if results is None:
            if op.outputs:
                unknown_kinds[kind] = unknown_kinds.get(kind, 0) + 1
            for out in op.outputs:
                values[out.id] = UNKNOWN
            continue
        if results is NONE_VALUE:
            results = None
        if len(op.outputs) == 1:
            values[op.outputs[0].id] = results
        else:
            items = list(results) if isinstance(results, (list, tuple)) else []
            for position, out in enumerate(op.outputs):
                values[out.id] = items[position] if position < len(items) else UNKNOWN
    if len(known) != known_size:
        values = {key: _put_known(value, known, {}) for key, value in values.items()}
    while pending:
        settle(pending.pop())
    return ShapeAnalysis(values, constraints, unknown_kinds, failures)


def _where(op: OpRecord) -> str:
    return f"{op.scope}: {op.kind}" if op.scope else op.kind


def _put_known(
    value: Any, known: Mapping[sympy.Symbol, sympy.Integer], replaced: dict[Any, Any]
) -> Any:
    """``value`` with the ``known`` dims put in; ``replaced`` caches the answers for one
    ``known`` (the caller clears it when ``known`` changes)."""
    if isinstance(value, SymTensor):
        if all(dim.is_Integer for dim in value.dims):
            return value
        found = replaced.get(value)
        if found is None:
            found = replaced[value] = SymTensor(
                tuple(
                    dim if dim.is_Integer else _expr_known(dim, known, replaced)
                    for dim in value.dims
                )
            )
        return found
    if isinstance(value, sympy.Expr) and not value.is_Integer:
        return _expr_known(value, known, replaced)
    if isinstance(value, list):
        return [_put_known(item, known, replaced) for item in value]
    return value


def _expr_known(
    expr: sympy.Expr, known: Mapping[sympy.Symbol, sympy.Integer], replaced: dict[Any, Any]
) -> Any:
    found = replaced.get(expr)
    if found is None:
        found = replaced[expr] = expr.xreplace(known)
    return found


def _inside(op: OpRecord, owner: OpRecord) -> bool:
    return any(step[0] == owner.id for step in op.block)


def _same(a: Any, b: Any) -> bool:
    if a is UNKNOWN or b is UNKNOWN:
        return False
    if isinstance(a, SymTensor) and isinstance(b, SymTensor):
        return a.rank == b.rank and all(
            sympy.simplify(x - y) == 0 for x, y in zip(a.dims, b.dims, strict=True)
        )
    if isinstance(a, sympy.Expr) and isinstance(b, sympy.Expr):
        return bool(sympy.simplify(a - b) == 0)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


__all__ = ["ShapeAnalysis", "propagate"]
