"""TorchScript's operator schemas and builtin tables for a torch release, read without torch.

``scripts/gen_schemas.py`` asks an installed torch (``torch._C._jit_get_all_schemas()``,
``torch.jit._builtins``, and the real ``torch.jit.script`` for what only measurement tells)
and writes ``schemas/torch-<major>.<minor>.json.gz`` next to this module. This module reads
that file lazily, once, with the standard library only: the linter never imports torch.

What the data answers, all as TorchScript's front end sees it:

- the schemas of an operator, ``operator_schemas("aten::add")``: every overload of the
  ``aten`` and ``prim`` operators, in the order TorchScript tries them, then TorchScript's
  builtin functions of that name (``add(float a, Tensor b) -> Tensor``, from
  ``torch/csrc/jit/frontend/builtin_functions.cpp``);
- what a Python callable compiles to, ``resolve("torch.nn.functional.pad")``: a builtin
  operator (``torch.add`` -> ``aten::add``, by ``torch.jit._builtins``), a function compiled
  from its Python source (with the signature TorchScript gives it), a boolean dispatch
  (``F.max_pool2d``'s ``return_indices``), or something TorchScript rejects;
- the members of TorchScript's ``Tensor``: ``x.m(...)`` resolves when some ``aten::m``
  operator has an argument named ``self`` that accepts a Tensor (``SimpleValue::attr`` and
  ``BuiltinFunction::tryCreate`` in ``torch/csrc/jit/frontend/sugared_value.cpp``), or ``m`` is
  one of the cast methods (``x.float()``...), ``tolist`` or ``type``; the attributes
  (``x.shape``, ``x.dtype``...) are the front end's builtin properties, measured with their types.

Types are kept as TorchScript prints them in a schema (``float?``, ``int[2]``,
``Tensor(a!)``, ``Scalar``) and parsed into ``SchemaType``; ``SchemaType.annotation`` gives the
spelling TorchScript's error messages use (``Optional[float]``, ``List[int]``, ``number``).

Unknown is None everywhere: a name the data does not cover, a version that is not shipped.
Rules never report on None.
"""

from __future__ import annotations

import functools
import gzip
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

__all__ = [
    "DataError",
    "Dispatch",
    "OperatorSchema",
    "PythonCallable",
    "SchemaArgument",
    "SchemaSet",
    "SchemaType",
    "available_versions",
    "load_schemas",
    "operator_schemas",
    "parse_schema",
    "parse_type",
    "resolve",
    "schema_fingerprint",
    "schemas_for",
    "tensor_attribute_type",
    "tensor_has_attribute",
    "tensor_has_method",
    "tensor_method_return_type",
    "torch_version",
]

FORMAT = 1
DATA_PACKAGE = "tsinspect.lint.types"
DATA_DIR = "schemas"
_FILE = re.compile(r"^torch-(\d+)\.(\d+)\.json\.gz$")

# Base types whose names start with a lower-case letter but are not type variables.
_LOWER_BASES = frozenset({"int", "float", "bool", "str", "complex", "number"})
# Containers whose parenthesised part holds element types (``Dict(str, t)``); on any other
# base the parentheses hold an alias annotation (``Tensor(a!)``).
_CONTAINERS = frozenset({"Dict", "Future", "RRef", "Await", "Union"})
# What TorchScript's error messages print for a schema-only base type (``Argument::type()``,
# the "fake" type, against ``real_type()``).
_FAKE_TYPES = {
    "Scalar": "number",
    "SymInt": "int",
    "SymFloat": "float",
    "SymBool": "bool",
    "ScalarType": "int",
    "Layout": "int",
    "MemoryFormat": "int",
    "Dimname": "str",
}


class DataError(Exception):
    """The shipped schema data is missing or malformed (a packaging bug, not the user's)."""


# ------------------------------------------------------------------------------------------
# types and schemas
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SchemaType:
    """A type as an operator schema writes it.

    ``kind`` is the base name (``Tensor``, ``int``, ``Scalar``, ``ScalarType``, a type variable
    such as ``t``, a class name) or a container: ``List`` (``int[]``, ``int[2]``: ``size`` 2),
    ``Optional`` (``float?``), ``Tuple`` (``(Tensor, Tensor)``), ``Dict``, ``Union``,
    ``Future``, ``RRef``, ``Await``. ``alias`` is the alias annotation without parentheses
    (``a!`` for ``Tensor(a!)``); it never changes what the type accepts.
    """

    kind: str
    args: tuple[SchemaType, ...] = ()
    size: int | None = None
    alias: str | None = None

    def __str__(self) -> str:
        alias = f"({self.alias})" if self.alias is not None else ""
        if self.kind == "List":
            size = "" if self.size is None else str(self.size)
            return f"{self.args[0]}[{size}]{alias}"
        if self.kind == "Optional":
            return f"{self.args[0]}?{alias}"
        if self.kind == "Tuple":
            return "(" + ", ".join(map(str, self.args)) + ")" + alias
        if self.kind in _CONTAINERS:
            return f"{self.kind}(" + ", ".join(map(str, self.args)) + ")" + alias
        return self.kind + alias

    @property
    def annotation(self) -> str:
        """The type as TorchScript's error messages spell it: ``Optional[float]``, ``List[int]``,
        ``number`` for ``Scalar``, ``int`` for ``ScalarType`` and ``SymInt``."""
        if self.kind == "Tuple":
            return "Tuple[" + (", ".join(a.annotation for a in self.args) or "()") + "]"
        if self.kind in {"List", "Optional", "Dict", "Union", "Future", "RRef", "Await"}:
            return f"{self.kind}[" + ", ".join(a.annotation for a in self.args) + "]"
        return _FAKE_TYPES.get(self.kind, self.kind)

    @property
    def is_optional(self) -> bool:
        return self.kind == "Optional"

    @property
    def is_tensor(self) -> bool:
        """Exactly ``Tensor`` (with or without an alias annotation)."""
        return self.kind == "Tensor"

    @property
    def is_type_variable(self) -> bool:
        """``t``, ``t1``...: a type variable that TorchScript binds at the call."""
        return self.kind[:1].islower() and self.kind not in _LOWER_BASES

    def accepts_tensor(self) -> bool:
        """A Tensor may be passed here: ``Tensor``, ``Tensor?``, a union with ``Tensor``,
        ``Any`` or a type variable (the test of ``BuiltinFunction::tryCreate`` for ``self``)."""
        if self.kind in {"Tensor", "Any"} or self.is_type_variable:
            return True
        if self.kind in {"Optional", "Union"}:
            return any(arg.accepts_tensor() for arg in self.args)
        return False


TENSOR = SchemaType("Tensor")


@dataclass(frozen=True)
class SchemaArgument:
    """One argument of a schema."""

    name: str
    type: SchemaType
    kwarg_only: bool = False
    default: str | None = None  # as the schema prints it: ``None``, ``1``, ``"mean"``, ``[0, 0]``

    @property
    def has_default(self) -> bool:
        return self.default is not None

    @property
    def is_write(self) -> bool:
        """An argument the operator writes to (``Tensor(a!) out``)."""
        return self.type.alias is not None and "!" in self.type.alias


SchemaSource = Literal["operator", "function", "script"]


@dataclass(frozen=True)
class OperatorSchema:
    """A schema TorchScript matches a call against.

    ``source``: ``operator`` (a registered operator, ``aten::add.Tensor(...)``), ``function``
    (one of TorchScript's builtin functions, written in TorchScript itself, which the front end
    tries after the operators of the same name but never uses to resolve a method), or
    ``script`` (the signature TorchScript gives a Python function it compiles from source).
    """

    name: str
    overload: str
    arguments: tuple[SchemaArgument, ...]
    returns: tuple[SchemaType, ...]
    source: SchemaSource = "operator"
    vararg: bool = False  # ``...`` among the arguments
    varret: bool = False  # ``...`` as the returns
    text: str = ""  # as TorchScript prints it

    def __str__(self) -> str:
        return self.text

    @property
    def qualified_name(self) -> str:
        """``aten::add.Tensor``; the bare name when there is no overload name."""
        return f"{self.name}.{self.overload}" if self.overload else self.name

    @property
    def self_argument(self) -> SchemaArgument | None:
        """The argument named ``self``, which a method call binds its receiver to."""
        for argument in self.arguments:
            if argument.name == "self":
                return argument
        return None

    def is_tensor_method(self) -> bool:
        """``x.<name>(...)`` on a Tensor ``x`` may match this schema."""
        argument = self.self_argument
        return argument is not None and argument.type.accepts_tensor()

    @property
    def return_type(self) -> SchemaType | None:
        """The single return's type; a tuple type for several returns; None for none or ``...``."""
        if self.varret or not self.returns:
            return None
        if len(self.returns) == 1:
            return self.returns[0]
        return SchemaType("Tuple", self.returns)


class SchemaSyntaxError(DataError):
    """A schema or type string the parser does not understand."""


def _split_top(text: str, separator: str = ",") -> list[str]:
    """Split at ``separator`` outside brackets and string literals; parts are stripped."""
    parts: list[str] = []
    depth = 0
    quote: str | None = None
    start = 0
    index = 0
    while index < len(text):
        char = text[index]
        if quote is not None:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == separator and depth == 0:
            parts.append(text[start:index].strip())
            start = index + 1
        index += 1
    parts.append(text[start:].strip())
    return parts


def _closing(text: str, start: int) -> int:
    """Index of the bracket closing the one at ``start``."""
    depth = 0
    quote: str | None = None
    index = start
    while index < len(text):
        char = text[index]
        if quote is not None:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    raise SchemaSyntaxError(f"unbalanced brackets in {text!r}")


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_.:]*")


@functools.lru_cache(maxsize=4096)
def parse_type(text: str) -> SchemaType:
    """Parse a type as a schema prints it: ``Tensor(a!)``, ``int[2]?``, ``Dict(str, t)``..."""
    parsed, end = _parse_type(text.strip(), 0)
    if end != len(text.strip()):
        raise SchemaSyntaxError(f"unexpected {text.strip()[end:]!r} in type {text!r}")
    return parsed


def _parse_type(text: str, index: int) -> tuple[SchemaType, int]:
    if text.startswith("(", index):
        close = _closing(text, index)
        inner = text[index + 1 : close].strip()
        elements = tuple(parse_type(part) for part in _split_top(inner)) if inner else ()
        result = SchemaType("Tuple", elements)
        index = close + 1
    else:
        match = _IDENT.match(text, index)
        if match is None:
            raise SchemaSyntaxError(f"expected a type at {text[index:]!r}")
        kind = match.group()
        index = match.end()
        if kind in _CONTAINERS and text.startswith("(", index):
            close = _closing(text, index)
            args = tuple(parse_type(part) for part in _split_top(text[index + 1 : close]))
            result = SchemaType(kind, args)
            index = close + 1
        else:
            result = SchemaType(kind)
    while index < len(text):
        char = text[index]
        if char == "[":
            close = text.index("]", index)
            size = text[index + 1 : close].strip()
            result = SchemaType("List", (result,), size=int(size) if size else None)
            index = close + 1
        elif char == "?":
            result = SchemaType("Optional", (result,))
            index += 1
        elif char == "(":
            close = _closing(text, index)
            result = SchemaType(result.kind, result.args, result.size, text[index + 1 : close])
            index = close + 1
        else:
            break
    return result, index


def _parse_argument(text: str) -> tuple[str, SchemaType, str | None]:
    parts = _split_top(text, "=")
    default = "=".join(parts[1:]).strip() if len(parts) > 1 else None
    declaration = parts[0]
    # the name is the last word outside brackets: `Tensor(a -> *) self`
    depth = 0
    cut = -1
    for index, char in enumerate(declaration):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == " " and depth == 0:
            cut = index
    if cut < 0:
        return "", parse_type(declaration), default
    return declaration[cut + 1 :], parse_type(declaration[:cut]), default


@functools.lru_cache(maxsize=8192)
def parse_schema(text: str, source: SchemaSource = "operator") -> OperatorSchema:
    """Parse a schema as TorchScript prints it: ``aten::add.Tensor(Tensor self, ...) -> Tensor``."""
    open_paren = text.find("(")
    if open_paren < 0:
        raise SchemaSyntaxError(f"no argument list in {text!r}")
    close = _closing(text, open_paren)
    head = text[:open_paren]
    namespace, _, bare = head.rpartition("::")
    name, _, overload = bare.partition(".")
    name = f"{namespace}::{name}" if namespace else name
    arguments: list[SchemaArgument] = []
    kwarg_only = False
    vararg = False
    inner = text[open_paren + 1 : close].strip()
    for part in _split_top(inner) if inner else []:
        if part == "*":
            kwarg_only = True
        elif part == "...":
            vararg = True
        else:
            arg_name, arg_type, default = _parse_argument(part)
            arguments.append(SchemaArgument(arg_name, arg_type, kwarg_only, default))
    rest = text[close + 1 :].strip()
    if not rest.startswith("->"):
        raise SchemaSyntaxError(f"no returns in {text!r}")
    returns_text = rest[2:].strip()
    varret = returns_text == "..."
    returns: tuple[SchemaType, ...] = ()
    if returns_text.startswith("(") and _closing(returns_text, 0) == len(returns_text) - 1:
        inner = returns_text[1:-1].strip()
        if inner:
            returns = tuple(_parse_argument(part)[1] for part in _split_top(inner))
    elif not varret:
        returns = (_parse_argument(returns_text)[1],)
    return OperatorSchema(
        name=name,
        overload=overload,
        arguments=tuple(arguments),
        returns=returns,
        source=source,
        vararg=vararg,
        varret=varret,
        text=text,
    )


# ------------------------------------------------------------------------------------------
# Python callables
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dispatch:
    """A boolean dispatch (``torch._jit_internal.boolean_dispatch``): the function called
    depends on a bool argument that must be a constant, e.g. ``F.max_pool2d``'s
    ``return_indices``."""

    arg: str
    index: int  # its position
    default: bool
    if_true: tuple[OperatorSchema, ...]
    if_false: tuple[OperatorSchema, ...]


CallableKind = Literal["builtin", "script", "dispatch", "unsupported"]


@dataclass(frozen=True)
class PythonCallable:
    """What TorchScript makes of a call to a Python callable, found by its qualified name.

    - ``builtin``: the callable is in TorchScript's builtin table (``torch.jit._builtins``) and
      calls operator ``op``; ``schemas`` are its operators' and builtin functions' schemas,
      empty when there is no such operator ("Unknown builtin op");
    - ``script``: a Python function TorchScript compiles from source; ``schemas`` has its
      signature (several for an ``@overload``-ed function);
    - ``dispatch``: see ``Dispatch``; ``schemas`` has both sides;
    - ``unsupported``: TorchScript rejects the call or the function itself; ``reason`` is the
      first line of its error.
    """

    name: str
    kind: CallableKind
    schemas: tuple[OperatorSchema, ...] = ()
    op: str | None = None
    dispatch: Dispatch | None = None
    reason: str | None = None


# ------------------------------------------------------------------------------------------
# the data of one torch release
# ------------------------------------------------------------------------------------------


class SchemaSet:
    """The schemas and builtin tables of one torch release (one shipped data file)."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        if data.get("format") != FORMAT:
            raise DataError(f"schema data format {data.get('format')!r}, expected {FORMAT}")
        self.torch_version: str = data["torch"]
        self.fingerprint: str = data["fingerprint"]
        self._operators: Mapping[str, list[str]] = data["operators"]
        self._functions: Mapping[str, list[str]] = data["functions"]
        self._python: Mapping[str, Any] = data["python"]
        tensor = data["tensor"]
        self._methods = frozenset(tensor["methods"])
        self._casts = frozenset(tensor["casts"])
        self._attributes: Mapping[str, str] = tensor["attributes"]
        self.eager_only_tensor_members: frozenset[str] = frozenset(tensor["eager_only"])

    # --- operators ---------------------------------------------------------------------------
    def operator_names(self) -> Iterator[str]:
        """Every operator name with schemas (``aten::add``...)."""
        return iter(self._operators)

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - one SchemaSet per shipped file, kept for the process
    def operator_schemas(self, op: str) -> tuple[OperatorSchema, ...] | None:
        """Every schema TorchScript tries for ``op`` (``aten::add``), in its order: the
        operators', then the builtin functions'. None when ``op`` has neither."""
        texts = self._operators.get(op)
        functions = self._functions.get(op)
        if texts is None and functions is None:
            return None
        schemas = [parse_schema(text) for text in texts or ()]
        for text in functions or ():
            schema = parse_schema(text, "function")
            schemas.append(_renamed(schema, op))
        return tuple(schemas)

    # --- Python callables --------------------------------------------------------------------
    @functools.lru_cache(maxsize=4096)  # noqa: B019
    def resolve(self, name: str) -> PythonCallable | None:
        """What TorchScript makes of a call to the Python callable ``name``
        (``torch.add``, ``torch.nn.functional.pad``, ``math.sqrt``); None when not covered."""
        entry = self._python.get(name)
        if entry is None:
            return None
        if isinstance(entry, str):
            return PythonCallable(name, "builtin", self.operator_schemas(entry) or (), op=entry)
        if "script" in entry:
            schemas = tuple(parse_schema(text, "script") for text in entry["script"])
            return PythonCallable(name, "script", schemas)
        if "dispatch" in entry:
            spec = entry["dispatch"]
            if_true = tuple(parse_schema(text, "script") for text in spec["true"])
            if_false = tuple(parse_schema(text, "script") for text in spec["false"])
            dispatch = Dispatch(spec["arg"], spec["index"], spec["default"], if_true, if_false)
            return PythonCallable(name, "dispatch", if_false + if_true, dispatch=dispatch)
        return PythonCallable(name, "unsupported", reason=entry["unsupported"])

    def python_names(self) -> Iterator[str]:
        """Every Python qualified name the data covers."""
        return iter(self._python)

    def schemas_for(self, name: str) -> tuple[OperatorSchema, ...] | None:
        """The schemas a call may match: ``torch.add`` / ``torch.nn.functional.pad`` (Python
        callables), ``Tensor.add`` / ``torch.Tensor.add`` (methods: the schemas whose ``self``
        takes a Tensor), ``aten::add`` (an operator). None when unknown; empty when TorchScript
        has nothing to call (an unknown builtin op, a rejected function)."""
        if "::" in name:
            return self.operator_schemas(name)
        for prefix in ("Tensor.", "torch.Tensor."):
            if name.startswith(prefix):
                return self.tensor_method_schemas(name[len(prefix) :])
        resolved = self.resolve(name)
        return None if resolved is None else resolved.schemas

    # --- Tensor ------------------------------------------------------------------------------
    def tensor_has_method(self, name: str) -> bool | None:
        """``x.name(...)`` resolves on a Tensor ``x``: an ``aten`` operator with a ``self`` that
        takes a Tensor, a cast method (``x.float()``), ``tolist`` or ``type``. None for dunder
        names, which the data does not cover."""
        if name.startswith("__"):
            return None
        return name in self._methods

    def tensor_has_attribute(self, name: str) -> bool | None:
        """``x.name`` is a value on a Tensor ``x`` (``x.shape``, ``x.dtype``, ``x.T``...). None for
        dunder names."""
        if name.startswith("__"):
            return None
        return name in self._attributes

    def tensor_attribute_type(self, name: str) -> SchemaType | None:
        """The type of ``x.name``: ``int[]`` for ``shape``, ``int`` for ``dtype``..."""
        text = self._attributes.get(name)
        return None if text is None else parse_type(text)

    def tensor_casts(self) -> frozenset[str]:
        """The cast methods the front end turns into ``aten::to``: ``float``, ``long``..."""
        return self._casts

    def tensor_methods(self) -> frozenset[str]:
        """Every method name a Tensor has in TorchScript."""
        return self._methods

    def tensor_attributes(self) -> Mapping[str, str]:
        """Every attribute a Tensor has in TorchScript, with its type as a schema writes it."""
        return self._attributes

    def tensor_method_schemas(self, name: str) -> tuple[OperatorSchema, ...] | None:
        """The schemas ``x.name(...)`` may match (their ``self`` takes a Tensor). None when
        ``x.name`` is no method or one without schemas (a cast, ``tolist``)."""
        if not self.tensor_has_method(name):
            return None
        schemas = self.operator_schemas(f"aten::{name}")
        if schemas is None:
            return None
        return tuple(schema for schema in schemas if schema.is_tensor_method())

    def tensor_method_return_type(self, name: str) -> SchemaType | None:
        """The type ``x.name(...)`` returns whatever overload matches: ``Tensor`` for a cast;
        otherwise the return type when every schema the call may match returns the same one
        (alias annotations aside). None when it depends on the overload, or is unknown."""
        if name in self._casts:
            return TENSOR
        schemas = self.tensor_method_schemas(name)
        if not schemas:
            return None
        types = {_unaliased(schema.return_type) for schema in schemas}
        if len(types) != 1:
            return None
        return types.pop()


def _renamed(schema: OperatorSchema, name: str) -> OperatorSchema:
    """A builtin function prints without its namespace: give it the operator's name."""
    return OperatorSchema(
        name=name,
        overload=schema.overload,
        arguments=schema.arguments,
        returns=schema.returns,
        source=schema.source,
        vararg=schema.vararg,
        varret=schema.varret,
        text=schema.text,
    )


def _unaliased(kind: SchemaType | None) -> SchemaType | None:
    if kind is None:
        return None
    return SchemaType(kind.kind, tuple(_unaliased(a) or a for a in kind.args), kind.size)


# ------------------------------------------------------------------------------------------
# loading
# ------------------------------------------------------------------------------------------


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


@functools.lru_cache(maxsize=1)
def available_versions() -> tuple[str, ...]:
    """The torch releases (``major.minor``) whose data is shipped, oldest first."""
    directory = resources.files(DATA_PACKAGE).joinpath(DATA_DIR)
    versions = []
    for entry in directory.iterdir():
        match = _FILE.match(entry.name)
        if match:
            versions.append(f"{match.group(1)}.{match.group(2)}")
    return tuple(sorted(versions, key=_version_key))


def data_file_name(version: str) -> str:
    """``torch-2.13.json.gz`` for ``2.13`` (or ``2.13.0``, ``2.13.0+cpu``)."""
    major, minor = version.split("+")[0].split(".")[:2]
    return f"torch-{major}.{minor}.json.gz"


@functools.lru_cache(maxsize=8)
def load_schemas(version: str | None = None) -> SchemaSet | None:
    """The data of torch ``version`` (``2.13``; a patch or local part is ignored), by default
    the newest shipped; None when that release is not shipped."""
    if version is None:
        versions = available_versions()
        if not versions:
            return None
        version = versions[-1]
    name = data_file_name(version)
    entry = resources.files(DATA_PACKAGE).joinpath(DATA_DIR).joinpath(name)
    if not entry.is_file():
        return None
    try:
        data = json.loads(gzip.decompress(entry.read_bytes()))
    except (OSError, ValueError) as error:
        raise DataError(f"cannot read {name}: {error}") from error
    return SchemaSet(data)


# ------------------------------------------------------------------------------------------
# the default release: module-level shortcuts
# ------------------------------------------------------------------------------------------


def torch_version(version: str | None = None) -> str | None:
    """The full torch version the data was generated from (``2.13.0``)."""
    data = load_schemas(version)
    return None if data is None else data.torch_version


def schema_fingerprint(version: str | None = None) -> str | None:
    """A SHA-256 of the data's content: a cache of lint results keys on it."""
    data = load_schemas(version)
    return None if data is None else data.fingerprint


def operator_schemas(op: str, version: str | None = None) -> tuple[OperatorSchema, ...] | None:
    """``SchemaSet.operator_schemas`` of the default (or given) release."""
    data = load_schemas(version)
    return None if data is None else data.operator_schemas(op)


def resolve(name: str, version: str | None = None) -> PythonCallable | None:
    """``SchemaSet.resolve`` of the default (or given) release."""
    data = load_schemas(version)
    return None if data is None else data.resolve(name)


def schemas_for(name: str, version: str | None = None) -> tuple[OperatorSchema, ...] | None:
    """``SchemaSet.schemas_for`` of the default (or given) release."""
    data = load_schemas(version)
    return None if data is None else data.schemas_for(name)


def tensor_has_method(name: str, version: str | None = None) -> bool | None:
    """``SchemaSet.tensor_has_method`` of the default (or given) release."""
    data = load_schemas(version)
    return None if data is None else data.tensor_has_method(name)


def tensor_has_attribute(name: str, version: str | None = None) -> bool | None:
    """``SchemaSet.tensor_has_attribute`` of the default (or given) release."""
    data = load_schemas(version)
    return None if data is None else data.tensor_has_attribute(name)


def tensor_attribute_type(name: str, version: str | None = None) -> SchemaType | None:
    """``SchemaSet.tensor_attribute_type`` of the default (or given) release."""
    data = load_schemas(version)
    return None if data is None else data.tensor_attribute_type(name)


def tensor_method_return_type(name: str, version: str | None = None) -> SchemaType | None:
    """``SchemaSet.tensor_method_return_type`` of the default (or given) release."""
    data = load_schemas(version)
    return None if data is None else data.tensor_method_return_type(name)
