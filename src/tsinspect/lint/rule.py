"""The Rule base class, its examples, and the context every rule reads the file through.

A rule is a libcst ``BatchableCSTVisitor``: it defines ``visit_<Node>`` /
``leave_<Node>`` methods and calls :meth:`Rule.report`. The engine runs every
enabled rule in ONE batched traversal of the file, then keeps a report only if
it lies inside code TorchScript compiles (see :mod:`tsinspect.lint.reach`) and,
for semantic rules, outside branches that ``torch.jit.is_scripting()`` prunes.
The contract is documented for rule authors in docs/dev/writing-rules.md.
"""

from __future__ import annotations

import enum
import functools
import inspect
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import libcst as cst
from libcst.metadata import CodeRange

from tsinspect.diagnostics import Edit, Severity
from tsinspect.lint.facts import FileFacts
from tsinspect.lint.positions import Positions
from tsinspect.lint.scopes import FileScopes, Scope, analyze_scopes
from tsinspect.lint.traversal import is_layout, parents

if TYPE_CHECKING:
    from tsinspect.lint.reach import ClassInfo, CompiledFunction, Reach


class Phase(str, enum.Enum):
    """When TorchScript rejects a construct, which decides whether ``is_scripting`` guards hide it.

    ``syntax``: the front end converts the whole function to TorchScript's AST
    before any branch is dropped, so the construct fails even under
    ``if not torch.jit.is_scripting():`` (lambda, nested def, try...).
    ``semantic``: rejected while compiling a statement, so a pruned branch hides
    it (a numpy call, an unsupported builtin...).
    """

    SYNTAX = "syntax"
    SEMANTIC = "semantic"


class Stage(str, enum.Enum):
    """The first step at which the real torch fails on an INVALID example.

    ``script``: ``torch.jit.script`` raises (for a ``@torch.jit.script`` function
    that is already at import). ``save``: ``torch.jit.save`` raises.
    ``load``: ``torch.jit.load`` raises. ``run``: calling the scripted module
    or the reloaded archive raises. ``match``: everything runs, but an output
    (or its ``requires_grad``) differs from eager.
    """

    SCRIPT = "script"
    SAVE = "save"
    LOAD = "load"
    RUN = "run"
    MATCH = "match"


def _normalize(code: str) -> str:
    """Examples are written indented in the class body: dedent and drop the first blank line."""
    text = textwrap.dedent(code)
    if text.startswith("\n"):
        text = text[1:]
    return text


@dataclass(frozen=True)
class Valid:
    """Code that scripts, saves, reloads and matches eager, and that no rule may flag.

    ``code`` is a whole module (imports included). Line numbers count from the
    first line of :attr:`source` (the dedented code without its leading newline).
    """

    code: str
    label: str = ""

    @property
    def source(self) -> str:
        """The example as written to the temporary ``.py`` file."""
        return _normalize(self.code)


@dataclass(frozen=True)
class Invalid:
    """Code the real torch rejects (at ``fails_at``) and the rule must flag.

    ``line``: the line the rule must flag. Leave it ``None`` when TorchScript's
    error names a line (``File "<tmp>", line N``): the test then expects the
    rule at that line. Set it when the error names no line in the example
    (``error_has_line=False``) or when ``fails_at`` is not ``script``; if both
    are known, the test checks that they agree.

    ``message``: the message the rule reports at that line, pinned so a change to what users
    read is a visible change to the example. ``fixed``: when the rule fixes this example,
    the whole module after ``tsinspect check --fix`` with this rule alone (Fixit's
    ``expected_replacement``), written like ``code``; the generic example test checks it and
    runs it through the real ``torch.jit.script``. ``None`` when the rule offers no edit here.
    """

    code: str
    line: int | None = None
    fails_at: Stage = Stage.SCRIPT
    error_has_line: bool = True
    label: str = ""
    message: str | None = None
    fixed: str | None = None

    @property
    def source(self) -> str:
        """The example as written to the temporary ``.py`` file."""
        return _normalize(self.code)

    @property
    def fixed_source(self) -> str | None:
        """The fixed module as ``--fix`` writes it, or None when the rule does not fix this example."""
        return None if self.fixed is None else _normalize(self.fixed)


@dataclass(frozen=True)
class Report:
    """What a rule reported, before the engine filters it by reachability and suppression.

    Nodes, not positions: positions are resolved only if a file has reports to keep.
    """

    rule: type[Rule]
    node: cst.CSTNode
    anchor: cst.CSTNode
    message: str
    fix_hint: str
    edits: tuple[Edit, ...] = ()
    # For reports outside compiled functions that still belong to one compiled module
    # (a class-body annotation): the reach to show, e.g. ``("Net",)``.
    reach: tuple[str, ...] = ()


@dataclass
class LintContext:
    """Everything a rule may read about the file being checked.

    One context per file, shared by every rule of the traversal. What it knows
    about the file is computed once, on first use: scopes and qualified names
    (:mod:`tsinspect.lint.scopes`), parents, and positions (only files with
    findings to keep need those).
    """

    path: str
    source: str
    module: cst.Module
    wrapper: cst.MetadataWrapper
    reach: Reach
    # What the program-wide analysis knows about this file (lint/program.py).
    facts: FileFacts = field(default_factory=FileFacts)
    reports: list[Report] = field(default_factory=list)
    _parents: dict[int, cst.CSTNode] | None = field(default=None, repr=False)
    _layout_parents: dict[int, cst.CSTNode] | None = field(default=None, repr=False)
    _placement: tuple[dict[int, CompiledFunction], set[int]] | None = field(
        default=None, repr=False
    )
    _scopes: FileScopes | None = field(default=None, repr=False)
    _never_run: set[int] | None = field(default=None, repr=False)
    # The lines each top-level statement spans, when the caller knows them (positions.py).
    top_line_counts: Sequence[int] | None = field(default=None, repr=False)
    _positions: Positions | None = field(default=None, repr=False)

    # --- locations -------------------------------------------------------------------------
    def position(self, node: cst.CSTNode, within: cst.CSTNode | None = None) -> CodeRange:
        """The node's source range: lines 1-based, columns 0-based (libcst's convention).

        ``PositionProvider``'s answer, generated for the node's statement only
        (:mod:`tsinspect.lint.positions`): files with nothing to report never pay for
        positions, and files with findings pay for the statements they are in. ``within``:
        a statement containing ``node``, for nodes the parent map leaves out (comments).
        """
        if self._positions is None:
            self._positions = Positions(self.module, self.parent, self.top_line_counts)
        return self._positions.position(node, within)

    # --- names -----------------------------------------------------------------------------
    def qualified_names(self, node: cst.CSTNode) -> frozenset[str]:
        """Fully qualified names the expression may refer to, whatever the import aliases.

        ``nn.Module`` after ``from torch import nn`` gives ``{"torch.nn.Module"}``;
        ``print`` gives ``{"builtins.print"}``; a module-level ``def helper`` gives
        ``{"helper"}``. Empty when unknown (locals, attributes of values).
        """
        return self.scopes.qualified_names(node)

    def matches(self, node: cst.CSTNode, *qualified_names: str) -> bool:
        """True when ``node`` refers to one of ``qualified_names`` (e.g. ``"torch.no_grad"``)."""
        return not self.qualified_names(node).isdisjoint(qualified_names)

    def scope(self, node: cst.CSTNode) -> Scope | None:
        """The scope ``node`` is evaluated in (None for nodes no scope reads, such as an
        attribute's name or a keyword)."""
        return self.scopes.scope(node)

    @property
    def scopes(self) -> FileScopes:
        """The file's scopes, bindings and reads (:mod:`tsinspect.lint.scopes`), built on first use."""
        if self._scopes is None:
            self._scopes = analyze_scopes(self.module)
        return self._scopes

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        """The node's parent in the tree (None for the module).

        Same answers as libcst's ParentNodeProvider, from a walk over the original nodes
        on first use (:func:`tsinspect.lint.traversal.parents`). Whitespace and punctuation
        are left out of that map (no rule asks about them, and they are most of the tree);
        asking about one builds the complete map.
        """
        if self._parents is None:
            self._parents = parents(self.module)
        found = self._parents.get(id(node))
        if found is None and is_layout(type(node)):
            if self._layout_parents is None:
                self._layout_parents = parents(self.module, layout=True)
            found = self._layout_parents.get(id(node))
        return found

    def is_module_level_function(self, name: cst.Name) -> cst.FunctionDef | None:
        """The same-file module-level ``def`` that the name ``name`` refers to, if any."""
        return self.reach.resolve_function(self, name)

    # --- reachability ----------------------------------------------------------------------
    def placement(self, node: cst.CSTNode) -> tuple[CompiledFunction | None, bool]:
        """The innermost compiled function containing ``node``, and whether ``node`` lies in a
        branch ``torch.jit.is_scripting()`` prunes.

        Decided by walking up the tree rather than by source positions: positions cost a
        codegen pass over the whole file, and most files have nothing left to report once
        the reports outside compiled code are dropped. Same answers as the position-based
        ``Reach.function_at`` / ``Reach.is_pruned`` (decorators are outside their function).
        """
        functions, pruned = self._placement_tables()
        function: CompiledFunction | None = None
        in_pruned = False
        child: cst.CSTNode | None = None
        current: cst.CSTNode | None = node
        while current is not None:
            if id(current) in pruned:
                in_pruned = True
            candidate = functions.get(id(current))
            if candidate is not None and not (
                isinstance(current, cst.FunctionDef) and isinstance(child, cst.Decorator)
            ):
                function = candidate
                break
            child, current = current, self.parent(current)
        if function is None:
            in_pruned = False
        return function, in_pruned

    def _placement_tables(self) -> tuple[dict[int, CompiledFunction], set[int]]:
        if self._placement is None:
            functions = {id(function.node): function for function in self.reach.functions}
            pruned: set[int] = set()
            for first, last in self.reach.pruned_nodes:
                pruned.update(id(statement) for statement in self._siblings(first, last))
            self._placement = (functions, pruned)
        return self._placement

    def _siblings(self, first: cst.CSTNode, last: cst.CSTNode) -> list[cst.CSTNode]:
        """``first`` through ``last``: one node, or a run of statements of one block."""
        if first is last:
            return [first]
        parent = self.parent(first)
        body = getattr(parent, "body", None)
        if isinstance(body, list | tuple):
            indices = [i for i, item in enumerate(body) if item is first or item is last]
            if len(indices) == 2:
                return list(body[indices[0] : indices[1] + 1])
        return [first, last]

    def compiled_function(self, node: cst.CSTNode) -> CompiledFunction | None:
        """The innermost compiled function containing ``node``, or None if it is not compiled."""
        return self.placement(node)[0]

    def is_compiled(self, node: cst.CSTNode) -> bool:
        """True when ``node`` lies inside code TorchScript compiles."""
        return self.compiled_function(node) is not None

    def is_compiled_def(self, node: cst.FunctionDef) -> bool:
        """True when this ``def`` is itself a compiled function (not a def nested inside one)."""
        return self.reach.is_compiled_def(node)

    def never_runs(self, node: cst.CSTNode) -> bool:
        """True when ``node`` lies in a compiled branch that never runs in the scripted model
        (guarded by the tracing state, which is False there)."""
        if not self.reach.never_run_nodes:
            return False
        if self._never_run is None:
            self._never_run = {id(n) for n in self.reach.never_run_nodes}
        current: cst.CSTNode | None = node
        while current is not None:
            if id(current) in self._never_run:
                return True
            current = self.parent(current)
        return False

    def in_pruned_branch(self, node: cst.CSTNode) -> bool:
        """True when ``node`` lies in a branch that ``torch.jit.is_scripting()`` prunes."""
        return self.placement(node)[1]

    def class_info(self, name: str) -> ClassInfo | None:
        """The same-file class called ``name`` (bases resolved, nn.Module or not)."""
        return self.reach.classes.get(name)


@functools.cache
def _visitor_names(cls: type[cst.BatchableCSTVisitor]) -> tuple[str, ...]:
    # libcst's base classes define a no-op visit_/leave_ for every node type and field
    # (~1,800 names): only the classes below them can define real ones. Reading dir() and
    # getattr of every name cost ~2 ms per rule class in every process.
    candidates = {
        name
        for klass in cls.__mro__
        if not klass.__module__.startswith("libcst")
        for name in vars(klass)
    }
    names = []
    for name in sorted(candidates):
        if name.startswith(("visit_", "leave_")):
            member = getattr(cls, name)
            if callable(member) and not getattr(member, "_is_no_op", False):
                names.append(name)
    return tuple(names)


class Rule(cst.BatchableCSTVisitor):
    """Base class of every lint rule. Subclass it in a module under ``tsinspect/lint/rules/``.

    Class attributes every rule sets: ``code`` (``TS`` + 3 digits), ``name``
    (kebab-case), ``message`` (one line, the default report text), ``fix_hint``
    (one line), ``severity``, ``phase``, and ``VALID`` / ``INVALID`` examples.
    ``fixable`` (default False) declares that the rule attaches edits that
    ``tsinspect check --fix`` applies; the examples prove it (an INVALID example's
    ``fixed`` text), and a test checks the declaration against them.
    The class docstring is the rule's documentation page, with the headings
    ``## What it does``, ``## Why is this bad?``, ``## Example``, ``## Use instead``.

    ``compiled_only`` (default True): the engine drops reports outside compiled
    code. A rule that reports on things TorchScript never compiles (a decorator
    on ``forward``, an ``__init__`` attribute used by ``forward``) sets it to
    False, or passes ``anchor=`` to :meth:`report` so the compiled-code check
    uses the anchor's position (and reach path) instead of the reported node's.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    message: ClassVar[str]
    fix_hint: ClassVar[str]
    severity: ClassVar[Severity] = Severity.ERROR
    phase: ClassVar[Phase] = Phase.SEMANTIC
    compiled_only: ClassVar[bool] = True
    # ``function_local``: nothing the rule reports while visiting a ``def`` lies outside that
    # def (the node it reports, its anchor), and nothing it sees there decides a report
    # elsewhere (no state carried out of the def but file-wide memos that do not depend on
    # which nodes were visited). With ``compiled_only``, the engine then skips the defs that
    # hold no compiled code: what the rule would report there is dropped anyway.
    function_local: ClassVar[bool] = False
    # TS0xx diagnostics about the file itself: produced by the engine, not by a traversal.
    file_level: ClassVar[bool] = False
    # The rule can fix what it reports (some of it): documented on its page, checked against
    # the examples' ``fixed`` texts by tests/lint/test_rule_examples.py.
    fixable: ClassVar[bool] = False
    VALID: ClassVar[Sequence[Valid]] = ()
    INVALID: ClassVar[Sequence[Invalid]] = ()

    def __init__(self, context: LintContext) -> None:
        super().__init__()
        self.context = context

    def get_visitors(self) -> Mapping[str, Callable[[cst.CSTNode], None]]:
        """The rule's ``visit_*`` / ``leave_*`` methods, found once per class.

        libcst's default runs ``inspect.getmembers`` on every instance, i.e. for every rule
        of every file: a noticeable share of the run time.
        """
        return {name: getattr(self, name) for name in _visitor_names(type(self))}

    def report(
        self,
        node: cst.CSTNode,
        message: str | None = None,
        *,
        fix_hint: str | None = None,
        edits: Sequence[Edit] = (),
        anchor: cst.CSTNode | None = None,
        reach: Sequence[str] = (),
    ) -> None:
        """Report ``node``. The engine decides whether the report survives (compiled, not pruned, not suppressed)."""
        self.context.reports.append(
            Report(
                rule=type(self),
                node=node,
                anchor=anchor if anchor is not None else node,
                message=message or self.message,
                fix_hint=fix_hint or self.fix_hint,
                edits=tuple(edits),
                reach=tuple(reach),
            )
        )

    # --- documentation ---------------------------------------------------------------------
    @classmethod
    def documentation(cls) -> str:
        """The rule's page (markdown): title line, metadata, then the class docstring."""
        doc = inspect.cleandoc(cls.__doc__ or "")
        header = [
            f"# {cls.code} {cls.name}",
            "",
            f"Message: {cls.message}",
            "",
            f"Severity: {cls.severity.value}. Phase: {cls.phase.value}"
            + (
                " (also reported inside `torch.jit.is_scripting()` guards)."
                if cls.phase is Phase.SYNTAX
                else "."
            ),
            "",
            f"Fix: {cls.fix_hint}",
            "",
            "",
        ]
        return "\n".join(header) + doc + "\n"
