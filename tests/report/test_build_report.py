"""``tsinspect.build_report``: the verdict, sections and failures of real fixture archives."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tsinspect.diagnostics import Severity
from tsinspect.report import Status

pytest.importorskip("torch")

UNSCRIPTABLE = Path(__file__).resolve().parents[2] / "fixtures" / "unscriptable"


def test_simple_cnn_is_ready_with_the_inferred_interface(model_report: Callable[..., Any]) -> None:
    report = model_report("simple_cnn")
    assert report.verdict.status is Status.READY
    assert report.exit_code == 0
    assert report.verdict.reasons == ()
    rows = {row.triton_name: row for row in report.interface.rows}
    assert set(rows) == {"input__0", "output__0"}
    assert (rows["input__0"].data_type, rows["input__0"].dims, rows["input__0"].binds_to) == (
        "TYPE_FP32",
        "[1, 28, 28]",
        "x: Tensor",
    )
    assert rows["input__0"].data_type_source == "weights"
    assert (rows["output__0"].data_type, rows["output__0"].dims, rows["output__0"].dims_source) == (
        "TYPE_FP32",
        "[10]",
        "probe",
    )
    assert report.interface.max_batch_size == 8
    assert 'platform: "pytorch_libtorch"' in report.config.text
    assert report.interface.signature == "forward(x: Tensor) -> Tensor"


def test_naming_is_spelled_out_in_two_sentences(model_report: Callable[..., Any]) -> None:
    naming = model_report("simple_cnn").deployment.naming
    assert naming.convention == "named-index"
    assert "`input__0` → `x`" in naming.inputs
    assert "`output__0` ← the returned `Tensor`" in naming.outputs
    assert naming.inputs.count(". ") == 0 and naming.outputs.endswith(".")


def test_deployment_checklist_of_a_clean_model(model_report: Callable[..., Any]) -> None:
    deployment = model_report("simple_cnn").deployment
    statuses = {check.topic: check.status for check in deployment.checks}
    assert set(statuses.values()) == {"ok"}
    assert {
        "Device constants",
        "Export method",
        "Custom operator libraries",
        "Python escape hatches",
        "Parameter dtypes and size",
    } <= set(statuses)
    assert [(row.dtype, row.elements) for row in deployment.dtypes] == [("float32", 421_642)]
    assert deployment.kind == "scripted"


def test_device_constant_model_with_unscriptable_sources(model_report: Callable[..., Any]) -> None:
    report = model_report("device_constant", (str(UNSCRIPTABLE),))
    assert report.verdict.status is Status.BLOCKED
    assert report.exit_code == 1
    severities = [reason.severity for reason in report.verdict.reasons]
    assert severities == sorted(severities, key=[Severity.ERROR, Severity.WARNING].index), (
        "errors come first"
    )
    codes = {reason.code for reason in report.verdict.reasons}
    assert {"TS601", "TS101", "TS105"} <= codes
    device = next(check for check in report.deployment.checks if check.topic == "Device constants")
    assert (device.status, device.codes) == ("warning", ("TS601",))
    assert "cuda:0" in device.summary
    # Lint findings are grouped by module, then by rule, each with its snippet and fix.
    by_path = {Path(module.path).name: module for module in report.lint.modules}
    lambda_group = next(g for g in by_path["lambda_activation.py"].rules if g.code == "TS101")
    finding = lambda_group.findings[0]
    assert "lambda" in finding.snippet[0].text[finding.snippet[0].start : finding.snippet[0].end]
    assert finding.diagnostic.fix is not None and finding.diagnostic.fix.hint
    assert report.lint.files_checked >= 4


def test_a_model_that_cannot_run_here_is_a_blocker(model_report: Callable[..., Any]) -> None:
    report = model_report("device_constant", (str(UNSCRIPTABLE),))
    assert report.config.text is None and "CUDA device" in report.config.error
    reason = next(r for r in report.verdict.reasons if r.name == "config-inference")
    assert reason.severity is Severity.ERROR and "--input-shape" in reason.hint
    assert report.interface.rows == () and "unknown" in report.interface.note


def test_dict_output_is_blocked_once_per_problem(model_report: Callable[..., Any]) -> None:
    report = model_report("dict_output")
    assert report.verdict.status is Status.BLOCKED
    codes = [reason.code for reason in report.verdict.reasons]
    # The model section and the config refusal share TS606: the verdict names it once.
    assert codes.count("TS606") == 1
    assert [b.code for b in report.config.blockers] == ["TS606"]
    assert "Dict[str, Tensor]" in report.deployment.naming.outputs


def test_unusable_model_still_reports_the_lint(tmp_path: Path) -> None:
    from tsinspect.api.report import build_report

    checkpoint = tmp_path / "weights.pt"
    import torch

    torch.save({"weight": torch.zeros(2)}, checkpoint)
    report = build_report(checkpoint, [UNSCRIPTABLE / "lambda_activation.py"])
    assert report.verdict.status is Status.UNUSABLE and report.exit_code == 2
    first = report.verdict.reasons[0]
    assert (first.stage, first.where) == ("input", str(checkpoint))
    assert "checkpoint" in first.message or "state_dict" in first.message
    assert report.interface is None and report.config is None and report.picture is None
    assert report.lint.count >= 1


@pytest.mark.parametrize(
    "content", [None, b"", b"plain text, not a model\n", b"PK\x03\x04broken zip"]
)
def test_unreadable_model_files(tmp_path: Path, content: bytes | None) -> None:
    from tsinspect.api.report import build_report

    path = tmp_path / "model.pt"
    if content is not None:
        path.write_bytes(content)
    report = build_report(path)
    assert report.verdict.status is Status.UNUSABLE
    assert report.verdict.reasons[0].name == "unreadable-model"
    assert report.verdict.reasons[0].message


def test_unparsable_source_makes_the_report_unusable(
    tmp_path: Path, model_archive: Callable[..., Path]
) -> None:
    from tsinspect.api.report import build_report

    broken = tmp_path / "broken.py"
    broken.write_text("def forward(self, x:\n    return x\n")
    report = build_report(
        model_archive("simple_cnn"), [broken, tmp_path / "absent.py"], picture=False
    )
    assert report.verdict.status is Status.UNUSABLE
    unusable = {(r.code, Path(r.where).name) for r in report.verdict.reasons if r.stage == "input"}
    assert unusable == {("TS001", "broken.py"), ("TS003", "absent.py")}
    assert report.config.text is not None, "the model side is still reported"


def test_validation_of_a_given_config(model_archive: Callable[..., Path], tmp_path: Path) -> None:
    from tsinspect.api.config import infer_config, render_config
    from tsinspect.api.report import build_report

    model = model_archive("simple_cnn")
    good = tmp_path / "good.pbtxt"
    good.write_text(render_config(infer_config(model)))
    bad = tmp_path / "bad.pbtxt"
    bad.write_text(good.read_text().replace("dims: [ 10 ]", "dims: [ 12 ]"))

    matching = build_report(model, config=good, picture=False)
    assert matching.validation.ok and matching.exit_code == 0
    wrong = build_report(model, config=bad, picture=False)
    assert not wrong.validation.ok and wrong.verdict.status is Status.BLOCKED
    assert any(r.stage == "validation" and r.code == "TS718" for r in wrong.verdict.reasons)
    missing = build_report(model, config=tmp_path / "absent.pbtxt", picture=False)
    assert missing.verdict.status is Status.UNUSABLE and missing.validation.error


def test_picture_is_a_sanitized_svg_or_the_tree(model_report: Callable[..., Any]) -> None:
    import shutil

    picture = model_report("simple_cnn").picture
    assert [line.path for line in picture.tree][:3] == ["", "conv1", "relu1"]
    if shutil.which("dot") is None:
        assert picture.svg is None and "Graphviz" in picture.note
        return
    assert picture.svg.startswith("<svg") and picture.svg.rstrip().endswith("</svg>")
    assert (
        "<?xml" not in picture.svg
        and "<!DOCTYPE" not in picture.svg
        and "<script" not in picture.svg
    )
    assert "conv1" in picture.svg
    assert model_report("simple_cnn", picture=False).picture.svg is None


def test_reports_are_deterministic(
    model_report: Callable[..., Any], model_archive: Callable[..., Path]
) -> None:
    from tsinspect.api.report import build_report
    from tsinspect.render.report_html import render_report_html
    from tsinspect.render.report_markdown import render_report_markdown

    first = model_report("dict_output")
    second = build_report(model_archive("dict_output"))
    assert render_report_html(first) == render_report_html(second)
    assert render_report_markdown(first) == render_report_markdown(second)


def test_progress_callback_sees_each_step(model_archive: Callable[..., Path]) -> None:
    from tsinspect.api.report import build_report

    steps: list[str] = []
    build_report(model_archive("dict_output"), [UNSCRIPTABLE], picture=False, progress=steps.append)
    assert steps[0].startswith("loading ") and any(step.startswith("linting ") for step in steps)
    assert any("inferring" in step for step in steps)


def test_bad_override_is_a_usage_error(model_archive: Callable[..., Path]) -> None:
    from tsinspect.api.report import build_report
    from tsinspect.errors import InputError

    with pytest.raises(InputError, match="no input 'nope'"):
        build_report(model_archive("simple_cnn"), input_shapes={"nope": (1, 2)}, picture=False)


def test_the_report_gives_the_deployers_next_commands(model_report: Callable[..., Any]) -> None:
    """Serve the repository, then perf_analyzer with every -1 dim at a size the model ran."""
    import shlex

    from tsinspect.render.report_html import render_report_html
    from tsinspect.render.report_markdown import render_report_markdown

    report = model_report("resnet_like", picture=False)
    serve, load = report.config.commands
    assert serve == f"tritonserver --model-repository {report.config.repository}"
    command = shlex.split(load)
    assert command[:4] == ["perf_analyzer", "-m", "resnet_like", "--shape"]
    name, dims_text = command[4].split(":")
    dims = [int(size) for size in dims_text.split(",")]
    assert name == "input__0" and dims[0] == 3 and len(dims) == 3
    assert "-1" not in dims_text
    markdown = render_report_markdown(report)
    assert f"```sh\n{serve}\n{load}\n```" in markdown
    assert load in render_report_html(report)
