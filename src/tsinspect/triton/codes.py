"""The TS7xx family: findings about a Triton config.pbtxt for the PyTorch (libtorch) backend.

One table, code -> (kebab-case name, severity, what it means). Codes are
stable and never reused. ``finding`` builds a Diagnostic from a code.
"""

from __future__ import annotations

from tsinspect.diagnostics import Diagnostic, Severity, table_finding

E = Severity.ERROR
W = Severity.WARNING
I = Severity.INFO  # noqa: E741 - the severity initial, as in E and W

#: code -> (name, severity, summary). TS605/TS606 belong to the archive family (what the
#: model's signature lets Triton serve) but are Triton's rules, so they are defined here.
CODES: dict[str, tuple[str, Severity, str]] = {
    "TS605": (
        "unsupported-argument-type-for-triton",
        E,
        "a forward() argument type Triton's PyTorch backend cannot feed",
    ),
    "TS606": (
        "unsupported-return-type-for-triton",
        E,
        "a return type Triton's PyTorch backend cannot read",
    ),
    "TS700": (
        "config-schema-unchecked",
        I,
        "Triton's protobuf schema is not installed; the schema check was skipped",
    ),
    "TS701": ("config-schema-error", E, "the text is not a valid Triton ModelConfig"),
    "TS702": ("config-platform", E, "platform/backend is not pytorch_libtorch"),
    "TS703": ("config-name-mismatch", E, "name differs from the model's folder name"),
    "TS704": ("config-invalid-dims", E, "dims empty, zero or below -1, or an invalid reshape"),
    "TS705": ("config-max-batch-size", E, "max_batch_size is negative or the model cannot batch"),
    "TS706": ("config-preferred-batch-size", E, "preferred_batch_size outside 1..max_batch_size"),
    "TS707": (
        "config-unknown-parameter",
        W,
        "a parameter key the C++ libtorch backend never reads",
    ),
    "TS708": ("config-parameter-value", E, "a parameter value the backend cannot parse"),
    "TS709": (
        "unsupported-dtype",
        E,
        "a data type the libtorch backend rejects (BF16, UINT16/32/64)",
    ),
    "TS710": ("input-count-mismatch", E, "config inputs and forward() arguments differ in number"),
    "TS711": ("naming-fallback", W, "names that silently fall back to strict config order"),
    "TS712": ("naming-index", E, "a duplicate, out-of-range or double-underscore __<index>"),
    "TS713": ("input-name-unknown", E, "an input name the model does not read (dict key)"),
    "TS714": ("input-dtype-mismatch", E, "an input dtype the model cannot take"),
    "TS715": ("input-dims-rejected", E, "input dims the model cannot take"),
    "TS716": ("output-count-mismatch", E, "config outputs and returned values differ in number"),
    "TS717": ("output-dtype-mismatch", E, "an output dtype different from what the model returns"),
    "TS718": ("output-dims-mismatch", E, "output dims different from what the model returns"),
    "TS721": ("scalar-output", E, "a 0-d output, which the backend refuses"),
    "TS722": (
        "string-io-shape",
        E,
        "a TYPE_STRING input or output that is not 1-D with the batch dim",
    ),
    "TS723": ("model-probe-failed", E, "the model could not be run with the config's inputs"),
}


def finding(
    code: str,
    message: str,
    path: str,
    line: int = 0,
    hint: str | None = None,
    severity: Severity | None = None,
) -> Diagnostic:
    """A Diagnostic for TS7xx ``code`` (or TS605/TS606) with its registered name and severity."""
    return table_finding(CODES, code, message, path, line=line, hint=hint, severity=severity)
