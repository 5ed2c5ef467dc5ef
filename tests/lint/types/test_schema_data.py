"""The shipped operator schema data: current for the installed torch, parsed faithfully, and
readable where torch cannot be imported.

When ``test_shipped_data_is_current`` fails, run ``python scripts/gen_schemas.py`` and commit
the new ``src/tsinspect/lint/types/schemas/torch-X.Y.json.gz``.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tsinspect.lint.types import schema_data
from tsinspect.lint.types.schema_data import (
    SchemaType,
    load_schemas,
    parse_schema,
    parse_type,
    resolve,
    schemas_for,
    tensor_attribute_type,
    tensor_has_attribute,
    tensor_has_method,
    tensor_method_return_type,
)

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "src" / "tsinspect" / "lint" / "types" / "schemas"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "tsinspect_gen_schemas", ROOT / "scripts" / "gen_schemas.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _raw(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(gzip.decompress(path.read_bytes()))
    return loaded


# --- against the installed torch ------------------------------------------------------------


def test_shipped_data_is_current() -> None:
    """Regenerate the data from the installed torch (in memory) and compare it with the file."""
    pytest.importorskip("torch")
    generator = _generator()
    fresh = generator.build()
    path = generator.data_path(fresh["torch"])
    found = generator.differences(generator.read(path), fresh)
    assert not found, (
        f"{path.relative_to(ROOT)} differs from torch {fresh['torch']} "
        "(run `python scripts/gen_schemas.py` and commit the result):\n  " + "\n  ".join(found)
    )


def test_parsed_schemas_agree_with_torch() -> None:
    """Every shipped operator schema parses to what torch's own FunctionSchema says."""
    torch = pytest.importorskip("torch")
    data = load_schemas(torch.__version__)
    assert data is not None
    checked = 0
    for op in data.operator_names():
        ours = [s for s in data.operator_schemas(op) or () if s.source == "operator"]
        theirs = torch._C._jit_get_schemas_for_operator(op)
        assert len(ours) == len(theirs), op
        for mine, real in zip(ours, theirs, strict=True):
            assert (mine.name, mine.overload) == (real.name, real.overload_name)
            assert len(mine.arguments) == len(real.arguments), mine.text
            for arg, real_arg in zip(mine.arguments, real.arguments, strict=True):
                assert arg.name == real_arg.name, mine.text
                assert arg.kwarg_only == real_arg.kwarg_only, mine.text
                assert arg.has_default == real_arg.has_default_value(), mine.text
                assert arg.type.annotation == str(real_arg.type), mine.text
                assert f"{arg.type} {arg.name}" in mine.text
            if not mine.varret:
                assert [r.annotation for r in mine.returns] == [str(r.type) for r in real.returns]
            checked += 1
    assert checked > 3000


def test_tensor_members_match_real_torchscript() -> None:
    """A sample measured here with the real compiler (the generator measures every name)."""
    torch = pytest.importorskip("torch")

    def member(name: str) -> str:
        unit = torch._C.CompilationUnit()
        try:
            unit.define(
                f"def f(x: Tensor):\n    return x.{name}\n",
                rcb=lambda n: {"Tensor": torch.Tensor}.get(n),
            )
        except RuntimeError as error:
            return "missing" if "has no attribute or method" in str(error) else "method"
        return "attribute"

    for name in ("bool", "float", "ndimension", "nelement", "unique", "dim", "shape", "T"):
        expected = (
            "attribute"
            if tensor_has_attribute(name)
            else "method"
            if tensor_has_method(name)
            else "missing"
        )
        assert member(name) == expected, name


# --- the data itself, without torch -----------------------------------------------------------


def test_one_file_per_release_with_a_true_fingerprint() -> None:
    files = sorted(DATA.glob("torch-*.json.gz"))
    assert files
    for path in files:
        data = _raw(path)
        content = {key: value for key, value in data.items() if key != "fingerprint"}
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        assert data["fingerprint"] == hashlib.sha256(canonical.encode()).hexdigest()
        assert path.name == schema_data.data_file_name(data["torch"])
        assert path.stat().st_size < 200_000
    assert schema_data.available_versions() == tuple(
        ".".join(p.name.split("-")[1].split(".")[:2]) for p in files
    )


def test_every_shipped_schema_parses() -> None:
    for version in schema_data.available_versions():
        data = _raw(DATA / schema_data.data_file_name(version))
        for texts in data["operators"].values():
            for text in texts:
                parse_schema(text)
        for texts in data["functions"].values():
            for text in texts:
                parse_schema(text, "function")
        schemas = load_schemas(version)
        assert schemas is not None
        for name in schemas.python_names():
            assert schemas.resolve(name) is not None
        for attribute in data["tensor"]["attributes"].values():
            parse_type(attribute)


@pytest.mark.parametrize(
    ("text", "annotation"),
    [
        ("Tensor(a!)", "Tensor"),
        ("float?", "Optional[float]"),
        ("int[2]?", "Optional[List[int]]"),
        ("SymInt[]", "List[int]"),
        ("Scalar", "number"),
        ("ScalarType?", "Optional[int]"),
        ("Tensor(a -> *)[]", "List[Tensor]"),
        ("t[](a!)", "List[t]"),
        ("Dict(str, t)", "Dict[str, t]"),
        ("(Tensor, Tensor?)", "Tuple[Tensor, Optional[Tensor]]"),
        ("Union(float, int)", "Union[float, int]"),
        ("Future(t)", "Future[t]"),
    ],
)
def test_types_round_trip(text: str, annotation: str) -> None:
    parsed = parse_type(text)
    assert str(parsed) == text
    assert parsed.annotation == annotation


def test_schema_parts() -> None:
    schema = parse_schema(
        "aten::max.dim(Tensor self, int dim, bool keepdim=False) -> (Tensor values, Tensor indices)"
    )
    assert (schema.name, schema.overload, schema.qualified_name) == (
        "aten::max",
        "dim",
        "aten::max.dim",
    )
    assert [a.name for a in schema.arguments] == ["self", "dim", "keepdim"]
    assert schema.arguments[2].default == "False"
    assert schema.return_type == SchemaType("Tuple", (SchemaType("Tensor"), SchemaType("Tensor")))
    out = parse_schema(
        "aten::add.out(Tensor self, Tensor other, *, Scalar alpha=1, Tensor(a!) out) -> Tensor(a!)"
    )
    assert [a.kwarg_only for a in out.arguments] == [False, False, True, True]
    assert out.arguments[3].is_write and not out.arguments[0].is_write
    tupled = parse_schema("f(Tensor x) -> ((Tensor, Tensor))")
    assert tupled.returns == (SchemaType("Tuple", (SchemaType("Tensor"), SchemaType("Tensor"))),)
    assert parse_schema('g(str s="a, b", int[2] k=[1, 1]) -> ()').returns == ()
    assert [
        a.default for a in parse_schema('g(str s="a, b", int[2] k=[1, 1]) -> ()').arguments
    ] == [
        '"a, b"',
        "[1, 1]",
    ]
    assert parse_schema("prim::rpc_async(...) -> ...").vararg


def test_measured_facts_of_torch_2_13() -> None:
    """What the issue asked to measure, as the data records it (torch 2.13)."""
    data = load_schemas("2.13")
    if data is None:
        pytest.skip("no torch 2.13 data shipped")
    # masks.bool() fails, masks.float() works
    assert data.tensor_has_method("bool") is False and data.tensor_has_attribute("bool") is False
    assert data.tensor_has_method("float") is True
    assert {"bool", "ndimension", "nelement", "unique", "numpy", "data_ptr", "grad_fn"} <= (
        data.eager_only_tensor_members
    )
    assert data.tensor_has_method("dim") and data.tensor_has_method("numel")
    assert data.tensor_has_method("tolist") and data.tensor_has_method("type")
    # attributes shadow operators of the same name; shape is a List[int]
    assert data.tensor_has_attribute("data") and not data.tensor_has_method("data")
    assert str(data.tensor_attribute_type("shape")) == "int[]"
    assert data.tensor_method_return_type("float") == SchemaType("Tensor")
    assert data.tensor_method_return_type("size") is None  # int[] or int, by overload
    # F.pad is compiled from its Python source, where `value` is Optional[float]:
    # F.pad(x, pad, value=0) fails ("Expected a value of type 'Optional[float]' for argument
    # 'value' but instead found type 'int'")
    pad = data.resolve("torch.nn.functional.pad")
    assert pad is not None and pad.kind == "script"
    (signature,) = pad.schemas
    assert (
        signature.text
        == 'pad(Tensor input, int[] pad, str mode="constant", float? value=None) -> Tensor'
    )
    assert signature.arguments[3].type.annotation == "Optional[float]"
    # torch.* functions map to aten:: operators, with TorchScript's builtin functions after them
    add = data.resolve("torch.add")
    assert add is not None and add.kind == "builtin" and add.op == "aten::add"
    assert "add(float a, Tensor b) -> Tensor" in [s.text for s in add.schemas]
    assert all(s.is_tensor_method() for s in data.schemas_for("Tensor.add") or ())
    gelu = data.resolve("torch.nn.functional.gelu")
    assert gelu is not None and gelu.op == "aten::gelu"
    max_pool = data.resolve("torch.nn.functional.max_pool2d")
    assert max_pool is not None and max_pool.dispatch is not None
    assert max_pool.dispatch.arg == "return_indices" and max_pool.dispatch.default is False
    sqrt = data.resolve("math.sqrt")
    assert sqrt is not None and sqrt.op == "aten::sqrt"
    hypot = data.resolve("math.hypot")
    assert hypot is not None and hypot.kind == "unsupported"


def test_unknowns_are_none() -> None:
    assert resolve("mypackage.helper") is None
    assert schemas_for("torch.no_such_function") is None
    assert schemas_for("aten::no_such_op") is None
    assert tensor_has_method("__len__") is None
    assert tensor_attribute_type("no_such_attribute") is None
    assert tensor_method_return_type("max") is None
    assert load_schemas("1.0") is None


# --- without torch ----------------------------------------------------------------------------

WITHOUT_TORCH = textwrap.dedent(
    """
    import json
    import sys

    attempts = []

    class BlockTorch:
        def find_spec(self, name, path=None, target=None):
            if name == "torch" or name.startswith("torch."):
                attempts.append(name)
                raise ImportError("torch is not installed here")
            return None

    sys.meta_path.insert(0, BlockTorch())
    from tsinspect.lint.types import schema_data as sd

    pad = sd.resolve("torch.nn.functional.pad")
    print(json.dumps({
        "version": sd.torch_version(),
        "fingerprint": sd.schema_fingerprint(),
        "bool": sd.tensor_has_method("bool"),
        "float": sd.tensor_has_method("float"),
        "shape": str(sd.tensor_attribute_type("shape")),
        "pad": [s.text for s in pad.schemas],
        "add": len(sd.schemas_for("torch.add")),
        "attempts": attempts,
        "loaded": sorted(m for m in sys.modules if m == "torch" or m.startswith("torch.")),
    }))
    """
)


def test_loader_works_without_torch(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_TORCH],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), *sys.path])},
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["attempts"] == [] and found["loaded"] == []
    assert found["fingerprint"] == schema_data.schema_fingerprint()
    assert found["bool"] is False and found["float"] is True
    assert found["shape"] == "int[]"
    assert found["pad"] and found["add"] > 2
