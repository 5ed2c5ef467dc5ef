"""The ``parameters`` the C++ libtorch backend reads, and how it parses their values.

Source: pytorch_backend src/pt/model_state.cc:272-490 (the keys) and backend
src/backend_common.cc:1046 (ParseParameter: booleans are true/on/1 or
false/off/0 in any case; integers go through std::stoi). Unknown keys are
silently ignored by the backend, so a typo never fails a load.
"""

from __future__ import annotations

BOOLEAN_KEYS: frozenset[str] = frozenset(
    {
        "DISABLE_OPTIMIZED_EXECUTION",
        "INFERENCE_MODE",
        "DISABLE_CUDNN",
        "ENABLE_WEIGHT_SHARING",
        "ENABLE_CACHE_CLEANING",
        "ENABLE_TENSOR_FUSER",
        "ENABLE_JIT_PROFILING",
        "ENABLE_JIT_EXECUTOR",
    }
)
INTEGER_KEYS: frozenset[str] = frozenset({"INTRA_OP_THREAD_COUNT", "INTER_OP_THREAD_COUNT"})
KNOWN_KEYS: frozenset[str] = BOOLEAN_KEYS | INTEGER_KEYS

#: Keys users still write that the C++ path ignores, and why.
IGNORED_KEYS: dict[str, str] = {
    "ENABLE_NVFUSER": "removed from the backend in 2023-12 (pytorch_backend commit 48e2e29)",
    "NUM_THREADS": 'read only by the Python runtime (runtime: "model.py"), not by pytorch_libtorch',
    "NUM_INTEROP_THREADS": 'read only by the Python runtime (runtime: "model.py"), not by pytorch_libtorch',
    "TORCH_COMPILE_OPTIONAL_PARAMETERS": 'read only by the Python runtime (runtime: "model.py")',
}

_TRUE = ("true", "on", "1")
_FALSE = ("false", "off", "0")


def parse_boolean(value: str) -> bool | None:
    """The backend's reading of a boolean parameter; None when it would fail the load."""
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return None


def value_problem(key: str, value: str) -> str | None:
    """Why the backend would reject ``value`` for ``key``; None when it is fine or the key is unknown."""
    if key in BOOLEAN_KEYS and parse_boolean(value) is None:
        return f"{key} must be true/false (also on/off, 1/0), not {value!r}"
    if key in INTEGER_KEYS:
        try:
            int(value.strip())
        except ValueError:
            return f"{key} must be an integer, not {value!r}"
    return None


def key_problem(key: str) -> str | None:
    """Why ``key`` has no effect on pytorch_libtorch; None for a key the backend reads."""
    if key in KNOWN_KEYS:
        return None
    if key in IGNORED_KEYS:
        return f"parameter {key} is ignored: {IGNORED_KEYS[key]}"
    close = [
        known
        for known in sorted(KNOWN_KEYS)
        if known.replace("_", "") == key.upper().replace("_", "")
    ]
    suggestion = f" (did you mean {close[0]}?)" if close else ""
    return (
        f"parameter {key} is not read by the libtorch backend and is silently ignored{suggestion}"
    )
