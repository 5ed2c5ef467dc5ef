"""Python's name binding for one file: scopes, bindings, accesses and qualified names.

The rules ask two questions about names: what does this expression refer to
(``nn.Module`` after ``from torch import nn`` is ``torch.nn.Module``), and where
is this name bound (a module-level constant, a local assigned once...). libcst's
``ScopeProvider`` answers both, but it was half of the linter's run time on
timm: it runs a second metadata pass for expression contexts and rebuilds every
node while visiting. This module answers the same questions from one read-only
walk over the tree. It follows libcst's model and naming (so its answers match
what the rules were written and tested against):

- scopes: the module, each class body, each ``def`` and ``lambda``, each
  comprehension; names bound in a class body are invisible to the functions
  nested in it; ``global``/``nonlocal`` redirect bindings and lookups;
- a binding per assignment target, ``def``, ``class``, parameter, ``for``/``with``/
  ``except`` target and imported name (``import a.b`` binds ``a.b`` and ``a``);
- qualified names as PEP 3155 extended by libcst: ``torch.nn.Module``,
  ``builtins.print``, ``Net.forward.<locals>.y``, ``helper``.

Differences from libcst, all on code TorchScript rejects or never sees: names
inside string annotations are not read, PEP 695 type parameters get no scope of
their own, and a read is resolved against every binding of its scope, not only
the ones before it (libcst's order filter matters only for reads before the
first binding in the same scope, an ``UnboundLocalError`` at run time).
"""

from __future__ import annotations

import builtins
import dataclasses
import enum
import functools
from collections.abc import Callable, Iterator
from typing import Any

import libcst as cst

from tsinspect.lint.traversal import syntax_fields

__all__ = ["Access", "Binding", "FileScopes", "Scope", "ScopeKind", "analyze_scopes", "full_name"]


class ScopeKind(enum.Enum):
    """What opened a scope."""

    MODULE = "module"
    CLASS = "class"
    FUNCTION = "function"
    COMPREHENSION = "comprehension"
    BUILTINS = "builtins"


@dataclasses.dataclass(eq=False)
class Access:
    """A read of a name (or of a dotted name bound by ``import a.b``)."""

    node: cst.CSTNode
    scope: Scope
    is_annotation: bool
    is_type_hint: bool
    referents: tuple[Binding, ...] = ()


@dataclasses.dataclass(eq=False)
class Binding:
    """One place a name is bound.

    ``node``: the bound ``Name`` (assignment, ``for``, ``with``, ``except`` and
    walrus targets), the ``FunctionDef``/``ClassDef``, the ``Param``, or the
    whole ``Import``/``ImportFrom`` statement for an imported name (``alias`` is
    then the alias's name node). None for builtins.
    """

    name: str
    scope: Scope
    node: cst.CSTNode | None
    alias: cst.CSTNode | None = None
    references: list[Access] = dataclasses.field(default_factory=list)

    @property
    def is_import(self) -> bool:
        """True for a name bound by ``import`` or ``from ... import``."""
        return isinstance(self.node, cst.Import | cst.ImportFrom)

    @property
    def is_builtin(self) -> bool:
        """True for a Python builtin (``print``, ``int``...), bound by no statement of the file."""
        return self.scope.kind is ScopeKind.BUILTINS

    def qualified_names(self, full: str) -> set[str]:
        """The qualified names of the dotted name ``full`` whose head this binding binds."""
        if self.scope.kind is ScopeKind.BUILTINS:
            return {f"builtins.{self.name}"}
        if isinstance(self.node, cst.Import | cst.ImportFrom):
            return _import_qualified_names(self.node, full)
        prefix = self.scope.prefix
        return {f"{prefix}.{full}" if prefix else full}


class Scope:
    """A namespace: what is bound in it, and where lookups go next."""

    __slots__ = ("_builtins", "bindings", "kind", "name", "node", "overrides", "parent", "prefix")

    def __init__(
        self,
        kind: ScopeKind,
        parent: Scope | None,
        node: cst.CSTNode | None,
        name: str | None = None,
    ) -> None:
        self.kind = kind
        self.parent = parent
        self.node = node
        self.name = name
        self.bindings: dict[str, list[Binding]] = {}
        # `global x` / `nonlocal x`: the scope that binds and resolves x instead of this one.
        self.overrides: dict[str, Scope] = {}
        self._builtins: dict[str, Binding] = {}
        if parent is None or kind is ScopeKind.MODULE:
            self.prefix = ""
        elif kind is ScopeKind.CLASS:
            self.prefix = _join(parent.prefix, name)
        elif kind is ScopeKind.FUNCTION:
            self.prefix = _join(parent.prefix, name, "<locals>")
        else:
            self.prefix = _join(parent.prefix, "<comprehension>")

    def __repr__(self) -> str:
        return f"Scope({self.kind.value}, {self.prefix or self.name or ''!r})"

    @property
    def module(self) -> Scope:
        """The module scope this scope belongs to."""
        scope = self
        while scope.kind is not ScopeKind.MODULE:
            assert scope.parent is not None
            scope = scope.parent
        return scope

    def __contains__(self, name: str) -> bool:
        return bool(self[name])

    def __getitem__(self, name: str) -> tuple[Binding, ...]:
        """Every binding a read of ``name`` in this scope may refer to (empty when unbound)."""
        return self._resolve(name, self)

    def all_bindings(self) -> Iterator[Binding]:
        """The bindings made in this scope itself."""
        for bindings in self.bindings.values():
            yield from bindings

    # --- lookup ------------------------------------------------------------------------------
    def _resolve(self, name: str, origin: Scope) -> tuple[Binding, ...]:
        if self.kind is ScopeKind.BUILTINS:
            return self._builtin(name)
        override = self.overrides.get(name)
        if override is not None:
            return override._visible(origin)._resolve(name, origin)
        found = self.bindings.get(name)
        if found:
            return tuple(found)
        assert self.parent is not None
        return self.parent._visible(origin)._resolve(name, origin)

    def _visible(self, origin: Scope) -> Scope:
        """This scope or the first enclosing one that ``origin`` can see (class bodies are skipped)."""
        scope = self
        while scope.kind is ScopeKind.CLASS and scope is not origin:
            assert scope.parent is not None
            scope = scope.parent
        return scope

    def _builtin(self, name: str) -> tuple[Binding, ...]:
        binding = self._builtins.get(name)
        if binding is None:
            if not hasattr(builtins, name):
                return ()
            binding = self._builtins[name] = Binding(name, self, None)
        return (binding,)

    # --- recording ---------------------------------------------------------------------------
    def bind(self, name: str, node: cst.CSTNode, alias: cst.CSTNode | None = None) -> None:
        """Record that ``node`` binds ``name`` here (or where ``global``/``nonlocal`` sends it)."""
        target = self._binding_target(name)
        target.bindings.setdefault(name, []).append(Binding(name, target, node, alias))

    def _binding_target(self, name: str) -> Scope:
        override = self.overrides.get(name)
        if override is not None:
            return override._visible(self)._binding_target(name)
        return self


def _join(*parts: str | None) -> str:
    return ".".join(part for part in parts if part)


# ------------------------------------------------------------------------------------------
# names
# ------------------------------------------------------------------------------------------


def full_name(node: cst.CSTNode) -> str | None:
    """The dotted name an expression spells (``a.b.c``; a call or subscript by its callee/value)."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        # libcst spells an attribute of an unnamed value "None.attr"; it resolves to nothing.
        return f"{full_name(node.value)}.{node.attr.value}"
    if isinstance(node, cst.Call):
        return full_name(node.func)
    if isinstance(node, cst.Subscript):
        return full_name(node.value)
    if isinstance(node, cst.FunctionDef | cst.ClassDef):
        return node.name.value
    if isinstance(node, cst.Decorator):
        return full_name(node.decorator)
    return None


def _dotted_names(node: cst.BaseExpression) -> Iterator[tuple[str, cst.CSTNode]]:
    """``a.b.c`` -> ("a.b.c", node), ("a.b", ...), ("a", ...): longest first (calls look through)."""
    if isinstance(node, cst.Name):
        yield node.value, node
        return
    if not isinstance(node, cst.Attribute):
        return
    value = node.value
    if isinstance(value, cst.Call):
        value = value.func
        if isinstance(value, cst.Attribute | cst.Name):
            yield from _dotted_names(value)
        return
    if isinstance(value, cst.Attribute | cst.Name):
        inner = list(_dotted_names(value))
        if inner:
            yield f"{inner[0][0]}.{node.attr.value}", node
            yield from inner


def _import_module(node: cst.Import | cst.ImportFrom) -> str:
    if not isinstance(node, cst.ImportFrom):
        return ""
    module = full_name(node.module) if node.module is not None else ""
    return "." * len(node.relative) + (module or "")


def _import_qualified_names(node: cst.Import | cst.ImportFrom, full: str) -> set[str]:
    """What the dotted name ``full`` means given the import statement that binds its head."""
    module = _import_module(node)
    results: set[str] = set()
    if isinstance(node.names, cst.ImportStar):
        return results
    for alias in node.names:
        imported = full_name(alias.name)
        if not imported:
            continue
        parts = imported.split(".")
        for end in range(len(parts), 0, -1):
            real_name = ".".join(parts[:end])
            as_name = real_name
            if module.endswith("."):
                real_name = f"{module}{real_name}"
            elif module:
                real_name = f"{module}.{real_name}"
            if alias.asname is not None:
                evaluated = alias.evaluated_alias
                if evaluated is not None:
                    as_name = evaluated
            if full.startswith(as_name):
                remaining = full.split(as_name, 1)[1]
                if remaining and not remaining.startswith("."):
                    continue
                remaining = remaining.lstrip(".")
                results.add(f"{real_name}.{remaining}" if remaining else real_name)
                break
    return results


def _binds_node(node: cst.CSTNode, binding: Binding) -> bool:
    """True when ``node`` is the definition a binding records (or a name in its import)."""
    if node is binding.node:
        return True
    statement = binding.node
    if isinstance(statement, cst.Import | cst.ImportFrom) and not isinstance(
        statement.names, cst.ImportStar
    ):
        for alias in statement.names:
            if alias.name is node or (alias.asname is not None and alias.asname.name is node):
                return True
    return False


# ------------------------------------------------------------------------------------------
# the file's scopes
# ------------------------------------------------------------------------------------------


class FileScopes:
    """The scopes of one module: which scope each node is read in, and what names mean."""

    def __init__(self, module_scope: Scope) -> None:
        self.module_scope = module_scope
        # libcst nodes hash and compare by identity.
        self.scope_of: dict[cst.CSTNode, Scope] = {}
        self.accesses: list[Access] = []
        self.access_at: dict[cst.CSTNode, list[Access]] = {}
        # Rules ask about the same callee many times (each rule, each visit): answer once.
        self._qualified: dict[cst.CSTNode, frozenset[str]] = {}

    def scope(self, node: cst.CSTNode) -> Scope | None:
        """The scope ``node`` is evaluated in; None for nodes no scope reads (an attribute's
        name, a keyword, the names inside an import statement)."""
        return self.scope_of.get(node)

    def bindings_of(self, name: cst.Name) -> tuple[Binding, ...]:
        """Every binding a read of ``name`` may refer to (empty when unbound or not a read)."""
        scope = self.scope_of.get(name)
        return scope[name.value] if scope is not None else ()

    def sole_binding(self, name: cst.Name) -> Binding | None:
        """The binding a read of ``name`` refers to, when there is exactly one."""
        bindings = self.bindings_of(name)
        return bindings[0] if len(bindings) == 1 else None

    def qualified_names(self, node: cst.CSTNode) -> frozenset[str]:
        """Fully qualified names the expression may refer to; empty when unknown."""
        names = self._qualified.get(node)
        if names is None:
            names = self._qualified[node] = self._qualified_names(node)
        return names

    def _qualified_names(self, node: cst.CSTNode) -> frozenset[str]:
        scope = self.scope_of.get(node)
        if scope is None:
            return frozenset()
        accesses = self.access_at.get(node)
        if accesses:
            return frozenset(
                name
                for access in accesses
                for referent in access.referents
                for name in referent.qualified_names(referent.name)
            )
        full = full_name(node)
        if full is None:
            return frozenset()
        bindings: tuple[Binding, ...] = ()
        prefix: str | None = full
        while prefix:
            bindings = scope[prefix]
            if bindings:
                break
            cut = prefix.rfind(".")
            prefix = prefix[:cut] if cut != -1 else None
        for binding in bindings:
            if not binding.is_builtin and _binds_node(node, binding):
                return frozenset(binding.qualified_names(full))
        return frozenset(name for binding in bindings for name in binding.qualified_names(full))


def analyze_scopes(module: cst.Module) -> FileScopes:
    """Scopes, bindings and resolved reads of a whole module, from one walk over it."""
    builtin_scope = Scope(ScopeKind.BUILTINS, None, None)
    module_scope = Scope(ScopeKind.MODULE, builtin_scope, module)
    walker = _ScopeWalker(FileScopes(module_scope))
    walker.walk_module(module)
    return walker.finish()


@functools.cache
def _child_fields(cls: type[cst.CSTNode]) -> tuple[str, ...]:
    """The fields that may hold syntax (no whitespace or punctuation), for names to live in."""
    fields = syntax_fields(cls)
    if fields is None:  # a node shape traversal.py does not know: every dataclass field
        fields = tuple(field.name for field in dataclasses.fields(cls))
    return fields


def _concrete_node_types() -> frozenset[type]:
    found: set[type] = set()
    pending: list[type] = [cst.CSTNode]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        found.add(cls)
    return frozenset(found)


# Leaves no name lives in. Exact types, not isinstance: libcst's base classes are ABCs, and
# an ABC isinstance check per child was a tenth of the walk.
_LEAVES = frozenset(
    cls
    for cls in _concrete_node_types()
    if issubclass(
        cls,
        cst.SimpleString
        | cst.Integer
        | cst.Float
        | cst.Imaginary
        | cst.Ellipsis
        | cst.BaseParenthesizableWhitespace
        | cst.TrailingWhitespace
        | cst.EmptyLine
        | cst.Newline
        | cst.Comment,
    )
)
_NODES = _concrete_node_types() - _LEAVES


class _ScopeWalker:
    """One recursive walk that opens scopes, records bindings and reads, and tags each node."""

    def __init__(self, scopes: FileScopes) -> None:
        self.scopes = scopes
        self.scope = scopes.module_scope
        self.in_annotation = False
        self.in_type_hint = False
        self.top_attribute: cst.Attribute | None = None
        self._reads: list[tuple[cst.Name, Scope, bool, bool, cst.Attribute | None]] = []

    # --- entry points ------------------------------------------------------------------------
    def walk_module(self, module: cst.Module) -> None:
        self._tag(module)
        for statement in module.body:
            self.visit(statement)

    def finish(self) -> FileScopes:
        scopes = self.scopes
        by_scope_name: dict[tuple[int, str], tuple[Scope, list[Access]]] = {}
        for name_node, scope, annotation, type_hint, attribute in self._reads:
            node: cst.CSTNode = name_node
            name = name_node.value
            if attribute is not None:
                # `import a.b` binds the dotted name: `a.b.c` is then read as `a.b`.
                for dotted, dotted_node in _dotted_names(attribute):
                    if dotted in scope:
                        node, name = dotted_node, dotted
                        break
            access = Access(node, scope, annotation, type_hint, scope[name])
            scopes.accesses.append(access)
            scopes.access_at.setdefault(node, []).append(access)
            by_scope_name.setdefault((id(scope), name), (scope, []))[1].append(access)
        for (_, name), (scope, accesses) in by_scope_name.items():
            for binding in scope[name]:
                binding.references.extend(accesses)
        return scopes

    # --- helpers -----------------------------------------------------------------------------
    def _tag(self, node: cst.CSTNode) -> None:
        self.scopes.scope_of[node] = self.scope

    def _in_scope(self, scope: Scope, nodes: list[cst.CSTNode | None]) -> None:
        outer, self.scope = self.scope, scope
        try:
            for node in nodes:
                if node is not None:
                    self.visit(node)
        finally:
            self.scope = outer

    def _children(self, node: cst.CSTNode) -> None:
        nodes = _NODES
        for name in _child_fields(type(node)):
            value = getattr(node, name)
            kind = type(value)
            if kind in nodes:
                self.visit(value)
            elif kind is list or kind is tuple:
                for item in value:
                    if type(item) in nodes:
                        self.visit(item)

    def _store(self, target: cst.CSTNode) -> None:
        """An assignment target: bare names (also inside tuples/lists/stars) are bound; the
        rest (``self.x``, ``a[i]``) is read."""
        if isinstance(target, cst.Name):
            self._tag(target)
            self.scope.bind(target.value, target)
        elif isinstance(target, cst.Tuple | cst.List):
            self._tag(target)
            for element in target.elements:
                self._tag(element)
                self._store(element.value)
        elif isinstance(target, cst.StarredElement):
            self._tag(target)
            self._store(target.value)
        else:
            self.visit(target)

    # --- the walk ----------------------------------------------------------------------------
    def visit(self, node: cst.CSTNode) -> None:
        handler = _HANDLERS.get(type(node))
        if handler is not None:
            handler(self, node)
        else:
            self._children(node)
        self._tag(node)

    def _name(self, node: cst.Name) -> None:
        self._reads.append(
            (node, self.scope, self.in_annotation, self.in_type_hint, self.top_attribute)
        )

    def _attribute(self, node: cst.Attribute) -> None:
        outer = self.top_attribute
        if outer is None:
            self.top_attribute = node
        self.visit(node.value)
        self.top_attribute = outer

    def _call(self, node: cst.Call) -> None:
        outer, hint = self.top_attribute, self.in_type_hint
        self.top_attribute, self.in_type_hint = None, False
        self._children(node)
        self.top_attribute, self.in_type_hint = outer, hint

    def _subscript(self, node: cst.Subscript) -> None:
        hint = self.in_type_hint
        if isinstance(node.value, cst.Name):
            # `List[...]`, `Optional[...]`: what is inside the brackets is a type.
            for binding in self.scope[node.value.value]:
                if isinstance(binding.node, cst.ImportFrom) and any(
                    name.startswith(("typing.", "typing_extensions."))
                    for name in binding.qualified_names(node.value.value)
                ):
                    self.in_type_hint = True
        self._children(node)
        self.in_type_hint = hint

    def _annotation(self, node: cst.Annotation) -> None:
        outer, self.in_annotation = self.in_annotation, True
        self.visit(node.annotation)
        self.in_annotation = outer

    def _import(self, node: cst.Import | cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            self._tag(alias)
            bound: cst.BaseExpression = (
                alias.asname.name if alias.asname is not None else alias.name
            )
            if isinstance(bound, cst.Name | cst.Attribute):
                for dotted, _ in _dotted_names(bound):
                    self.scope.bind(dotted, node, bound)

    def _arg(self, node: cst.Arg) -> None:
        self.visit(node.value)

    def _function(self, node: cst.FunctionDef) -> None:
        self.scope.bind(node.name.value, node)
        self._tag(node.name)
        function = Scope(ScopeKind.FUNCTION, self.scope, node, node.name.value)
        self._in_scope(function, [node.params, node.body])
        for decorator in node.decorators:
            self.visit(decorator)
        if node.returns is not None:
            self.visit(node.returns)

    def _lambda(self, node: cst.Lambda) -> None:
        self._in_scope(Scope(ScopeKind.FUNCTION, self.scope, node), [node.params, node.body])

    def _param(self, node: cst.Param) -> None:
        self.scope.bind(node.name.value, node)
        self._tag(node.name)
        assert self.scope.parent is not None
        self._in_scope(self.scope.parent, [node.default, node.annotation])

    def _class(self, node: cst.ClassDef) -> None:
        self.scope.bind(node.name.value, node)
        self._tag(node.name)
        for decorator in node.decorators:
            self.visit(decorator)
        for base in node.bases:
            self.visit(base)
        for keyword in node.keywords:
            self.visit(keyword)
        body = Scope(ScopeKind.CLASS, self.scope, node, node.name.value)
        self._in_scope(body, list(node.body.body))

    def _global(self, node: cst.Global) -> None:
        for item in node.names:
            self.scope.overrides[item.name.value] = self.scope.module

    def _nonlocal(self, node: cst.Nonlocal) -> None:
        if self.scope.parent is not None:
            for item in node.names:
                self.scope.overrides[item.name.value] = self.scope.parent

    def _comprehension(
        self, node: cst.ListComp | cst.SetComp | cst.DictComp | cst.GeneratorExp
    ) -> None:
        for_in = node.for_in
        self.visit(for_in.iter)
        self._tag(for_in)
        outer, self.scope = self.scope, Scope(ScopeKind.COMPREHENSION, self.scope, node)
        try:
            self._store(for_in.target)
            for condition in for_in.ifs:
                self.visit(condition)
            if for_in.inner_for_in is not None:
                self.visit(for_in.inner_for_in)
            if isinstance(node, cst.DictComp):
                self.visit(node.key)
                self.visit(node.value)
            else:
                self.visit(node.elt)
        finally:
            self.scope = outer

    def _comp_for(self, node: cst.CompFor) -> None:
        self.visit(node.iter)
        self._store(node.target)
        for condition in node.ifs:
            self.visit(condition)
        if node.inner_for_in is not None:
            self.visit(node.inner_for_in)

    def _assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._tag(target)
            self._store(target.target)
        self.visit(node.value)

    def _ann_assign(self, node: cst.AnnAssign) -> None:
        self._store(node.target)
        self.visit(node.annotation)
        if node.value is not None:
            self.visit(node.value)

    def _aug_assign(self, node: cst.AugAssign) -> None:
        self._store(node.target)
        self.visit(node.value)

    def _named_expr(self, node: cst.NamedExpr) -> None:
        self._store(node.target)
        self.visit(node.value)

    def _for(self, node: cst.For) -> None:
        self._store(node.target)
        self.visit(node.iter)
        self.visit(node.body)
        if node.orelse is not None:
            self.visit(node.orelse)

    def _as_name(self, node: cst.AsName) -> None:
        self._store(node.name)

    def _skip(self, node: cst.CSTNode) -> None:
        return None


_HANDLERS: dict[type[cst.CSTNode], Callable[[_ScopeWalker, Any], None]] = {
    cst.Name: _ScopeWalker._name,
    cst.Attribute: _ScopeWalker._attribute,
    cst.Call: _ScopeWalker._call,
    cst.Subscript: _ScopeWalker._subscript,
    cst.Annotation: _ScopeWalker._annotation,
    cst.Import: _ScopeWalker._import,
    cst.ImportFrom: _ScopeWalker._import,
    cst.Arg: _ScopeWalker._arg,
    cst.FunctionDef: _ScopeWalker._function,
    cst.Lambda: _ScopeWalker._lambda,
    cst.Param: _ScopeWalker._param,
    cst.ClassDef: _ScopeWalker._class,
    cst.Global: _ScopeWalker._global,
    cst.Nonlocal: _ScopeWalker._nonlocal,
    cst.ListComp: _ScopeWalker._comprehension,
    cst.SetComp: _ScopeWalker._comprehension,
    cst.DictComp: _ScopeWalker._comprehension,
    cst.GeneratorExp: _ScopeWalker._comprehension,
    cst.CompFor: _ScopeWalker._comp_for,
    cst.Assign: _ScopeWalker._assign,
    cst.AnnAssign: _ScopeWalker._ann_assign,
    cst.AugAssign: _ScopeWalker._aug_assign,
    cst.NamedExpr: _ScopeWalker._named_expr,
    cst.For: _ScopeWalker._for,
    cst.AsName: _ScopeWalker._as_name,
    cst.SimpleString: _ScopeWalker._skip,
}
