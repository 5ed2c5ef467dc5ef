"""The fast traversals call the same methods on the same nodes in the same order as libcst.

Corpus: every rule's VALID/INVALID example, every fixture model, and tsinspect's own source.
libcst's own traversals (``MetadataWrapper.visit_batched``, ``node.visit``,
``ParentNodeProvider``) are the reference, compared node for node by identity.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, ParentNodeProvider

from tsinspect.lint import traversal
from tsinspect.lint.registry import all_rules
from tsinspect.lint.rule import LintContext
from tsinspect.lint.traversal import parents, visit_batched, walk

ROOT = Path(__file__).resolve().parents[2]
Event = tuple[str, int]


def _corpus() -> dict[str, str]:
    sources: dict[str, str] = {}
    for rule in all_rules():
        for index, example in enumerate([*rule.VALID, *rule.INVALID]):
            sources[f"{rule.code}[{index}]"] = example.source
    for path in sorted(
        [*(ROOT / "fixtures").rglob("*.py"), *(ROOT / "src/tsinspect").rglob("*.py")]
    ):
        sources[str(path.relative_to(ROOT))] = path.read_text(encoding="utf-8")
    return sources


@pytest.fixture(scope="module")
def modules() -> dict[str, cst.Module]:
    """Each corpus file parsed once (the traversals never change a tree)."""
    return {name: cst.parse_module(source) for name, source in _corpus().items()}


def _concrete_node_types() -> list[type[cst.CSTNode]]:
    found: set[type[cst.CSTNode]] = set()
    pending: list[type[cst.CSTNode]] = [cst.CSTNode]
    while pending:
        node_type = pending.pop()
        pending.extend(node_type.__subclasses__())
        if dataclasses.is_dataclass(node_type) and not getattr(
            node_type, "__abstractmethods__", None
        ):
            found.add(node_type)
    return sorted(found, key=lambda node_type: node_type.__name__)


def _rule_method_names() -> set[str]:
    names: set[str] = set()
    for rule in all_rules():
        for name in dir(rule):
            member = getattr(rule, name)
            if (
                name.startswith(("visit_", "leave_"))
                and callable(member)
                and not getattr(member, "_is_no_op", False)
            ):
                names.add(name)
    return names


class _Recorder(cst.BatchableCSTVisitor):
    """Logs (method, id(node)) for each of ``names``."""

    def __init__(self, names: set[str], log: list[Event]) -> None:
        super().__init__()
        self.names = names
        self.log = log

    def get_visitors(self) -> Mapping[str, Callable[[cst.CSTNode], None]]:
        return {name: self._logger(name) for name in self.names}

    def _logger(self, name: str) -> Callable[[cst.CSTNode], None]:
        def log(node: cst.CSTNode) -> None:
            self.log.append((name, id(node)))

        return log


def _batched_events(module: cst.Module, names: set[str], fast: bool) -> list[Event]:
    log: list[Event] = []
    # Two visitors: their calls interleave per node in the order the visitors are given.
    first, second = _Recorder(names, log), _Recorder(names, log)
    if fast:
        visit_batched(module, [first, second])
    else:
        MetadataWrapper(module, unsafe_skip_copy=True).visit_batched([first, second])
    return log


def _mismatches(
    modules: Mapping[str, cst.Module], events: Callable[[cst.Module, bool], list[Event]]
) -> list[str]:
    return [
        name for name, module in modules.items() if events(module, True) != events(module, False)
    ]


def test_visit_batched_calls_the_rules_methods_in_libcsts_order(
    modules: dict[str, cst.Module],
) -> None:
    names = _rule_method_names()
    assert {"visit_Call", "visit_FunctionDef", "leave_ClassDef"} <= names
    assert not _mismatches(modules, lambda module, fast: _batched_events(module, names, fast))


def test_visit_batched_matches_libcst_for_every_node_type(modules: dict[str, cst.Module]) -> None:
    """With methods for whitespace and punctuation too, nothing may be skipped."""
    names = {
        f"{prefix}_{node_type.__name__}"
        for node_type in _concrete_node_types()
        for prefix in ("visit", "leave")
    }
    assert "visit_SimpleWhitespace" in names and "leave_Comma" in names
    subset = dict(list(modules.items())[::3])  # every node type already occurs in a third
    assert not _mismatches(subset, lambda module, fast: _batched_events(module, names, fast))


def test_visit_batched_calls_attribute_methods_for_empty_fields_too() -> None:
    module = cst.parse_module("f(a, b=1)\ndef g(x, *, y): return x\n")
    names = {
        "visit_Call_args",
        "leave_Call_args",
        "visit_Call_lpar",
        "visit_FunctionDef_returns",
        "leave_FunctionDef_returns",
        "visit_Arg",
        "leave_Name",
    }
    fast = _batched_events(module, names, fast=True)
    assert fast == _batched_events(module, names, fast=False)
    assert ("visit_FunctionDef_returns", id(module.body[1])) in fast


def _picked_defs(
    module: cst.Module, picked: Callable[[cst.FunctionDef], bool]
) -> tuple[set[int], list[str]]:
    """ids of the outermost defs ``picked`` chooses and of every node in them (layout too),
    and the names of the defs it must be asked about (those not inside a chosen one)."""
    inside: set[int] = set()
    asked: list[str] = []

    def mark(node: cst.CSTNode, within: bool) -> None:
        if isinstance(node, cst.FunctionDef) and not within:
            asked.append(node.name.value)
            within = picked(node)
        if within:
            inside.add(id(node))
        for child in node.children:
            mark(child, within)

    mark(module, False)
    return inside, asked


def test_visit_batched_skips_the_picked_defs_for_the_skipping_visitors_only(
    modules: dict[str, cst.Module],
) -> None:
    """The skipping visitors see what a full traversal shows them minus the picked defs (the
    def itself and all inside it); the others, and the order of every call, are unchanged."""
    names = _rule_method_names()
    asked: list[str] = []

    def picked(node: cst.FunctionDef) -> bool:
        asked.append(node.name.value)
        return node.name.value.startswith("_") or len(node.name.value) % 3 == 0

    skipped_somewhere = False
    for name, module in list(modules.items())[::2]:
        full: list[Event] = []
        visit_batched(module, [_Recorder(names, full), _Recorder(names, full)])
        log: list[Event] = []
        seen_all, skipping = _Recorder(names, log), _Recorder(names, log)
        inside, expected_asked = _picked_defs(module, picked)
        asked.clear()
        visit_batched(module, [seen_all, skipping], skipping=[skipping], skipped=picked)
        # Two visitors log each call twice in a row: the second (skipping) one's entry stays
        # only outside the picked defs.
        expected = [
            event for index, event in enumerate(full) if index % 2 == 0 or event[1] not in inside
        ]
        assert log == expected, name
        assert asked == expected_asked, name
        skipped_somewhere = skipped_somewhere or len(expected) < len(full)
    assert skipped_somewhere


class _Logging(cst.CSTVisitor):
    """Logs visits and leaves; returns False from visit_* for the types in ``prune``."""

    def __init__(self, prune: tuple[type[cst.CSTNode], ...] = ()) -> None:
        super().__init__()
        self.log: list[Event] = []
        self.prune = prune

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.log.append(("visit_FunctionDef", id(node)))
        return not isinstance(node, self.prune)

    def visit_Call(self, node: cst.Call) -> bool:
        self.log.append(("visit_Call", id(node)))
        return not isinstance(node, self.prune)

    def visit_Name(self, node: cst.Name) -> None:
        self.log.append(("visit_Name", id(node)))

    def leave_Call(self, original_node: cst.Call) -> None:
        self.log.append(("leave_Call", id(original_node)))

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self.log.append(("leave_Lambda", id(original_node)))


class _ManualOrder(_Logging):
    """Visits an If's body before its test, by hand: the pattern reach.py and types/flow.py use."""

    def __init__(self, visit: Callable[[cst.CSTNode, cst.CSTVisitor], object]) -> None:
        super().__init__()
        self.visit_child = visit

    def visit_If(self, node: cst.If) -> bool:
        self.visit_child(node.body, self)
        self.visit_child(node.test, self)
        return False


class _Hooks(cst.CSTVisitor):
    """Overrides every on_* hook: sees every node and every field, whitespace included."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[str, int, str]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.log.append(("visit", id(node), ""))
        return not isinstance(node, cst.Lambda)

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.log.append(("leave", id(original_node), ""))

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        self.log.append(("attribute", id(node), attribute))

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        self.log.append(("left", id(original_node), attribute))


class _AttributeMethods(_Logging):
    def visit_Call_args(self, node: cst.Call) -> None:
        self.log.append(("visit_Call_args", id(node)))

    def leave_Param_comma(self, original_node: cst.Param) -> None:
        self.log.append(("leave_Param_comma", id(original_node)))


def _libcst_visit(node: cst.CSTNode, visitor: cst.CSTVisitor) -> None:
    node.visit(visitor)


@pytest.mark.parametrize(
    "make",
    [
        lambda visit: _Logging(),
        lambda visit: _Logging(prune=(cst.FunctionDef,)),
        lambda visit: _Logging(prune=(cst.Call,)),
        _ManualOrder,
        lambda visit: _Hooks(),
        lambda visit: _AttributeMethods(),
    ],
    ids=["plain", "prune-defs", "prune-calls", "manual-order", "on-hooks", "attribute-methods"],
)
def test_walk_matches_node_visit(
    modules: dict[str, cst.Module],
    make: Callable[[Callable[[cst.CSTNode, cst.CSTVisitor], object]], cst.CSTVisitor],
) -> None:
    subset = dict(list(modules.items())[::4])
    different = []
    for name, module in subset.items():
        fast, slow = make(walk), make(_libcst_visit)
        walk(module, fast)
        module.visit(slow)
        if fast.log != slow.log:  # type: ignore[attr-defined]
            different.append(name)
    assert not different


def test_walk_honours_methods_set_on_the_instance() -> None:
    module = cst.parse_module("f(g(x))\n")
    fast, slow = _Logging(), _Logging()
    for visitor in (fast, slow):
        log = visitor.log
        visitor.visit_Arg = lambda node, log=log: log.append(("visit_Arg", id(node)))  # type: ignore[attr-defined]
    walk(module, fast)
    module.visit(slow)
    assert fast.log == slow.log
    assert sum(name == "visit_Arg" for name, _ in fast.log) == 2


def test_walk_refuses_a_transformer() -> None:
    with pytest.raises(TypeError):
        walk(cst.parse_module("x = 1\n"), cst.CSTTransformer())


def _libcst_parents(module: cst.Module) -> Mapping[cst.CSTNode, cst.CSTNode]:
    return MetadataWrapper(module, unsafe_skip_copy=True).resolve(ParentNodeProvider)


def _all_nodes(module: cst.Module) -> Iterator[cst.CSTNode]:
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.children)


def test_parents_match_parent_node_provider(modules: dict[str, cst.Module]) -> None:
    different = []
    for name, module in modules.items():
        reference = _libcst_parents(module)
        expected = {id(child): parent for child, parent in reference.items()}
        assert parents(module, layout=True) == expected, name
        syntax = {
            id(child): parent
            for child, parent in reference.items()
            if not traversal.is_layout(type(child))
        }
        found = parents(module)
        agreed = {key: found[key] for key in syntax.keys() & found.keys()}
        # Layout nodes are most of the tree: the map rules use leaves them out.
        if agreed != syntax or len(found) >= len(expected):
            different.append(name)
    assert not different


def test_context_parent_answers_for_layout_nodes_too() -> None:
    module = cst.parse_module("def f(a, b):\n    return g(a,  b)  # c\n")
    context = LintContext(
        path="x.py",
        source=module.code,
        module=module,
        wrapper=MetadataWrapper(module, unsafe_skip_copy=True),
        reach=typing.cast(typing.Any, None),
    )
    expected = _libcst_parents(module)
    for node in _all_nodes(module):
        assert context.parent(node) is expected.get(node)
    assert context.parent(module) is None


def test_every_libcst_node_type_has_a_field_order_from_source() -> None:
    """The per-node recording fallback is exact but as slow as libcst: it must stay unused."""
    unknown = [t.__name__ for t in _concrete_node_types() if traversal.child_fields(t) is None]
    assert not unknown
    assert traversal.child_fields(cst.Call) == (
        "lpar",
        "func",
        "whitespace_after_func",
        "whitespace_before_args",
        "args",
        "rpar",
    )
    assert traversal.syntax_fields(cst.Call) == ("func", "args")
    function_fields = traversal.child_fields(cst.FunctionDef) or ()
    assert function_fields.index("decorators") < function_fields.index("name")


def test_layout_nodes_hold_only_layout_nodes() -> None:
    """A skipped field must not hide a node some visitor could want."""
    for node_type in _concrete_node_types():
        if not traversal.is_layout(node_type):
            continue
        hints = typing.get_type_hints(node_type)
        for field_name in traversal.child_fields(node_type) or ():
            assert traversal._holds_only_layout(hints[field_name]), (node_type, field_name)


@pytest.fixture
def without_sources(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """As if libcst's source were unavailable: every node's children are recorded instead."""
    monkeypatch.setattr(traversal, "_source_fields", lambda node_type: None)
    traversal._field_order.cache_clear()
    traversal.syntax_fields.cache_clear()
    yield
    monkeypatch.undo()
    traversal._field_order.cache_clear()
    traversal.syntax_fields.cache_clear()


def test_without_libcst_sources_the_traversals_still_match(
    modules: dict[str, cst.Module], without_sources: None
) -> None:
    examples = {name: module for name, module in modules.items() if name.startswith("TS")}
    assert traversal.child_fields(cst.Call) is None
    names = _rule_method_names()
    assert not _mismatches(examples, lambda module, fast: _batched_events(module, names, fast))
    for module in examples.values():
        for fast, slow in [
            (_Logging(prune=(cst.Call,)), _Logging(prune=(cst.Call,))),
            (_Hooks(), _Hooks()),
        ]:
            walk(module, fast)
            module.visit(slow)
            assert fast.log == slow.log
        expected = {id(child): parent for child, parent in _libcst_parents(module).items()}
        assert parents(module, layout=True) == expected


def test_walk_keeps_no_visitor_class_alive() -> None:
    """Rules define visitor classes inside functions: a new class on every call."""
    import gc
    import weakref

    def count_names(module: cst.Module) -> tuple[int, weakref.ref[type]]:
        class _Names(cst.CSTVisitor):
            def __init__(self) -> None:
                super().__init__()
                self.count = 0

            def visit_Name(self, node: cst.Name) -> None:
                self.count += 1

        visitor = _Names()
        walk(module, visitor)
        return visitor.count, weakref.ref(_Names)

    count, visitor_class = count_names(cst.parse_module("a = b(c)\n"))
    assert count == 3
    gc.collect()
    assert visitor_class() is None


def test_traversals_leave_nothing_for_the_cyclic_collector() -> None:
    """The engine turns the cyclic collector off while it lints a file (engine.lint_source):
    a traversal that leaves reference cycles behind makes every later collection slower."""
    import gc

    module = cst.parse_module("def f(x):\n    if x:\n        return g(x, [1, 2])\n    return x\n")
    names = _rule_method_names()

    def run() -> None:
        walk(module, _Logging())
        walk(module, _ManualOrder(walk))
        visit_batched(module, [_Recorder(names, [])])
        parents(module)

    run()  # the per-type tables are made once, on first use
    collecting = gc.isenabled()
    gc.disable()
    try:
        gc.collect()
        run()
        assert gc.collect() == 0
    finally:
        if collecting:
            gc.enable()
