"""``tsinspect.build_report``: check, graph and config brought together into one Report.

The builder calls the other APIs (``api.check``, ``api.model``,
``api.config``) and the DOT renderer; it never re-derives what they compute.
What it adds is the reviewer's view: the verdict (most serious first), lint
findings grouped by module and rule, the inputs and outputs table with how
each value was found, the deployment checklist, the naming sentences, and the
picture. Failures of one part (a model that does not load, shapes that cannot
be inferred, a config that does not parse) become part of the report instead
of aborting it. torch is imported only inside the calls that load the model.

The package: this module runs the steps; ``model_sections``, ``deployment``,
``picture`` and ``lint_section`` build the sections from typed records,
``verdict`` orders the reasons ``collected`` gathered, ``svg`` cleans
Graphviz's drawing, and ``output`` picks the format and writes the file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from tsinspect import __version__
from tsinspect.api.report.collected import Collected, ProgressCallback
from tsinspect.api.report.deployment import deployment_section
from tsinspect.api.report.lint_section import lint_section
from tsinspect.api.report.model_sections import (
    config_section,
    interface_section,
    load_model_or_reason,
    validation_section,
)
from tsinspect.api.report.output import (
    FORMAT_BY_SUFFIX,
    FORMATS,
    check_writable,
    render_report,
    report_format,
    write_report,
)
from tsinspect.api.report.picture import PICTURE_TIMEOUT_S, picture_section
from tsinspect.api.report.svg import sanitize_svg
from tsinspect.api.report.verdict import verdict
from tsinspect.api.stdio import model_output_to_stderr
from tsinspect.report import (
    ConfigSection,
    DeploymentSection,
    InterfaceSection,
    PictureSection,
    Report,
    ValidationSection,
)
from tsinspect.settings import Settings

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


def _quiet(_: str) -> None:
    """The default progress callback: says nothing."""


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
    collected = Collected([])
    source_list = [os.fspath(source) for source in sources]

    interface: InterfaceSection | None = None
    config_part: ConfigSection | None = None
    validation: ValidationSection | None = None
    deployment: DeploymentSection | None = None
    picture_part: PictureSection | None = None
    loaded = load_model_or_reason(model_path, libraries, collected, step, trust_model)
    if loaded is not None:
        step("inferring the Triton config (probing shapes)")
        from tsinspect.api.config import load_for_probing

        config_model = load_for_probing(loaded)
        with model_output_to_stderr():
            inferred, config_part = config_section(
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
                validation = validation_section(config_model, os.fspath(config), collected)
        interface = interface_section(loaded, inferred, config_part)
        deployment = deployment_section(loaded, inferred, model_path, collected)
        step("drawing the graph" if picture else "reading the module tree")
        picture_part = picture_section(loaded, picture)
    lint = lint_section(source_list, settings, collected, step)
    return Report(
        title=f"tsinspect report: {Path(model_path).name}",
        model_path=model_path,
        tool_version=__version__,
        verdict=verdict(collected.reasons),
        interface=interface,
        config=config_part,
        validation=validation,
        deployment=deployment,
        lint=lint,
        picture=picture_part,
    )
