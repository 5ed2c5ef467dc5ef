"""The code table of the model side: every TS6xx (archive) and TS7xx (Triton config) code,
and the one helper that turns a code into a Diagnostic.

The lint rules (TS0xx-TS5xx) are classes with their own pages (``tsinspect.lint``); these
codes are rows, because the checks that report them are functions over records
(``tsinspect.ir.findings``, ``tsinspect.triton``). Both ``ir`` and ``triton`` import this
module, which imports nothing of ours but :mod:`tsinspect.diagnostics`, so neither side
reaches into the other for its codes. Codes are stable and never reused.
"""

from __future__ import annotations

from tsinspect.diagnostics import Diagnostic, Fix, Severity

E = Severity.ERROR
W = Severity.WARNING
I = Severity.INFO  # noqa: E741 - the severity initial, as in E and W

#: code -> (kebab-case name, default severity, one-line summary).
#: TS6xx: findings in a model archive (``tsinspect graph``, ``config``, ``report``).
ARCHIVE_CODES: dict[str, tuple[str, Severity, str]] = {
    "TS601": (
        "device-constant",
        W,
        "a device hard-coded in the graph (cuda:0, or cpu baked in by tracing)",
    ),
    "TS602": (
        "traced-control-flow",
        W,
        "made by torch.jit.trace: Python control flow was frozen to one path",
    ),
    "TS603": (
        "custom-op-library",
        W,
        "operators outside libtorch: the server must load their library (and tsinspect loads "
        "the model only when trusted)",
    ),
    "TS604": (
        "python-escape-hatch",
        E,
        "a Python call or an @unused stub that raises when reached",
    ),
    "TS607": ("bf16-parameters", W, "bfloat16 parameters or buffers"),
    "TS608": ("fp16-parameters", I, "float16 parameters or buffers: many CPU kernels lack fp16"),
    "TS609": ("print-in-forward", I, "prim::Print writes to the server's stdout on every request"),
    "TS610": ("saved-in-training-mode", W, "the module was saved in training mode"),
    "TS611": (
        "runs-at-load",
        W,
        "a __setstate__ method: torch.jit.load runs it (the model is loaded only when trusted)",
    ),
    "TS612": (
        "file-access-operator",
        W,
        "an operator that opens files (torch.from_file, torch.save): loaded only when trusted",
    ),
    "TS613": (
        "process-access-operator",
        W,
        "an operator that talks to other processes (distributed, RPC): loaded only when trusted",
    ),
}

#: code -> (name, severity, summary). TS605/TS606 belong to the archive family (what the
#: model's signature lets Triton serve) but are Triton's rules, so they are defined here.
CONFIG_CODES: dict[str, tuple[str, Severity, str]] = {
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

#: Every code of the model side, sorted.
CODES: dict[str, tuple[str, Severity, str]] = dict(
    sorted({**ARCHIVE_CODES, **CONFIG_CODES}.items())
)


def finding(
    code: str,
    message: str,
    path: str,
    line: int = 0,
    hint: str | None = None,
    severity: Severity | None = None,
) -> Diagnostic:
    """A Diagnostic for a TS6xx/TS7xx ``code``, with its registered name and default severity.

    ``line`` is a line of a config.pbtxt (0 when the finding is about a whole file or an
    archive); ``severity`` overrides the default where a check knows better.
    """
    name, default_severity, _ = CODES[code]
    return Diagnostic(
        code=code,
        name=name,
        message=message,
        path=path,
        line=line,
        column=1 if line else 0,
        severity=severity or default_severity,
        fix=Fix(hint=hint) if hint else None,
    )
