"""TorchScript's types as the linter models them: :class:`Type` values and their algebra.

A :class:`Type` is a kind (``Tensor``, ``int``, ``float``, ``bool``, ``str``, ``complex``,
``None`` (NoneType), ``Device``, ``number`` (a ``Scalar``, what ``Tensor.item()`` returns)) or
a constructor (``Optional``, ``List``, ``Tuple``, ``Dict``, ``Union``) with its ``args``.
TorchScript has no dtype type: ``torch.dtype`` is ``int``. ``None`` (the Python value, not
:data:`NONE`) means *unknown* everywhere, and no rule reports on an unknown type; only inside a
container may an element be :data:`UNKNOWN` (``List[?]``: a list, of elements not known).

The algebra mirrors TorchScript's front end (``pytorch@v2.13.0``): :func:`unify` is
``unifyTypes`` at a branch merge, :func:`fits` is ``Environment::setSugaredVar``'s subtype
check in a nested block, :func:`optional_mismatch` says where an ``Optional`` is never
unwrapped implicitly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

OPTIONAL = "Optional"
UNION = "Union"
LIST = "List"
TUPLE = "Tuple"
DICT = "Dict"


@dataclass(frozen=True, slots=True)
class Type:
    """A TorchScript type the linter is certain of (``None`` means unknown everywhere).

    ``name`` is the kind: ``Tensor``, ``int``, ``float``, ``bool``, ``str``, ``complex``,
    ``None`` (NoneType), ``Device``, ``number`` (what ``.item()`` returns), ``?`` (an unknown
    element), or a constructor ``Optional``, ``List``, ``Tuple``, ``Dict``, ``Union`` with its
    ``args``. ``dtype`` is ``int`` in TorchScript. ``str()`` spells it as TorchScript's errors
    do (``Optional[Tensor]``, ``List[int]``, ``Tuple[()]``), except ``None`` for NoneType.
    """

    name: str
    args: tuple[Type, ...] = ()

    def __str__(self) -> str:
        if self.name == TUPLE and not self.args:
            return "Tuple[()]"
        if not self.args:
            return self.name
        return f"{self.name}[{', '.join(str(arg) for arg in self.args)}]"

    @property
    def known(self) -> bool:
        """No unknown (``?``) element anywhere inside."""
        return self.name != "?" and all(arg.known for arg in self.args)

    @property
    def is_optional(self) -> bool:
        """``Optional[T]`` (a Union of one type and None is spelled this way too)."""
        return self.name == OPTIONAL

    @property
    def can_be_none(self) -> bool:
        """NoneType, ``Optional[T]``, or a Union with ``None`` among its members."""
        return self.name in ("None", OPTIONAL) or (self.name == UNION and NONE in self.args)

    @property
    def maybe_none(self) -> bool:
        """May be ``None`` or something else: what TorchScript must refine before use."""
        return self.name == OPTIONAL or (self.name == UNION and NONE in self.args)


TENSOR = Type("Tensor")
INT = Type("int")
FLOAT = Type("float")
BOOL = Type("bool")
STR = Type("str")
COMPLEX = Type("complex")
NONE = Type("None")
DEVICE = Type("Device")
NUMBER = Type("number")
INT_LIST = Type(LIST, (INT,))
# An element of a container whose type is not known: `[f(x)]` is `List[?]`.
UNKNOWN = Type("?")
# Types whose pairwise merge TorchScript rejects (None merges into Optional: fine).
MERGEABLE_CONFLICTS = frozenset({TENSOR, INT, FLOAT, BOOL, STR})
SCALARS = frozenset({INT, FLOAT, BOOL, STR})


def optional(inner: Type) -> Type:
    """``Optional[inner]`` (``inner`` itself when it may already be None)."""
    return inner if inner.can_be_none else Type(OPTIONAL, (inner,))


def list_of(element: Type) -> Type:
    """``List[element]``."""
    return Type(LIST, (element,))


def tuple_of(*elements: Type) -> Type:
    """``Tuple[elements...]``."""
    return Type(TUPLE, tuple(elements))


def dict_of(key: Type, value: Type) -> Type:
    """``Dict[key, value]``."""
    return Type(DICT, (key, value))


def union(members: Iterable[Type]) -> Type | None:
    """``Union[...]`` of ``members``, flattened; ``Optional[T]`` for one type and None."""
    flat: list[Type] = []
    for member in members:
        if member.name == UNION:
            parts: tuple[Type, ...] = member.args
        elif member.is_optional:
            parts = (member.args[0], NONE)
        else:
            parts = (member,)
        for part in parts:
            if part not in flat:
                flat.append(part)
    if not flat:
        return None
    if len(flat) == 1:
        return flat[0]
    rest = [part for part in flat if part != NONE]
    if len(rest) == 1:
        return Type(OPTIONAL, (rest[0],))
    return Type(UNION, tuple(flat))


def without_none(kind: Type) -> Type | None:
    """What ``x is not None`` refines ``kind`` to: ``T`` for ``Optional[T]``, a Union minus None."""
    if kind.is_optional:
        return kind.args[0]
    if kind.name == UNION:
        return union(member for member in kind.args if member != NONE)
    return None if kind == NONE else kind


def unify(first: Type | None, second: Type | None) -> Type | None:
    """The type of a variable after an ``if`` gives it ``first`` and ``second`` (TorchScript's
    ``unifyTypes``, without falling back to a Union): None when unknown or not unifiable."""
    if first is None or second is None:
        return None
    if first == second:
        return first
    if UNION in (first.name, second.name):
        return None
    if first == NONE:
        return optional(second)
    if second == NONE:
        return optional(first)
    if first.is_optional and second in (first.args[0], NONE):
        return first
    if second.is_optional and first == second.args[0]:
        return second
    if first.name == second.name == TUPLE and len(first.args) == len(second.args):
        elements = [unify(a, b) for a, b in zip(first.args, second.args, strict=True)]
        if any(element is None for element in elements):
            return None
        return tuple_of(*(element for element in elements if element is not None))
    return None


def optional_mismatch(expected: Type | None, actual: Type | None) -> bool:
    """``actual`` cannot go where ``expected`` is required because it may be None.

    TorchScript never unwraps an ``Optional`` implicitly: an ``Optional[T]`` argument,
    return value or annotated assignment fails wherever the declared type cannot hold None,
    whatever ``T`` is. Lists and tuples are compared element by element.
    """
    if expected is None or actual is None or expected.can_be_none:
        return False
    if actual.maybe_none:
        return True
    if expected.name == actual.name == TUPLE and len(expected.args) == len(actual.args):
        return any(optional_mismatch(e, a) for e, a in zip(expected.args, actual.args, strict=True))
    if expected.name == actual.name == LIST:
        return optional_mismatch(expected.args[0], actual.args[0])
    if expected.name == actual.name == DICT:
        return optional_mismatch(expected.args[1], actual.args[1])
    return False


_SIMPLE = frozenset({TENSOR, INT, FLOAT, BOOL, STR, NONE, DEVICE, NUMBER})


def _simple(kind: Type) -> bool:
    if kind in _SIMPLE:
        return True
    if kind.name in (OPTIONAL, LIST):
        return _simple(kind.args[0])
    return False


def fits(outside: Type, assigned: Type) -> bool | None:
    """Whether a nested block may assign ``assigned`` to a local of type ``outside``
    (``setSugaredVar``: a subtype, after TorchScript's implicit conversions). None when
    the propagator cannot tell (Unions, tuples, dicts, classes...).

    Measured: ``None`` and ``T`` fit ``Optional[T]``; a ``bool`` fits an ``int``, an
    ``int`` or ``float`` a ``number``; a Tensor is converted to an ``int``, ``float`` or
    ``number``; an ``int`` does not fit a ``float``, nor ``List[int]`` a ``List[float]``.
    """
    if outside == assigned:
        return True
    if not (_simple(outside) and _simple(assigned)):
        return None
    if outside.is_optional:
        inner = outside.args[0]
        return assigned == NONE or fits(inner, assigned)
    if outside == INT and assigned == BOOL:
        return True
    if outside in (INT, FLOAT, NUMBER) and assigned == TENSOR:
        return True
    return outside == NUMBER and assigned in (INT, FLOAT, BOOL)


def is_mixed_tuple(kind: Type | None) -> bool:
    """A tuple whose elements have certain, different types (``Tuple[Tensor, int]``)."""
    return (
        kind is not None
        and kind.name == TUPLE
        and len(set(kind.args)) > 1
        and all(element in MERGEABLE_CONFLICTS for element in kind.args)
    )


def torchscript_spelling(kind: Type) -> str:
    """How TorchScript's error messages spell ``kind`` (``NoneType`` for None)."""
    return "NoneType" if kind == NONE else str(kind)
