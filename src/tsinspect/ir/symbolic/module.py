"""Symbolic shapes straight from a loaded ScriptModule (what ``config`` holds)."""

from __future__ import annotations

from typing import Any

from tsinspect.ir.symbolic import GraphShapes, infer_shapes


def module_shapes(script_module: Any) -> GraphShapes:
    """Walk ``script_module``'s forward and infer its input shapes (nothing is run).

    The walk is the one config's input readers (``ir.shapes.consumers``) made, when they did.
    """
    from tsinspect.ir.model import read_parameters
    from tsinspect.ir.shapes.consumers import module_walk

    walk = module_walk(script_module)
    parameter_shapes = {record.name: record.shape for record in read_parameters(script_module)}
    return infer_shapes(walk, parameter_shapes)


__all__ = ["module_shapes"]
