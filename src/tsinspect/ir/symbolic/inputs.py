"""Symbolic shapes for forward's inputs: rank and dim names from the op that first reads each.

A tensor first read by ``conv2d`` is ``[N, C, H, W]``, by ``conv1d``
``[N, C, L]``, by ``linear`` ``[N, F]``, as embedding indices ``[N, L]``.
Elementwise ops and dropout on the way do not change the rank, so the search
goes through them. An input whose first reader says nothing about its rank
gets no shape (the pass leaves it UNKNOWN rather than guess a rank).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sympy

from tsinspect.ir.symbolic.values import SymTensor, integer_symbol, parse_constant
from tsinspect.ir.walk import GraphWalk, OpRecord

_SPATIAL_NAMES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}
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
    frontier = [start]
    seen = {start}
    while frontier:
        next_frontier: list[int] = []
        for value_id in frontier:
            for op, position in uses.get(value_id, []):
                names = _names_for(op, position, parameter_shapes, attrs)
                if names is not None:
                    scope = f"{op.scope}: " if op.scope else ""
                    return names, f"{scope}{op.kind} reads it"
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
    return None


def symbolic_inputs(
    walk: GraphWalk,
    parameter_shapes: Mapping[str, tuple[int, ...]],
    dict_arguments: frozenset[str] = frozenset(),
) -> list[InputShape]:
    """One InputShape per tensor fed to forward (dict arguments: one per constant key read)."""
    uses = _uses(walk)
    attrs = {op.outputs[0].id: op.target for op in walk.ops if op.kind == "prim::GetAttr"}
    constants = {op.outputs[0].id: op.constant for op in walk.ops if op.kind == "prim::Constant"}
    found: list[InputShape] = []
    used_names: set[str] = {"N"}
    batch = integer_symbol("N")
    for index, record in enumerate(walk.inputs):
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
            if named is None:
                continue
            names, reason = named
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
            found.append(
                InputShape(argument, key, value_id, SymTensor(tuple(dims)), tuple(spatial), reason)
            )
        del index
    return found


__all__ = ["InputShape", "symbolic_inputs"]
