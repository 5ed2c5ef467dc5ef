"""The model's sections of a report: loading it, the inferred config, the validation of the
user's config, and the table of Triton's inputs and outputs bound to forward's arguments."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from tsinspect.api.report.collected import Collected, ProgressCallback, reason_of, without_path
from tsinspect.diagnostics import Severity
from tsinspect.errors import ConfigError, InputError, MissingDependencyError, TsinspectError
from tsinspect.report import (
    ArgumentRow,
    ConfigSection,
    InterfaceSection,
    Reason,
    TensorRow,
    ValidationSection,
)

if TYPE_CHECKING:
    from tsinspect.api.config import ProbedModel
    from tsinspect.ir.model import LoadedModel
    from tsinspect.triton.config import TensorConfig
    from tsinspect.triton.infer import InferenceResult

#: Where the report's commands assume the model repository (the reader picks the folder).
REPOSITORY_PLACEHOLDER = "MODEL_REPOSITORY"


def load_model_or_reason(
    model_path: str,
    libraries: Iterable[str | os.PathLike[str]],
    collected: Collected,
    step: ProgressCallback,
    trust_model: bool,
) -> LoadedModel | None:
    """The loaded archive, or None with the reason it could not be loaded (untrusted code,
    not TorchScript, missing); MissingDependencyError (no torch) is raised, not reported."""
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
                without_path(error, model_path),
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
                without_path(error, model_path),
                where=model_path,
                hint="pass a TorchScript archive saved with torch.jit.save",
            )
        )
        return None


def config_section(
    config_model: ProbedModel,
    collected: Collected,
    *,
    input_shapes: Mapping[str, Sequence[int]] | Sequence[Sequence[int]] | None,
    input_dtypes: Mapping[str, str] | Sequence[str] | None,
    max_batch_size: int | None,
    name: str,
    naming: str,
) -> tuple[InferenceResult | None, ConfigSection]:
    """The inferred config (or why there is none), with the commands a deployer runs next."""
    from tsinspect.api.config import infer_config, render_config
    from tsinspect.errors import InferenceError

    try:
        result = infer_config(
            config_model,
            input_shapes=input_shapes,
            input_dtypes=input_dtypes,
            max_batch_size=max_batch_size,
            name=name,
            naming=naming,
        )
    except InferenceError as error:
        message = without_path(error, config_model.path)
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
        collected.add(reason_of("config", blocker))
    if result.config is None:
        return result, ConfigSection(text=None, blockers=result.blockers, probes=result.probes)
    from tsinspect.triton.next_steps import perf_analyzer_command, serve_command

    commands = (
        serve_command(REPOSITORY_PLACEHOLDER),
        perf_analyzer_command(result.config, result.example_shapes),
    )
    return result, ConfigSection(
        text=render_config(result),
        name=result.config.name,
        probes=result.probes,
        commands=commands,
        repository=REPOSITORY_PLACEHOLDER,
    )


def validation_section(
    config_model: ProbedModel, config_path: str, collected: Collected
) -> ValidationSection:
    """The TS7xx findings of the user's ``--config`` against the model, or why it could not
    be checked; errors and warnings become verdict reasons."""
    from tsinspect.api.config import validate_config

    try:
        result = validate_config(config_model, config_path)
    except (ConfigError, InputError) as error:
        message = without_path(error, config_path)
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
        message = without_path(error, config_path)
        collected.add(
            Reason(
                Severity.ERROR, "validation", "", "validation-failed", message, where=config_path
            )
        )
        return ValidationSection(config_path=config_path, error=message)
    for diagnostic in result.diagnostics:
        if diagnostic.severity is not Severity.INFO:
            collected.add(reason_of("validation", diagnostic))
    return ValidationSection(result.config_path, result.diagnostics, result.schema_checked)


def _dims_text(dims: Sequence[int], reshape: Sequence[int] | None) -> str:
    text = "[" + ", ".join(str(dim) for dim in dims) + "]"
    if reshape is not None:
        text += " reshape [" + ", ".join(str(dim) for dim in reshape) + "]"
    return text


def interface_section(
    loaded: LoadedModel, inferred: InferenceResult | None, section: ConfigSection | None
) -> InterfaceSection:
    """forward's signature and, when a config was inferred, one row per Triton input and output
    with what of forward it binds to and how its dtype and dims were found."""
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


def _tensor_row(role: str, tensor: TensorConfig, binds_to: str) -> TensorRow:
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
