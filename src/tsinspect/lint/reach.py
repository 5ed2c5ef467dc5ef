"""What TorchScript compiles in one file, and by which path.

Roots, as measured on torch 2.13 (each rule's examples run through the real torch.jit.script;
what crosses files is docs/dev/program-analysis.md):
every ``nn.Module`` subclass's ``forward``, its ``@torch.jit.export`` methods, every
``@property`` getter and setter not listed in ``__jit_unused_properties__``, hooks registered
with ``register_forward_hook`` / ``register_forward_pre_hook`` in ``__init__``, functions
decorated with ``@torch.jit.script`` (and ``torch.jit.script(fn)`` at module level), and every
method of a ``@torch.jit.script`` class. From the roots the compiler follows ``self.method``,
same-file module-level functions, ``Class.method`` and plain same-file classes it instantiates.
``@torch.jit.ignore`` / ``@torch.jit.unused`` functions are never compiled.

Inside compiled functions, branches that ``torch.jit.is_scripting()`` makes constant are
recorded as *pruned*: TorchScript skips them after parsing, so they hide semantic errors but
not syntax errors, and calls made only from them compile nothing.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

from tsinspect.lint.facts import Entry, FileFacts
from tsinspect.lint.scopes import ScopeKind, full_name
from tsinspect.lint.traversal import walk

if TYPE_CHECKING:
    from tsinspect.lint.rule import LintContext

IGNORE_DECORATORS = frozenset(
    {
        "torch.jit.ignore",
        "torch.jit.unused",
        "torch._jit_internal.ignore",
        "torch._jit_internal.unused",
    }
)
EXPORT_DECORATORS = frozenset({"torch.jit.export", "torch._jit_internal.export"})
SCRIPT_DECORATORS = frozenset({"torch.jit.script", "torch.jit._script.script"})
IS_SCRIPTING = frozenset(
    {"torch.jit.is_scripting", "torch.jit._script.is_scripting", "torch._jit_internal.is_scripting"}
)
# The tracing state: False when a scripted model runs (it is not being traced), but not a
# compile-time constant: the branch it guards is compiled, and never runs (measured).
TRACING = frozenset(
    {"torch.jit.is_tracing", "torch.jit._trace.is_tracing", "torch._C._get_tracing_state"}
)
HOOK_REGISTRATIONS = frozenset({"register_forward_hook", "register_forward_pre_hook"})
NN_MODULE_BASES = frozenset(
    {
        "torch.nn.Module",
        "torch.nn.modules.module.Module",
        "torch.jit.ScriptModule",
        # Lightning modules are nn.Modules, scripted through `to_torchscript()`.
        "pytorch_lightning.LightningModule",
        "lightning.LightningModule",
        "lightning.pytorch.LightningModule",
    }
)
# torch.nn names that look like classes but are not modules.
NOT_MODULES = frozenset({"Parameter", "UninitializedParameter", "UninitializedBuffer", "Buffer"})


def is_nn_base(name: str) -> bool:
    """True for ``torch.nn.Module`` under its qualified names, and torch's own module classes."""
    if name in NN_MODULE_BASES:
        return True
    # Subclasses of torch's own modules (nn.Sequential, nn.Linear...) are modules too.
    if name.startswith(("torch.nn.", "torch.nn.modules.")):
        last = name.rsplit(".", 1)[-1]
        return last[:1].isupper() and last not in NOT_MODULES
    return False


class Truth(enum.Enum):
    """A condition's value while TorchScript compiles: known, or not known until run time."""

    TRUE = "true"
    FALSE = "false"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class CompiledFunction:
    """One function TorchScript compiles, with the shortest path from a root that reaches it."""

    qualname: str
    node: cst.FunctionDef | cst.Lambda
    reach: tuple[str, ...]
    # Set in a file outside the checked paths: where the compile path leaves the checked code.
    entry: Entry | None = None


@dataclass
class ClassInfo:
    """A module-level class of the file: its same-file bases, methods and TorchScript role."""

    name: str
    node: cst.ClassDef
    bases: list[ClassInfo] = field(default_factory=list)
    is_nn_module: bool = False
    is_script_class: bool = False
    # name -> defs; a property's getter and setter share a name, so each name maps to a list.
    methods: dict[str, list[cst.FunctionDef]] = field(default_factory=dict)
    jit_unused_properties: frozenset[str] = frozenset()
    has_other_bases: bool = False

    def mro(self) -> Iterator[ClassInfo]:
        """This class then its same-file bases, depth first (Python's MRO for simple trees)."""
        seen: set[str] = set()
        stack = [self]
        while stack:
            info = stack.pop(0)
            if info.name in seen:
                continue
            seen.add(info.name)
            yield info
            stack = [*info.bases, *stack]

    def lookup(self, name: str) -> tuple[ClassInfo, list[cst.FunctionDef]] | None:
        """The class that defines method ``name`` for this class, and its defs."""
        for info in self.mro():
            if name in info.methods:
                return info, info.methods[name]
        return None

    def all_unused_properties(self) -> frozenset[str]:
        """``__jit_unused_properties__`` of this class and its same-file bases."""
        names: set[str] = set()
        for info in self.mro():
            names |= info.jit_unused_properties
        return frozenset(names)


@dataclass
class Reach:
    """The compiled functions of one file and the pruned branches inside them."""

    functions: list[CompiledFunction] = field(default_factory=list)
    # (first, last) node of each pruned branch: one node, or a run of statements of one block.
    pruned_nodes: list[tuple[cst.CSTNode, cst.CSTNode]] = field(default_factory=list)
    # Branches that are compiled but never run in the scripted model (tracing-state guards).
    never_run_nodes: list[cst.CSTNode] = field(default_factory=list)
    classes: dict[str, ClassInfo] = field(default_factory=dict)
    module_functions: dict[str, cst.FunctionDef] = field(default_factory=dict)
    _compiled_ids: set[int] = field(default_factory=set)
    # The classes whose MRO holds a class, by id(class) and (bases only) by class name, built
    # once per file (see ``subclasses``).
    _subclasses: dict[int, list[ClassInfo]] = field(default_factory=dict, repr=False)
    _subclasses_named: dict[str, list[ClassInfo]] = field(default_factory=dict, repr=False)
    _indexed: int = -1

    def subclasses(self, info: ClassInfo) -> list[ClassInfo]:
        """The classes of ``classes`` whose MRO holds ``info`` (``info`` itself when it is one
        of them), in file order.

        One pass over every class's MRO indexes the whole file: a scan over all classes per
        class made a file with many classes quadratic.
        """
        self._index_subclasses()
        return self._subclasses.get(id(info), [])

    def subclasses_named(self, name: str) -> list[ClassInfo]:
        """The classes of ``classes`` with a same-file base (direct or not) named ``name``."""
        self._index_subclasses()
        return self._subclasses_named.get(name, [])

    def _index_subclasses(self) -> None:
        if self._indexed == len(self.classes):
            return
        self._subclasses, self._subclasses_named = {}, {}
        for other in self.classes.values():
            for base in other.mro():
                self._subclasses.setdefault(id(base), []).append(other)
                if base is not other:
                    self._subclasses_named.setdefault(base.name, []).append(other)
        self._indexed = len(self.classes)

    def is_compiled_def(self, node: cst.CSTNode) -> bool:
        """True when ``node`` is itself a compiled function (a root or reached from one)."""
        return id(node) in self._compiled_ids

    def resolve_function(self, context: LintContext, name: cst.Name) -> cst.FunctionDef | None:
        """The module-level ``def`` that ``name`` refers to in its scope, if any."""
        target = _resolve_global(context, name)
        return target if isinstance(target, cst.FunctionDef) else None


# ------------------------------------------------------------------------------------------
# helpers on decorators and names
# ------------------------------------------------------------------------------------------


def decorator_names(context: LintContext, node: cst.FunctionDef | cst.ClassDef) -> set[str]:
    """Qualified names of the decorators (``@torch.jit.ignore(drop=True)`` counts as ignore)."""
    names: set[str] = set()
    for decorator in node.decorators:
        expression = decorator.decorator
        if isinstance(expression, cst.Call):
            expression = expression.func
        names |= context.qualified_names(expression)
    return names


def is_property_def(context: LintContext, node: cst.FunctionDef) -> bool:
    """``@property`` getters and ``@name.setter`` setters (both compiled, measured)."""
    for decorator in node.decorators:
        expression = decorator.decorator
        if isinstance(expression, cst.Attribute) and expression.attr.value == "setter":
            return True
        if context.matches(expression, "builtins.property"):
            return True
    return False


def is_skipped(context: LintContext, node: cst.FunctionDef) -> bool:
    """``@torch.jit.ignore`` / ``@torch.jit.unused``: never compiled."""
    return not decorator_names(context, node).isdisjoint(IGNORE_DECORATORS)


def _resolve_global(context: LintContext, name: cst.Name) -> cst.CSTNode | None:
    """The module-level def or class a name refers to, by the file's scopes."""
    binding = context.scopes.sole_binding(name)
    if binding is None or binding.scope.kind is not ScopeKind.MODULE:
        return None
    if isinstance(binding.node, cst.FunctionDef | cst.ClassDef):
        return binding.node
    return None


def scripting_truth(context: LintContext, expression: cst.BaseExpression) -> Truth:
    """The value of ``expression`` while TorchScript compiles (``is_scripting()`` is True).

    ``and``/``or``/``not`` follow Kleene logic, which matches Python truthiness here:
    ``flag and not torch.jit.is_scripting()`` is always falsy (measured: pruned).
    """
    return _truth(context, expression, runtime=False)


def runtime_truth(context: LintContext, expression: cst.BaseExpression) -> Truth:
    """The value of ``expression`` when the scripted model runs: ``is_scripting()`` is True
    and the tracing state (``torch.jit.is_tracing()``, torchvision's ``_is_tracing()``) is
    False. A branch the tracing state guards is compiled, so it still fails on what
    TorchScript rejects, but it never runs: run-time warnings about it are moot."""
    return _truth(context, expression, runtime=True)


def _is_tracing_call(context: LintContext, call: cst.Call) -> bool:
    if context.matches(call.func, *TRACING):
        return True
    spelling = full_name(call.func)
    return spelling is not None and spelling in context.facts.tracing_probes


def _truth(context: LintContext, expression: cst.BaseExpression, *, runtime: bool) -> Truth:
    if isinstance(expression, cst.Call) and not expression.args:
        if context.matches(expression.func, *IS_SCRIPTING):
            return Truth.TRUE
        if runtime and _is_tracing_call(context, expression):
            return Truth.FALSE
        return Truth.UNKNOWN
    if isinstance(expression, cst.UnaryOperation) and isinstance(expression.operator, cst.Not):
        inner = _truth(context, expression.expression, runtime=runtime)
        return {Truth.TRUE: Truth.FALSE, Truth.FALSE: Truth.TRUE}.get(inner, Truth.UNKNOWN)
    if isinstance(expression, cst.BooleanOperation):
        left = _truth(context, expression.left, runtime=runtime)
        right = _truth(context, expression.right, runtime=runtime)
        if isinstance(expression.operator, cst.And):
            if Truth.FALSE in (left, right):
                return Truth.FALSE
            return Truth.TRUE if left is right is Truth.TRUE else Truth.UNKNOWN
        if Truth.TRUE in (left, right):
            return Truth.TRUE
        return Truth.FALSE if left is right is Truth.FALSE else Truth.UNKNOWN
    return Truth.UNKNOWN


def is_abstract_stub(node: cst.FunctionDef) -> bool:
    """A body that is only a docstring, ``pass``, ``...`` or ``raise NotImplementedError``.

    An abstract base module's ``forward(self, *args, **kwargs)`` stub is never scripted (its
    subclasses are), so it is not a root: reporting its signature would be a false positive.
    """
    body = node.body
    statements: list[cst.BaseSmallStatement] = []
    if isinstance(body, cst.SimpleStatementSuite):
        statements = list(body.body)
    else:
        for statement in body.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                return False
            statements.extend(statement.body)
    for small in statements:
        if isinstance(small, cst.Pass):
            continue
        if isinstance(small, cst.Expr) and isinstance(
            small.value, cst.SimpleString | cst.ConcatenatedString | cst.Ellipsis
        ):
            continue
        if isinstance(small, cst.Raise) and small.exc is not None:
            exc = small.exc.func if isinstance(small.exc, cst.Call) else small.exc
            if isinstance(exc, cst.Name) and exc.value == "NotImplementedError":
                continue
        return False
    return True


def _terminates(block: cst.BaseSuite) -> bool:
    body = block.body
    if not body:
        return False
    last = body[-1]
    if isinstance(last, cst.SimpleStatementLine):
        return bool(last.body) and isinstance(last.body[-1], cst.Return | cst.Raise)
    return isinstance(last, cst.Return | cst.Raise)


# ------------------------------------------------------------------------------------------
# scanning one compiled function
# ------------------------------------------------------------------------------------------


@dataclass
class _Scan:
    """What one compiled function's body refers to, outside pruned branches."""

    self_attributes: list[str] = field(default_factory=list)
    names: list[cst.Name] = field(default_factory=list)
    class_attributes: list[tuple[cst.Name, str]] = field(default_factory=list)
    pruned: list[tuple[cst.CSTNode, cst.CSTNode]] = field(default_factory=list)
    never_run: list[cst.CSTNode] = field(default_factory=list)


class _BodyScanner(cst.CSTVisitor):
    """Collects references and pruned branches in one function body (nested defs excluded)."""

    def __init__(self, context: LintContext, self_name: str | None) -> None:
        super().__init__()
        self.context = context
        self.self_name = self_name
        self.scan = _Scan()

    def _prune(self, node: cst.CSTNode) -> None:
        self.scan.pruned.append((node, node))

    def _prune_range(self, first: cst.CSTNode, last: cst.CSTNode) -> None:
        self.scan.pruned.append((first, last))

    # nested scopes are not compiled as functions (TS102 etc. report them)
    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> bool:
        statements = node.body
        for index, statement in enumerate(statements):
            walk(statement, self)
            # `if torch.jit.is_scripting(): ...; return` : what follows is never compiled.
            if (
                isinstance(statement, cst.If)
                and scripting_truth(self.context, statement.test) is Truth.TRUE
                and _terminates(statement.body)
                and index + 1 < len(statements)
            ):
                self._prune_range(statements[index + 1], statements[-1])
                break
        return False

    def visit_If(self, node: cst.If) -> bool:
        self._branches(node.test, node.body, node.orelse)
        return False

    def visit_IfExp(self, node: cst.IfExp) -> bool:
        self._branches(node.test, node.body, node.orelse)
        return False

    def _branches(
        self, test: cst.BaseExpression, body: cst.CSTNode, orelse: cst.CSTNode | None
    ) -> None:
        """An `if` or a ternary: the arm ``is_scripting()`` decides against is pruned."""
        truth = scripting_truth(self.context, test)
        at_run_time = runtime_truth(self.context, test) if truth is Truth.UNKNOWN else truth
        walk(test, self)
        for arm, dead_when in ((body, Truth.FALSE), (orelse, Truth.TRUE)):
            if arm is None:
                continue
            if truth is dead_when:
                self._prune(arm)
            else:
                if at_run_time is dead_when:
                    self.scan.never_run.append(arm)
                walk(arm, self)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        value = node.value
        if isinstance(value, cst.Name):
            if self.self_name is not None and value.value == self.self_name:
                self.scan.self_attributes.append(node.attr.value)
            else:
                self.scan.class_attributes.append((value, node.attr.value))
        walk(value, self)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        # keyword names are not references
        walk(node.value, self)
        return False

    def visit_Name(self, node: cst.Name) -> bool:
        self.scan.names.append(node)
        return False


def _self_name(node: cst.FunctionDef, context: LintContext, in_class: bool) -> str | None:
    if not in_class:
        return None
    if "builtins.staticmethod" in decorator_names(context, node):
        return None
    params = node.params.posonly_params or node.params.params
    return params[0].name.value if params else None


# ------------------------------------------------------------------------------------------
# the analysis
# ------------------------------------------------------------------------------------------


def _collect_classes(context: LintContext, reach: Reach, module_classes: frozenset[str]) -> None:
    for statement in _module_statements(context.module.body):
        if isinstance(statement, cst.FunctionDef):
            reach.module_functions[statement.name.value] = statement
        elif isinstance(statement, cst.ClassDef):
            info = ClassInfo(name=statement.name.value, node=statement)
            for arg in statement.bases:
                local = (
                    reach.classes.get(arg.value.value) if isinstance(arg.value, cst.Name) else None
                )
                if local is not None:
                    info.bases.append(local)
                    info.is_nn_module |= local.is_nn_module
                    continue
                names = context.qualified_names(arg.value)
                if any(is_nn_base(name) for name in names):
                    info.is_nn_module = True
                elif not names <= {"builtins.object"}:
                    info.has_other_bases = True
            # A module through a base in another file (the project index knows).
            info.is_nn_module |= info.name in module_classes
            info.has_other_bases |= bool(statement.keywords)
            info.is_script_class = not decorator_names(context, statement).isdisjoint(
                SCRIPT_DECORATORS
            )
            for item in _class_statements(statement):
                if isinstance(item, cst.FunctionDef):
                    info.methods.setdefault(item.name.value, []).append(item)
                elif isinstance(item, cst.SimpleStatementLine):
                    info.jit_unused_properties |= _unused_properties(item)
            reach.classes[info.name] = info


def _module_statements(body: Iterable[cst.CSTNode]) -> Iterator[cst.CSTNode]:
    """Module-level statements, looking into top-level ``if``/``try`` blocks (import guards)."""
    for statement in body:
        yield statement
        if isinstance(statement, cst.If | cst.Try):
            yield from _module_statements(statement.body.body)


def _class_statements(node: cst.ClassDef) -> Iterator[cst.CSTNode]:
    body = node.body
    if isinstance(body, cst.IndentedBlock):
        yield from body.body


def _unused_properties(line: cst.SimpleStatementLine) -> frozenset[str]:
    names: set[str] = set()
    for small in line.body:
        targets: list[cst.BaseAssignTargetExpression] = []
        value: cst.BaseExpression | None = None
        if isinstance(small, cst.Assign):
            targets = [t.target for t in small.targets]
            value = small.value
        elif isinstance(small, cst.AnnAssign):
            targets = [small.target]
            value = small.value
        if not any(
            isinstance(t, cst.Name) and t.value == "__jit_unused_properties__" for t in targets
        ):
            continue
        if isinstance(value, cst.List | cst.Tuple | cst.Set):
            for element in value.elements:
                if isinstance(element.value, cst.SimpleString):
                    names.add(element.value.evaluated_value)  # type: ignore[arg-type]
    return frozenset(names)


@dataclass(frozen=True)
class _Item:
    owner: ClassInfo | None
    node: cst.FunctionDef | cst.Lambda
    label: str
    path: tuple[str, ...]
    entry: Entry | None = None


class _Analysis:
    def __init__(self, context: LintContext, facts: FileFacts) -> None:
        self.context = context
        self.facts = facts
        self.reach = Reach()
        self.queue: deque[_Item] = deque()
        self.seen: set[tuple[int, int]] = set()
        self.scans: dict[int, _Scan] = {}

    def run(self) -> Reach:
        _collect_classes(self.context, self.reach, self.facts.module_classes)
        if self.facts.checked:
            self._roots()
        self._reached_roots(through_value=False)
        while self.queue:
            self._visit(self.queue.popleft())
        self._reached_roots(through_value=True)
        while self.queue:
            self._visit(self.queue.popleft())
        return self.reach

    # roots ------------------------------------------------------------------------------
    def _push(
        self,
        owner: ClassInfo | None,
        node: cst.FunctionDef | cst.Lambda,
        label: str,
        path: tuple[str, ...],
        entry: Entry | None = None,
    ) -> None:
        if isinstance(node, cst.FunctionDef) and is_skipped(self.context, node):
            return
        key = (id(owner), id(node))
        if key in self.seen:
            return
        self.seen.add(key)
        self.queue.append(_Item(owner, node, label, (*path, label), entry))

    def _push_method(
        self,
        owner: ClassInfo,
        name: str,
        path: tuple[str, ...],
        root: bool = False,
        entry: Entry | None = None,
    ) -> None:
        found = owner.lookup(name)
        if found is None:
            return
        defining, defs = found
        for node in defs:
            if root and is_abstract_stub(node):
                continue
            self._push(owner, node, f"{defining.name}.{name}", path, entry)

    def _reached_roots(self, *, through_value: bool) -> None:
        """Functions of this file that code in other files makes TorchScript compile (those
        reached through a passed-in class after everything else: they keep another path)."""
        for reached in self.facts.reached:
            if reached.through_value != through_value:
                continue
            owner_name, _, name = reached.key.rpartition(".")
            if owner_name:
                owner = self.reach.classes.get(owner_name)
                defs = owner.methods.get(name, []) if owner is not None else []
                node = defs[reached.index] if reached.index < len(defs) else None
            else:
                owner = None
                node = self.reach.module_functions.get(name)
            if node is not None:
                *path, label = reached.reach
                self._push(owner, node, label, tuple(path), reached.entry)

    def _roots(self) -> None:
        context = self.context
        for info in self.reach.classes.values():
            if info.is_nn_module:
                self._push_method(info, "forward", (), root=True)
                unused = info.all_unused_properties()
                for cls in info.mro():
                    for name, defs in cls.methods.items():
                        for node in defs:
                            decorators = decorator_names(context, node)
                            if not decorators.isdisjoint(EXPORT_DECORATORS) or (
                                is_property_def(context, node) and name not in unused
                            ):
                                self._push(info, node, f"{cls.name}.{name}", ())
                init = info.methods.get("__init__")
                if init:
                    self._hook_roots(info, init[-1])
            if info.is_script_class:
                self._push_class(info, ())
        for function in self.reach.module_functions.values():
            if not decorator_names(context, function).isdisjoint(SCRIPT_DECORATORS):
                self._push(None, function, function.name.value, ())
        for statement in context.module.body:
            if isinstance(statement, cst.SimpleStatementLine):
                for call in _script_calls(context, statement):
                    self._push_reference(call, ())

    def _push_class(
        self, info: ClassInfo, path: tuple[str, ...], entry: Entry | None = None
    ) -> None:
        for name, defs in info.methods.items():
            for node in defs:
                self._push(info, node, f"{info.name}.{name}", path, entry)

    def _hook_roots(self, info: ClassInfo, init: cst.FunctionDef) -> None:
        finder = _HookFinder()
        walk(init.body, finder)
        self_name = _self_name(init, self.context, in_class=True)
        for hook in finder.hooks:
            if isinstance(hook, cst.Lambda):
                self._push(info, hook, f"{info.name}.__init__.<lambda hook>", ())
            elif (
                isinstance(hook, cst.Attribute)
                and isinstance(hook.value, cst.Name)
                and hook.value.value == self_name
            ):
                self._push_method(info, hook.attr.value, ())
            elif isinstance(hook, cst.Name):
                self._push_reference(hook, ())

    def _push_reference(
        self, name: cst.Name, path: tuple[str, ...], entry: Entry | None = None
    ) -> None:
        target = _resolve_global(self.context, name)
        if (
            isinstance(target, cst.FunctionDef)
            and self.reach.module_functions.get(target.name.value) is target
        ):
            self._push(None, target, target.name.value, path, entry)
        elif isinstance(target, cst.ClassDef):
            info = self.reach.classes.get(target.name.value)
            # A plain class used in compiled code is compiled whole, as a TorchScript class.
            if (
                info is not None
                and info.node is target
                and not info.is_nn_module
                and not info.has_other_bases
                and not info.node.decorators
            ):
                self._push_class(info, path, entry)

    # traversal --------------------------------------------------------------------------
    def _visit(self, item: _Item) -> None:
        node = item.node
        if id(node) not in self.reach._compiled_ids:
            self.reach._compiled_ids.add(id(node))
            self.reach.functions.append(CompiledFunction(item.label, node, item.path, item.entry))
        scan = self.scans.get(id(node))
        if scan is None:
            self_name = (
                _self_name(node, self.context, in_class=item.owner is not None)
                if isinstance(node, cst.FunctionDef)
                else None
            )
            scanner = _BodyScanner(self.context, self_name)
            walk(node.body, scanner)
            scan = scanner.scan
            self.scans[id(node)] = scan
            self.reach.pruned_nodes.extend(scan.pruned)
            self.reach.never_run_nodes.extend(scan.never_run)
        if item.owner is not None:
            for attribute in scan.self_attributes:
                self._push_method(item.owner, attribute, item.path, entry=item.entry)
        for name, attribute in scan.class_attributes:
            target = _resolve_global(self.context, name)
            if isinstance(target, cst.ClassDef):
                info = self.reach.classes.get(target.name.value)
                if info is not None and info.node is target:
                    self._push_method(info, attribute, item.path, entry=item.entry)
        for name in scan.names:
            self._push_reference(name, item.path, item.entry)


class _HookFinder(cst.CSTVisitor):
    """``<x>.register_forward_hook(hook)`` / ``register_forward_pre_hook`` calls: their first argument."""

    def __init__(self) -> None:
        super().__init__()
        self.hooks: list[cst.BaseExpression] = []

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in HOOK_REGISTRATIONS and node.args:
            self.hooks.append(node.args[0].value)


def _script_calls(context: LintContext, line: cst.SimpleStatementLine) -> Iterator[cst.Name]:
    """Names passed to ``torch.jit.script(...)`` in a module-level statement."""
    for small in line.body:
        value = getattr(small, "value", None)
        if (
            isinstance(value, cst.Call)
            and context.matches(value.func, *SCRIPT_DECORATORS)
            and value.args
            and isinstance(value.args[0].value, cst.Name)
        ):
            yield value.args[0].value


def analyze(context: LintContext, facts: FileFacts | None = None) -> Reach:
    """Compute what TorchScript compiles in ``context``'s file, given what the rest of the
    program tells about it (:mod:`tsinspect.lint.program`; none: the file alone)."""
    return _Analysis(context, facts or FileFacts()).run()
