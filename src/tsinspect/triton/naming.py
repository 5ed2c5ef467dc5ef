"""How the libtorch backend maps config input and output names to forward() positions.

Mirrors pytorch_backend src/pt/model_instance_state.cc: GetNamingConvention
(line 399), AddInputToMap (line 179), ValidateInputs (lines 1311-1372) and
ReadOutputTensors (line 865). The convention is decided once for the whole
input list: FORWARD_ARGUMENT if every name is a forward argument name, else
NAMED_INDEX if every name is ``<anything>__<digits>`` (the digits after the
*first* ``__``), else STRICT_CONFIG_ORDERING, which is silent when a name has
no ``__`` at all. Outputs use only NAMED_INDEX or STRICT_CONFIG_ORDERING.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_INPUT_PREFIX = "input"
DEFAULT_OUTPUT_PREFIX = "output"


class Convention(str, enum.Enum):
    """The backend's three naming conventions (plus dict mode for a single Dict[str, Tensor])."""

    FORWARD_ARGUMENT = "forward-argument"
    NAMED_INDEX = "named-index"
    STRICT_CONFIG_ORDERING = "strict-config-ordering"
    DICT_KEYS = "dict-keys"


def named_index(name: str) -> int | None:
    """The index in ``<name>__<index>`` as the backend reads it; None if the name does not qualify.

    Like the C++ code, only the text after the *first* ``__`` counts and it must
    be all digits; an empty suffix (``x__``) counts as digits and atoi gives 0.
    """
    position = name.find("__")
    if position < 0:
        return None
    suffix = name[position + 2 :]
    if not all(char in "0123456789" for char in suffix):
        return None
    return int(suffix) if suffix else 0


def input_convention(names: Sequence[str], argument_names: Sequence[str]) -> Convention:
    """The convention the backend picks for these config input names (non-dict models)."""
    if names and all(name in argument_names for name in names):
        return Convention.FORWARD_ARGUMENT
    if names and all(named_index(name) is not None for name in names):
        return Convention.NAMED_INDEX
    return Convention.STRICT_CONFIG_ORDERING


def output_convention(names: Sequence[str]) -> Convention:
    """The convention the backend picks for these config output names."""
    if names and all(named_index(name) is not None for name in names):
        return Convention.NAMED_INDEX
    return Convention.STRICT_CONFIG_ORDERING


@dataclass(frozen=True)
class Mapping:
    """Config entry i -> forward position ``positions[i]`` under ``convention``."""

    convention: Convention
    positions: tuple[int, ...]


def map_inputs(names: Sequence[str], argument_names: Sequence[str]) -> Mapping:
    """Where the backend sends each config input (positions may repeat or be out of range)."""
    convention = input_convention(names, argument_names)
    if convention is Convention.FORWARD_ARGUMENT:
        positions = tuple(list(argument_names).index(name) for name in names)
    elif convention is Convention.NAMED_INDEX:
        positions = tuple(named_index(name) or 0 for name in names)
    else:
        positions = tuple(range(len(names)))
    return Mapping(convention, positions)


def map_outputs(names: Sequence[str]) -> Mapping:
    """Which element of forward's returned tuple each config output reads."""
    convention = output_convention(names)
    if convention is Convention.NAMED_INDEX:
        positions = tuple(named_index(name) or 0 for name in names)
    else:
        positions = tuple(range(len(names)))
    return Mapping(convention, positions)


def default_names(prefix: str, count: int) -> tuple[str, ...]:
    """``input__0``, ``input__1``...: the names Triton's own PyTorch examples use."""
    return tuple(f"{prefix}__{index}" for index in range(count))
