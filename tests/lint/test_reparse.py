"""Parsing only the statements an edit touched builds the tree a full parse builds.

The language server lints each edit of a buffer from a spliced tree (``lint_edited``): the
findings are ``check``'s only if the tree is the same. Compared with ``libcst.deep_equals``
(every field, whitespace and comments included) and the module's own settings, over random
edits of the fixture models (characters typed and deleted, lines inserted, removed and
duplicated, blocks opened), each edit applied to the previous one's result; and the lint of
each edit equals ``lint_source`` of the same text.
"""

from __future__ import annotations

import random
from pathlib import Path

import libcst as cst
import pytest

from tsinspect.lint.engine import lint_edited, lint_source
from tsinspect.lint.registry import all_rules
from tsinspect.lint.reparse import ParsedText, _splice, parse_text, reparse

ROOT = Path(__file__).resolve().parents[2]
MODELS = sorted((ROOT / "fixtures" / "models").glob("*.py"))
TYPED = [
    "    pass\n",
    "\n",
    "# note\n",
    "    # note\n",
    "x = 1\n",
    "def g():\n    return 1\n",
    "        y = 2\n",
    "(",
    ")",
    ":",
    "\t",
    "'",
    '"""',
    "\\\n",
    "if x:\n",
    "else:\n",
    "@d\n",
    "\r\n",
    "  ",
]
SETTINGS = ("default_indent", "default_newline", "has_trailing_newline", "encoding")


def _edit(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    row = rng.randrange(len(lines))
    kind = rng.randrange(6)
    if kind == 0 and text:
        at = rng.randrange(len(text))
        return text[:at] + rng.choice(TYPED) + text[at:]
    if kind == 1 and text:
        at = rng.randrange(len(text))
        return text[:at] + text[at + rng.randrange(1, 40) :]
    if kind == 2:
        indent = lines[row][: len(lines[row]) - len(lines[row].lstrip())]
        new = indent + rng.choice(["pass", "x = 1", "# note", "", "return x"])
        return "\n".join([*lines[:row], new, *lines[row:]])
    if kind == 3 and len(lines) > 1:
        return "\n".join([*lines[:row], *lines[row + 1 :]])
    if kind == 4:
        changed = lines[row] + rng.choice(["1", "  # noqa", "  ", ",", "x"])
        return "\n".join([*lines[:row], changed, *lines[row + 1 :]])
    return "\n".join([*lines[:row], lines[rng.randrange(len(lines))], *lines[row:]])


def _same(parsed: ParsedText, text: str) -> None:
    whole = parse_text(text)
    assert parsed.module.deep_equals(whole.module)
    for setting in SETTINGS:
        assert getattr(parsed.module, setting) == getattr(whole.module, setting), setting
    extents = (parsed.header, parsed.lengths, parsed.lines, parsed.first_block)
    assert extents == (whole.header, whole.lengths, whole.lines, whole.first_block)


def test_a_spliced_tree_is_the_full_parse() -> None:
    spliced = parsed = 0
    for model in MODELS:
        rng = random.Random(model.name)
        previous = parse_text(model.read_text(encoding="utf-8"))
        for _ in range(25):
            text = _edit(previous.text, rng)
            try:
                cst.parse_module(text)
            except cst.ParserSyntaxError:
                assert _splice(previous, text) is None  # no tree for a text that does not parse
                continue
            parsed += 1
            found = _splice(previous, text)
            if found is not None:
                spliced += 1
                _same(found, text)
            previous = reparse(previous, text)
    assert spliced > parsed // 3  # most edits are spliced: the point of it


def test_edits_in_a_large_file_parse_only_their_statement() -> None:
    body = "".join(
        f"\n\nclass Block{i}(nn.Module):\n    def forward(self, x):\n        return x * {i}.5\n"
        for i in range(300)
    )
    text = f"import torch\nfrom torch import nn\n{body}"
    previous = parse_text(text)
    edited = text.replace("x * 150.5", "x * 150.25")
    spliced = _splice(previous, edited)
    assert spliced is not None
    _same(spliced, edited)
    kept = sum(a is b for a, b in zip(spliced.module.body, previous.module.body, strict=True))
    assert kept == len(previous.module.body) - 1  # every other statement's tree is reused


def test_an_edit_in_a_method_parses_that_method() -> None:
    """Model files are a few large classes: an edit in one method parses that method only."""
    methods = "".join(
        f"\n    def step{i}(self, x):\n        # step {i}\n        return x + {i}\n"
        for i in range(40)
    )
    text = f"import torch\n\n\nclass Net(torch.nn.Module):\n    a: int = 1\n{methods}\n\nx = 1\n"
    previous = parse_text(text)
    for edited in (
        text.replace("x + 20\n", "x + 21\n"),
        text.replace("return x + 20\n", "y = x\n        if y:\n            return y\n"),
        text.replace("        # step 20\n", "        # step 20\n\n        pass\n"),
    ):
        spliced = _splice(previous, edited)
        assert spliced is not None
        _same(spliced, edited)
        net = spliced.module.body[1]
        old = previous.module.body[1]
        assert isinstance(net, cst.ClassDef) and isinstance(old, cst.ClassDef)
        kept = sum(a is b for a, b in zip(net.body.body, old.body.body, strict=True))
        assert kept == len(old.body.body) - 1
        # and the next edit of the same class starts from what this one measured
        again = edited.replace("x + 30\n", "x + 31\n")
        twice = _splice(spliced, again)
        assert twice is not None
        _same(twice, again)


def test_an_edit_in_a_class_s_last_method_parses_that_method() -> None:
    """The last method too, when only blank lines and unindented comments follow the class;
    an indented comment after it may change blocks: then the whole class is parsed."""
    methods = "".join(f"\n    def step{i}(self, x):\n        return x + {i}\n" for i in range(5))
    for after, spliced_expected in (
        ("\n\n# next\nx = 1\n", True),
        ("\n    # indented\n\nx = 1\n", False),
        ("", False),
    ):
        text = f"import torch\n\n\nclass Net(torch.nn.Module):{methods}{after}"
        previous = parse_text(text)
        for edited in (
            text.replace("x + 4\n", "x + 44\n"),
            text.replace("return x + 4\n", "if x:\n            return x\n        return x + 4\n"),
            text.replace("return x + 4\n", "return x + 4\n\n        # done\n"),
            text.replace("return x + 4\n", "return x + 4\n    # done\n"),
        ):
            spliced = _splice(previous, edited)
            if spliced is not None:
                _same(spliced, edited)
            _same(reparse(previous, edited), edited)
        # the class alone spliced (its members measured), or the whole class parsed again
        found = _splice(previous, text.replace("x + 4\n", "x + 44\n"))
        assert (found is not None and bool(found.members)) is spliced_expected


def test_the_classes_an_edit_left_alone_keep_what_was_measured_of_them() -> None:
    """Edits alternating between two classes measure each class once: the members of the
    class the last edit left alone are carried over (same nodes, same offsets)."""

    def methods(name: str) -> str:
        return "".join(
            f"\n    def {name}{i}(self, x):\n        return x + {i}  # {name}{i}\n"
            for i in range(10)
        )

    text = f"import torch\n\n\nclass A:\n{methods('a')}\n\nclass B:\n{methods('b')}\n\nx = 1\n"
    previous = parse_text(text)
    for step in range(6):
        name = "ab"[step % 2]
        edited = previous.text.replace(f"# {name}5", f"# {name}5 {step}", 1)
        spliced = _splice(previous, edited)
        assert spliced is not None
        _same(spliced, edited)
        a, b = spliced.module.body[1], spliced.module.body[2]
        assert (b if name == "a" else a) is (previous.module.body[2 if name == "a" else 1])
        if step >= 1:  # both classes measured: each edit keeps the other's members
            assert set(spliced.members) == {id(a), id(b)}
        previous = spliced


def test_the_module_wide_settings_fall_back_to_a_full_parse() -> None:
    # The first indented block sets the default indent: re-indenting it changes the file's.
    text = "x = 1\n\ndef f():\n  return 1\n\ndef g():\n  return 2\n"
    previous = parse_text(text)
    edited = text.replace("  return 1", "    return 1")
    assert _splice(previous, edited) is None
    _same(reparse(previous, edited), edited)
    # A comment indented under a block may belong to it: not spliced across.
    text = "x = 1\n    # indented\ny = 2\n"
    previous = parse_text(text)
    edited = text.replace("x = 1", "if x:\n    x = 1")
    _same(reparse(previous, edited), edited)


@pytest.mark.parametrize("model", MODELS[:8], ids=lambda p: p.name)
def test_the_lint_of_an_edit_is_checks(model: Path) -> None:
    """What the server publishes first is what ``check`` reports for the same text."""
    rules = list(all_rules())
    path = str(model)
    rng = random.Random(model.name)
    text = model.read_text(encoding="utf-8")
    previous: ParsedText | None = None
    for _ in range(12):
        result, parsed = lint_edited(text, path, rules, None, previous)
        assert result == lint_source(text, path, rules, None)
        previous = parsed or previous
        text = _edit(text, rng)


def test_an_edit_the_guard_refuses_is_refused_as_check_refuses_it() -> None:
    """A spliced edit is guarded region by region: what Python refuses in the region (a
    syntax error, a chain of `and` too long for libcst's parser) is refused with the message
    ``check`` gives for the whole text, and the next edit starts from the last good parse."""
    rules = list(all_rules())
    methods = "".join(f"\n    def step{i}(self, x):\n        return x + {i}\n" for i in range(6))
    text = f"import torch\n\n\nclass Net(torch.nn.Module):{methods}\n\nx = 1\n"
    _, previous = lint_edited(text, "net.py", rules, None, None)
    assert previous is not None
    chain = " and ".join(["x"] * 2500)
    for edited in (
        text.replace("return x + 3\n", "return x +\n"),
        text.replace("return x + 3\n", f"return {chain}\n"),
        text.replace("x = 1\n", f"x = {chain}\n"),
    ):
        result, parsed = lint_edited(edited, "net.py", rules, None, previous)
        assert parsed is None
        assert [d.code for d in result.diagnostics] == ["TS001"]
        assert result == lint_source(edited, "net.py", rules, None)
    fine = text.replace("return x + 3\n", "return x + 33\n")
    result, parsed = lint_edited(fine, "net.py", rules, None, previous)
    assert parsed is not None and parsed.members  # spliced inside the class
    assert result == lint_source(fine, "net.py", rules, None)
