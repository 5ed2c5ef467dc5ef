"""What TorchScript compiles across files: the program-wide reach over the project index.

:mod:`tsinspect.lint.reach` decides reach inside one file from its libcst tree; this module
decides what crosses files, from the :class:`~tsinspect.lint.index.ModuleSummary` of every
module involved, following what ``torch.jit.script`` follows
(``pytorch@v2.13.0:torch/jit/_recursive.py``):

- a class is an ``nn.Module`` when a base, in any file and under any alias, is one;
- a module's roots are its ``forward`` (looked up along its bases, wherever they are
  defined), its ``@torch.jit.export`` methods and properties, and its forward hooks; every
  submodule it creates in ``__init__`` is compiled with it (``create_script_module_impl``
  scripts each child), and so are the submodule's roots;
- compiled code compiles the module functions and plain classes it refers to, wherever they
  are imported from, ``Class.method`` calls, and ``self.<submodule>.<method>(...)`` calls
  when the submodule's class is known;
- ``@torch.jit.script`` functions and classes, and ``torch.jit.script(fn)`` at module level.

The result, per module, is a :class:`FileFacts`: what the file's own analysis cannot know
(its classes that are modules through bases elsewhere, its functions reached from other
files). A file outside the checked paths (a library's code reached from the user's model)
is linted with only what is reached in it, and its findings are reported at the checked
line where the compile path enters the library (:attr:`ReachedFunction.entry`).

An unresolved name compiles nothing: the index never guesses.
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from tsinspect.lint.class_flow import ClassFlow, Origin
from tsinspect.lint.facts import AnnotatedAttribute, Entry, FileFacts, ReachedFunction
from tsinspect.lint.index import (
    ClassSummary,
    FunctionSummary,
    ModuleSummary,
    ProjectIndex,
    Reference,
    SummaryStore,
)
from tsinspect.lint.reach import (
    EXPORT_DECORATORS,
    IGNORE_DECORATORS,
    NN_MODULE_BASES,
    SCRIPT_DECORATORS,
    is_nn_base,
)


@dataclass(frozen=True)
class _Owner:
    module: ModuleSummary
    cls: ClassSummary


@dataclass(frozen=True)
class _Item:
    owner: _Owner | None
    module: ModuleSummary
    function: FunctionSummary
    reach: tuple[str, ...]
    entry: Entry | None
    crossed: bool


@dataclass
class Program:
    """The program-wide reach over ``index``, rooted in the modules of ``checked_paths``."""

    index: ProjectIndex
    checked_modules: list[ModuleSummary]
    _modules: dict[tuple[str, str], bool] = field(default_factory=dict)
    _reached: dict[str, dict[tuple[str, int], ReachedFunction]] = field(default_factory=dict)
    _module_classes: dict[str, set[str]] = field(default_factory=dict)
    _library: dict[str, ModuleSummary] = field(default_factory=dict)
    _annotated: dict[str, list[AnnotatedAttribute]] = field(default_factory=dict)
    _seen: set[tuple[str, str, str, int]] = field(default_factory=set)
    _queue: deque[_Item] = field(default_factory=deque)
    _flow: ClassFlow | None = None
    # Calls through attributes that hold a passed-in class, walked after everything else:
    # a function TorchScript reaches both ways keeps the path that needs no value flow.
    _deferred: list[tuple[_Item, Reference]] = field(default_factory=list)
    _flow_phase: bool = False
    # Functions (module, key, index) the walk reached before any value flow.
    _plain: set[tuple[str, str, int]] = field(default_factory=set)

    @functools.cached_property
    def checked_names(self) -> frozenset[str]:
        """Module names of the checked files (asked at every step of the walk: built once)."""
        return frozenset(m.name for m in self.checked_modules)

    # --- classes ------------------------------------------------------------------------
    def base_classes(self, module: ModuleSummary, cls: ClassSummary) -> Iterator[_Owner]:
        """The bases the index can resolve to a class, in order."""
        for name, _, _ in cls.bases:
            if name in NN_MODULE_BASES:
                # nn.Module's own methods are not compiled (TorchScript rejects
                # `self.parameters()` and friends); nothing is looked up there.
                continue
            entity = self.index.resolve(name)
            if entity is not None and entity.cls is not None and not entity.member:
                yield _Owner(entity.module, entity.cls)

    def is_module(self, module: ModuleSummary, cls: ClassSummary, depth: int = 0) -> bool:
        """True when a base, in any file, is ``torch.nn.Module`` (under any alias)."""
        key = (module.name, cls.name)
        if key in self._modules:
            return self._modules[key]
        self._modules[key] = False  # cycles in broken code
        found = any(is_nn_base(name) for name, _, _ in cls.bases)
        if not found and depth < 32:
            found = any(
                self.is_module(base.module, base.cls, depth + 1)
                for base in self.base_classes(module, cls)
            )
        self._modules[key] = found
        return found

    def mro(self, owner: _Owner) -> list[_Owner]:
        """This class, then its resolvable bases depth first (Python's MRO for simple trees)."""
        order: list[_Owner] = []
        seen: set[tuple[str, str]] = set()
        stack = [owner]
        while stack and len(order) < 64:
            current = stack.pop(0)
            key = (current.module.name, current.cls.name)
            if key in seen:
                continue
            seen.add(key)
            order.append(current)
            stack = [*self.base_classes(current.module, current.cls), *stack]
        return order

    def lookup(self, owner: _Owner, name: str) -> tuple[_Owner, tuple[FunctionSummary, ...]] | None:
        """The class along ``owner``'s MRO that defines ``name``, and its defs."""
        for cls in self.mro(owner):
            defs = cls.cls.methods_named(name)
            if defs:
                return cls, defs
        return None

    # --- the walk -----------------------------------------------------------------------
    def _lookup_for_flow(
        self, module: ModuleSummary, cls: ClassSummary, name: str
    ) -> tuple[ModuleSummary, ClassSummary, tuple[FunctionSummary, ...]] | None:
        found = self.lookup(_Owner(module, cls), name)
        return None if found is None else (found[0].module, found[0].cls, found[1])

    @property
    def flow(self) -> ClassFlow:
        """The classes passed along as values (solved on first use: most programs never ask)."""
        if self._flow is None:
            self._flow = ClassFlow(self.index, self._lookup_for_flow).solve(self.checked_modules)
        return self._flow

    def run(self) -> Program:
        """Walk from every root of the checked modules."""
        for module in self.checked_modules:
            for cls in module.classes:
                owner = _Owner(module, cls)
                if self.is_module(module, cls) and self._mark_class(owner):
                    if not any(is_nn_base(n) for n, _, _ in cls.bases) and not self._local_base(
                        module, cls
                    ):
                        self._module_classes.setdefault(module.name, set()).add(cls.name)
                    self._module_roots(owner, (), None, crossed=False)
                    self._annotated_attributes(owner)
                elif not cls.decorators.isdisjoint(SCRIPT_DECORATORS):
                    self._class_roots(owner, (), None, crossed=False)
            for function in module.functions:
                if not function.decorators.isdisjoint(SCRIPT_DECORATORS):
                    self._push(None, module, function, (), None, crossed=False)
            for reference in module.script_calls:
                self._global(module, reference.target, (), None, crossed=False)
        while self._queue or self._deferred:
            while self._queue:
                self._visit(self._queue.popleft())
            self._flow_phase = True
            deferred, self._deferred = self._deferred, []
            for item, reference in deferred:
                self._flowed_member(item, reference)
        return self

    def _annotated_attributes(self, owner: _Owner) -> None:
        """Class annotations of instance attributes: TorchScript compiles the annotated class.

        Like ``torch.jit._recursive.get_annotations``, the annotations are those of the first
        class along the MRO that has any. A class that inherits or is a dataclass cannot be
        compiled (measured: "Error inferring type", "Failed to get source"), and is recorded
        for the rule to report; any other class is compiled whole, as a TorchScript class.
        """
        mro = self.mro(owner)
        annotated = next((cls for cls in mro if cls.cls.annotations), None)
        if annotated is None:
            return
        assigned = frozenset().union(*(cls.cls.init_attributes for cls in mro))
        for attribute, target, line, column in annotated.cls.annotations:
            if attribute not in assigned:
                continue
            entity = self.index.resolve(target)
            if entity is None or entity.cls is None or entity.member:
                continue
            if self.is_module(entity.module, entity.cls):
                continue
            reason = self._uncompilable(entity.module, entity.cls)
            if reason:
                if annotated.module.name in self.checked_names:
                    self._annotated.setdefault(annotated.module.name, []).append(
                        AnnotatedAttribute(
                            annotated.cls.name, attribute, line, entity.cls.name, reason
                        )
                    )
                continue
            typed = _Owner(entity.module, entity.cls)
            if self._mark_class(typed):
                self._class_roots(
                    typed,
                    (f"{annotated.cls.name}.{attribute}: {entity.cls.name}",),
                    self._entry(annotated.module, entity.module, line, column, None),
                    crossed=entity.module is not owner.module,
                )

    def _uncompilable(self, module: ModuleSummary, cls: ClassSummary) -> str:
        """Why TorchScript cannot compile ``cls`` as a TorchScript class ("" if it may).

        Only bases the index resolves to a class count: enums, named tuples and exceptions
        (stdlib or typing bases) are types TorchScript knows without compiling them.
        """
        for base in self.base_classes(module, cls):
            return f"it inherits from {base.cls.name}"
        if not cls.decorators.isdisjoint(DATACLASS_DECORATORS):
            return "it is a dataclass"
        return ""

    def _local_base(self, module: ModuleSummary, cls: ClassSummary) -> bool:
        """True when the file alone shows the class is a module (a same-file module base)."""
        for name, _, _ in cls.bases:
            local = name.rpartition(".")[0] == module.name
            base = module.find_class(name.rpartition(".")[2]) if local else None
            if (
                base is not None
                and base is not cls
                and (any(is_nn_base(n) for n, _, _ in base.bases) or self._local_base(module, base))
            ):
                return True
        return False

    def _entry(
        self,
        current: ModuleSummary,
        target: ModuleSummary,
        line: int,
        column: int,
        entry: Entry | None,
    ) -> Entry | None:
        if entry is not None:
            return entry
        checked = self.checked_names
        if current.name in checked and target.name not in checked:
            return Entry(current.path, line, column)
        return None

    def _push(
        self,
        owner: _Owner | None,
        module: ModuleSummary,
        function: FunctionSummary,
        path: tuple[str, ...],
        entry: Entry | None,
        *,
        crossed: bool,
        root: bool = False,
    ) -> None:
        if not function.decorators.isdisjoint(IGNORE_DECORATORS):
            return
        if root and function.is_stub:
            return
        owner_key = f"{owner.module.name}.{owner.cls.name}" if owner else ""
        key = (owner_key, module.name, function.key, function.index)
        if key in self._seen:
            return
        self._seen.add(key)
        label = function.key
        if path and module.name not in self.checked_names:
            label = f"{module.name}.{function.key}"
        self._queue.append(_Item(owner, module, function, (*path, label), entry, crossed))

    def _module_roots(
        self, owner: _Owner, path: tuple[str, ...], entry: Entry | None, *, crossed: bool
    ) -> None:
        """A compiled ``nn.Module``: forward, exports, properties, hooks and submodules."""
        here = owner.module
        found = self.lookup(owner, "forward")
        if found is not None:
            defining, defs = found
            for function in defs:
                self._push(
                    owner,
                    defining.module,
                    function,
                    path,
                    self._entry(here, defining.module, owner.cls.line, 1, entry),
                    crossed=crossed or defining.module is not here,
                    root=True,
                )
        for cls in self.mro(owner):
            unused = cls.cls.unused_properties
            for function in cls.cls.methods:
                if not function.decorators.isdisjoint(EXPORT_DECORATORS) or (
                    function.is_property and function.name not in unused
                ):
                    self._push(
                        owner,
                        cls.module,
                        function,
                        path,
                        self._entry(here, cls.module, owner.cls.line, 1, entry),
                        crossed=crossed or cls.module is not here,
                    )
        for hook in owner.cls.hooks:
            if hook.kind == "self":
                self._self_method(owner, hook.target, path, entry, hook.line, hook.column, crossed)
            else:
                self._global(here, hook.target, path, entry, crossed=crossed, line=hook.line)
        for cls in self.mro(owner):
            for child in cls.cls.submodules:
                entity = self.index.resolve(child.target)
                if entity is None or entity.cls is None or entity.member:
                    continue
                if not self.is_module(entity.module, entity.cls):
                    continue
                sub = _Owner(entity.module, entity.cls)
                if not self._mark_class(sub):
                    continue
                label = f"{owner.cls.name}.{child.attribute or '__init__'}"
                self._module_roots(
                    sub,
                    (*path, label),
                    self._entry(cls.module, entity.module, child.line, child.column, entry),
                    crossed=crossed or entity.module is not here,
                )

    def _mark_class(self, owner: _Owner) -> bool:
        key = ("<class>", owner.module.name, owner.cls.name, 0)
        if key in self._seen:
            return False
        self._seen.add(key)
        return True

    def _class_roots(
        self, owner: _Owner, path: tuple[str, ...], entry: Entry | None, *, crossed: bool
    ) -> None:
        """A TorchScript class: every method is compiled."""
        for function in owner.cls.methods:
            self._push(owner, owner.module, function, path, entry, crossed=crossed)

    def _self_method(
        self,
        owner: _Owner,
        name: str,
        path: tuple[str, ...],
        entry: Entry | None,
        line: int,
        column: int,
        crossed: bool,
        current: ModuleSummary | None = None,
    ) -> None:
        found = self.lookup(owner, name)
        if found is None:
            return
        defining, defs = found
        here = current or owner.module
        for function in defs:
            self._push(
                owner,
                defining.module,
                function,
                path,
                self._entry(here, defining.module, line, column, entry),
                crossed=crossed or defining.module is not here,
            )

    def _global(
        self,
        module: ModuleSummary,
        target: str,
        path: tuple[str, ...],
        entry: Entry | None,
        *,
        crossed: bool,
        line: int = 0,
        column: int = 1,
    ) -> None:
        entity = self.index.resolve(target)
        if entity is None:
            return
        new_entry = self._entry(module, entity.module, line, column, entry)
        moved = crossed or entity.module is not module
        if entity.function is not None:
            self._push(None, entity.module, entity.function, path, new_entry, crossed=moved)
        elif entity.cls is not None:
            owner = _Owner(entity.module, entity.cls)
            if entity.member:
                self._self_method(
                    owner, entity.member, path, new_entry, line, column, moved, current=module
                )
            elif (
                not self.is_module(entity.module, entity.cls)
                and not entity.cls.decorators
                and not entity.cls.has_keywords
                and all(name in {"builtins.object"} for name, _, _ in entity.cls.bases)
                and self._mark_class(owner)
            ):
                # A plain class used in compiled code is compiled whole, as a TorchScript class.
                self._class_roots(owner, path, new_entry, crossed=moved)

    def _visit(self, item: _Item) -> None:
        module = item.module
        function_key = (module.name, item.function.key, item.function.index)
        if not self._flow_phase:
            self._plain.add(function_key)
        # A function reached without a value flow keeps that path (the one to report).
        record = not self._flow_phase or function_key not in self._plain
        if record and (item.crossed or module.name not in self.checked_names):
            reached = ReachedFunction(
                item.function.key,
                item.function.index,
                item.reach,
                item.entry,
                through_value=self._flow_phase,
            )
            table = self._reached.setdefault(module.name, {})
            table.setdefault((item.function.key, item.function.index), reached)
            if module.name not in self.checked_names:
                self._library[module.name] = module
        for reference in item.function.references:
            if reference.kind == "self" and item.owner is not None:
                self._self_method(
                    item.owner,
                    reference.target,
                    item.reach,
                    item.entry,
                    reference.line,
                    reference.column,
                    item.crossed,
                    current=module,
                )
            elif reference.kind == "self_member":
                self._submodule_member(item, reference)
            elif reference.kind == "global":
                self._global(
                    module,
                    reference.target,
                    item.reach,
                    item.entry,
                    crossed=item.crossed,
                    line=reference.line,
                    column=reference.column,
                )

    def _submodule_member(self, item: _Item, reference: Reference) -> None:
        """``self.<attribute>.<member>(...)``: the submodule's method, when its class is known:
        built in ``__init__``, or passed in and stored there (:mod:`tsinspect.lint.class_flow`)."""
        if item.owner is None:
            return
        mro = self.mro(item.owner)
        child = next(
            (
                child
                for cls in mro
                for child in cls.cls.submodules
                if child.attribute == reference.target
            ),
            None,
        )
        entity = self.index.resolve(child.target) if child is not None else None
        if entity is not None and entity.cls is not None and not entity.member:
            self._self_method(
                _Owner(entity.module, entity.cls),
                reference.member,
                item.reach,
                item.entry,
                reference.line,
                reference.column,
                item.crossed or entity.module is not item.module,
                current=item.module,
            )
            return
        if child is not None:
            return  # built from a name the index cannot resolve: unknown
        if self._flow_phase:
            self._flowed_member(item, reference)
        else:
            self._deferred.append((item, reference))

    def _flowed_member(self, item: _Item, reference: Reference) -> None:
        """``self.<attribute>.<member>(...)`` where ``__init__`` stored a passed-in instance."""
        if item.owner is None:
            return
        mro = self.mro(item.owner)
        flowed: list[tuple[bool, str, str, ModuleSummary, ClassSummary, Origin]] = []
        for cls in mro:
            values = self.flow.attribute_values(cls.module, cls.cls, reference.target)
            for value, origin in values.items():
                module = self.index.module(value.module)
                target = module.find_class(value.name) if module is not None else None
                if module is None or target is None or not self.is_module(module, target):
                    continue
                # The class that defines the method first: a function's findings keep the
                # first path that reaches it, and that one names the class users see in it.
                inherits = not target.methods_named(reference.member)
                flowed.append((inherits, value.module, value.name, module, target, origin))
        for _, _, _, module, target, origin in sorted(flowed, key=lambda f: f[:3]):
            # The path says why: which class the attribute holds and where it came from.
            label = (
                f"{item.owner.cls.name}.{reference.target} = {target.name}"
                f" ({origin.module}:{origin.line})"
            )
            self._self_method(
                _Owner(module, target),
                reference.member,
                (*item.reach, label),
                item.entry,
                reference.line,
                reference.column,
                item.crossed or module is not item.module,
                current=item.module,
            )

    # --- results ------------------------------------------------------------------------
    def facts_for(self, module: ModuleSummary, checked: bool) -> FileFacts:
        """What ``module``'s lint needs from the rest of the program."""
        reached = tuple(
            sorted(self._reached.get(module.name, {}).values(), key=lambda r: (r.key, r.index))
        )
        return FileFacts(
            checked=checked,
            module_classes=frozenset(self._module_classes.get(module.name, ())),
            reached=reached,
            annotated_attributes=tuple(
                sorted(set(self._annotated.get(module.name, ())), key=lambda a: a.line)
            ),
            tracing_probes=self._tracing_probes(module),
        )

    def _tracing_probes(self, module: ModuleSummary) -> frozenset[str]:
        """How the module spells the tracing-state helpers it calls (other files included)."""
        functions = [*module.functions, *(m for cls in module.classes for m in cls.methods)]
        found: set[str] = set()
        for function in functions:
            for reference in function.references:
                if reference.kind != "global" or not reference.spelling:
                    continue
                if "tracing" not in reference.target.rpartition(".")[2].lower():
                    # Resolve only names that can be a probe; a probe named otherwise only
                    # leaves a moot warning in place.
                    continue
                entity = self.index.resolve(reference.target)
                if entity is not None and entity.function and entity.function.is_tracing_probe:
                    found.add(reference.spelling)
        return frozenset(found)

    def library_modules(self) -> Iterable[ModuleSummary]:
        """Modules outside the checked paths in which something is compiled."""
        return [self._library[name] for name in sorted(self._library)]


DATACLASS_DECORATORS = frozenset({"dataclasses.dataclass", "attr.s", "attrs.define"})


@dataclass(frozen=True)
class ProgramFacts:
    """The program-wide reach, as the lint of each file needs it.

    ``checked``: facts per checked file path; ``libraries``: the files outside the checked
    paths where something is compiled, with their facts (``checked`` False).
    """

    checked: dict[str, FileFacts]
    libraries: dict[str, FileFacts]


def program_facts(
    files: Iterable[str],
    sources: dict[str, bytes],
    extra_roots: Iterable[str] = (),
    *,
    follow_installed: bool = True,
    store: SummaryStore | None = None,
) -> ProgramFacts:
    """Index ``files`` (their bytes in ``sources`` where already read) and walk the program.

    ``follow_installed``: also resolve imports on the interpreter's search path.
    ``store``: keeps module summaries between runs (the lint cache).
    """
    file_list = list(files)
    index = ProjectIndex.for_files(file_list, tuple(extra_roots), use_interpreter=follow_installed)
    index.store = store
    for path, data in sources.items():
        index.add_source(path, data)
    return walk_program(index, file_list)


def walk_program(index: ProjectIndex, files: Iterable[str]) -> ProgramFacts:
    """The program-wide reach over an index built already, rooted in ``files``.

    The language server keeps one index alive between edits (re-reading only the module
    that changed) and walks it again after each edit; ``program_facts`` builds a fresh one.
    """
    file_list = list(files)
    modules: dict[str, ModuleSummary] = {}
    for path in file_list:
        summary = index.module_for_file(path)
        if summary is not None:
            modules[path] = summary
    program = Program(index, list(modules.values())).run()
    checked = {path: program.facts_for(summary, checked=True) for path, summary in modules.items()}
    checked_paths = {index.real(path) for path in file_list}
    libraries = {
        module.path: program.facts_for(module, checked=False)
        for module in program.library_modules()
        if index.real(module.path) not in checked_paths
    }
    return ProgramFacts(checked=checked, libraries=libraries)
