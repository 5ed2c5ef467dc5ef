"""The HTML report: escaping and self-containment, then the real thing in headless Chromium."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from report_samples import hostile_report

from tsinspect.render.report_html import render_report_html, rich_text

UNSCRIPTABLE = Path(__file__).resolve().parents[2] / "fixtures" / "unscriptable"


def test_every_value_is_escaped() -> None:
    html = render_report_html(hostile_report())
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "<mark>lambda</mark>" in html, "the snippet marks the reported columns"
    assert "<code>def</code>" in html, "backtick spans in hints become code"
    # The only script is the inline one that opens <details> for printing.
    assert len(re.findall(r"<script\b", html)) == 1 and "<script>\n/* Printing" in html


def test_self_contained() -> None:
    html = render_report_html(hostile_report())
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html)
    assert "@import" not in html and "<link" not in html
    assert "@media print" in html


def test_rich_text_escapes_before_adding_code() -> None:
    assert str(rich_text("`<x>` and <y>")) == "<code>&lt;x&gt;</code> and &lt;y&gt;"


# --------------------------------------------------------------------------- real browser


def _chromium() -> str:
    from report_browser import find_chromium

    found = find_chromium()
    if found is None:
        pytest.skip(
            "Chromium is not installed (apt-get install chromium, or set $CHROMIUM): "
            "the HTML report cannot be checked in a real browser"
        )
    pytest.importorskip("websockets", reason="the DevTools client needs the websockets package")
    return found


def test_browser_check_catches_console_errors_and_broken_images(tmp_path: Path) -> None:
    """The browser check itself can fail: a page with an error and a missing image is caught."""
    from report_browser import open_page

    chromium = _chromium()
    page = tmp_path / "bad.html"
    page.write_text(
        "<!DOCTYPE html><html><head><title>t</title></head><body><p>hello</p>"
        '<img src="missing.png"><script>console.error("boom"); undefinedCall();</script></body></html>'
    )
    seen = open_page(page, chromium, width=800, height=600)
    assert "hello" in seen.text
    assert any("boom" in error for error in seen.console_errors)
    assert any("undefinedCall" in error for error in seen.console_errors)
    assert seen.broken_images == 1


@pytest.mark.parametrize(
    ("name", "sources", "expected"),
    [
        (
            "simple_cnn",
            (),
            [
                "Ready for Triton's libtorch backend",
                "input__0",
                "TYPE_FP32",
                "[1, 28, 28]",
                "output__0",
                "[10]",
                "x: Tensor",
                'platform: "pytorch_libtorch"',
                "max_batch_size: 8",
                "input__0 → x",
            ],
        ),
        (
            "device_constant",
            (str(UNSCRIPTABLE),),
            [
                "Not ready for Triton's libtorch backend",
                "TS601",
                "cuda:0",
                "TS101",
                "lambda_activation.py",
                "No config: cannot run the model on this machine",
                "x: Tensor",
                "forward(x: Tensor) -> Tensor",
            ],
        ),
        (
            "dict_output",
            (),
            [
                "Not ready for Triton's libtorch backend",
                "TS606",
                "Dict[str, Tensor]",
                "features",
                "No config",
            ],
        ),
    ],
)
def test_report_in_headless_chromium(
    model_report: Callable[..., Any],
    tmp_path: Path,
    name: str,
    sources: tuple[str, ...],
    expected: list[str],
) -> None:
    from report_browser import open_page

    chromium = _chromium()
    report = model_report(name, sources)
    page = tmp_path / f"{name}.html"
    page.write_text(render_report_html(report), encoding="utf-8")
    seen = open_page(page, chromium)

    assert seen.console_errors == []
    assert seen.resources == [], (
        "the page fetched nothing: no external scripts, fonts or stylesheets"
    )
    assert seen.broken_images == 0
    assert seen.title == report.title
    for text in expected:
        assert text in seen.text, f"{text!r} is not visible in the {name} report"
    # The verdict comes first: its headline is the first heading a reader sees.
    assert seen.text.index(report.verdict.headline) < seen.text.index("Inputs and outputs")
    # Printing: the section links are hidden and collapsed sections open (the module tree shows).
    assert seen.print_hidden == ["toc"]
    assert "parameter tensor" in seen.print_text
    if report.picture.svg is not None:  # the tree sits in a closed <details> under the drawing
        assert "parameter tensor" not in seen.text
    assert seen.pdf.startswith(b"%PDF-")
    assert seen.screenshot.startswith(b"\x89PNG\r\n\x1a\n")
    (tmp_path / f"{name}.png").write_bytes(seen.screenshot)


def test_sanitize_svg_keeps_only_a_safe_svg_element() -> None:
    from tsinspect.api.report import sanitize_svg
    from tsinspect.errors import InputError

    hostile = (
        '<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
        '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n<!-- comment -->\n'
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10pt">'
        '<script>alert(1)</script><g onclick="alert(2)" class="node"><title>conv1</title>'
        '<a xlink:href="https://example.com" xlink:title="tip"><text style="fill:url(http://x)">conv1</text></a>'
        '<a href="#local"><text>ok</text></a></g><foreignObject><div>x</div></foreignObject>'
        '<image href="http://example.com/x.png"/></svg>'
    )
    clean = sanitize_svg(hostile)
    assert clean.startswith("<svg ") and clean.endswith("</svg>")
    for unsafe in (
        "<?xml",
        "DOCTYPE",
        "comment",
        "<script",
        "alert",
        "onclick",
        "example.com",
        "foreignObject",
        "<image",
        "url(",
    ):
        assert unsafe not in clean, unsafe
    assert 'width="10pt"' in clean and "<title>conv1</title>" in clean and 'href="#local"' in clean
    with pytest.raises(InputError):
        sanitize_svg("<html><body/></html>")
    with pytest.raises(InputError):
        sanitize_svg("<svg")
