"""Where classes travel as values in Python code: what the project index records per function.

timm builds a model with ``build_model_with_cfg(VisionTransformer, ...)``; inside,
``model = model_cls(**kwargs)`` makes the instance and ``FeatureGetterNet(model, ...)``
wraps it, whose ``__init__`` keeps it as ``self.model``. TorchScript then compiles
``self.model.forward_intermediates`` in ``FeatureGetterNet.forward`` for the class that was
passed in. No name in ``_features.py`` says which class that is; following the values does.

This module reads one function body (standard library ``ast``, nothing runs) into facts a
whole-program solver (:mod:`tsinspect.lint.class_flow`) can join across files:

- :class:`FlowCall`: a call whose callee or arguments may be classes, with each argument's
  possible :class:`Source` (a global name, a parameter of the function, or an instance made
  by calling one of those);
- :class:`FlowStore`: ``self.<attribute> = <value>`` in ``__init__``.

Locals are followed in statement order: a branch's assignments merge with the other
branch's, a branch that returns or raises does not flow on, and a loop body runs once. A
value the reader cannot follow (a function's result, a subscript, an attribute of a local)
has no sources: it stays unknown, and unknown values carry no class.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

# Qualified names whose top package never holds a model class the index can read.
_OPAQUE_TOPS = frozenset({"torch", "functorch", "typing", "typing_extensions", "numpy", "builtins"})


@dataclass(frozen=True)
class Source:
    """One place a value may come from.

    ``kind``: ``global`` (``name`` is a qualified name) or ``param`` (``name`` is a parameter
    of the function). ``called``: the value is what calling that thing returns (an instance,
    when it is a class; nothing known, when it is a function).
    """

    kind: str
    name: str
    called: bool = False


Sources = tuple[Source, ...]


@dataclass(frozen=True)
class FlowCall:
    """A call that may pass classes or instances along, or construct one given as a value.

    ``args``: the sources of each positional argument up to the first ``*args``;
    ``keywords``: (name, sources) of each named argument (``**kwargs`` are not followed).
    """

    callee: Sources
    args: tuple[Sources, ...]
    keywords: tuple[tuple[str, Sources], ...]
    line: int
    column: int


@dataclass(frozen=True)
class FlowStore:
    """``self.<attribute> = <value>`` in ``__init__``: the instance keeps what was passed in."""

    attribute: str
    sources: Sources
    line: int


def dotted_name(node: ast.expr) -> str | None:
    """``a.b.c`` for a chain of names and attributes in the standard parser's tree, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


Env = dict[str, frozenset[Source]]

# Nodes whose subtrees hold no call this reader records: nested scopes it skips, and leaves.
_NO_CALLS_BELOW: frozenset[type[ast.AST]] = frozenset(
    {ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp}
)
_LEAVES: frozenset[type[ast.AST]] = frozenset(
    {
        ast.Name,
        ast.Constant,
        *(
            kind
            for base in (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)
            for kind in base.__subclasses__()
        ),
    }
)


class _FlowReader:
    """Follows one function body in statement order, recording calls and ``self`` stores."""

    def __init__(
        self,
        qualify: Callable[[str], str | None],
        parameters: Sequence[str],
        local: set[str],
        self_name: str | None,
        is_init: bool,
    ) -> None:
        self.qualify = qualify
        self.local = local
        self.self_name = self_name
        self.is_init = is_init
        self.calls: list[FlowCall] = []
        self.stores: list[FlowStore] = []
        self.start: Env = {
            name: frozenset({Source("param", name)}) for name in parameters if name != self_name
        }

    # --- values -------------------------------------------------------------------------
    def sources(self, node: ast.expr | None, env: Env) -> frozenset[Source]:
        if node is None:
            return frozenset()
        if isinstance(node, ast.Name):
            if node.id in env:
                return env[node.id]
            if node.id in self.local:
                return frozenset()  # a local not (yet) bound to anything followed
            return self._global(node.id)
        if isinstance(node, ast.Attribute):
            dotted = dotted_name(node)
            if dotted is None or dotted.split(".")[0] in self.local:
                return frozenset()
            return self._global(dotted)
        if isinstance(node, ast.Call):
            callee = self.sources(node.func, env)
            return frozenset(Source(s.kind, s.name, True) for s in callee if not s.called)
        if isinstance(node, ast.IfExp):
            return self.sources(node.body, env) | self.sources(node.orelse, env)
        if isinstance(node, ast.BoolOp):
            # `a or b` is one of its operands.
            found: frozenset[Source] = frozenset()
            for value in node.values:
                found |= self.sources(value, env)
            return found
        return frozenset()

    def _global(self, dotted: str) -> frozenset[Source]:
        qualified = self.qualify(dotted)
        if qualified is None or qualified.split(".")[0] in _OPAQUE_TOPS:
            return frozenset()
        return frozenset({Source("global", qualified)})

    def _calls_in(self, node: ast.AST, env: Env) -> None:
        """Record the calls in an expression (nested lambdas and comprehensions skipped)."""
        kind = type(node)
        if kind in _NO_CALLS_BELOW:
            return
        for child in ast.iter_child_nodes(node):
            # Names and constants are most of an expression's nodes; a generic visit of each
            # (a generator over its fields) was most of this reader's time.
            if type(child) not in _LEAVES:
                self._calls_in(child, env)
        if kind is not ast.Call:
            return
        node = cast(ast.Call, node)
        callee = frozenset(s for s in self.sources(node.func, env) if not s.called)
        if not callee:
            return
        args: list[Sources] = []
        for argument in node.args:
            if isinstance(argument, ast.Starred):
                break
            args.append(_sorted(self.sources(argument, env)))
        keywords = tuple(
            (keyword.arg, _sorted(self.sources(keyword.value, env)))
            for keyword in node.keywords
            if keyword.arg is not None
        )
        dynamic = any(s.kind == "param" for s in callee)
        if dynamic or any(args) or any(value for _, value in keywords):
            self.calls.append(
                FlowCall(_sorted(callee), tuple(args), keywords, node.lineno, node.col_offset + 1)
            )

    # --- statements ---------------------------------------------------------------------
    def block(self, body: Sequence[ast.stmt], env: Env) -> tuple[Env, bool]:
        """Run a block; returns the state after it and whether it always leaves (return, raise)."""
        for statement in body:
            env, leaves = self.statement(statement, env)
            if leaves:
                return env, True
        return env, False

    def statement(self, node: ast.stmt, env: Env) -> tuple[Env, bool]:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            return {**env, node.name: frozenset()}, False
        if isinstance(node, ast.Return | ast.Raise):
            self._calls_in(node, env)
            return env, True
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            value = node.value
            if value is not None:
                self._calls_in(value, env)
            found = self.sources(value, env) if not isinstance(node, ast.AugAssign) else frozenset()
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            new = dict(env)
            for target in targets:
                if isinstance(target, ast.Name):
                    new[target.id] = found
                    continue
                self._store(target, found)
                for inner in ast.walk(target):
                    if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Store):
                        new[inner.id] = frozenset()
            return new, False
        if isinstance(node, ast.If):
            self._calls_in(node.test, env)
            then, then_leaves = self.block(node.body, dict(env))
            other, other_leaves = self.block(node.orelse, dict(env))
            if then_leaves and other_leaves:
                return env, True
            if then_leaves:
                return other, False
            if other_leaves:
                return then, False
            return _merge(then, other), False
        if isinstance(node, ast.For | ast.AsyncFor | ast.While):
            self._calls_in(
                node.iter if isinstance(node, ast.For | ast.AsyncFor) else node.test, env
            )
            start = dict(env)
            if isinstance(node, ast.For | ast.AsyncFor):
                for inner in ast.walk(node.target):
                    if isinstance(inner, ast.Name):
                        start[inner.id] = frozenset()
            body, _ = self.block(node.body, start)
            after = _merge(env, body)
            rest, _ = self.block(node.orelse, after)
            return _merge(after, rest), False
        if isinstance(node, ast.With | ast.AsyncWith):
            new = dict(env)
            for item in node.items:
                self._calls_in(item.context_expr, env)
                if item.optional_vars is not None:
                    for inner in ast.walk(item.optional_vars):
                        if isinstance(inner, ast.Name):
                            new[inner.id] = frozenset()
            return self.block(node.body, new)
        if isinstance(node, ast.Try):
            body, _ = self.block(node.body, dict(env))
            merged = _merge(env, body)
            for handler in node.handlers:
                handled, _ = self.block(handler.body, dict(merged))
                merged = _merge(merged, handled)
            rest, _ = self.block(node.orelse, body)
            merged = _merge(merged, rest)
            final, leaves = self.block(node.finalbody, merged)
            return final, leaves
        if isinstance(node, ast.Expr | ast.Assert):
            self._calls_in(node, env)
            return env, False
        # Anything else (match, del, global, ...): names it binds are no longer followed.
        new = dict(env)
        for inner in ast.walk(node):
            if isinstance(inner, ast.Name) and not isinstance(inner.ctx, ast.Load):
                new[inner.id] = frozenset()
        return new, False

    def _store(self, target: ast.expr, found: frozenset[Source]) -> None:
        if (
            self.is_init
            and found
            and isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == self.self_name
        ):
            self.stores.append(FlowStore(target.attr, _sorted(found), target.lineno))


def _merge(first: Env, second: Env) -> Env:
    merged = dict(first)
    for name, value in second.items():
        merged[name] = merged.get(name, frozenset()) | value
    return merged


def _sorted(sources: frozenset[Source]) -> Sources:
    return tuple(sorted(sources, key=lambda s: (s.kind, s.name, s.called)))


def read_flows(
    node: ast.FunctionDef | ast.AsyncFunctionDef,
    qualify: Callable[[str], str | None],
    local: set[str],
    self_name: str | None,
) -> tuple[tuple[FlowCall, ...], tuple[FlowStore, ...]]:
    """The calls passing classes along and the ``self`` stores (``__init__`` only) of ``node``.

    ``qualify`` maps a dotted name to its qualified name through the module's imports;
    ``local`` holds every name the function binds (reads of these are never globals).
    """
    arguments = node.args
    parameters = [a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)]
    reader = _FlowReader(qualify, parameters, local, self_name, node.name == "__init__")
    reader.block(node.body, dict(reader.start))
    return tuple(reader.calls), tuple(reader.stores)
