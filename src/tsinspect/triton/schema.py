"""Check config.pbtxt text against Triton's real ModelConfig protobuf schema.

The schema is the ``model_config_pb2`` module generated from common's
model_config.proto and shipped by tritonclient (``pip install
'tsinspect[triton]'``). ``tritonclient.grpc`` needs grpcio to import; when only
the plain tritonclient wheel is present the generated file is loaded by path,
which needs just protobuf. Parsing is google.protobuf's own text_format.Parse,
so what passes here is what tritonserver's config loader can read.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType

INSTALL_HINT = "install the schema with: pip install 'tsinspect[triton]'"


@dataclass(frozen=True)
class SchemaError:
    """A place where the text is not a valid ModelConfig: 1-based line (0 if unknown) and message."""

    line: int
    column: int
    message: str


@lru_cache(maxsize=1)
def _model_config_module() -> ModuleType | None:
    try:
        from tritonclient.grpc import model_config_pb2

        return model_config_pb2  # type: ignore[no-any-return]
    except Exception:  # ImportError, or tritonclient's own error when grpcio is missing
        pass
    try:
        spec = importlib.util.find_spec("tritonclient")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = f"{location}/grpc/model_config_pb2.py"
        file_spec = importlib.util.spec_from_file_location("_tsinspect_model_config_pb2", candidate)
        if file_spec is None or file_spec.loader is None:
            continue
        module = importlib.util.module_from_spec(file_spec)
        try:
            file_spec.loader.exec_module(module)
        except Exception:  # missing file, or a protobuf runtime older than the generated code
            continue
        return module
    return None


def schema_available() -> bool:
    """True when Triton's ModelConfig schema (tritonclient + protobuf) can be loaded."""
    return _model_config_module() is not None


def unavailable_reason() -> str:
    """One line saying why the schema check cannot run and how to enable it."""
    return f"Triton's ModelConfig schema is not installed (tritonclient); {INSTALL_HINT}"


_POSITION = re.compile(r"^(\d+):(\d+)\s*:\s*(.*)$", re.DOTALL)


def check_schema(text: str) -> list[SchemaError]:
    """Parse ``text`` as a Triton ModelConfig; [] when it parses, else where and why it does not.

    Raises LookupError when the schema is not installed (see ``schema_available``).
    """
    module = _model_config_module()
    if module is None:
        raise LookupError(unavailable_reason())
    from google.protobuf import text_format

    try:
        text_format.Parse(text, module.ModelConfig())
    except text_format.ParseError as error:
        message = str(error)
        match = _POSITION.match(message)
        if match:
            return [SchemaError(int(match.group(1)), int(match.group(2)), match.group(3))]
        line = getattr(error, "GetLine", lambda: 0)() or 0
        column = getattr(error, "GetColumn", lambda: 0)() or 0
        return [SchemaError(int(line), int(column), message)]
    return []


def to_json(text: str) -> str:
    """The config as the JSON Triton's ``/v2/models/<m>/config`` endpoint returns (schema required)."""
    module = _model_config_module()
    if module is None:
        raise LookupError(unavailable_reason())
    from google.protobuf import json_format, text_format

    message = text_format.Parse(text, module.ModelConfig())
    return str(json_format.MessageToJson(message, preserving_proto_field_name=True))
