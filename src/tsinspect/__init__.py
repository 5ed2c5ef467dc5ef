"""tsinspect: lint PyTorch code for TorchScript, and inspect TorchScript models for Triton.

The public API is resolved lazily, so ``import tsinspect`` loads neither torch
nor the model side; only a call that needs torch imports it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY: dict[str, str] = {
    # lint side (never imports torch)
    "check_source": "tsinspect.api.check",
    "check_paths": "tsinspect.api.check",
    "CheckResult": "tsinspect.api.check",
    "fix_source": "tsinspect.api.fix",
    "fix_paths": "tsinspect.api.fix",
    "FixResult": "tsinspect.api.fix",
    "FixReport": "tsinspect.api.fix",
    "all_rules": "tsinspect.lint.registry",
    "get_rule": "tsinspect.lint.registry",
    "Settings": "tsinspect.settings",
    # shared records
    "Diagnostic": "tsinspect.diagnostics",
    "Severity": "tsinspect.diagnostics",
    "Span": "tsinspect.diagnostics",
    "Fix": "tsinspect.diagnostics",
    "Edit": "tsinspect.diagnostics",
    "TsinspectError": "tsinspect.errors",
    "InputError": "tsinspect.errors",
    "ModelArchiveError": "tsinspect.errors",
    "MissingDependencyError": "tsinspect.errors",
    "InferenceError": "tsinspect.errors",
    "ModelTimeoutError": "tsinspect.errors",
    # Triton configs (torch imported only when a model is loaded)
    "infer_config": "tsinspect.api.config",
    "render_config": "tsinspect.api.config",
    "validate_config": "tsinspect.api.config",
    "ValidationResult": "tsinspect.api.config",
    "InferenceResult": "tsinspect.triton.infer",
    # model archives (torch imported only when a model is loaded)
    "load_model": "tsinspect.api.model",
    "LoadedModel": "tsinspect.ir.model",
    "SubmoduleRecord": "tsinspect.ir.model",
    "ParameterRecord": "tsinspect.ir.findings",
    "Signature": "tsinspect.ir.signature",
    "Argument": "tsinspect.ir.signature",
    "TorchType": "tsinspect.ir.signature",
    "OpRecord": "tsinspect.ir.walk",
    "ArchiveInfo": "tsinspect.ir.archive",
    "inspect_archive": "tsinspect.ir.archive",
    # reports (torch imported only when a model is loaded; the records and renderers never import it)
    "build_report": "tsinspect.api.report",
    "Report": "tsinspect.report",
    "render_report_html": "tsinspect.render.report_html",
    "render_report_markdown": "tsinspect.render.report_markdown",
}

# Static, so that type checkers read it (a computed __all__ is opaque to mypy);
# a test keeps it equal to the lazy table.
__all__ = [
    "ArchiveInfo",
    "Argument",
    "CheckResult",
    "Diagnostic",
    "Edit",
    "Fix",
    "FixReport",
    "FixResult",
    "InferenceError",
    "InferenceResult",
    "InputError",
    "LoadedModel",
    "MissingDependencyError",
    "ModelArchiveError",
    "ModelTimeoutError",
    "OpRecord",
    "ParameterRecord",
    "Report",
    "Settings",
    "Severity",
    "Signature",
    "Span",
    "SubmoduleRecord",
    "TorchType",
    "TsinspectError",
    "ValidationResult",
    "__version__",
    "all_rules",
    "build_report",
    "check_paths",
    "check_source",
    "fix_paths",
    "fix_source",
    "get_rule",
    "infer_config",
    "inspect_archive",
    "load_model",
    "render_config",
    "render_report_html",
    "render_report_markdown",
    "validate_config",
]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'tsinspect' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    # Exported for mypy --strict by the static __all__ above (no implicit re-export).
    from tsinspect.api.check import (
        CheckResult,
        check_paths,
        check_source,
    )
    from tsinspect.api.config import (
        ValidationResult,
        infer_config,
        render_config,
        validate_config,
    )
    from tsinspect.api.fix import (
        FixReport,
        FixResult,
        fix_paths,
        fix_source,
    )
    from tsinspect.api.model import load_model
    from tsinspect.api.report import build_report
    from tsinspect.diagnostics import (
        Diagnostic,
        Edit,
        Fix,
        Severity,
        Span,
    )
    from tsinspect.errors import (
        InferenceError,
        InputError,
        MissingDependencyError,
        ModelArchiveError,
        ModelTimeoutError,
        TsinspectError,
    )
    from tsinspect.ir.archive import ArchiveInfo, inspect_archive
    from tsinspect.ir.findings import ParameterRecord
    from tsinspect.ir.model import LoadedModel, SubmoduleRecord
    from tsinspect.ir.signature import (
        Argument,
        Signature,
        TorchType,
    )
    from tsinspect.ir.walk import OpRecord
    from tsinspect.lint.registry import all_rules, get_rule
    from tsinspect.render.report_html import render_report_html
    from tsinspect.render.report_markdown import render_report_markdown
    from tsinspect.report import Report
    from tsinspect.settings import Settings
    from tsinspect.triton.infer import InferenceResult
