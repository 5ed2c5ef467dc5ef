"""Generate the operator schema data the linter ships, from the installed torch.

    python scripts/gen_schemas.py            # write src/tsinspect/lint/types/schemas/torch-X.Y.json.gz
    python scripts/gen_schemas.py --check    # exit 1 when the shipped file differs (the test runs this)

The linter never imports torch; it reads this file through ``tsinspect.lint.types.schema_data``.
What goes in, and where TorchScript keeps it (torch/csrc/jit/... in the pytorch repository at
the release's tag; docs/dev/type-system.md has the details):

- ``operators``: every ``aten::`` and ``prim::`` operator schema from
  ``torch._C._jit_get_schemas_for_operator`` (the order TorchScript tries the overloads in),
  printed as TorchScript prints them. Other namespaces (``quantized::``, ``mkldnn::``...) are
  left out: Python code reaches them only through ``torch.ops``, and which of them exist
  depends on the build, not on the release.
- ``functions``: TorchScript's builtin functions (frontend/builtin_functions.cpp), which the
  front end tries after the operators of the same name (``add(float a, Tensor b)``). Python
  cannot list them: they are read from the error TorchScript gives for a call that matches none.
- ``python``: what a Python callable compiles to, for the public callables of ``torch``,
  ``torch.nn.functional``, ``torch.linalg``, ``torch.fft``, ``torch.special``, ``math``... and
  everything in ``torch.jit._builtins._builtin_ops``: the builtin operator it maps to, or the
  signature TorchScript compiles its Python source to, or its boolean dispatch, or the first
  line of TorchScript's error. Decided in the order of ``toSugaredValue``
  (python/python_sugared_value.cpp).
- ``tensor``: the methods of TorchScript's Tensor (an ``aten::m`` with a ``self`` argument that
  takes a Tensor, the cast methods, ``tolist``, ``type``: frontend/sugared_value.cpp,
  ``SimpleValue::attr`` and ``BuiltinFunction::tryCreate``), its attributes with their types,
  and the public names of ``torch.Tensor`` that TorchScript's Tensor lacks. The generator
  measures every public name of ``torch.Tensor`` with the real compiler and fails when the
  measurement and the rule above disagree.
- ``torch``: the version, and ``fingerprint``: a SHA-256 of the rest (a lint cache keys on it).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib
import inspect
import json
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "src" / "tsinspect" / "lint" / "types" / "schemas"
FORMAT = 1

NAMESPACES = ("aten", "prim")
# Modules whose public callables are looked up (``F.pad`` is ``torch.nn.functional.pad``).
MODULES = (
    "torch",
    "torch.nn.functional",
    "torch.functional",
    "torch.linalg",
    "torch.fft",
    "torch.special",
    "torch.nn.init",
    "math",
    "cmath",
)
# torch.autograd and warnings hold a few builtins among much else: only those are kept.
BUILTINS_ONLY_MODULES = ("torch.autograd", "warnings")
# The cast methods of SimpleValue::attr (builtin_cast_method_to_scalar_type).
CASTS = ("byte", "char", "double", "float", "cfloat", "cdouble", "int", "long", "short", "half")
# The Tensor properties of SimpleValue::attr (builtin_properties): attributes, which shadow the
# operators of the same name (`x.data` is prim::data, never aten::data).
PROPERTIES = (
    "dtype", "device", "grad", "data", "shape", "is_cuda", "is_cpu", "is_xla", "is_xpu",
    "is_sparse", "is_sparse_csr", "is_mkldnn", "is_mps", "is_mtia", "is_quantized", "is_vulkan",
    "is_ipu", "is_meta", "is_leaf", "is_nested", "requires_grad", "layout", "T", "H", "mT", "mH",
    "is_maia", "itemsize", "nbytes", "ndim", "name", "real", "imag", "retains_grad",
)  # fmt: skip
# Tensor methods the front end handles itself: `x.tolist()` (a special form) and `x.type(...)`
# (aten::to).
SPECIAL_METHODS = ("tolist", "type")
# The names TorchScript's builtin functions are registered under (builtin_functions.cpp).
BUILTIN_FUNCTION_NAMES = (
    "add",
    "sub",
    "mul",
    "div",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "floordiv",
    "_single",
    "_pair",
    "_triple",
    "_quadruple",
    "_assert_int_or_pair",
    "list_with_default",
    "_assert",
    "device",
    "__contains__",
)
# An argument no schema takes, repeated more often than any schema has arguments: the call
# matches nothing and the error lists every candidate.
_BAD_CALL = "def f(x: list[list[list[str]]]):\n    return {callee}({args})\n"
_BAD_ARGS = ", ".join(["x"] * 40)


def _torch() -> Any:
    import torch

    return torch


def _compile(source: str, env: dict[str, Any]) -> tuple[Any, str | None]:
    """Compile ``source`` with names resolved from ``env``: (the compilation unit, None) or
    (None, TorchScript's error)."""
    torch = _torch()
    unit = torch._C.CompilationUnit()
    try:
        unit.define(source, rcb=lambda name: env.get(name))
    except Exception as error:  # TorchScript's errors are RuntimeError and friends
        return None, str(error)
    return unit, None


def _first_line(error: str) -> str:
    """The first line of a TorchScript error, without what varies between runs."""
    line = next((line.strip() for line in error.splitlines() if line.strip()), "")
    line = re.sub(r" at 0x[0-9a-fA-F]+", "", line)
    line = re.sub(r"\"/[^\"]*\"", '"..."', line)
    return line.rstrip(":").strip()


# ------------------------------------------------------------------------------------------
# operators and builtin functions
# ------------------------------------------------------------------------------------------


def operators() -> dict[str, list[str]]:
    torch = _torch()
    names = sorted(
        {
            schema.name
            for schema in torch._C._jit_get_all_schemas()
            if schema.name.split("::")[0] in NAMESPACES
        }
    )
    return {
        name: [str(schema) for schema in torch._C._jit_get_schemas_for_operator(name)]
        for name in names
    }


def _builtin_objects() -> dict[str, list[Any]]:
    """Op name -> the Python objects TorchScript's builtin table maps to it."""
    from torch.jit import _builtins

    _builtins._get_builtin_table()
    table: dict[str, list[Any]] = {}
    for obj, op in _builtins._builtin_ops:
        table.setdefault(op, []).append(obj)
    return table


def _variants(error: str) -> list[str]:
    """The candidate schemas an error for a call that matched none lists."""
    found = []
    for line in error.splitlines():
        text = line.strip()
        indent = len(line) - len(line.lstrip(" "))
        if indent in (0, 2) and text.endswith(":") and ") -> " in text:
            found.append(text[:-1])
    return found


def builtin_functions() -> dict[str, list[str]]:
    torch = _torch()
    objects = _builtin_objects()
    result: dict[str, list[str]] = {}
    for name in BUILTIN_FUNCTION_NAMES:
        op = f"aten::{name}"
        env: dict[str, Any] = {"torch": torch}
        if op in objects:
            env["fn"] = objects[op][0]
            callee = "fn"
        elif hasattr(torch.ops.aten, name):
            callee = f"torch.ops.aten.{name}"
        else:
            print(f"warning: no way to call {op} from Python; skipped", file=sys.stderr)
            continue
        _, error = _compile(_BAD_CALL.format(callee=callee, args=_BAD_ARGS), env)
        if error is None:
            raise RuntimeError(f"a call of {op} with nonsense arguments compiled")
        functions = [text for text in _variants(error) if "::" not in text.split("(")[0]]
        if not functions:
            print(f"warning: TorchScript lists no builtin function {op}", file=sys.stderr)
            continue
        result[op] = functions
    return result


# ------------------------------------------------------------------------------------------
# Python callables
# ------------------------------------------------------------------------------------------


def _schema_type(kind: Any, size: int | None = None) -> str:
    """A torch type object written the way a schema writes it."""
    name = kind.kind()
    if name == "ListType":
        return _schema_type(kind.getElementType()) + (f"[{size}]" if size else "[]")
    if name == "OptionalType":
        return _schema_type(kind.getElementType(), size) + "?"
    if name == "TupleType":
        return "(" + ", ".join(_schema_type(e) for e in kind.elements()) + ")"
    if name == "DictType":
        return f"Dict({_schema_type(kind.getKeyType())}, {_schema_type(kind.getValueType())})"
    if name == "UnionType":
        return "Union(" + ", ".join(_schema_type(e) for e in kind.containedTypes()) + ")"
    if name == "NumberType":
        return "Scalar"
    return str(kind)


def _default(value: Any) -> str:
    if value is None or isinstance(value, bool | int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_default(v) for v in value) + "]"
    return repr(value)


def _schema_text(schema: Any) -> str:
    """A compiled function's schema as TorchScript prints it. Printing fails (an internal
    assert) for a ``BroadcastingList`` with a scalar default, ``F.fold``'s ``dilation=1``:
    such schemas are written from their parts."""
    try:
        return str(schema)
    except RuntimeError:
        pass
    arguments = []
    for argument in schema.arguments:
        text = f"{_schema_type(argument.type, argument.N)} {argument.name}"
        if argument.has_default_value():
            text += f"={_default(argument.default_value)}"
        arguments.append(text)
    returns = [_schema_type(r.type) for r in schema.returns]
    if len(returns) == 1 and not returns[0].startswith("("):
        returned = returns[0]
    else:
        returned = "(" + ", ".join(returns) + ")"
    return f"{schema.name}({', '.join(arguments)}) -> {returned}"


def _compiled(obj: Any) -> list[str] | str:
    """The signatures TorchScript compiles a Python function to, or its error's first line.

    The function is compiled the way a call in compiled code compiles it (resolution first,
    then the arguments: a call with nonsense arguments compiles it and then fails)."""
    from torch._jit_internal import boolean_dispatched
    from torch.jit._script import _try_get_jit_cached_function, _try_get_jit_cached_overloads

    if obj in boolean_dispatched:  # a side of a dispatch that dispatches again (torch.unique)
        spec = boolean_dispatched[obj]
        sides = [_compiled(spec["if_true"]), _compiled(spec["if_false"])]
        failed = [side for side in sides if isinstance(side, str)]
        return failed[0] if failed else [text for side in sides for text in side]
    _, error = _compile(_BAD_CALL.format(callee="fn", args=_BAD_ARGS), {"fn": obj})
    overloads = _try_get_jit_cached_overloads(obj)
    if overloads:
        return [_schema_text(function.schema) for function in overloads]
    function = _try_get_jit_cached_function(obj)
    if function is not None:
        return [_schema_text(function.schema)]
    return _first_line(error or "")


def _entry(obj: Any, builtin: Callable[[Any], str | None]) -> Any:
    """What toSugaredValue makes of ``obj``, in its order; None: leave it out."""
    from torch._jit_internal import boolean_dispatched, is_ignored_fn

    op = builtin(obj)
    if op is not None:
        return op
    if inspect.isbuiltin(obj):
        return {"unsupported": f"Python builtin {obj} is currently not supported in Torchscript"}
    if obj in boolean_dispatched:
        spec = boolean_dispatched[obj]
        sides = {side: _compiled(spec[f"if_{side}"]) for side in ("true", "false")}
        if any(isinstance(side, str) for side in sides.values()):
            reasons = [side for side in sides.values() if isinstance(side, str)]
            return {"unsupported": reasons[0]}
        return {
            "dispatch": {
                "arg": spec["arg_name"],
                "index": spec["index"],
                "default": spec["default"],
                **sides,
            }
        }
    if inspect.isfunction(obj) and (obj.__module__ or "").startswith("torch"):
        if is_ignored_fn(obj):
            return {"unsupported": "ignored by TorchScript (@torch.jit.ignore / unused)"}
        compiled = _compiled(obj)
        return {"unsupported": compiled} if isinstance(compiled, str) else {"script": compiled}
    return None


def _canonical_name(obj: Any) -> str | None:
    """``module.qualname`` when importing it gives ``obj`` back, for a public torch module
    (``torch.nn.modules.utils._pair``; not ``torch._C._nn.pad``, nor ``typing.Any``, which the
    builtin table holds because ``torch`` re-exports it)."""
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if isinstance(qualname, str) and "<" in qualname:  # made by a factory: `_pair = _ntuple(2)`
        qualname = getattr(obj, "__name__", None)
    if not isinstance(module, str) or not isinstance(qualname, str):
        return None
    parts = module.split(".")
    if parts[0] != "torch" or any(part.startswith("_") for part in parts):
        return None
    try:
        value: Any = importlib.import_module(module)
        for part in qualname.split("."):
            value = getattr(value, part)
    except (ImportError, AttributeError):
        return None
    return f"{module}.{qualname}" if value is obj else None


def python_callables() -> dict[str, Any]:
    from torch.jit._builtins import _find_builtin

    def builtin(obj: Any) -> str | None:
        try:
            op = _find_builtin(obj)
        except TypeError:  # unhashable
            return None
        return op if isinstance(op, str) else None

    result: dict[str, Any] = {}

    def add(name: str, obj: Any) -> None:
        if name in result or inspect.ismodule(obj) or not callable(obj):
            return
        if inspect.isclass(obj) and builtin(obj) is None:
            return
        entry = _entry(obj, builtin)
        if entry is not None:
            result[name] = entry

    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for attribute in sorted(dir(module)):
            if not attribute.startswith("_"):
                add(f"{module_name}.{attribute}", getattr(module, attribute))
    for module_name in BUILTINS_ONLY_MODULES:
        module = importlib.import_module(module_name)
        for attribute in sorted(dir(module)):
            obj = getattr(module, attribute)
            if not attribute.startswith("_") and builtin(obj) is not None:
                add(f"{module_name}.{attribute}", obj)
    for _op, objects in sorted(_builtin_objects().items()):
        for obj in objects:
            name = _canonical_name(obj)
            if name is not None:
                add(name, obj)
    return dict(sorted(result.items()))


# ------------------------------------------------------------------------------------------
# Tensor
# ------------------------------------------------------------------------------------------


def _accepts_tensor(kind: Any) -> bool:
    """BuiltinFunction::tryCreate's test of a ``self`` argument against a Tensor."""
    torch = _torch()
    if kind.kind() in {"VarType", "AnyType"}:
        return True
    return bool(torch._C.TensorType.get().isSubtypeOf(kind))


def _operator_methods() -> set[str]:
    torch = _torch()
    methods = set()
    for schema in torch._C._jit_get_all_schemas():
        if not schema.name.startswith("aten::"):
            continue
        for argument in schema.arguments:
            if argument.name == "self":
                if _accepts_tensor(argument.type):
                    methods.add(schema.name[len("aten::") :])
                break
    return methods


def _measure_member(name: str) -> tuple[str, str | None]:
    """(kind, attribute type) of ``x.<name>`` on a Tensor, by compiling ``return x.<name>``."""
    torch = _torch()
    unit, error = _compile(f"def f(x: Tensor):\n    return x.{name}\n", {"Tensor": torch.Tensor})
    if error is None:
        returns = str(unit.find_function("f").schema).split(" -> ", 1)[1]
        return "attribute", returns
    if f"object has no attribute or method '{name}'" in error:
        return "missing", None
    first = _first_line(error)
    if first.startswith("Cast cannot be used as a value"):
        return "cast", None
    if first.startswith(("builtin cannot be used as a value", "tolist cannot be used as a value")):
        return "method", None
    raise RuntimeError(f"unexpected TorchScript error for `x.{name}`: {first}")


def tensor_members() -> dict[str, Any]:
    torch = _torch()
    predicted = (_operator_methods() | set(CASTS) | set(SPECIAL_METHODS)) - set(PROPERTIES)
    names = sorted(
        {name for name in dir(torch.Tensor) if not name.startswith("_")}
        | set(CASTS)
        | set(PROPERTIES)
    )
    attributes: dict[str, str] = {}
    missing: list[str] = []
    disagreements: list[str] = []
    for name in names:
        kind, returns = _measure_member(name)
        if kind == "attribute":
            assert returns is not None
            attributes[name] = returns
        elif kind == "missing":
            missing.append(name)
        elif kind == "cast" and name not in CASTS:
            disagreements.append(f"{name}: a cast, not in CASTS")
        if (kind == "attribute") != (name in PROPERTIES):
            disagreements.append(f"{name}: measured {kind}, a property: {name in PROPERTIES}")
        if (kind in {"method", "cast"}) != (name in predicted):
            disagreements.append(f"{name}: measured {kind}, predicted {name in predicted}")
    if disagreements:
        raise RuntimeError(
            "TorchScript's Tensor methods differ from the rule in sugared_value.cpp:\n  "
            + "\n  ".join(disagreements)
        )
    return {
        "methods": sorted(predicted),
        "casts": sorted(CASTS),
        "attributes": attributes,
        "eager_only": missing,
    }


# ------------------------------------------------------------------------------------------
# the file
# ------------------------------------------------------------------------------------------


def fingerprint(data: dict[str, Any]) -> str:
    content = {key: value for key, value in data.items() if key != "fingerprint"}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def torch_release() -> str:
    """``2.13.0`` for ``2.13.0+cpu``: the local part names the build, not the schemas."""
    return str(_torch().__version__).split("+")[0]


def build() -> dict[str, Any]:
    """The data for the installed torch."""
    data: dict[str, Any] = {
        "format": FORMAT,
        "torch": torch_release(),
        "operators": operators(),
        "functions": builtin_functions(),
        "python": python_callables(),
        "tensor": tensor_members(),
    }
    data["fingerprint"] = fingerprint(data)
    return data


def encode(data: dict[str, Any]) -> bytes:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return gzip.compress(text.encode(), compresslevel=9, mtime=0)


def data_path(version: str) -> Path:
    major, minor = version.split(".")[:2]
    return DATA_DIR / f"torch-{major}.{minor}.json.gz"


def read(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    loaded: dict[str, Any] = json.loads(gzip.decompress(path.read_bytes()))
    return loaded


def differences(shipped: dict[str, Any] | None, fresh: dict[str, Any]) -> list[str]:
    """What differs, section by section (empty: the shipped file is current)."""
    if shipped is None:
        return ["no shipped file"]
    found = []
    for key in sorted(set(shipped) | set(fresh)):
        old, new = shipped.get(key), fresh.get(key)
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict):
            changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
            shown = ", ".join(changed[:8]) + (
                f" and {len(changed) - 8} more" if len(changed) > 8 else ""
            )
            found.append(f"{key}: {shown}")
        else:
            found.append(f"{key}: {old!r} -> {new!r}")
    return found


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when the shipped file is stale"
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    fresh = build()
    path = data_path(fresh["torch"])
    if args.check:
        found = differences(read(path), fresh)
        if found:
            print(f"{path.relative_to(ROOT)} is stale (run `python scripts/gen_schemas.py`):")
            for line in found:
                print(f"  {line}")
            return 1
        print(f"{path.relative_to(ROOT)} is current")
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    encoded = encode(fresh)
    path.write_bytes(encoded)
    print(f"wrote {path.relative_to(ROOT)} ({len(encoded)} bytes, torch {fresh['torch']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
