"""The engine: input diagnostics, suppression comments, selection, de-duplication."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tsinspect.api.check import check_source
from tsinspect.diagnostics import Severity
from tsinspect.lint.engine import decode_source, parse_suppressions
from tsinspect.lint.registry import all_rules
from tsinspect.settings import Settings

MODEL = textwrap.dedent(
    """\
    import torch
    from torch import nn


    class Net(nn.Module):
        def forward(self, x):
            f = lambda v: v{comment}
            return f(x)
    """
)


def codes(
    source: str | bytes, settings: Settings | None = None, path: str = "model.py"
) -> list[tuple[str, int]]:
    return [(d.code, d.line) for d in check_source(source, path, settings)]


def test_finding_fields() -> None:
    (diagnostic,) = check_source(MODEL.format(comment=""), "pkg/model.py")
    assert diagnostic.code == "TS101"
    assert diagnostic.name == "lambda-in-compiled-code"
    assert (diagnostic.line, diagnostic.column, diagnostic.end_line, diagnostic.end_column) == (
        7,
        13,
        7,
        24,
    )
    assert diagnostic.path == "pkg/model.py"
    assert diagnostic.severity is Severity.ERROR
    assert diagnostic.reach == ("Net.forward",)
    assert diagnostic.fix is not None and "def" in diagnostic.fix.hint


def test_suppression_comments() -> None:
    assert codes(MODEL.format(comment="  # noqa")) == []
    assert codes(MODEL.format(comment="  # noqa: TS101")) == []
    assert codes(MODEL.format(comment="  # noqa: E731, TS101")) == []
    assert codes(MODEL.format(comment="  # tsinspect: ignore[TS101]")) == []
    assert codes(MODEL.format(comment="  # tsinspect: ignore")) == []
    # a comment for another code does not hide this one
    assert codes(MODEL.format(comment="  # noqa: E731")) == [("TS101", 7)]
    # ... and the comment itself suppresses nothing (TS005)
    assert codes(MODEL.format(comment="  # tsinspect: ignore[TS102]")) == [
        ("TS101", 7),
        ("TS005", 7),
    ]


UNUSED = """\
import torch
from torch import nn


class Net(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = lambda v: v  # noqa: TS101
        y = x * 2  # noqa: TS101, E501
        z = x + 1  # type: ignore  # noqa: TS101
        w = x  # noqa: TS999
        q = x  # tsinspect: ignore
        r = x  # noqa
        s = x  # noqa: E501
        t = x  # noqa: TS005, TS101
        u = "# noqa: TS101"
        return f(y) + z + w + q + r + s + t  # noqa: TS101  # why
"""


def test_unused_suppression_comments_are_reported_and_fixed() -> None:
    """TS005, as ruff's RUF100: TS codes that hide nothing on their line, or no rule has; a
    bare noqa and other tools' codes are left alone; the fix keeps everything else."""
    from tsinspect.api.fix import fix_source

    found = {(d.line, d.message) for d in check_source(UNUSED, "m.py") if d.code == "TS005"}
    assert found == {
        (8, "Unused `noqa` directive (unused: TS101)"),
        (9, "Unused `noqa` directive (unused: TS101)"),
        (10, "Unused `noqa` directive (unknown: TS999)"),
        (11, "Unused `tsinspect: ignore` directive (unused: all codes)"),
        (16, "Unused `noqa` directive (unused: TS101)"),
    }
    fixed = fix_source(UNUSED, "m.py")
    assert fixed.fixed_source.splitlines()[6:] == [
        "        f = lambda v: v  # noqa: TS101",
        "        y = x * 2  # noqa: E501",
        "        z = x + 1  # type: ignore",
        "        w = x",
        "        q = x",
        "        r = x  # noqa",
        "        s = x  # noqa: E501",
        "        t = x  # noqa: TS005, TS101",
        '        u = "# noqa: TS101"',
        "        return f(y) + z + w + q + r + s + t  # why",
    ]
    assert [d.code for d in fixed.remaining] == []
    # A disabled rule's code is not "unused": another configuration may enable it.
    quiet = Settings(ignore=("TS101",))
    assert [d.line for d in check_source(UNUSED, "m.py", quiet) if d.code == "TS005"] == [10, 11]


def test_noqa_inside_a_string_is_not_a_suppression() -> None:
    source = MODEL.format(comment="").replace("f = lambda v: v", 'f = lambda v: v; s = "# noqa"')
    assert codes(source) == [("TS101", 7)]


def test_parse_suppressions() -> None:
    parsed = parse_suppressions(
        [(3, "# noqa: TS101,TS102"), (4, "# tsinspect: ignore[ts105, TS106]"), (5, "# NOQA")]
    )
    assert parsed == {3: {"TS101", "TS102"}, 4: {"TS105", "TS106"}, 5: {"*"}}


def test_select_ignore_and_per_file_ignores() -> None:
    source = MODEL.format(comment="")
    assert codes(source, Settings(select=("TS2",))) == []
    assert codes(source, Settings(ignore=("TS1",))) == []
    assert codes(source, Settings(select=("TS101",), ignore=("TS1",))) == [("TS101", 7)]
    per_file = Settings(per_file_ignores=(("tests/*", ("TS101",)),), root="/repo")
    assert codes(source, per_file, path="/repo/tests/test_model.py") == []
    assert codes(source, per_file, path="/repo/src/model.py") == [("TS101", 7)]


def test_syntax_error_is_a_file_diagnostic() -> None:
    (diagnostic,) = check_source("import torch\ndef forward(self, x:\n", "broken.py")
    assert diagnostic.code == "TS001"
    assert diagnostic.line == 2
    assert diagnostic.message.startswith("File is not valid Python")


def test_not_utf8_is_a_file_diagnostic() -> None:
    (diagnostic,) = check_source(b"import torch\n# caf\xe9\n", "latin.py")
    assert diagnostic.code == "TS002"


def test_declared_encoding_and_bom_are_honoured() -> None:
    assert decode_source(b"# -*- coding: latin-1 -*-\nx = '\xe9'\n").endswith("x = '\u00e9'\n")
    assert decode_source(b"\xef\xbb\xbfx = 1\n") == "x = 1\n"
    source = MODEL.format(comment="").encode("utf-8")
    assert codes(b"\xef\xbb\xbf" + source) == [("TS101", 7)]


def test_identical_reports_are_reported_once() -> None:
    source = textwrap.dedent(
        """\
        import torch
        from torch import nn


        class Base(nn.Module):
            def forward(self, x):
                return self.head(x)

            def head(self, x):
                return (lambda v: v)(x)


        class Child(Base):
            pass
        """
    )
    # head is compiled for Base and for Child: still one finding.
    assert codes(source) == [("TS101", 10)]


def test_file_without_torch_or_modules_has_no_findings() -> None:
    assert (
        codes(
            "f = lambda v: v\n\ndef g():\n    try:\n        pass\n    except Exception:\n        pass\n"
        )
        == []
    )


def test_unknown_coding_cookie_is_not_utf8() -> None:
    (diagnostic,) = check_source(b"# -*- coding: klingon -*-\nimport torch\n", "odd.py")
    assert diagnostic.code == "TS002"


def test_snippet_lines_ignore_form_feeds() -> None:
    from tsinspect.lint.engine import lint_source
    from tsinspect.lint.registry import get_rule

    source = MODEL.format(comment="").replace("\n\n\nclass", "\n\x0c\n\nclass")
    result = lint_source(source, "model.py", [get_rule("TS101")])
    assert result.source_lines == {7: "        f = lambda v: v"}


NESTED = textwrap.dedent(
    """\
    import torch
    from torch import nn


    def make():
        @torch.jit.script
        def inner(x: torch.Tensor) -> torch.Tensor:
            f = lambda v: v
            return f(x)

        return inner


    class Net(nn.Module):
        def forward(self, x):
            def helper(y):
                g = lambda v: v
                return g(y)

            return helper(x)

        def unused(self, x):
            g = lambda v: {v}
            return g(x)
    """
)


def _function_local_sources() -> dict[str, str]:
    root = Path(__file__).resolve().parents[2]
    sources = {"nested.py": NESTED}
    for rule in all_rules():
        for index, example in enumerate([*rule.VALID, *rule.INVALID]):
            sources[f"{rule.code}_{index}.py"] = example.source
    for path in sorted((root / "fixtures").rglob("*.py")):
        sources[str(path.relative_to(root))] = path.read_text(encoding="utf-8")
    return sources


def test_skipping_uncompiled_defs_changes_no_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine skips the defs that hold no compiled code for the rules that declare
    ``function_local``: every rule example and fixture gets the same findings as when
    every rule visits every def."""
    sources = _function_local_sources()
    settings = Settings(select=("ALL",))
    skipping = {name: check_source(source, name, settings) for name, source in sources.items()}
    local = [rule for rule in all_rules() if rule.function_local]
    assert len(local) > 50
    for rule in local:
        monkeypatch.setattr(rule, "function_local", False)
    for name, source in sources.items():
        assert check_source(source, name, settings) == skipping[name], name
    assert [d.code for d in skipping["nested.py"]] == ["TS102", "TS101"]
