"""The Markdown report, read back with a real CommonMark + GFM-tables parser (markdown-it-py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tsinspect.render.report_markdown import md_code, md_fence, md_text, render_report_markdown

markdown_it = pytest.importorskip(
    "markdown_it", reason="the Markdown tests parse with markdown-it-py"
)

UNSCRIPTABLE = Path(__file__).resolve().parents[2] / "fixtures" / "unscriptable"


@dataclass
class Parsed:
    """What a reader of the rendered Markdown sees: headings, tables, code blocks, raw HTML."""

    headings: list[tuple[int, str]] = field(default_factory=list)
    tables: list[list[list[str]]] = field(default_factory=list)
    fences: list[tuple[str, str]] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    inline_html: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)


def _plain(token: Any) -> str:
    """The text a reader sees in an inline token (code spans included, markup dropped)."""
    return "".join(
        child.content for child in token.children or [] if child.type in ("text", "code_inline")
    )


def parse(text: str) -> Parsed:
    tokens = markdown_it.MarkdownIt("commonmark").enable("table").parse(text)
    parsed = Parsed()
    table: list[list[str]] | None = None
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            parsed.headings.append((int(token.tag[1]), _plain(tokens[index + 1])))
        elif token.type == "table_open":
            table = []
            parsed.tables.append(table)
        elif token.type == "tr_open" and table is not None:
            table.append([])
        elif token.type in ("th_open", "td_open") and table is not None:
            table[-1].append(_plain(tokens[index + 1]))
        elif token.type == "table_close":
            table = None
        elif token.type == "fence":
            parsed.fences.append((token.info, token.content))
        elif token.type == "html_block":
            parsed.html.append(token.content)
        elif token.type == "paragraph_open":
            parsed.paragraphs.append(_plain(tokens[index + 1]))
        if token.type == "inline":
            parsed.inline_html += [
                child.content for child in token.children or [] if child.type == "html_inline"
            ]
    return parsed


def _table_with(parsed: Parsed, header: str) -> list[list[str]]:
    return next(table for table in parsed.tables if header in table[0])


def test_escaping_helpers() -> None:
    assert md_text("a|b *c* <d> `e|f`") == "a\\|b \\*c\\* \\<d\\> `e\\|f`"
    # Underscores inside a name never start emphasis, so they stay readable; loose ones are escaped.
    assert md_text("input__0 and __init__ or _x_") == "input__0 and \\_\\_init\\_\\_ or \\_x\\_"
    parsed = parse(md_text("input__0 and __init__ or _x_ *y*"))
    assert parsed.paragraphs == ["input__0 and __init__ or _x_ *y*"]
    assert md_code("x`y") == "``x`y``"
    assert md_fence("```inner```\n").startswith("````text\n")


def test_simple_cnn_markdown(model_report: Callable[..., Any]) -> None:
    report = model_report("simple_cnn")
    parsed = parse(render_report_markdown(report))
    assert parsed.headings[0] == (2, f"tsinspect report: {Path(report.model_path).name}")
    assert [text for level, text in parsed.headings if level == 3] == [
        "Inputs and outputs",
        "config.pbtxt",
        "Deployment",
        "Lint findings",
        "Model",
    ]
    io = _table_with(parsed, "Name in Triton")
    assert io[0] == ["Role", "Name in Triton", "Binds to", "Data type", "Dims", "How it was found"]
    assert io[1][:5] == ["input", "input__0", "x: Tensor", "TYPE_FP32", "[1, 28, 28]"]
    assert io[1][5].startswith("data type: weights (conv2d weight conv1.weight is float32)")
    assert io[2][:5] == ["output", "output__0", "the returned Tensor", "TYPE_FP32", "[10]"]
    # The config.pbtxt is one fenced block, byte for byte, inside a collapsible <details>.
    assert ("text", report.config.text) in parsed.fences
    assert any(block.startswith("<details><summary>config.pbtxt") for block in parsed.html)
    checks = _table_with(parsed, "Check")
    assert all(len(row) == 3 for row in checks) and {row[1] for row in checks[1:]} == {"✅ ok"}
    assert any("input__0 → x" in paragraph for paragraph in parsed.paragraphs)
    assert parsed.paragraphs[0] == "✅ Ready for Triton's libtorch backend"


def test_markdown_of_a_model_with_findings(model_report: Callable[..., Any]) -> None:
    report = model_report("device_constant", (str(UNSCRIPTABLE),))
    parsed = parse(render_report_markdown(report))
    reasons = _table_with(parsed, "Problem")
    assert reasons[0] == ["#", "Severity", "Stage", "Code", "Problem", "Where", "Fix"]
    assert len(reasons) == 1 + len(report.verdict.reasons)
    assert all(len(row) == 7 for row in reasons), "no cell spilled into the next column"
    by_code = {row[3].split()[0]: row for row in reasons[1:] if row[3].strip()}
    assert by_code["TS601"][1] == "⚠️ warning" and "cuda:0" in by_code["TS601"][4]
    assert by_code["TS101"][5].endswith("lambda_activation.py:29:17")
    # Lint: one collapsible block per module, a heading per rule, the snippet with its carets.
    summaries = [block for block in parsed.html if block.startswith("<details><summary>")]
    assert any("lambda_activation.py: " in block for block in summaries)
    assert (4, "❌ error TS101 lambda-in-compiled-code") in parsed.headings
    snippet = next(content for info, content in parsed.fences if "lambda t:" in content)
    code_line, caret_line = snippet.splitlines()
    assert code_line.startswith("29 | ") and set(caret_line.split("| ", 1)[1].strip()) == {"^"}
    column = caret_line.index("^") - caret_line.index("| ") - 2
    assert code_line[code_line.index("| ") + 2 + column :].startswith("lambda")
    assert not [html for html in parsed.inline_html if html not in ("<br>", "<sub>", "</sub>")]


def test_hostile_text_stays_text() -> None:
    from report_samples import HOSTILE, hostile_report

    parsed = parse(render_report_markdown(hostile_report()))
    reasons = _table_with(parsed, "Problem")
    assert reasons[1][4] == HOSTILE, "the message reads exactly as written, in its own cell"
    assert all(len(row) == 7 for row in reasons)
    assert not any("<script" in html or "<img" in html for html in parsed.html + parsed.inline_html)
