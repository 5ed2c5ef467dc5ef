"""Which classes reach which parameters and ``self`` attributes, across the whole program.

The index records, per function, the calls that pass classes or instances along and the
``self.<attribute> = <value>`` stores of ``__init__`` (:mod:`tsinspect.lint.flows`). This
module joins them: a class passed as an argument flows into the callee's parameter
(``build_model_with_cfg(VisionTransformer, ...)`` into ``model_cls``); calling a parameter
that holds classes constructs them (``model = model_cls(**kwargs)``); an instance passed to
a constructor flows into its ``__init__``'s parameter (``FeatureGetterNet(model, ...)``)
and from there into the attribute ``__init__`` stores it in (``self.model = model``).

The program walk (:mod:`tsinspect.lint.program`) asks :meth:`ClassFlow.attribute_values`
what ``self.model`` may hold when compiled code calls ``self.model.<method>(...)``.

Every value here is one the code really passes somewhere (a may-flow over calls the index
resolves); what the reader cannot follow carries no class, so an unknown stays unknown.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from tsinspect.lint.flows import FlowCall, Source
from tsinspect.lint.index import ClassSummary, FunctionSummary, ModuleSummary, ProjectIndex


@dataclass(frozen=True)
class FlowValue:
    """A class (``kind`` ``class``) or an instance of it (``instance``), by module and name."""

    kind: str
    module: str
    name: str


@dataclass(frozen=True)
class Origin:
    """Where the class entered the flow: the line of ``module`` that names it as a value."""

    module: str
    line: int


Values = dict[FlowValue, Origin]
FunctionKey = tuple[str, str, int]
# Finds ``name`` along a class's bases: (defining module, defining class, its defs).
Lookup = Callable[
    [ModuleSummary, ClassSummary, str],
    tuple[ModuleSummary, ClassSummary, tuple[FunctionSummary, ...]] | None,
]


@dataclass
class _Function:
    module: ModuleSummary
    owner: ClassSummary | None
    function: FunctionSummary


@dataclass
class ClassFlow:
    """The may-flow of classes and instances over ``index``, from the checked modules."""

    index: ProjectIndex
    lookup: Lookup
    _functions: dict[FunctionKey, _Function] = field(default_factory=dict)
    _parameters: dict[FunctionKey, dict[str, Values]] = field(default_factory=dict)
    _attributes: dict[tuple[str, str], dict[str, Values]] = field(default_factory=dict)
    _queue: deque[FunctionKey] = field(default_factory=deque)
    _queued: set[FunctionKey] = field(default_factory=set)

    def solve(self, modules: Iterable[ModuleSummary]) -> ClassFlow:
        """Follow every flow from the functions and methods of ``modules`` to a fixed point."""
        for module in modules:
            for function in module.functions:
                self._enqueue(_Function(module, None, function))
            for cls in module.classes:
                for method in cls.methods:
                    self._enqueue(_Function(module, cls, method))
        while self._queue:
            key = self._queue.popleft()
            self._queued.discard(key)
            self._process(self._functions[key])
        return self

    def attribute_values(self, module: ModuleSummary, cls: ClassSummary, attribute: str) -> Values:
        """What ``__init__`` of ``cls`` may store in ``self.<attribute>`` (instances only)."""
        return self._attributes.get((module.name, cls.name), {}).get(attribute, {})

    # --- the solver ---------------------------------------------------------------------
    @staticmethod
    def _key(item: _Function) -> FunctionKey:
        return (item.module.name, item.function.key, item.function.index)

    def _enqueue(self, item: _Function) -> None:
        key = self._key(item)
        self._functions.setdefault(key, item)
        if key not in self._queued:
            self._queued.add(key)
            self._queue.append(key)

    def _process(self, item: _Function) -> None:
        key = self._key(item)
        for call in item.function.flow_calls:
            for target, skip in self._callees(item, key, call):
                self._bind(target, skip, item, key, call)
        if item.owner is not None:
            stored = self._attributes.setdefault((item.module.name, item.owner.name), {})
            for store in item.function.flow_stores:
                values = self._values(item, key, store.sources, store.line)
                instances = {v: o for v, o in values.items() if v.kind == "instance"}
                if instances:
                    _add(stored.setdefault(store.attribute, {}), instances)

    def _callees(
        self, item: _Function, key: FunctionKey, call: FlowCall
    ) -> Iterable[tuple[_Function, int]]:
        """The functions a call runs, and how many leading parameters the call does not fill."""
        classes: list[FlowValue] = []
        for source in call.callee:
            if source.kind == "param":
                values = self._parameters.get(key, {}).get(source.name, {})
                classes.extend(v for v in values if v.kind == "class")
                continue
            entity = self.index.resolve(source.name)
            if entity is None or entity.member:
                continue
            if entity.function is not None:
                yield _Function(entity.module, None, entity.function), 0
            elif entity.cls is not None:
                classes.append(FlowValue("class", entity.module.name, entity.cls.name))
        for value in classes:
            found = self._class(value)
            if found is None:
                continue
            defined = self.lookup(found[0], found[1], "__init__")
            if defined is not None and defined[2]:
                yield _Function(defined[0], defined[1], defined[2][0]), 1

    def _class(self, value: FlowValue) -> tuple[ModuleSummary, ClassSummary] | None:
        module = self.index.module(value.module)
        cls = module.find_class(value.name) if module is not None else None
        return (module, cls) if module is not None and cls is not None else None

    def _bind(
        self, target: _Function, skip: int, item: _Function, key: FunctionKey, call: FlowCall
    ) -> None:
        function = target.function
        positional = function.parameters[skip:]
        named = set(function.parameters[skip:]) | set(function.keyword_parameters)
        incoming: list[tuple[str, Values]] = []
        for name, sources in zip(positional, call.args, strict=False):
            incoming.append((name, self._values(item, key, sources, call.line)))
        for name, sources in call.keywords:
            if name in named:
                incoming.append((name, self._values(item, key, sources, call.line)))
        target_key = self._key(target)
        parameters = self._parameters.setdefault(target_key, {})
        changed = False
        for name, values in incoming:
            if values and _add(parameters.setdefault(name, {}), values):
                changed = True
        if changed:
            self._enqueue(target)

    def _values(
        self, item: _Function, key: FunctionKey, sources: tuple[Source, ...], line: int
    ) -> Values:
        """The classes and instances ``sources`` may hold, each with where it entered."""
        found: Values = {}
        for source in sources:
            if source.kind == "param":
                for value, origin in self._parameters.get(key, {}).get(source.name, {}).items():
                    if not source.called:
                        found.setdefault(value, origin)
                    elif value.kind == "class":
                        found.setdefault(FlowValue("instance", value.module, value.name), origin)
                continue
            entity = self.index.resolve(source.name)
            if entity is None or entity.cls is None or entity.member:
                continue
            kind = "instance" if source.called else "class"
            found.setdefault(
                FlowValue(kind, entity.module.name, entity.cls.name),
                Origin(item.module.name, line),
            )
        return found


def _add(values: Values, new: Values) -> bool:
    """Add ``new`` to ``values``; True when something was not there yet."""
    changed = False
    for value, origin in new.items():
        if value not in values:
            values[value] = origin
            changed = True
    return changed
