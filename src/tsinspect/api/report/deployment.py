"""The deployment section of a report: the checklist of archive findings by topic, the
parameter dtypes, and the sentences that say how Triton binds names to forward."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tsinspect.api.report.collected import Collected, reason_of
from tsinspect.api.report.verdict import SEVERITY_RANK
from tsinspect.diagnostics import Diagnostic, Severity
from tsinspect.render.units import human_bytes
from tsinspect.report import Check, DeploymentSection, DtypeRow, NamingSection

if TYPE_CHECKING:
    from tsinspect.ir.findings import ParameterRecord
    from tsinspect.ir.model import LoadedModel
    from tsinspect.ir.signature import Signature
    from tsinspect.triton.config import ModelConfig
    from tsinspect.triton.infer import InferenceResult

TOPICS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Device constants", ("TS601",)),
    ("Export method", ("TS602",)),
    ("Custom operator libraries", ("TS603",)),
    ("Python escape hatches", ("TS604", "TS609")),
    ("Argument and return types", ("TS605", "TS606")),
    ("Parameter dtypes and size", ("TS607", "TS608")),
    ("Eval mode", ("TS610",)),
    ("Code run at load, file and process access", ("TS611", "TS612", "TS613")),
)


def _worst(findings: Sequence[Diagnostic]) -> str:
    if not findings:
        return "ok"
    return min((d.severity for d in findings), key=lambda s: SEVERITY_RANK[s]).value


def _dtype_rows(parameters: Sequence[ParameterRecord]) -> tuple[DtypeRow, ...]:
    totals: dict[str, list[int]] = {}
    for record in parameters:
        elements = 1
        for dim in record.shape:
            elements *= dim
        entry = totals.setdefault(record.dtype, [0, 0, 0])
        entry[0] += 1
        entry[1] += elements
        entry[2] += record.size_bytes
    rows = [DtypeRow(dtype, *values) for dtype, values in totals.items()]
    return tuple(sorted(rows, key=lambda row: (-row.size_bytes, row.dtype)))


def deployment_section(
    loaded: LoadedModel, inferred: InferenceResult | None, model_path: str, collected: Collected
) -> DeploymentSection:
    """The checklist of the archive's TS6xx findings by topic, its dtypes and size, and the
    naming sentences; every finding above info becomes a verdict reason."""
    findings = tuple(loaded.findings)
    for diagnostic in findings:
        if diagnostic.severity is not Severity.INFO:
            collected.add(reason_of("model", diagnostic))
    dtypes = _dtype_rows(loaded.parameters)
    try:
        file_bytes = os.path.getsize(model_path)
    except OSError:
        file_bytes = 0
    summaries = {
        "Device constants": (
            f"{', '.join(loaded.device_constants)} in forward's graph"
            if loaded.device_constants
            else "no device literal in forward's graph"
        ),
        "Export method": f"{loaded.kind}: {loaded.kind_evidence}",
        "Custom operator libraries": (
            f"operators from {', '.join(loaded.custom_op_namespaces)}: Triton must load the library "
            "that registers them"
            if loaded.custom_op_namespaces
            else "only operators libtorch provides"
        ),
        "Python escape hatches": "no Python calls, @unused stubs or prints in the graph",
        "Argument and return types": f"{loaded.signature}",
        "Parameter dtypes and size": "; ".join(
            f"{row.dtype}: {row.elements:,} values in {row.tensors} tensor(s), {human_bytes(row.size_bytes)}"
            for row in dtypes
        )
        + f"; archive {human_bytes(file_bytes)}"
        if dtypes
        else f"no parameters; archive {human_bytes(file_bytes)}",
        "Eval mode": "saved in training mode" if loaded.training else "saved in eval mode",
        "Code run at load, file and process access": (
            "no __setstate__, file or process operators in the archive's code"
        ),
    }
    checks: list[Check] = []
    covered: set[str] = set()
    for topic, codes in TOPICS:
        matching = [d for d in findings if d.code in codes]
        covered.update(codes)
        summary = summaries[topic]
        if matching and topic == "Python escape hatches":
            summary = "; ".join(d.message for d in matching)
        checks.append(
            Check(topic, _worst(matching), summary, tuple(sorted({d.code for d in matching})))
        )
    others = [d for d in findings if d.code not in covered]
    if others:
        checks.append(
            Check(
                "Other",
                _worst(others),
                "; ".join(d.message for d in others),
                tuple(sorted({d.code for d in others})),
            )
        )
    naming = naming_section(loaded.signature, inferred.config if inferred is not None else None)
    return DeploymentSection(
        checks=tuple(checks),
        findings=findings,
        kind=loaded.kind,
        kind_evidence=loaded.kind_evidence,
        device_constants=tuple(loaded.device_constants),
        custom_op_namespaces=tuple(loaded.custom_op_namespaces),
        dtypes=dtypes,
        parameter_count=loaded.total_parameter_count,
        parameter_bytes=loaded.total_parameter_bytes,
        file_bytes=file_bytes,
        naming=naming,
        training=bool(loaded.training),
    )


def _pairs(pairs: Sequence[tuple[str, str]], arrow: str) -> str:
    return ", ".join(f"`{left}` {arrow} {_code_or_text(right)}" for left, right in pairs)


def _code_or_text(value: str) -> str:
    """Names in backticks (renderers show them as code); descriptions such as ``element 0`` stay text."""
    return value if " " in value else f"`{value}`"


def naming_section(signature: Signature, config: ModelConfig | None) -> NamingSection | None:
    """Two sentences: how Triton binds the config's input names, then its output names, to forward."""
    from tsinspect.triton import naming

    arguments = signature.arguments
    if not arguments:
        return None
    dict_mode = len(arguments) == 1 and arguments[0].type.is_str_tensor_dict
    if config is not None:
        input_names = [tensor.name for tensor in config.inputs]
        output_names = [tensor.name for tensor in config.outputs]
    elif dict_mode:
        return None  # the dict keys come from the inferred config; without one they are unknown
    else:
        input_names = list(naming.default_names(naming.DEFAULT_INPUT_PREFIX, len(arguments)))
        count = (
            signature.returns.tensor_count()
            if signature.returns.kind in ("Tensor", "Tuple")
            else None
        )
        output_names = (
            list(naming.default_names(naming.DEFAULT_OUTPUT_PREFIX, count)) if count else []
        )

    if dict_mode:
        argument = arguments[0].name
        convention = naming.Convention.DICT_KEYS
        inputs = (
            f"forward takes a single `Dict[str, Tensor]` argument, so Triton passes every input in that "
            f"dict under its config name: {_pairs([(n, f'{argument}[{n!r}]') for n in input_names], '→')}."
        )
    else:
        mapping = naming.map_inputs(input_names, signature.argument_names)
        convention = mapping.convention
        bound = [
            (name, arguments[p].name if p < len(arguments) else f"argument {p} (none)")
            for name, p in zip(input_names, mapping.positions, strict=True)
        ]
        if convention is naming.Convention.FORWARD_ARGUMENT:
            inputs = (
                "Every input name is one of forward's argument names, so Triton feeds each input to "
                f"the argument of that name: {_pairs(bound, '→')}."
            )
        elif convention is naming.Convention.NAMED_INDEX:
            inputs = (
                "Every input name ends in `__<index>`, so Triton feeds each input to forward's argument "
                f"at that index, whatever the order in the config: {_pairs(bound, '→')}."
            )
        else:
            inputs = (
                "The input names are neither all forward's argument names nor all `<name>__<index>`, "
                f"so Triton feeds them in config order ({_pairs(bound, '→')}) and reordering the "
                "config silently swaps them."
            )
    returns = signature.returns
    if not output_names:
        outputs = (
            f"forward returns `{returns.text}`, which Triton's libtorch backend cannot read, so no "
            "output name can be bound to it until forward returns a Tensor or a tuple of Tensors."
        )
    else:
        output_mapping = naming.map_outputs(output_names)
        if returns.kind == "Tuple":
            read = [
                (name, f"element {p}")
                for name, p in zip(output_names, output_mapping.positions, strict=True)
            ]
            what = f"the tuple forward returns (`{returns.text}`)"
        else:
            read = [(name, f"the returned `{returns.text}`") for name in output_names]
            what = "forward's return value"
        if output_mapping.convention is naming.Convention.NAMED_INDEX:
            outputs = (
                f"Outputs are read from {what} by the index after their `__`: {_pairs(read, '←')}."
            )
        else:
            outputs = (
                f"The output names do not all end in `__<index>`, so Triton reads {what} in config "
                f"order: {_pairs(read, '←')}."
            )
    return NamingSection(convention=convention.value, inputs=inputs, outputs=outputs)
