"""Positions generated a statement at a time are libcst's ``PositionProvider``'s, node for node.

Corpus: every rule's VALID/INVALID example, every fixture model, the rules' own source, and
layouts chosen to break a per-statement pass (line endings other than ``\\n``, tabs,
semicolons, comments owned by a block's footer, ``elif`` chains, decorators, a file without a
final newline, comments in the module's header and footer). Nodes are asked for in reverse
and in shuffled order, so no answer relies on an earlier one.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from tsinspect.lint.positions import Positions, line_count
from tsinspect.lint.registry import all_rules
from tsinspect.lint.traversal import parents

ROOT = Path(__file__).resolve().parents[2]

LAYOUTS = {
    "crlf": "import torch\r\n\r\nclass A(torch.nn.Module):\r\n    def f(self, x):\r\n"
    "        if x:\r\n            return 1\r\n        elif x > 2:  # noqa: TS101\r\n"
    "            return 2\r\n        else:\r\n            return 3\r\n",
    "lone-cr": "x = 1\ry = (1,\r     2)\rdef f():\r    return y\r",
    "tabs": "class A:\n\tdef f(self):\n\t\tif self:\n\t\t\treturn 1\n\t\treturn 2\n",
    "semicolons": "a = 1; b = 2\nif a: b = 3; c = 4\nwhile b: pass\n",
    "footers": "def f():\n    x = 1\n        # deeper comment, owned by the block\n"
    "    # at the body's indent\n# at the module's\n\ndef g():\n    return f()\n",
    "decorators": "import functools\n\n\n@functools.cache\n@functools.wraps(\n    print)\n"
    "def f(x):\n    '''doc\n    string'''\n    return x\n",
    "no-final-newline": "def f(x):\n    return [x,\n            x]",
    "header-and-footer": "#!/usr/bin/env python\n# header comment\n\nimport torch\n"
    "x = torch.zeros(1)  # tsinspect: ignore[TS401]\n\n# footer comment\n",
    "nested": "class A:\n    class B:\n        def f(self):\n            def g():\n"
    "                with open('x') as h, open('y'):\n                    try:\n"
    "                        pass\n                    except (ValueError,\n"
    "                            TypeError):\n                        pass\n"
    "                    finally:\n                        pass\n            return g\n",
    "continuations": "x = 1 + \\\n    2\nif (x and\n        x):\n    y = '''a\nb''' + \\\n"
    "        'c'\n",
    "empty": "",
    "only-comments": "# one\n\n# two\n",
}


def _corpus() -> dict[str, str]:
    sources = dict(LAYOUTS)
    for rule in all_rules():
        for index, example in enumerate([*rule.VALID, *rule.INVALID]):
            sources[f"{rule.code}[{index}]"] = example.source
    for path in sorted(
        [*(ROOT / "fixtures").rglob("*.py"), *(ROOT / "src/tsinspect/lint/rules").glob("*/*.py")]
    ):
        sources[str(path.relative_to(ROOT))] = path.read_text(encoding="utf-8")
    return sources


CORPUS = _corpus()


def _parent_of(
    module: cst.Module, layout: bool = False
) -> Callable[[cst.CSTNode], cst.CSTNode | None]:
    links = parents(module, layout=layout)
    return lambda node: links.get(id(node))


@pytest.mark.parametrize("order", ["reversed", "shuffled"])
def test_every_node_has_position_providers_range(order: str) -> None:
    checked = 0
    for name, source in CORPUS.items():
        module = cst.parse_module(source)
        expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        positions = Positions(module, _parent_of(module, layout=True))
        nodes = list(expected)
        if order == "reversed":
            nodes.reverse()
        else:
            random.Random(name).shuffle(nodes)
        for node in nodes:
            assert positions.position(node) == expected[node], (name, type(node).__name__)
            checked += 1
    assert checked > 50_000  # the corpus was read


def test_a_statement_needs_no_whole_module_pass() -> None:
    """The point of it: a node in a statement costs that statement, not the file."""
    source = CORPUS["crlf"] + "".join(f"def f{i}(x):\n    return x + {i}\n" for i in range(50))
    module = cst.parse_module(source)
    positions = Positions(module, _parent_of(module))
    last = module.body[-1]
    assert isinstance(last, cst.FunctionDef)
    returned = last.body.body[0]
    assert positions.position(returned).start.line == source.count("\n")
    assert not positions._whole


def test_known_line_counts_are_used() -> None:
    """The language server passes the line counts it kept: the answers stay the same."""
    source = "".join(f"def f{i}(x):\n\n    return x + {i}\n\n" for i in range(5))
    module = cst.parse_module(source)
    counts = [line_count(module, statement) for statement in module.body]
    # the last blank line is the module's footer
    assert sum(counts) + len(module.footer) == source.count("\n")
    positions = Positions(module, _parent_of(module), counts)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    assert positions.position(module.body[4]) == expected[module.body[4]]


def test_a_node_of_another_module_is_a_key_error() -> None:
    module = cst.parse_module("x = 1\n")
    other = cst.parse_module("y = 2\n")
    with pytest.raises(KeyError):
        Positions(module, _parent_of(module)).position(other.body[0])
