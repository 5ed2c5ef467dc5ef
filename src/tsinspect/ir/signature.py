"""Forward's inputs and outputs and their TorchScript types.

Built from ``module.forward.schema`` (a ``torch.FunctionSchema``), which both
scripted and traced modules keep after a save/load round trip: traced modules
keep the Python argument names too. Types are read from the c10 type objects
(``torch.TensorType``, ``torch.OptionalType``...), not parsed from strings.

The records here are plain frozen dataclasses: nothing downstream of
:func:`read_signature` touches torch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tsinspect.errors import ModelArchiveError

#: Every value ``TorchType.kind`` can take.
TYPE_KINDS: frozenset[str] = frozenset(
    {
        "Tensor",
        "int",
        "float",
        "bool",
        "str",
        "None",
        "Optional",
        "List",
        "Dict",
        "Tuple",
        "Device",
        "Other",
    }
)

_MANGLE = re.compile(r"___torch_mangle_\d+\.")

# c10 type class name -> our kind, for the types without contained types.
_SCALAR_KINDS: dict[str, str] = {
    "TensorType": "Tensor",
    "IntType": "int",
    "FloatType": "float",
    "BoolType": "bool",
    "StringType": "str",
    "NoneType": "None",
    "DeviceObjType": "Device",
}

# c10 type class name -> our kind, for the containers.
_CONTAINER_KINDS: dict[str, str] = {
    "OptionalType": "Optional",
    "ListType": "List",
    "DictType": "Dict",
    "TupleType": "Tuple",
}


@dataclass(frozen=True)
class TorchType:
    """A TorchScript type as a tree: ``kind``, contained types ``args``, and its ``text``.

    ``text`` is the annotation as a Python user writes it (``Optional[Tensor]``,
    ``Dict[str, Tensor]``); ``kind`` is one of :data:`TYPE_KINDS`. Types that
    Triton never sees in practice (Union, Any, classes, NamedTuple fields...)
    have kind ``Other`` unless they are a tuple, and keep their text.
    """

    kind: str
    args: tuple[TorchType, ...] = ()
    text: str = ""

    def __str__(self) -> str:
        return self.text

    @property
    def is_tensor(self) -> bool:
        """True for a plain ``Tensor``."""
        return self.kind == "Tensor"

    @property
    def is_optional(self) -> bool:
        """True for ``Optional[...]``."""
        return self.kind == "Optional"

    @property
    def is_str_list(self) -> bool:
        """True for ``List[str]``, the type Triton's PyTorch backend uses for TYPE_STRING."""
        return self.kind == "List" and len(self.args) == 1 and self.args[0].kind == "str"

    @property
    def is_str_tensor_dict(self) -> bool:
        """True for ``Dict[str, Tensor]``, Triton's dict-input mode."""
        return (
            self.kind == "Dict"
            and len(self.args) == 2
            and self.args[0].kind == "str"
            and self.args[1].kind == "Tensor"
        )

    @property
    def element(self) -> TorchType | None:
        """The element type of a ``List`` or ``Optional``, the value type of a ``Dict``; else None."""
        if self.kind in ("List", "Optional") and self.args:
            return self.args[0]
        if self.kind == "Dict" and len(self.args) == 2:
            return self.args[1]
        return None

    def tensor_count(self) -> int | None:
        """How many tensors a value of this type holds, when the type fixes it.

        A Tensor is 1, a Tuple is the sum of its elements, a scalar is 0; a List,
        Dict or Optional holding tensors has no fixed count (None).
        """
        if self.kind == "Tensor":
            return 1
        if self.kind == "Tuple":
            total = 0
            for arg in self.args:
                count = arg.tensor_count()
                if count is None:
                    return None
                total += count
            return total
        if self.kind in ("List", "Dict", "Optional"):
            return 0 if not self.contains_tensor() else None
        return 0

    def contains_tensor(self) -> bool:
        """True when a Tensor appears anywhere in this type."""
        return self.kind == "Tensor" or any(arg.contains_tensor() for arg in self.args)


@dataclass(frozen=True)
class Argument:
    """One argument of ``forward`` (``self`` excluded).

    ``default`` is the default value as Python source text (``"None"``, ``"3"``,
    ``"'hi'"``), or ``None`` when the argument has no default.
    """

    name: str
    type: TorchType
    default: str | None = None
    keyword_only: bool = False

    @property
    def has_default(self) -> bool:
        """True when callers may leave this argument out."""
        return self.default is not None


@dataclass(frozen=True)
class Signature:
    """Forward's arguments (without ``self``) and its return type."""

    arguments: tuple[Argument, ...]
    returns: TorchType
    method: str = "forward"

    @property
    def argument_names(self) -> tuple[str, ...]:
        """The argument names, in order."""
        return tuple(argument.name for argument in self.arguments)

    def argument(self, name: str) -> Argument:
        """The argument called ``name``; KeyError if there is none."""
        for argument in self.arguments:
            if argument.name == name:
                return argument
        raise KeyError(name)

    def __str__(self) -> str:
        parts = []
        for argument in self.arguments:
            text = f"{argument.name}: {argument.type.text}"
            if argument.default is not None:
                text += f" = {argument.default}"
            parts.append(text)
        return f"{self.method}({', '.join(parts)}) -> {self.returns.text}"


def torch_type(c10_type: Any) -> TorchType:
    """Convert a c10 type object (``torch.TensorType``, ``torch.OptionalType``...) to a TorchType."""
    class_name = type(c10_type).__name__
    text = _annotation_text(c10_type)
    scalar_kind = _SCALAR_KINDS.get(class_name)
    if scalar_kind is not None:
        return TorchType(kind=scalar_kind, text=text)
    container_kind = _CONTAINER_KINDS.get(class_name)
    if container_kind is not None:
        contained = tuple(torch_type(inner) for inner in c10_type.containedTypes())
        return TorchType(kind=container_kind, args=contained, text=text)
    # Union, Any, Number, classes, interfaces, futures...: no Triton mapping exists.
    return TorchType(kind="Other", text=text)


def _annotation_text(c10_type: Any) -> str:
    try:
        text = str(c10_type.annotation_str)
    except (AttributeError, RuntimeError):
        text = str(c10_type)
    # Class types read "__torch__.pkg.___torch_mangle_3.Linear" in the archive; users wrote
    # "pkg.Linear". (annotation_str already spells Tensor, Device, Optional[...] as users do.)
    return _MANGLE.sub("", text.replace("__torch__.", ""))


def default_text(value: Any) -> str:
    """A schema default value as short Python source text (tensors summarised by shape and dtype)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return repr(value)
    if isinstance(value, (tuple, list)):
        inner = ", ".join(default_text(item) for item in value)
        if isinstance(value, tuple):
            return f"({inner},)" if len(value) == 1 else f"({inner})"
        return f"[{inner}]"
    shape = getattr(value, "shape", None)
    dtype = getattr(value, "dtype", None)
    if shape is not None and dtype is not None:
        dims = ", ".join(str(int(d)) for d in shape)
        return f"tensor(shape=[{dims}], dtype={str(dtype).removeprefix('torch.')})"
    text = repr(value)
    return text.splitlines()[0] if text else type(value).__name__


def signature_from_schema(schema: Any, method: str = "forward") -> Signature:
    """Build a Signature from a ``torch.FunctionSchema``, dropping the leading module argument.

    The module argument is recognised by its type (a ClassType), not its name, as
    Triton's backend does (pytorch_backend model_instance_state.cc ValidateInputs):
    ``def forward(s, x)`` is as valid as ``def forward(self, x)``.
    """
    import torch

    arguments = []
    for position, c10_argument in enumerate(schema.arguments):
        if position == 0 and isinstance(c10_argument.type, torch._C.ClassType):
            continue
        default = (
            default_text(c10_argument.default_value) if c10_argument.has_default_value() else None
        )
        arguments.append(
            Argument(
                name=str(c10_argument.name),
                type=torch_type(c10_argument.type),
                default=default,
                keyword_only=bool(c10_argument.kwarg_only),
            )
        )
    returns = [torch_type(ret.type) for ret in schema.returns]
    if not returns:
        return_type = TorchType(kind="None", text="None")
    elif len(returns) == 1:
        return_type = returns[0]
    else:  # TorchScript methods return one value; native schemas may return several.
        text = "Tuple[" + ", ".join(r.text for r in returns) + "]"
        return_type = TorchType(kind="Tuple", args=tuple(returns), text=text)
    return Signature(arguments=tuple(arguments), returns=return_type, method=method)


def read_signature(
    script_module: Any, method: str = "forward", path: str | None = None
) -> Signature:
    """The signature of ``script_module.<method>`` (scripted or traced), without ``self``.

    Raises ModelArchiveError when the archive has no such method, which is what
    ``@torch.jit.ignore`` or ``@torch.jit.unused`` on ``forward`` produce.
    """
    if not _has_method(script_module, method):
        raise ModelArchiveError(
            f"the TorchScript archive has no compiled {method}() method "
            f"(was it decorated with @torch.jit.ignore or @torch.jit.unused?): "
            f"remove the decorator and export the model again",
            path=path,
        )
    schema = getattr(script_module, method).schema
    return signature_from_schema(schema, method=method)


def _has_method(script_module: Any, method: str) -> bool:
    c_module = getattr(script_module, "_c", None)
    if c_module is not None and hasattr(c_module, "_has_method"):
        return bool(c_module._has_method(method))
    return hasattr(script_module, method)
