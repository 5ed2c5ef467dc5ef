"""Triton data types and the torch dtypes the libtorch backend maps them to.

Source: pytorch_backend src/libtorch_utils.cc:33-135 (ConvertDataTypeToTorchType
and ConvertTorchTypeToDataType) and the DataType enum of common's
model_config.proto; see docs/triton.md. Torch dtypes are named by their
``str(dtype)`` without the ``torch.`` prefix, so this module needs no torch.
"""

from __future__ import annotations

#: Triton DataType enum name -> number (common protobuf/model_config.proto).
TRITON_TYPE_NUMBERS: dict[str, int] = {
    "TYPE_INVALID": 0,
    "TYPE_BOOL": 1,
    "TYPE_UINT8": 2,
    "TYPE_UINT16": 3,
    "TYPE_UINT32": 4,
    "TYPE_UINT64": 5,
    "TYPE_INT8": 6,
    "TYPE_INT16": 7,
    "TYPE_INT32": 8,
    "TYPE_INT64": 9,
    "TYPE_FP16": 10,
    "TYPE_FP32": 11,
    "TYPE_FP64": 12,
    "TYPE_STRING": 13,
    "TYPE_BF16": 14,
}

#: Every torch dtype (``str(dtype)`` without ``torch.``) with a Triton type of the same layout.
TORCH_TO_TRITON: dict[str, str] = {
    "bool": "TYPE_BOOL",
    "uint8": "TYPE_UINT8",
    "uint16": "TYPE_UINT16",
    "uint32": "TYPE_UINT32",
    "uint64": "TYPE_UINT64",
    "int8": "TYPE_INT8",
    "int16": "TYPE_INT16",
    "int32": "TYPE_INT32",
    "int64": "TYPE_INT64",
    "float16": "TYPE_FP16",
    "float32": "TYPE_FP32",
    "float64": "TYPE_FP64",
    "bfloat16": "TYPE_BF16",
}

TRITON_TO_TORCH: dict[str, str] = {triton: torch for torch, triton in TORCH_TO_TRITON.items()}

#: The types the libtorch backend converts; anything else fails at load with
#: "unsupported datatype" (libtorch_utils.cc:33-135). TYPE_STRING is List[str].
LIBTORCH_SUPPORTED: frozenset[str] = frozenset(
    {
        "TYPE_BOOL",
        "TYPE_UINT8",
        "TYPE_INT8",
        "TYPE_INT16",
        "TYPE_INT32",
        "TYPE_INT64",
        "TYPE_FP16",
        "TYPE_FP32",
        "TYPE_FP64",
        "TYPE_STRING",
    }
)

# Spellings users type on the command line -> Triton type.
_ALIASES: dict[str, str] = {
    "fp16": "TYPE_FP16",
    "half": "TYPE_FP16",
    "fp32": "TYPE_FP32",
    "float": "TYPE_FP32",
    "fp64": "TYPE_FP64",
    "double": "TYPE_FP64",
    "bf16": "TYPE_BF16",
    "long": "TYPE_INT64",
    "int": "TYPE_INT32",
    "string": "TYPE_STRING",
    "str": "TYPE_STRING",
    "bytes": "TYPE_STRING",
}


def triton_type_for_torch(dtype_name: str) -> str | None:
    """The Triton type for a torch dtype name (``float32`` or ``torch.float32``); None if none exists."""
    return TORCH_TO_TRITON.get(dtype_name.removeprefix("torch."))


def torch_name_for_triton(triton_type: str) -> str | None:
    """The torch dtype name for a Triton type (``TYPE_FP32`` -> ``float32``); None for STRING and INVALID."""
    return TRITON_TO_TORCH.get(triton_type)


def parse_dtype(text: str) -> str | None:
    """A user's dtype spelling (``fp16``, ``float16``, ``torch.float16``, ``TYPE_FP16``) as a Triton type.

    Returns None when the spelling names no Triton type.
    """
    cleaned = text.strip()
    upper = cleaned.upper()
    if upper in TRITON_TYPE_NUMBERS and upper != "TYPE_INVALID":
        return upper
    if "TYPE_" + upper in TRITON_TYPE_NUMBERS and upper != "INVALID":
        return "TYPE_" + upper
    lowered = cleaned.lower().removeprefix("torch.")
    return TORCH_TO_TRITON.get(lowered) or _ALIASES.get(lowered)


def is_supported_by_libtorch(triton_type: str) -> bool:
    """True when the libtorch backend accepts ``triton_type`` for an input or output."""
    return triton_type in LIBTORCH_SUPPORTED
