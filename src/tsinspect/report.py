"""The records of one ``tsinspect report``: frozen dataclasses, stdlib only.

``tsinspect.build_report`` fills a :class:`Report`; the HTML and Markdown
renderers (and anyone else's) read it. Nothing here imports torch, libcst or
any other part of tsinspect but the shared Diagnostic, so a renderer can run
where the model side cannot. Every value is already a plain string, number
or tuple: a renderer makes no decisions, it only lays the report out.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from tsinspect.diagnostics import Diagnostic, Severity


class Status(str, enum.Enum):
    """The verdict. ``ready``: nothing to fix; ``review``: warnings only; ``blocked``: errors;
    ``unusable``: an input could not be read, so the report is incomplete."""

    READY = "ready"
    REVIEW = "review"
    BLOCKED = "blocked"
    UNUSABLE = "unusable"


#: Exit code of ``tsinspect report`` for each verdict (0 ready, 1 findings, 2 unusable input).
EXIT_CODES: dict[Status, int] = {
    Status.READY: 0,
    Status.REVIEW: 1,
    Status.BLOCKED: 1,
    Status.UNUSABLE: 2,
}


@dataclass(frozen=True)
class Reason:
    """One line of the verdict: what blocks (or deserves a look), where it was found, how to fix it.

    ``stage`` is ``input``, ``model``, ``config``, ``validation`` or ``lint``;
    ``code`` is the TS code, or ``""`` for a failure that has none (a model
    that could not be loaded, shapes that could not be inferred).
    """

    severity: Severity
    stage: str
    code: str
    name: str
    message: str
    where: str = ""
    hint: str = ""


@dataclass(frozen=True)
class Verdict:
    """The banner at the top: status, one-line headline, and the reasons, most serious first."""

    status: Status
    headline: str
    reasons: tuple[Reason, ...] = ()

    @property
    def exit_code(self) -> int:
        """0 ready, 1 blockers or warnings, 2 an unusable input."""
        return EXIT_CODES[self.status]


@dataclass(frozen=True)
class SnippetLine:
    """A source line shown under a lint finding; ``start``/``end`` are 0-based columns to mark (end exclusive)."""

    number: int
    text: str
    start: int = 0
    end: int = 0


@dataclass(frozen=True)
class LintFinding:
    """One lint diagnostic with the source line it points at (empty when the file could not be read)."""

    diagnostic: Diagnostic
    snippet: tuple[SnippetLine, ...] = ()

    @property
    def location(self) -> str:
        """``path:line:column``, or the path for a finding about the whole file."""
        d = self.diagnostic
        return f"{d.path}:{d.line}:{d.column}" if d.line > 0 else d.path


@dataclass(frozen=True)
class RuleGroup:
    """The findings of one rule in one module."""

    code: str
    name: str
    severity: Severity
    findings: tuple[LintFinding, ...]


@dataclass(frozen=True)
class ModuleGroup:
    """The findings of one source file, grouped by rule (sorted by code)."""

    path: str
    rules: tuple[RuleGroup, ...]

    @property
    def count(self) -> int:
        """Number of findings in this file."""
        return sum(len(group.findings) for group in self.rules)


@dataclass(frozen=True)
class LintSection:
    """``check`` on the sources given with ``--source``.

    ``ran`` is False when no source was given; ``input_errors`` are the TS0xx
    diagnostics (missing or unparsable files), ``modules`` the findings.
    """

    ran: bool
    targets: tuple[str, ...] = ()
    files_checked: int = 0
    modules: tuple[ModuleGroup, ...] = ()
    input_errors: tuple[Diagnostic, ...] = ()

    @property
    def count(self) -> int:
        """Number of findings about code (input errors excluded)."""
        return sum(module.count for module in self.modules)


@dataclass(frozen=True)
class ArgumentRow:
    """One argument of forward: name, TorchScript type, default (``None`` when it has none)."""

    name: str
    type_text: str
    default: str | None = None


@dataclass(frozen=True)
class TensorRow:
    """One row of the inputs and outputs table.

    ``triton_name`` is the name as Triton sees it (``input__0``); ``binds_to``
    says what of forward it feeds or reads (``x: Tensor``, ``element 1 of the
    returned tuple``); ``dims`` is the config's dims text (``[1, 28, 28]``,
    batch dim excluded when the model batches); ``*_source`` is how the value
    was found (weights, probe, declared type, override, graph, default, model)
    and ``*_detail`` the evidence. Empty strings when a value is unknown.
    """

    role: str
    triton_name: str
    binds_to: str
    data_type: str
    dims: str
    data_type_source: str = ""
    data_type_detail: str = ""
    dims_source: str = ""
    dims_detail: str = ""


@dataclass(frozen=True)
class InterfaceSection:
    """Forward's signature and the inputs and outputs Triton will see."""

    signature: str
    arguments: tuple[ArgumentRow, ...]
    returns: str
    max_batch_size: int | None = None
    max_batch_size_detail: str = ""
    rows: tuple[TensorRow, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class ConfigSection:
    """The inferred config.pbtxt (``text``), or why there is none (``blockers`` or ``error``).

    ``commands``: what a deployer runs next, once the config is saved in a model
    repository (``repository`` stands for that folder in them): the server, then
    perf_analyzer with a concrete size for every variable dim.
    """

    text: str | None
    name: str = ""
    blockers: tuple[Diagnostic, ...] = ()
    error: str = ""
    probes: int = 0
    commands: tuple[str, ...] = ()
    repository: str = ""


@dataclass(frozen=True)
class ValidationSection:
    """The result of validating the user's ``--config`` against the model."""

    config_path: str
    diagnostics: tuple[Diagnostic, ...] = ()
    schema_checked: bool = False
    error: str = ""

    @property
    def ok(self) -> bool:
        """True when the config could be checked and nothing worse than info was found."""
        return not self.error and not any(
            d.severity in (Severity.ERROR, Severity.WARNING) for d in self.diagnostics
        )


@dataclass(frozen=True)
class DtypeRow:
    """Parameters and buffers of one dtype: how many tensors, elements and bytes."""

    dtype: str
    tensors: int
    elements: int
    size_bytes: int


@dataclass(frozen=True)
class Check:
    """One line of the deployment checklist: topic, ``ok``/``warning``/``error``/``info``, and what was seen."""

    topic: str
    status: str
    summary: str
    codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class NamingSection:
    """How Triton binds this model's config names to forward: two sentences, names spelled out."""

    convention: str
    inputs: str
    outputs: str


@dataclass(frozen=True)
class DeploymentSection:
    """What the TorchScript IR says about serving: a checklist, the TS6xx findings and the facts behind them."""

    checks: tuple[Check, ...]
    findings: tuple[Diagnostic, ...]
    kind: str
    kind_evidence: str
    device_constants: tuple[str, ...]
    custom_op_namespaces: tuple[str, ...]
    dtypes: tuple[DtypeRow, ...]
    parameter_count: int
    parameter_bytes: int
    file_bytes: int
    naming: NamingSection | None
    training: bool = False


@dataclass(frozen=True)
class TreeLine:
    """One submodule in the module tree: depth (0 = root), dotted path, class name, own parameter count."""

    depth: int
    path: str
    type_name: str
    parameters: int


@dataclass(frozen=True)
class PictureSection:
    """The picture of the model: a sanitized ``<svg>`` element, else the module tree; ``note`` says which and why."""

    svg: str | None
    tree: tuple[TreeLine, ...]
    note: str
    ops: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Report:
    """Everything ``tsinspect report`` shows, in the order a reviewer reads it.

    Sections that could not be built are None (the model could not be
    loaded) and the verdict says why. ``tool_version`` is tsinspect's version;
    nothing in a report depends on the time or the machine, so the same inputs
    give the same bytes.
    """

    title: str
    model_path: str
    tool_version: str
    verdict: Verdict
    interface: InterfaceSection | None
    config: ConfigSection | None
    validation: ValidationSection | None
    deployment: DeploymentSection | None
    lint: LintSection
    picture: PictureSection | None

    @property
    def exit_code(self) -> int:
        """0 ready, 1 blockers or findings, 2 an unusable input."""
        return self.verdict.exit_code


__all__ = [
    "EXIT_CODES",
    "ArgumentRow",
    "Check",
    "ConfigSection",
    "DeploymentSection",
    "DtypeRow",
    "InterfaceSection",
    "LintFinding",
    "LintSection",
    "ModuleGroup",
    "NamingSection",
    "PictureSection",
    "Reason",
    "Report",
    "RuleGroup",
    "SnippetLine",
    "Status",
    "TensorRow",
    "TreeLine",
    "ValidationSection",
    "Verdict",
]
