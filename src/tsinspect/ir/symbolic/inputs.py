"""Symbolic shapes for forward's inputs: rank and dim names from the op that first reads each.

A tensor first read by ``conv2d`` is ``[N, C, H, W]``, by ``conv1d``
``[N, C, L]``, by ``linear`` ``[N, F]``, as embedding indices ``[N, L]``.
Elementwise ops, dropout and norms on the way do not change the rank, so the
search goes through them.

An input whose readers say nothing about its rank (a ``BatchNorm1d`` takes 2-d
and 3-d input, then a ``cat``) is probed: the graph is propagated with the input
at each rank from 1 to 5, and a rank is rejected where the run would certainly
fail: a reached ``raise`` (the norm's ``if input.dim() != 2 and input.dim() != 3``)
or ops that reject it whatever the sizes (a ``cat`` with a 2-d tensor). Only when
exactly one rank is left does the input get it; otherwise it gets no shape (the
pass leaves it UNKNOWN rather than guess a rank).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sympy

from tsinspect.ir.symbolic.propagate import propagate
from tsinspect.ir.symbolic.values import SymTensor, integer_symbol, parse_constant
from tsinspect.ir.walk import GraphWalk, OpRecord

_SPATIAL_NAMES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}
# Names by rank, for an input whose rank a probe found (no reader named its dims).
_RANK_NAMES = {
    1: ("N",),
    2: ("N", "F"),
    3: ("N", "C", "L"),
    4: ("N", "C", "H", "W"),
    5: ("N", "C", "D", "H", "W"),
}
# Readers whose answer depends on the rank: an input read by one of them is worth a probe.
_RANK_READERS = frozenset({"aten::dim", "aten::size", "aten::len", "prim::ListConstruct"})
# Ops that keep their first argument's rank: the search for a rank goes through them.
_RANK_KEEPING = frozenset(
    f"aten::{name}"
    for name in (
        "relu",
        "relu_",
        "sigmoid",
        "tanh",
        "gelu",
        "silu",
        "dropout",
        "dropout_",
        "to",
        "contiguous",
        "float",
        "half",
        "clone",
        "detach",
        "add",
        "sub",
        "mul",
        "div",
        "add_",
        "mul_",
        "sub_",
        "div_",
        "neg",
        "abs",
        "clamp",
        "batch_norm",
        "instance_norm",
        "group_norm",
        "hardtanh",
        "leaky_relu",
    )
) | {"prim::unchecked_cast"}


@dataclass(frozen=True)
class InputShape:
    """One tensor the caller feeds: forward's argument (and dict key), its symbolic dims, and why.

    ``spatial`` names the dims that a square-input guess may tie together
    (``H``, ``W``); ``reason`` says which op gave the rank (``conv1: aten::conv2d``).
    """

    argument: str
    key: str | None
    value_id: int
    shape: SymTensor
    spatial: tuple[sympy.Symbol, ...]
    reason: str

    @property
    def label(self) -> str:
        """The argument name, or the dict key."""
        return self.key if self.key is not None else self.argument


def _uses(walk: GraphWalk) -> dict[int, list[tuple[OpRecord, int]]]:
    uses: dict[int, list[tuple[OpRecord, int]]] = {}
    for op in walk.ops:
        for position, value_id in enumerate(op.inputs):
            uses.setdefault(value_id, []).append((op, position))
    return uses


def _names_for(
    op: OpRecord,
    position: int,
    parameter_shapes: Mapping[str, tuple[int, ...]],
    attrs: Mapping[int, str],
) -> tuple[str, ...] | None:
    kind = op.kind.removeprefix("aten::")
    for prefix in (
        "conv_transpose",
        "conv",
        "max_pool",
        "avg_pool",
        "adaptive_avg_pool",
        "adaptive_max_pool",
    ):
        if kind.startswith(prefix) and kind.endswith("d") and kind[-2].isdigit() and position == 0:
            return ("N", "C", *_SPATIAL_NAMES[int(kind[-2])])
    if kind in ("_convolution", "convolution") and position == 0 and len(op.inputs) > 1:
        weight = parameter_shapes.get(attrs.get(op.inputs[1], ""))
        if weight is not None and len(weight) - 2 in _SPATIAL_NAMES:
            return ("N", "C", *_SPATIAL_NAMES[len(weight) - 2])
        return None
    if kind in ("linear", "matmul", "layer_norm") and position == 0:
        return ("N", "F")
    if kind == "embedding" and position == 1:
        return ("N", "L")
    if kind in ("lstm", "gru", "rnn_tanh") and position == 0:
        return ("N", "L", "F")
    return None


def _first_names(
    start: int,
    uses: Mapping[int, list[tuple[OpRecord, int]]],
    parameter_shapes: Mapping[str, tuple[int, ...]],
    attrs: Mapping[int, str],
    constants: Mapping[int, str | None],
) -> tuple[tuple[str, ...], str] | None:
    for op, position in _readers(start, uses, constants):
        names = _names_for(op, position, parameter_shapes, attrs)
        if names is not None:
            scope = f"{op.scope}: " if op.scope else ""
            return names, f"{scope}{op.kind} reads it"
    return None


def _readers(
    start: int,
    uses: Mapping[int, list[tuple[OpRecord, int]]],
    constants: Mapping[int, str | None],
) -> list[tuple[OpRecord, int]]:
    """The ops that read ``start`` or what rank-keeping ops made of it, nearest first."""
    found: list[tuple[OpRecord, int]] = []
    frontier = [start]
    seen = {start}
    while frontier:
        next_frontier: list[int] = []
        for value_id in frontier:
            for op, position in uses.get(value_id, []):
                found.append((op, position))
                # ``x[i]`` (select on dim 0) takes one sample out of the batch: the reader
                # then sees an unbatched sample, so the names stay the reader's (a traced
                # loop over the batch reads x[0], x[1]...)
                takes_sample = (
                    op.kind == "aten::select"
                    and len(op.inputs) > 1
                    and parse_constant(constants.get(op.inputs[1])) == 0
                )
                if (op.kind in _RANK_KEEPING or takes_sample) and position == 0 and op.outputs:
                    out = op.outputs[0].id
                    if out not in seen:
                        seen.add(out)
                        next_frontier.append(out)
        frontier = next_frontier
    return found


def input_values(
    walk: GraphWalk, inputs: Sequence[InputShape], shapes: Sequence[SymTensor]
) -> dict[int, Any]:
    """The graph inputs' values for :func:`propagate`: a shape, or a dict of them by key."""
    values: dict[int, Any] = {}
    records = {record.name.split(".")[0]: record for record in walk.inputs}
    for item, shape in zip(inputs, shapes, strict=True):
        record = records.get(item.argument)
        if record is None:
            continue
        if item.key is None:
            values[record.id] = shape
        else:
            existing = values.setdefault(record.id, {})
            if isinstance(existing, dict):
                existing[item.key] = shape
    return values


def _probe_rank(
    walk: GraphWalk,
    parameter_shapes: Mapping[str, tuple[int, ...]],
    named: Sequence[InputShape],
    argument: str,
    key: str | None,
    value_id: int,
) -> tuple[int, str] | None:
    """The one rank at which forward does not certainly fail, and why; None if not one."""
    batch = integer_symbol("N")
    failed: dict[int, dict[int, str]] = {}
    for rank in _RANK_NAMES:
        # dims no input uses: only the rank is being asked about
        dims = (batch, *(integer_symbol(f"_probe{axis}") for axis in range(1, rank)))
        probe = InputShape(argument, key, value_id, SymTensor(dims), (), "")
        everything = [*named, probe]
        shapes = [item.shape for item in everything]
        failed[rank] = propagate(
            walk, parameter_shapes, input_values(walk, everything, shapes)
        ).failures
    # a failure at every rank does not depend on this input (another input's, or forward's own)
    common = set.intersection(*(set(found) for found in failed.values()))
    runs = [rank for rank, found in failed.items() if not set(found) - common]
    if len(runs) != 1:
        return None
    by_place: dict[str, list[int]] = {}
    for rank, found in failed.items():
        for op_id in sorted(set(found) - common):
            ranks = by_place.setdefault(found[op_id], [])
            if rank not in ranks:
                ranks.append(rank)
    why = "; ".join(
        f"{place} at rank {', '.join(str(rank) for rank in ranks)}"
        for place, ranks in by_place.items()
    )
    return runs[0], f"only rank {runs[0]} runs (fails in {why})"


def symbolic_inputs(
    walk: GraphWalk,
    parameter_shapes: Mapping[str, tuple[int, ...]],
    dict_arguments: frozenset[str] = frozenset(),
) -> list[InputShape]:
    """One InputShape per tensor fed to forward (dict arguments: one per constant key read)."""
    uses = _uses(walk)
    attrs = {op.outputs[0].id: op.target for op in walk.ops if op.kind == "prim::GetAttr"}
    constants = {op.outputs[0].id: op.constant for op in walk.ops if op.kind == "prim::Constant"}
    slots: list[InputShape | tuple[str, str | None, int]] = []
    used_names: set[str] = {"N"}
    batch = integer_symbol("N")

    def shaped(
        argument: str, key: str | None, value_id: int, names: Sequence[str], reason: str
    ) -> InputShape:
        dims: list[sympy.Expr] = [batch]
        spatial: list[sympy.Symbol] = []
        for name in names[1:]:
            unique = name
            suffix = 2
            while unique in used_names:
                unique = f"{name}{suffix}"
                suffix += 1
            used_names.add(unique)
            symbol = integer_symbol(unique)
            dims.append(symbol)
            if name in ("H", "W", "D") or (name == "L" and "C" in names):
                spatial.append(symbol)
        return InputShape(argument, key, value_id, SymTensor(tuple(dims)), tuple(spatial), reason)

    for record in walk.inputs:
        argument = record.name.split(".")[0]
        starts: list[tuple[str | None, int]] = []
        if argument in dict_arguments or record.type.kind == "Dict":
            for op, position in uses.get(record.id, []):
                if op.kind == "aten::__getitem__" and position == 0 and len(op.inputs) > 1:
                    key = parse_constant(constants.get(op.inputs[1]))
                    if isinstance(key, str) and all(key != k for k, _ in starts):
                        starts.append((key, op.outputs[0].id))
        elif record.type.kind == "Tensor":
            starts.append((None, record.id))
        for key, value_id in starts:
            named = _first_names(value_id, uses, parameter_shapes, attrs, constants)
            if named is not None:
                slots.append(shaped(argument, key, value_id, *named))
            elif any(op.kind in _RANK_READERS for op, _ in _readers(value_id, uses, constants)):
                slots.append((argument, key, value_id))
    # Inputs no reader named: probe their rank, each with the inputs known so far (one found
    # may decide the next, through a cat of the two).
    progress = True
    while progress:
        progress = False
        for position, slot in enumerate(slots):
            if isinstance(slot, InputShape):
                continue
            named_now = [item for item in slots if isinstance(item, InputShape)]
            probed = _probe_rank(walk, parameter_shapes, named_now, *slot)
            if probed is not None:
                rank, reason = probed
                slots[position] = shaped(*slot, _RANK_NAMES[rank], reason)
                progress = True
    return [slot for slot in slots if isinstance(slot, InputShape)]


__all__ = ["InputShape", "input_values", "symbolic_inputs"]
