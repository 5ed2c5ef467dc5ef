"""The renderers behind `tsinspect check --format`: pure functions from diagnostics to text."""

from __future__ import annotations

import json

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
