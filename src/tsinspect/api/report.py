"""``tsinspect.build_report``: check, graph and config brought together into one Report.

The builder calls the other APIs (``api.check``, ``api.model``,
``api.config``) and the DOT renderer; it never re-derives what they compute.
What it adds is the reviewer's view: the verdict (most serious first), lint
findings grouped by module and rule, the inputs and outputs table with how
each value was found, the deployment checklist, the naming sentences, and the
picture. Failures of one part (a model that does not load, shapes that cannot
be inferred, a config that does not parse) become part of the report instead
of aborting it. torch is imported only inside the calls that load the model.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tsinspect import __version__
from tsinspect.api.stdio import model_output_to_stderr
from tsinspect.diagnostics import Diagnostic, Severity
from tsinspect.errors import ConfigError, InputError, MissingDependencyError, TsinspectError
from tsinspect.render.units import human_bytes
from tsinspect.report import (
    ArgumentRow,
    Check,
    ConfigSection,
    DeploymentSection,
    DtypeRow,
    InterfaceSection,
    LintFinding,
    LintSection,
    ModuleGroup,
    NamingSection,
    PictureSection,
    Reason,
    Report,
    RuleGroup,
    SnippetLine,
    Status,
    TensorRow,
    TreeLine,
    ValidationSection,
    Verdict,
)
from tsinspect.settings import Settings

#: A progress callback: receives a short description of the step that starts now.
ProgressCallback = Callable[[str], None]

# Verdict order: errors before warnings, then the stage a reviewer fixes first.
_SEVERITY_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
_STAGE_RANK = {"input": 0, "model": 1, "config": 2, "validation": 3, "lint": 4}
# Deployment checklist topics, in reading order, and the TS6xx codes behind each.
_TOPICS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Device constants", ("TS601",)),
    ("Export method", ("TS602",)),
    ("Custom operator libraries", ("TS603",)),
    ("Python escape hatches", ("TS604", "TS609")),
    ("Argument and return types", ("TS605", "TS606")),
    ("Parameter dtypes and size", ("TS607", "TS608")),
    ("Eval mode", ("TS610",)),
    ("Code run at load, file and process access", ("TS611", "TS612", "TS613")),
)
#: Longer verdict messages (PyTorch's dispatcher errors run to 1,500 characters) are cut there.
VERDICT_MESSAGE_LIMIT = 320
#: Seconds Graphviz may take to draw the collapsed graph before the report falls back to the tree.
PICTURE_TIMEOUT_S = 60.0
_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK_NS = "http://www.w3.org/1999/xlink"
# Elements that can run code or pull in other documents: never embedded.
_SVG_UNSAFE_TAGS = frozenset(
    {"script", "foreignObject", "iframe", "object", "embed", "image", "use", "style"}
)


def _quiet(_: str) -> None:
    """The default progress callback: says nothing."""


@dataclass
class _Collected:
    """Reasons gathered while the sections are built."""

    reasons: list[Reason]

    def add(self, reason: Reason) -> None:
        """Add a reason, unless another section already gave the same finding.

        The config refusal repeats the model's own signature findings (TS605/TS606, one
        implementation in triton/serving.py): the verdict names each problem once.
        """
        key = (reason.code, reason.message, reason.where)
        if all((r.code, r.message, r.where) != key for r in self.reasons):
            self.reasons.append(reason)


def build_report(
    model: str | os.PathLike[str],
    sources: Iterable[str | os.PathLike[str]] = (),
    config: str | os.PathLike[str] | None = None,
    *,
    input_shapes: Mapping[str, Sequence[int]] | Sequence[Sequence[int]] | None = None,
    input_dtypes: Mapping[str, str] | Sequence[str] | None = None,
    max_batch_size: int | None = None,
    name: str | None = None,
    naming: str = "index",
    libraries: Iterable[str | os.PathLike[str]] = (),
    settings: Settings | None = None,
    picture: bool = True,
    progress: ProgressCallback | None = None,
    trust_model: bool = False,
) -> Report:
    """Build the report of the TorchScript archive ``model`` and the Python ``sources`` it came from.

    ``sources`` are files or folders to lint (``tsinspect check``); ``config``
    an existing config.pbtxt (or model folder) to validate against the model.
    ``input_shapes``, ``input_dtypes``, ``max_batch_size``, ``name`` and
    ``naming`` are passed to :func:`tsinspect.infer_config`. ``picture=False``
    skips Graphviz. ``progress`` is called with a short text as each slow
    step starts. The model is run (``__setstate__`` at load, ``forward`` in the
    probes); an archive whose code the pre-load scan flagged is not loaded,
    and the report says why, unless ``trust_model`` (docs/security.md).

    An input that cannot be read (a missing or non-TorchScript model, an
    unparsable source, an unreadable config) is reported in the verdict with
    status ``unusable``; shapes that cannot be inferred are a blocker. Raises
    InputError only for bad options (an override naming no input) and
    MissingDependencyError when torch is not installed.
    """
    step = progress or _quiet
    model_path = os.fspath(model)
    collected = _Collected([])
    source_list = [os.fspath(source) for source in sources]

    interface = config_section = validation = deployment = picture_section = None
    loaded = _load(model_path, libraries, collected, step, trust_model)
    if loaded is not None:
        step("inferring the Triton config (probing shapes)")
        from tsinspect.api.config import load_for_probing

        config_model = load_for_probing(loaded)
        with model_output_to_stderr():
            inferred, config_section = _infer(
                config_model,
                collected,
                input_shapes=input_shapes,
                input_dtypes=input_dtypes,
                max_batch_size=max_batch_size,
                name=name or Path(model_path).stem,
                naming=naming,
            )
            if config is not None:
                step(f"validating {os.fspath(config)}")
                validation = _validate(config_model, os.fspath(config), collected)
        interface = _interface(loaded, inferred, config_section)
        deployment = _deployment(loaded, inferred, model_path, collected)
        step("drawing the graph" if picture else "reading the module tree")
        picture_section = _picture(loaded, picture)
    lint = _lint(source_list, settings, collected, step)
    return Report(
        title=f"tsinspect report: {Path(model_path).name}",
        model_path=model_path,
        tool_version=__version__,
        verdict=_verdict(collected.reasons),
        interface=interface,
        config=config_section,
        validation=validation,
        deployment=deployment,
        lint=lint,
        picture=picture_section,
    )


# --------------------------------------------------------------------------- model


def _load(
    model_path: str,
    libraries: Iterable[str | os.PathLike[str]],
    collected: _Collected,
    step: ProgressCallback,
    trust_model: bool,
) -> Any:
    from tsinspect.api.model import load_model
    from tsinspect.errors import UntrustedModelError

    step(f"loading {model_path}")
    try:
        return load_model(
            model_path,
            libraries=[os.fspath(library) for library in libraries],
            trust_model=trust_model,
        )
    except MissingDependencyError:
        raise
    except UntrustedModelError as error:
        collected.add(
            Reason(
                Severity.ERROR,
                "input",
                "",
                "untrusted-model",
                _without_path(error, model_path),
                where=model_path,
                hint="read the archive's code, then pass --trust-model if you trust this file",
            )
        )
        return None
    except TsinspectError as error:
        collected.add(
            Reason(
                Severity.ERROR,
                "input",
                "",
                "unreadable-model",
                _without_path(error, model_path),
                where=model_path,
                hint="pass a TorchScript archive saved with torch.jit.save",
            )
        )
        return None


def _without_path(error: TsinspectError, path: str) -> str:
    """The error's message without the leading ``path: `` (the report shows the path next to it)."""
    return str(error).removeprefix(f"{path}: ")


def _infer(config_model: Any, collected: _Collected, **options: Any) -> tuple[Any, ConfigSection]:
    from tsinspect.api.config import infer_config, render_config
    from tsinspect.errors import InferenceError

    try:
        result = infer_config(config_model, **options)
    except InferenceError as error:
        message = _without_path(error, config_model.path)
        collected.add(
            Reason(
                Severity.ERROR,
                "config",
                "",
                "config-inference",
                message,
                where=config_model.path,
                hint="pass --input-shape NAME=DIMS (and --input-dtype) to tsinspect report",
            )
        )
        return None, ConfigSection(text=None, error=message)
    for blocker in result.blockers:
        collected.add(_reason("config", blocker))
    if result.config is None:
        return result, ConfigSection(text=None, blockers=result.blockers, probes=result.probes)
    return result, ConfigSection(
        text=render_config(result), name=result.config.name, probes=result.probes
    )


def _validate(config_model: Any, config_path: str, collected: _Collected) -> ValidationSection:
    from tsinspect.api.config import validate_config

    try:
        result = validate_config(config_model, config_path)
    except (ConfigError, InputError) as error:
        message = _without_path(error, config_path)
        collected.add(
            Reason(
                Severity.ERROR,
                "input",
                "",
                "unreadable-config",
                message,
                where=config_path,
                hint="pass a config.pbtxt in protobuf text format, or a model folder holding one",
            )
        )
        return ValidationSection(config_path=config_path, error=message)
    except MissingDependencyError:
        raise
    except TsinspectError as error:
        message = _without_path(error, config_path)
        collected.add(
            Reason(
                Severity.ERROR, "validation", "", "validation-failed", message, where=config_path
            )
        )
        return ValidationSection(config_path=config_path, error=message)
    for diagnostic in result.diagnostics:
        if diagnostic.severity is not Severity.INFO:
            collected.add(_reason("validation", diagnostic))
    return ValidationSection(result.config_path, result.diagnostics, result.schema_checked)


def _reason(stage: str, diagnostic: Diagnostic) -> Reason:
    where = f"{diagnostic.path}:{diagnostic.line}" if diagnostic.line > 0 else diagnostic.path
    hint = diagnostic.fix.hint if diagnostic.fix is not None else ""
    return Reason(
        diagnostic.severity,
        stage,
        diagnostic.code,
        diagnostic.name,
        diagnostic.message,
        where,
        hint,
    )


def _dims_text(dims: Sequence[int], reshape: Sequence[int] | None) -> str:
    text = "[" + ", ".join(str(dim) for dim in dims) + "]"
    if reshape is not None:
        text += " reshape [" + ", ".join(str(dim) for dim in reshape) + "]"
    return text


def _interface(loaded: Any, inferred: Any, section: ConfigSection | None) -> InterfaceSection:
    from tsinspect.triton import naming

    signature = loaded.signature
    arguments = tuple(ArgumentRow(a.name, a.type.text, a.default) for a in signature.arguments)
    config = inferred.config if inferred is not None else None
    if config is None:
        why = (
            "the shapes could not be inferred"
            if section is not None and section.error
            else "the model has blockers"
        )
        return InterfaceSection(
            str(signature),
            arguments,
            signature.returns.text,
            note=f"Triton's inputs and outputs are unknown: {why} (see config.pbtxt below)",
        )
    rows: list[TensorRow] = []
    dict_mode = len(signature.arguments) == 1 and signature.arguments[0].type.is_str_tensor_dict
    input_names = [tensor.name for tensor in config.inputs]
    positions = naming.map_inputs(input_names, signature.argument_names).positions
    for tensor, position in zip(config.inputs, positions, strict=True):
        if dict_mode:
            binds_to = f"{signature.arguments[0].name}[{tensor.name!r}]"
        elif position < len(signature.arguments):
            argument = signature.arguments[position]
            binds_to = f"{argument.name}: {argument.type.text}"
        else:
            binds_to = f"no argument {position}"
        rows.append(_tensor_row("input", tensor, binds_to))
    returns = signature.returns
    output_positions = naming.map_outputs([tensor.name for tensor in config.outputs]).positions
    for tensor, position in zip(config.outputs, output_positions, strict=True):
        if returns.kind == "Tuple":
            binds_to = f"element {position} of the returned {returns.text}"
        else:
            binds_to = f"the returned {returns.text}"
        rows.append(_tensor_row("output", tensor, binds_to))
    batch = config.provenance_of("max_batch_size")
    return InterfaceSection(
        str(signature),
        arguments,
        returns.text,
        max_batch_size=config.max_batch_size,
        max_batch_size_detail=str(batch) if batch is not None else "",
        rows=tuple(rows),
    )


def _tensor_row(role: str, tensor: Any, binds_to: str) -> TensorRow:
    data_type = tensor.provenance_of("data_type")
    dims = tensor.provenance_of("dims") or data_type
    return TensorRow(
        role=role,
        triton_name=tensor.name,
        binds_to=binds_to,
        data_type=tensor.data_type,
        dims=_dims_text(tensor.dims, tensor.reshape),
        data_type_source=data_type.source if data_type else "",
        data_type_detail=data_type.detail if data_type else "",
        dims_source=dims.source if dims else "",
        dims_detail=dims.detail if dims else "",
    )


# --------------------------------------------------------------------------- deployment


def _worst(findings: Sequence[Diagnostic]) -> str:
    if not findings:
        return "ok"
    return min((d.severity for d in findings), key=lambda s: _SEVERITY_RANK[s]).value


def _dtype_rows(parameters: Sequence[Any]) -> tuple[DtypeRow, ...]:
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


def _deployment(
    loaded: Any, inferred: Any, model_path: str, collected: _Collected
) -> DeploymentSection:
    findings = tuple(loaded.findings)
    for diagnostic in findings:
        if diagnostic.severity is not Severity.INFO:
            collected.add(_reason("model", diagnostic))
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
    for topic, codes in _TOPICS:
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
    naming_section = _naming(loaded.signature, inferred.config if inferred is not None else None)
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
        naming=naming_section,
        training=bool(loaded.training),
    )


def _pairs(pairs: Sequence[tuple[str, str]], arrow: str) -> str:
    return ", ".join(f"`{left}` {arrow} {_code_or_text(right)}" for left, right in pairs)


def _code_or_text(value: str) -> str:
    """Names in backticks (renderers show them as code); descriptions such as ``element 0`` stay text."""
    return value if " " in value else f"`{value}`"


def _naming(signature: Any, config: Any) -> NamingSection | None:
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


# --------------------------------------------------------------------------- picture


def sanitize_svg(svg_text: str) -> str:
    """The ``<svg>`` element of Graphviz's output, safe to embed inline in HTML.

    Drops the XML declaration, DOCTYPE and comments; removes elements that
    can run code or load other documents (script, foreignObject, image, use,
    style...), every ``on*`` event attribute, and links that leave the
    document. InputError when the text is not an SVG document.
    """
    ElementTree.register_namespace("", _SVG_NS)
    ElementTree.register_namespace("xlink", _XLINK_NS)
    try:
        root = ElementTree.fromstring(svg_text)
    except ElementTree.ParseError as error:
        raise InputError(f"Graphviz returned an unreadable SVG ({error})") from None
    if root.tag != f"{{{_SVG_NS}}}svg":
        raise InputError(f"Graphviz returned {root.tag!r}, not an <svg> element")

    def local(name: str) -> str:
        return name.rpartition("}")[2]

    def clean(element: ElementTree.Element) -> None:
        for child in list(element):
            if local(child.tag) in _SVG_UNSAFE_TAGS:
                element.remove(child)
            else:
                clean(child)
        for attribute in list(element.attrib):
            value = element.attrib[attribute]
            name = local(attribute).lower()
            if (
                name.startswith("on")
                or (name == "href" and not value.startswith("#"))
                or "url(" in value
            ):
                del element.attrib[attribute]

    clean(root)
    return ElementTree.tostring(root, encoding="unicode")


def _picture(loaded: Any, draw: bool) -> PictureSection:
    from tsinspect.api.model import render_picture

    parameters_by_module = {
        s.path: sum(1 for p in s.parameters if p.role == "parameter") for s in loaded.submodules
    }
    tree = tuple(
        TreeLine(s.depth, s.path, s.type_name, parameters_by_module.get(s.path, 0))
        for s in loaded.submodules
    )
    ops = tuple(loaded.op_histogram()[:15])
    if not draw:
        return PictureSection(
            None, tree, "the module tree (drawing skipped with --no-picture)", ops
        )
    from tsinspect.render.dot import render_dot

    module_types = {s.path: s.type_name for s in loaded.submodules}
    try:
        dot_text = render_dot(loaded.graph, depth=0, module_types=module_types)
        svg = sanitize_svg(
            render_picture(dot_text, "svg", timeout_s=PICTURE_TIMEOUT_S).decode("utf-8")
        )
    except MissingDependencyError:
        return PictureSection(
            None, tree, "the module tree (install Graphviz for a drawing of the graph)", ops
        )
    except TsinspectError as error:
        return PictureSection(
            None, tree, f"the module tree (the graph could not be drawn: {error})", ops
        )
    return PictureSection(
        svg, tree, "forward's graph, each top-level submodule collapsed to one node", ops
    )


# --------------------------------------------------------------------------- lint


def _snippet(diagnostic: Diagnostic, text: str | None) -> tuple[SnippetLine, ...]:
    if text is None or diagnostic.line <= 0:
        return ()
    line = text.rstrip("\r\n")
    start = max(diagnostic.column - 1, 0)
    if diagnostic.end_line == diagnostic.line and diagnostic.end_column > diagnostic.column:
        end = diagnostic.end_column - 1
    else:  # a multi-line node: mark to the end of its first line
        end = len(line.rstrip())
    return (SnippetLine(diagnostic.line, line, start, max(end, start + 1)),)


def _lint(
    sources: list[str], settings: Settings | None, collected: _Collected, step: ProgressCallback
) -> LintSection:
    if not sources:
        return LintSection(ran=False)
    from tsinspect.api.check import check_paths

    step(f"linting {', '.join(sources)}")
    result = check_paths(sources, settings=settings)
    for error in result.input_errors:
        collected.add(
            Reason(
                Severity.ERROR,
                "input",
                error.code,
                error.name,
                error.message,
                error.path,
                error.fix.hint if error.fix else "",
            )
        )
    by_module: dict[str, dict[str, list[LintFinding]]] = {}
    for diagnostic in result.findings:
        lines = result.source_lines.get(diagnostic.path, {})
        entry = LintFinding(diagnostic, _snippet(diagnostic, lines.get(diagnostic.line)))
        by_module.setdefault(diagnostic.path, {}).setdefault(diagnostic.code, []).append(entry)
    modules = []
    for path in sorted(by_module):
        groups = []
        for code in sorted(by_module[path]):
            entries = by_module[path][code]
            first = entries[0].diagnostic
            groups.append(RuleGroup(code, first.name, first.severity, tuple(entries)))
        modules.append(ModuleGroup(path, tuple(groups)))
    # The verdict names each rule once: how many findings, where the first one is.
    by_code: dict[str, list[Diagnostic]] = {}
    for diagnostic in result.findings:
        by_code.setdefault(diagnostic.code, []).append(diagnostic)
    for code, diagnostics in sorted(by_code.items()):
        first = diagnostics[0]
        if first.severity is Severity.INFO:
            continue
        files = len({d.path for d in diagnostics})
        count = (
            f"{len(diagnostics)} findings in {files} file{'s' if files != 1 else ''}; first: "
            if len(diagnostics) > 1
            else ""
        )
        collected.add(
            Reason(
                first.severity,
                "lint",
                code,
                first.name,
                count + first.message,
                LintFinding(first).location,
                first.fix.hint if first.fix else "",
            )
        )
    return LintSection(
        ran=True,
        targets=tuple(sources),
        files_checked=result.files_checked,
        modules=tuple(modules),
        input_errors=result.input_errors,
    )


# --------------------------------------------------------------------------- verdict


def _brief(reason: Reason) -> Reason:
    """The reason with its message cut to VERDICT_MESSAGE_LIMIT characters (the section keeps all of it)."""
    if len(reason.message) <= VERDICT_MESSAGE_LIMIT:
        return reason
    cut = reason.message[:VERDICT_MESSAGE_LIMIT].rsplit(" ", 1)[0]
    return replace(reason, message=f"{cut} … (the full message is in the {reason.stage} section)")


def _verdict(reasons: list[Reason]) -> Verdict:
    ordered = tuple(
        sorted(
            (_brief(r) for r in reasons),
            key=lambda r: (
                _SEVERITY_RANK[r.severity],
                _STAGE_RANK[r.stage],
                r.code,
                r.where,
                r.message,
            ),
        )
    )
    unusable = [r for r in ordered if r.stage == "input"]
    errors = [r for r in ordered if r.severity is Severity.ERROR]
    warnings = [r for r in ordered if r.severity is Severity.WARNING]
    if unusable:
        count = len(unusable)
        return Verdict(
            Status.UNUSABLE,
            f"Incomplete: {count} input{'s' if count != 1 else ''} could not be read",
            ordered,
        )
    if errors:
        count = len(errors)
        return Verdict(
            Status.BLOCKED,
            f"Not ready for Triton's libtorch backend: {count} blocker{'s' if count != 1 else ''}",
            ordered,
        )
    if warnings:
        count = len(warnings)
        return Verdict(
            Status.REVIEW,
            f"Loads on Triton's libtorch backend, with {count} warning"
            f"{'s' if count != 1 else ''} to review",
            ordered,
        )
    return Verdict(Status.READY, "Ready for Triton's libtorch backend", ordered)


#: ``-o`` suffix -> report format.
FORMAT_BY_SUFFIX: dict[str, str] = {
    ".html": "html",
    ".htm": "html",
    ".md": "markdown",
    ".markdown": "markdown",
}
FORMATS: tuple[str, ...] = ("html", "markdown")


def report_format(output: str | os.PathLike[str] | None, requested: str | None) -> str:
    """The format to write: ``requested`` if given, else from the ``-o`` suffix, else markdown.

    InputError when ``-o`` has a suffix that names no format and none was requested.
    """
    if requested is not None:
        if requested not in FORMATS:
            raise InputError(f"unknown report format {requested!r}: use html or markdown")
        return requested
    if output is None:
        return "markdown"
    suffix = Path(output).suffix.lower()
    if suffix not in FORMAT_BY_SUFFIX:
        raise InputError(
            f"cannot tell the report format from {os.fspath(output)!r}: name it .html, .htm or .md, "
            "or pass --format html|markdown"
        )
    return FORMAT_BY_SUFFIX[suffix]


def check_writable(output: str | os.PathLike[str], force: bool = False) -> Path:
    """Refuse (OverwriteError) an existing file unless ``force``; InputError for a folder or a missing parent."""
    from tsinspect.files import check_output

    return check_output(output, force)


def render_report(report: Report, output_format: str) -> str:
    """The report as ``html`` or ``markdown`` text."""
    if output_format == "html":
        from tsinspect.render.report_html import render_report_html

        return render_report_html(report)
    if output_format == "markdown":
        from tsinspect.render.report_markdown import render_report_markdown

        return render_report_markdown(report)
    raise InputError(f"unknown report format {output_format!r}: use html or markdown")


def write_report(text: str, output: str | os.PathLike[str], force: bool = False) -> Path:
    """Write the rendered report atomically (temporary file, then rename); never half a file.

    Refuses to replace an existing file unless ``force``, like ``tsinspect config -o``.
    """
    from tsinspect.files import write_output

    return write_output(output, text.encode("utf-8"), force=force)


__all__ = [
    "FORMATS",
    "FORMAT_BY_SUFFIX",
    "PICTURE_TIMEOUT_S",
    "ProgressCallback",
    "build_report",
    "check_writable",
    "render_report",
    "report_format",
    "sanitize_svg",
    "write_report",
]
