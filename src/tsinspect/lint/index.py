"""The project index: every module the checked code can reach, resolved without importing it.

TorchScript compiles a program, not a file: ``torch.jit.script(model)`` follows a module's
base classes into the files that define them, compiles every submodule's ``forward``, and
recursively compiles the helper functions and classes that compiled code calls, wherever
they are defined (``torch/jit/_recursive.py``: ``infer_methods_to_compile``,
``create_script_module_impl``; ``torch/jit/frontend.py`` for the functions it reaches).
This module gives the linter the same view, the way a type checker resolves imports:

- a :class:`ModuleSummary` per module, read with the standard library's ``ast`` (no code
  runs): its imports, classes (bases as qualified names, methods, the submodules
  ``__init__`` creates, hooks), functions, constants and ``__constants__``, and for every
  function the globals, ``self`` attributes and ``self.<submodule>.<method>`` calls its
  body refers to, outside branches ``torch.jit.is_scripting()`` prunes;
- :class:`ProjectIndex` finds modules by name: first among the checked files' packages,
  then on the interpreter's search path (site-packages), then in the ``extra-paths`` of
  ``[tool.tsinspect]``. It resolves dotted names through re-exports (``from .x import Y``
  in a package ``__init__``) and star imports. torch itself and the standard library are
  never read: their code is TorchScript's own business.

:mod:`tsinspect.lint.program` walks these summaries to decide what is compiled across files.
"""

from __future__ import annotations

import ast
import builtins
import functools
import gc
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from tsinspect.files import read_regular
from tsinspect.lint.flows import FlowCall, FlowStore, dotted_name, read_flows
from tsinspect.lint.guard import accepted_source_tree, content_key, note_accepted
from tsinspect.lint.reach import HOOK_REGISTRATIONS, IS_SCRIPTING, SCRIPT_DECORATORS, TRACING

# Packages whose code the index never reads: TorchScript treats torch's own modules and
# functions specially (builtins, operator schemas), and the standard library is no model code.
OPAQUE_PACKAGES = frozenset({"torch", "functorch", "typing", "typing_extensions", "numpy"})
# Nesting beyond this is refused by CPython's own parser too; deeper input is not model code.
MAX_SOURCE_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Reference:
    """Something a function body refers to that may be compiled with it.

    ``kind``: ``global`` (a dotted name through the module's imports or its own top-level
    defs: ``pkg.helpers.pad``, ``pkg.mod.Block``), ``self`` (``self.<name>``: a method or
    a submodule), or ``self_member`` (``self.<name>.<member>``, e.g. a submodule's method).
    """

    kind: str
    target: str
    line: int
    column: int
    member: str = ""
    # The dotted name as written (``torchvision._is_tracing``), for globals.
    spelling: str = ""


@dataclass(frozen=True)
class FunctionSummary:
    """One ``def`` at module level or in a class body.

    ``key`` names it within its module the way the linter's reach does: ``Net.forward``,
    ``helper``; ``index`` tells same-named defs apart (a property's getter and setter).
    """

    name: str
    key: str
    index: int
    line: int
    decorators: frozenset[str]
    is_property: bool
    is_stub: bool
    is_static: bool
    references: tuple[Reference, ...]
    # ``return torch.jit.is_tracing()`` (torchvision's ``_is_tracing``): False in a scripted
    # model at run time, so a branch it guards never runs there.
    is_tracing_probe: bool = False
    # Positional parameters in order (``self`` included) and keyword-only ones: where the
    # arguments of a call land (:mod:`tsinspect.lint.class_flow`).
    parameters: tuple[str, ...] = ()
    keyword_parameters: tuple[str, ...] = ()
    # Calls passing classes along, and ``self.<attribute> = <value>`` of ``__init__``.
    flow_calls: tuple[FlowCall, ...] = ()
    flow_stores: tuple[FlowStore, ...] = ()


@dataclass(frozen=True)
class SubmoduleSummary:
    """A class instantiated in ``__init__`` (``self.attr = Block(...)``, or inside a
    ``ModuleList``/``Sequential``): the children TorchScript compiles with the module."""

    attribute: str
    target: str
    line: int
    column: int


@dataclass(frozen=True)
class ClassSummary:
    """A module-level class: resolved bases, methods in source order, what ``__init__`` builds."""

    name: str
    line: int
    bases: tuple[tuple[str, int, int], ...]
    decorators: frozenset[str]
    has_keywords: bool
    methods: tuple[FunctionSummary, ...]
    submodules: tuple[SubmoduleSummary, ...]
    hooks: tuple[Reference, ...]
    constants: frozenset[str]
    unused_properties: frozenset[str]
    # Class-body annotations naming a class (``config: BertConfig``): attribute, qualified
    # type, line, column. TorchScript types an instance attribute by its class annotation.
    annotations: tuple[tuple[str, str, int, int], ...] = ()
    # Attributes ``__init__`` assigns on ``self`` (what ends up in the instance's __dict__).
    init_attributes: frozenset[str] = frozenset()

    def methods_named(self, name: str) -> tuple[FunctionSummary, ...]:
        """Every def of ``name`` in this class body (a property may have two)."""
        return tuple(method for method in self.methods if method.name == name)


@dataclass(frozen=True)
class ModuleSummary:
    """What the index knows about one module, all of it picklable and torch-free."""

    name: str
    path: str
    imports: tuple[tuple[str, str], ...]
    star_imports: tuple[str, ...]
    classes: tuple[ClassSummary, ...]
    functions: tuple[FunctionSummary, ...]
    constants: frozenset[str]
    script_calls: tuple[Reference, ...]
    content_hash: str

    def import_target(self, local: str) -> str | None:
        """The qualified name a module-level import binds ``local`` to."""
        return self._import_table.get(local)

    def find_class(self, name: str) -> ClassSummary | None:
        """The module-level class ``name`` (the last definition wins, as at run time)."""
        return self._class_table.get(name)

    def find_function(self, name: str) -> FunctionSummary | None:
        """The module-level function ``name`` (the last definition wins)."""
        return self._function_table.get(name)

    @functools.cached_property
    def _class_table(self) -> dict[str, ClassSummary]:
        return {info.name: info for info in self.classes}

    @functools.cached_property
    def _function_table(self) -> dict[str, FunctionSummary]:
        return {info.name: info for info in self.functions}

    @functools.cached_property
    def _import_table(self) -> dict[str, str]:
        return dict(self.imports)


# ------------------------------------------------------------------------------------------
# reading one module
# ------------------------------------------------------------------------------------------


def _resolve_relative(module: str, is_package: bool, level: int, name: str | None) -> str:
    if level == 0:
        return name or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    if level > 1:
        package = package[: len(package) - (level - 1)]
    base = ".".join(package)
    if name:
        return f"{base}.{name}" if base else name
    return base


class _Names:
    """The module's top-level names: imports (to qualified names), defs, classes, values."""

    def __init__(self, module: str) -> None:
        self.module = module
        self.imports: dict[str, str] = {}
        self.defined: set[str] = set()
        self.values: set[str] = set()

    def qualify(self, dotted: str) -> str | None:
        """The qualified name of a dotted expression, or None for locals and unknowns."""
        head, _, rest = dotted.partition(".")
        target = self.imports.get(head)
        if target is None:
            if head in self.defined:
                target = f"{self.module}.{head}" if self.module else head
            elif head in _BUILTIN_NAMES:
                target = f"builtins.{head}"
            else:
                return None
        return f"{target}.{rest}" if rest else target


_BUILTIN_NAMES = frozenset(dir(builtins))


def _top_level(body: Sequence[ast.stmt]) -> Iterator[ast.stmt]:
    """Module statements, looking into top-level ``if``/``try`` blocks (import guards and
    ``if TYPE_CHECKING:`` re-exports, which type checkers read too)."""
    for statement in body:
        yield statement
        if isinstance(statement, ast.If):
            yield from _top_level(statement.body)
            yield from _top_level(statement.orelse)
        elif isinstance(statement, ast.Try):
            yield from _top_level(statement.body)
            for handler in statement.handlers:
                yield from _top_level(handler.body)


def _collect_names(tree: ast.Module, module: str, is_package: bool) -> tuple[_Names, list[str]]:
    names = _Names(module)
    stars: list[str] = []
    for statement in _top_level(tree.body):
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                if alias.asname:
                    names.imports[alias.asname] = alias.name
                else:
                    head = alias.name.split(".")[0]
                    names.imports.setdefault(head, head)
        elif isinstance(statement, ast.ImportFrom):
            source = _resolve_relative(module, is_package, statement.level, statement.module)
            for alias in statement.names:
                if alias.name == "*":
                    stars.append(source)
                    continue
                names.imports[alias.asname or alias.name] = f"{source}.{alias.name}"
        elif isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.defined.add(statement.name)
            names.imports.pop(statement.name, None)
        elif isinstance(statement, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            for target in targets:
                for node in ast.walk(target):
                    if isinstance(node, ast.Name):
                        names.values.add(node.id)
    return names, stars


def _is_tracing_probe(node: ast.FunctionDef | ast.AsyncFunctionDef, names: _Names) -> bool:
    """The body is ``return <tracing state>()`` (after an optional docstring)."""
    body = [
        s for s in node.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
    ]
    if len(body) != 1 or not isinstance(body[0], ast.Return):
        return False
    value = body[0].value
    if not isinstance(value, ast.Call) or value.args or value.keywords:
        return False
    dotted = dotted_name(value.func)
    return dotted is not None and names.qualify(dotted) in TRACING


def _is_stub(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Only a docstring, ``pass``, ``...`` or ``raise NotImplementedError`` (an abstract forward)."""
    for statement in node.body:
        if isinstance(statement, ast.Pass):
            continue
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            continue
        if isinstance(statement, ast.Raise) and statement.exc is not None:
            exc = statement.exc.func if isinstance(statement.exc, ast.Call) else statement.exc
            if isinstance(exc, ast.Name) and exc.id == "NotImplementedError":
                continue
        return False
    return True


def _local_names(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Parameters and every name the body binds: reads of these are never globals."""
    arguments = node.args
    local = {a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)}
    if arguments.vararg:
        local.add(arguments.vararg.arg)
    if arguments.kwarg:
        local.add(arguments.kwarg.arg)
    declared_global: set[str] = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store | ast.Del):
            local.add(child.id)
        elif isinstance(child, ast.Global):
            declared_global.update(child.names)
        elif isinstance(child, ast.alias):
            local.add((child.asname or child.name).split(".")[0])
        elif isinstance(child, ast.arg):
            local.add(child.arg)
    return local - declared_global


class _BodyReader:
    """The references of one compiled function body, skipping branches is_scripting() prunes
    and nested defs and lambdas (TorchScript rejects those; they compile nothing)."""

    def __init__(self, names: _Names, self_name: str | None, parameters: set[str]) -> None:
        self.names = names
        self.self_name = self_name
        self.local = parameters
        # Names the body binds, found in the same pass: a read of one is not a global.
        self.stored: set[str] = set()
        self.declared_global: set[str] = set()
        self.references: list[tuple[str, Reference]] = []
        self.seen: set[tuple[str, str, str]] = set()

    def _add(
        self,
        kind: str,
        target: str,
        node: ast.expr,
        member: str = "",
        head: str = "",
        spelling: str = "",
    ) -> None:
        key = (kind, target, member)
        if key not in self.seen:
            self.seen.add(key)
            self.references.append(
                (
                    head,
                    Reference(kind, target, node.lineno, node.col_offset + 1, member, spelling),
                )
            )

    def result(self) -> tuple[Reference, ...]:
        """The references, minus reads of names the function binds itself."""
        local = self.stored - self.declared_global
        return tuple(reference for head, reference in self.references if head not in local)

    def scripting_truth(self, test: ast.expr) -> bool | None:
        if isinstance(test, ast.Call) and not test.args:
            dotted = dotted_name(test.func)
            if dotted is not None and self.names.qualify(dotted) in IS_SCRIPTING:
                return True
            return None
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            inner = self.scripting_truth(test.operand)
            return None if inner is None else not inner
        if isinstance(test, ast.BoolOp):
            values = [self.scripting_truth(v) for v in test.values]
            if isinstance(test.op, ast.And):
                if False in values:
                    return False
                return True if all(v is True for v in values) else None
            if True in values:
                return True
            return False if all(v is False for v in values) else None
        return None

    def statements(self, body: Sequence[ast.stmt]) -> None:
        for statement in body:
            self.visit(statement)
            if (
                isinstance(statement, ast.If)
                and self.scripting_truth(statement.test) is True
                and statement.body
                and isinstance(statement.body[-1], ast.Return | ast.Raise)
            ):
                return

    def visit(self, node: ast.AST) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            self.stored.add(node.name)
            return
        if isinstance(node, ast.Lambda):
            return
        if isinstance(node, ast.Global):
            self.declared_global.update(node.names)
            return
        if isinstance(node, ast.alias):
            self.stored.add((node.asname or node.name).split(".")[0])
            return
        if isinstance(node, ast.If | ast.IfExp):
            truth = self.scripting_truth(node.test)
            self.visit(node.test)
            body: Sequence[ast.AST] = node.body if isinstance(node.body, list) else [node.body]
            orelse: Sequence[ast.AST] = (
                node.orelse if isinstance(node.orelse, list) else [node.orelse]
            )
            if truth is not False:
                for child in body:
                    self.visit(child)
            if truth is not True:
                for child in orelse:
                    self.visit(child)
            return
        if isinstance(node, ast.Attribute):
            if self._attribute(node):
                return
        elif isinstance(node, ast.Name):
            if not isinstance(node.ctx, ast.Load):
                self.stored.add(node.id)
            elif node.id not in self.local:
                qualified = self.names.qualify(node.id)
                if qualified is not None and not qualified.startswith("builtins."):
                    self._add("global", qualified, node, head=node.id, spelling=node.id)
            return
        for child in ast.iter_child_nodes(node):
            self.visit(child)

    def _attribute(self, node: ast.Attribute) -> bool:
        """Record ``self.x``, ``self.x.y`` and ``module.func``; True when fully handled."""
        value = node.value
        if isinstance(value, ast.Name) and value.id == self.self_name:
            self._add("self", node.attr, node)
            return True
        if (
            isinstance(value, ast.Attribute)
            and isinstance(value.value, ast.Name)
            and value.value.id == self.self_name
        ):
            self._add("self_member", value.attr, node, node.attr)
            return True
        dotted = dotted_name(node)
        if dotted is not None:
            head = dotted.split(".")[0]
            if head not in self.local:
                qualified = self.names.qualify(dotted)
                if qualified is not None and not qualified.startswith("builtins."):
                    self._add("global", qualified, node, head=head, spelling=dotted)
                return True
        return False


def _decorators(
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, names: _Names
) -> frozenset[str]:
    found: set[str] = set()
    for decorator in node.decorator_list:
        expression = decorator.func if isinstance(decorator, ast.Call) else decorator
        dotted = dotted_name(expression)
        if dotted is None:
            continue
        qualified = names.qualify(dotted)
        found.add(qualified or dotted)
    return frozenset(found)


def _is_property(node: ast.FunctionDef | ast.AsyncFunctionDef, decorators: frozenset[str]) -> bool:
    if "builtins.property" in decorators:
        return True
    return any(isinstance(d, ast.Attribute) and d.attr == "setter" for d in node.decorator_list)


def _function(
    node: ast.FunctionDef | ast.AsyncFunctionDef,
    names: _Names,
    owner: str | None,
    index: int,
) -> FunctionSummary:
    decorators = _decorators(node, names)
    is_static = "builtins.staticmethod" in decorators
    self_name: str | None = None
    if owner is not None and not is_static:
        params = node.args.posonlyargs or node.args.args
        self_name = params[0].arg if params else None
    arguments = node.args
    parameters = {
        a.arg
        for a in (
            *arguments.posonlyargs,
            *arguments.args,
            *arguments.kwonlyargs,
            *(a for a in (arguments.vararg, arguments.kwarg) if a is not None),
        )
    }
    reader = _BodyReader(names, self_name, parameters)
    reader.statements(node.body)
    # The names the body binds, as the reader above found them (a second walk for
    # `_local_names` doubled the index's time on timm); the flow reader follows the rest.
    local = (reader.stored | parameters) - reader.declared_global
    flow_calls, flow_stores = read_flows(node, names.qualify, local, self_name)
    # Default values and annotations are evaluated by the compiler too (a default that calls
    # a helper), but they reference nothing TorchScript compiles as a function.
    return FunctionSummary(
        name=node.name,
        key=f"{owner}.{node.name}" if owner else node.name,
        index=index,
        line=node.lineno,
        decorators=decorators,
        is_property=_is_property(node, decorators),
        is_stub=_is_stub(node),
        is_static=is_static,
        references=reader.result(),
        is_tracing_probe=_is_tracing_probe(node, names),
        parameters=tuple(a.arg for a in (*arguments.posonlyargs, *arguments.args)),
        keyword_parameters=tuple(a.arg for a in arguments.kwonlyargs),
        flow_calls=flow_calls,
        flow_stores=flow_stores,
    )


def _string_items(value: ast.expr | None) -> frozenset[str]:
    if isinstance(value, ast.List | ast.Tuple | ast.Set):
        return frozenset(
            e.value for e in value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
        )
    return frozenset()


def _init_children(
    init: ast.FunctionDef | ast.AsyncFunctionDef, names: _Names
) -> tuple[list[SubmoduleSummary], list[Reference], frozenset[str]]:
    """Classes ``__init__`` instantiates from module-level names (candidate submodules), and
    the hooks it registers."""
    params = init.args.posonlyargs or init.args.args
    self_name = params[0].arg if params else "self"
    local = _local_names(init)
    children: list[SubmoduleSummary] = []
    hooks: list[Reference] = []
    attribute_of: dict[int, str] = {}
    assigned: set[str] = set()
    for node in ast.walk(init):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                if (
                    isinstance(target, ast.Attribute)
                    and isinstance(target.value, ast.Name)
                    and target.value.id == self_name
                ):
                    assigned.add(target.attr)
                    for inner in ast.walk(node.value):
                        attribute_of.setdefault(id(inner), target.attr)
    for node in ast.walk(init):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in HOOK_REGISTRATIONS and node.args:
            hook = node.args[0]
            if (
                isinstance(hook, ast.Attribute)
                and isinstance(hook.value, ast.Name)
                and hook.value.id == self_name
            ):
                hooks.append(Reference("self", hook.attr, hook.lineno, hook.col_offset + 1))
            else:
                dotted = dotted_name(hook)
                qualified = names.qualify(dotted) if dotted else None
                if qualified:
                    hooks.append(Reference("global", qualified, hook.lineno, hook.col_offset + 1))
            continue
        dotted = dotted_name(func)
        if dotted is None or dotted.split(".")[0] in local:
            continue
        qualified = names.qualify(dotted)
        if qualified is None or qualified.startswith("builtins."):
            continue
        children.append(
            SubmoduleSummary(
                attribute_of.get(id(node), ""), qualified, node.lineno, node.col_offset + 1
            )
        )
    return children, hooks, frozenset(assigned)


def _class(node: ast.ClassDef, names: _Names) -> ClassSummary:
    bases: list[tuple[str, int, int]] = []
    for base in node.bases:
        dotted = dotted_name(base.value if isinstance(base, ast.Subscript) else base)
        qualified = names.qualify(dotted) if dotted else None
        bases.append((qualified or "?", base.lineno, base.col_offset + 1))
    methods: list[FunctionSummary] = []
    counts: dict[str, int] = {}
    constants: frozenset[str] = frozenset()
    unused: frozenset[str] = frozenset()
    children: list[SubmoduleSummary] = []
    hooks: list[Reference] = []
    init_attributes: frozenset[str] = frozenset()
    annotations: list[tuple[str, str, int, int]] = []
    for item in node.body:
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
            index = counts.get(item.name, 0)
            counts[item.name] = index + 1
            methods.append(_function(item, names, node.name, index))
            if item.name == "__init__":
                children, hooks, init_attributes = _init_children(item, names)
        elif isinstance(item, ast.Assign | ast.AnnAssign):
            if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                dotted = dotted_name(item.annotation)
                qualified = names.qualify(dotted) if dotted else None
                if qualified is not None:
                    annotations.append(
                        (
                            item.target.id,
                            qualified,
                            item.annotation.lineno,
                            item.annotation.col_offset + 1,
                        )
                    )
            targets = item.targets if isinstance(item, ast.Assign) else [item.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id == "__constants__":
                    constants = _string_items(item.value)
                elif isinstance(target, ast.Name) and target.id == "__jit_unused_properties__":
                    unused = _string_items(item.value)
    return ClassSummary(
        name=node.name,
        line=node.lineno,
        bases=tuple(bases),
        decorators=_decorators(node, names),
        has_keywords=bool(node.keywords),
        methods=tuple(methods),
        submodules=tuple(children),
        hooks=tuple(hooks),
        constants=constants,
        unused_properties=unused,
        annotations=tuple(annotations),
        init_attributes=init_attributes,
    )


def _script_calls(tree: ast.Module, names: _Names) -> list[Reference]:
    """``torch.jit.script(fn)`` at module level: ``fn`` is compiled at import."""
    found: list[Reference] = []
    for statement in tree.body:
        value = getattr(statement, "value", None)
        if isinstance(value, ast.Call) and value.args:
            dotted = dotted_name(value.func)
            if dotted and names.qualify(dotted) in SCRIPT_DECORATORS:
                argument = dotted_name(value.args[0])
                qualified = names.qualify(argument) if argument else None
                if qualified:
                    found.append(Reference("global", qualified, value.lineno, value.col_offset + 1))
    return found


def content_hash(data: bytes) -> str:
    """The key a module's summary is cached under (with the tool version)."""
    return content_key(data)


def summarize(data: bytes, path: str, module: str, is_package: bool) -> ModuleSummary | None:
    """The summary of one module's source, or None when Python cannot parse it (the linter
    reports that file's syntax error itself when it is among the checked files)."""
    if len(data) > MAX_SOURCE_BYTES:
        return None
    # ast trees hold no reference cycles: the cyclic collector's passes over a large heap
    # (the language server's index) while a file is parsed are wasted (most of the ~400 ms
    # the parse of timm's 5.3k-line vision_transformer.py took in the server), so they wait.
    collecting = gc.isenabled()
    gc.disable()
    try:
        tree = accepted_source_tree(data) or ast.parse(data, filename=path)
        summary = _summary(tree, data, path, module, is_package)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        # RecursionError also from the walks below: a tree Python takes but too deep for
        # them (a sum of 1,000 terms) is not summarized; the linter reports it.
        return None
    finally:
        if collecting:
            gc.enable()
    # The linter's parser guard need not parse this file again (it still counts and/or).
    note_accepted(summary.content_hash)
    return summary


def _summary(
    tree: ast.Module, data: bytes, path: str, module: str, is_package: bool
) -> ModuleSummary:
    names, stars = _collect_names(tree, module, is_package)
    classes: list[ClassSummary] = []
    functions: list[FunctionSummary] = []
    counts: dict[str, int] = {}
    for statement in _top_level(tree.body):
        if isinstance(statement, ast.ClassDef):
            classes.append(_class(statement, names))
        elif isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            index = counts.get(statement.name, 0)
            counts[statement.name] = index + 1
            functions.append(_function(statement, names, None, index))
    return ModuleSummary(
        name=module,
        path=path,
        imports=tuple(sorted(names.imports.items())),
        star_imports=tuple(stars),
        classes=tuple(classes),
        functions=tuple(functions),
        constants=frozenset(names.values - names.defined - set(names.imports)),
        script_calls=tuple(_script_calls(tree, names)),
        content_hash=content_hash(data),
    )


# ------------------------------------------------------------------------------------------
# finding modules
# ------------------------------------------------------------------------------------------


def module_name_for(path: str) -> tuple[str, str, bool]:
    """``(root folder, dotted module name, is_package)`` of a source file, from the
    ``__init__.py`` files above it (the folder above the top package is the root)."""
    resolved = Path(os.path.realpath(path))
    is_package = resolved.name == "__init__.py"
    parts = [] if is_package else [resolved.stem]
    folder = resolved.parent
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        parts.append(folder.name)
        folder = folder.parent
    if not parts:  # a bare __init__.py outside any package
        parts = [resolved.parent.name]
    return str(folder), ".".join(reversed(parts)), is_package


def interpreter_roots() -> list[str]:
    """The running interpreter's import path (site-packages included), folders only."""
    roots = []
    for entry in sys.path:
        if entry and os.path.isdir(entry) and not entry.endswith(".zip"):
            roots.append(os.path.abspath(entry))
    return roots


class SummaryStore(Protocol):
    """Where module summaries are kept between runs (:class:`tsinspect.lint.cache.LintCache`)."""

    def get_summary(self, key: str, kind: type[ModuleSummary]) -> ModuleSummary | None:
        """The summary stored under ``key``, if any."""

    def put_summary(self, key: str, summary: object) -> None:
        """Keep ``summary`` under ``key``."""


def _module_file(folder: str, name: str) -> str | None:
    """``folder/name.py``, ``folder/name/__init__.py`` or a namespace package ``folder/name``."""
    candidate = os.path.join(folder, name + ".py")
    if os.path.isfile(candidate):
        return candidate
    package = os.path.join(folder, name)
    if os.path.isfile(os.path.join(package, "__init__.py")):
        return os.path.join(package, "__init__.py")
    if name.isidentifier() and os.path.isdir(package):
        return package
    return None


@dataclass
class ProjectIndex:
    """Modules by name, found and summarised on first use; nothing is imported or run.

    ``roots`` are searched in order. ``checked`` maps the checked files' paths (resolved)
    to their module names, so a module that is both checked and importable is one module.
    """

    roots: Sequence[str]
    checked: dict[str, str] = field(default_factory=dict)
    summaries: dict[str, ModuleSummary | None] = field(default_factory=dict)
    _paths: dict[str, str | None] = field(default_factory=dict)
    _sources: dict[str, bytes] = field(default_factory=dict)
    _resolved: dict[str, Entity | None] = field(default_factory=dict)
    _real: dict[str, str] = field(default_factory=dict)
    # Summaries from earlier runs (the lint cache), keyed by content, module and path.
    store: SummaryStore | None = None

    def _summary(self, data: bytes, path: str, name: str) -> ModuleSummary | None:
        if self.store is None:
            return summarize(data, path, name, Path(path).name == "__init__.py")
        key = f"{content_hash(data)}:{name}:{path}"
        cached = self.store.get_summary(key, ModuleSummary)
        if cached is not None:
            return cached
        summary = summarize(data, path, name, Path(path).name == "__init__.py")
        if summary is not None:
            self.store.put_summary(key, summary)
        return summary

    @functools.cached_property
    def _checked_tops(self) -> frozenset[str]:
        """Top-level packages of the checked files: found even when the stdlib has the name."""
        return frozenset(name.split(".")[0] for name in self.checked.values())

    @classmethod
    def for_files(
        cls, files: Iterable[str], extra_roots: Sequence[str] = (), use_interpreter: bool = True
    ) -> ProjectIndex:
        """An index whose roots are the checked files' package roots, then the interpreter's
        search path, then ``extra_roots`` (the issue's order: checked code shadows installs)."""
        roots: list[str] = []
        checked: dict[str, str] = {}
        for file in files:
            root, name, _ = module_name_for(file)
            checked[str(Path(os.path.realpath(file)))] = name
            if root not in roots:
                roots.append(root)
        if use_interpreter:
            roots.extend(r for r in interpreter_roots() if r not in roots)
        roots.extend(os.path.abspath(r) for r in extra_roots if os.path.abspath(r) not in roots)
        return cls(roots=roots, checked=checked)

    def add_source(self, path: str, data: bytes) -> None:
        """Bytes already read for ``path`` (a checked file): the index does not read it again."""
        self._sources[str(Path(os.path.realpath(path)))] = data

    def real(self, path: str) -> str:
        """``path`` with its links resolved, remembered for the index's life (the language
        server asks for every checked file's at each edit; the files do not move meanwhile)."""
        found = self._real.get(path)
        if found is None:
            found = self._real[path] = str(Path(os.path.realpath(path)))
        return found

    def replace_source(self, path: str, data: bytes | None) -> None:
        """New bytes for ``path`` (an edited, unsaved buffer; None: read the file again).

        The module read from it is summarised again on next use; names resolved through it
        may resolve differently now, so every resolution is forgotten (cheap to redo).
        """
        resolved = self.real(path)
        if data is None:
            self._sources.pop(resolved, None)
        else:
            self._sources[resolved] = data
        for name, located in self._paths.items():
            if located is not None and self.real(located) == resolved:
                self.summaries.pop(name, None)
        if resolved in self.checked:
            self.summaries.pop(self.checked[resolved], None)
        self._resolved.clear()

    def locate(self, module: str) -> str | None:
        """The source of ``module``: ``a/b.py``, ``a/b/__init__.py``, or the folder of a
        namespace package; None when it is not found or is never read (torch, stdlib)."""
        if module in self._paths:
            return self._paths[module]
        found: str | None = None
        head, _, last = module.rpartition(".")
        if not head:
            if module and (module not in sys.stdlib_module_names or module in self._checked_tops):
                found = next(
                    (f for root in self.roots if (f := _module_file(root, module)) is not None),
                    None,
                )
        else:
            # A submodule lives in its package's folder: one place to look, not every root.
            parent = self.locate(head)
            if parent is not None:
                folder = parent if os.path.isdir(parent) else os.path.dirname(parent)
                if parent == folder or os.path.basename(parent) == "__init__.py":
                    found = _module_file(folder, last)
        self._paths[module] = found
        return found

    def module(self, name: str) -> ModuleSummary | None:
        """The summary of module ``name``, read on first use."""
        if name in self.summaries:
            return self.summaries[name]
        self.summaries[name] = None  # guards against import cycles while reading
        path = self.locate(name)
        summary = None
        opaque = name.split(".")[0] in OPAQUE_PACKAGES
        if path is not None and (
            os.path.isdir(path)
            or (opaque and str(Path(os.path.realpath(path))) not in self.checked)
        ):
            # A namespace package, or torch's own code: known to exist, never read (its
            # checked files excepted, for those who lint torch itself).
            summary = ModuleSummary(name, path, (), (), (), (), frozenset(), (), "")
        elif path is not None:
            resolved = str(Path(os.path.realpath(path)))
            data = self._sources.get(resolved)
            if data is None:
                try:
                    data = read_regular(path)
                except OSError:
                    data = None
            if data is not None:
                summary = self._summary(data, path, name)
        self.summaries[name] = summary
        return summary

    def module_for_file(self, path: str) -> ModuleSummary | None:
        """The summary of a checked file."""
        name = self.checked.get(self.real(path))
        if name is None:
            return None
        summary = self.module(name)
        if summary is not None and self.real(summary.path) != self.real(path):
            # Another file of the same name shadows it on the path: read this one.
            data = self._sources.get(self.real(path))
            if data is None:
                return summary
            summary = self._summary(data, path, name)
        return summary

    def resolve(self, qualified: str, depth: int = 0) -> Entity | None:
        """What a qualified name denotes: a module, a class, a function, or a class member.

        Tries the longest module prefix first, then follows re-exports and star imports.
        """
        if depth > 8 or not qualified:
            return None
        if qualified in self._resolved:
            return self._resolved[qualified]
        self._resolved[qualified] = None  # re-export cycles resolve to nothing
        parts = qualified.split(".")
        found = None
        deepest: tuple[ModuleSummary, int] | None = None
        for cut in range(1, len(parts) + 1):
            module = self.module(".".join(parts[:cut]))
            if module is None:
                break
            deepest = (module, cut)
        if deepest is not None:
            found = self._inside(deepest[0], parts[deepest[1] :], depth)
        self._resolved[qualified] = found
        return found

    def _inside(self, module: ModuleSummary, rest: list[str], depth: int) -> Entity | None:
        if not rest:
            return Entity(module)
        head, tail = rest[0], rest[1:]
        info = module.find_class(head)
        if info is not None:
            if not tail:
                return Entity(module, cls=info)
            if len(tail) == 1:
                return Entity(module, cls=info, member=tail[0])
            return None
        function = module.find_function(head)
        if function is not None:
            return Entity(module, function=function) if not tail else None
        target = module.import_target(head)
        if target is not None and target != f"{module.name}.{head}":
            return self.resolve(".".join([target, *tail]), depth + 1)
        for star in module.star_imports:
            found = self.resolve(".".join([star, *rest]), depth + 1)
            if found is not None:
                return found
        submodule = self.module(f"{module.name}.{head}")
        if submodule is not None:
            return self._inside(submodule, tail, depth + 1)
        return None


@dataclass(frozen=True)
class Entity:
    """A resolved name: a module, a module function, a class, or ``Class.member``."""

    module: ModuleSummary
    cls: ClassSummary | None = None
    function: FunctionSummary | None = None
    member: str = ""
