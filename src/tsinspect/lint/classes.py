"""What a same-file class holds: its attributes, as ``__init__`` creates them.

An analysis beside :mod:`.reach`, read by the rules (TS2xx-TS4xx) and the type pass
(:mod:`.types`).

TorchScript builds a module's type from the *instance*: attributes that ``__init__`` (or a
method it calls) sets on ``self``, plus ``__constants__`` and ``Final`` class annotations.
A linter sees only the source, so these helpers collect, for one class and its same-file
bases and subclasses, every ``self.<name> = value`` outside compiled code, the class-level
assignments and annotations, ``__constants__``, and names registered through
``register_buffer`` / ``register_parameter`` / ``add_module``. When the class does
something the source cannot follow (``setattr``, a registration with a computed name,
``self.__dict__``, a base class from another file), :attr:`ClassFacts.opaque` is set and
the rules stay silent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import libcst as cst

from tsinspect.lint.reach import ClassInfo
from tsinspect.lint.rule import LintContext
from tsinspect.lint.traversal import walk

REGISTRATIONS = frozenset(
    {"register_buffer", "register_parameter", "add_module", "register_module"}
)
MODULE_CONTAINERS = {
    "torch.nn.ModuleList": "ModuleList",
    "torch.nn.modules.container.ModuleList": "ModuleList",
    "torch.nn.Sequential": "Sequential",
    "torch.nn.modules.container.Sequential": "Sequential",
    "torch.nn.ModuleDict": "ModuleDict",
    "torch.nn.modules.container.ModuleDict": "ModuleDict",
}
PLAIN_MODULE_BASES = ("torch.nn.Module", "torch.nn.modules.module.Module")
# Attributes every nn.Module has, whatever __init__ does.
MODULE_BUILTIN_ATTRIBUTES = frozenset({"training"})


@dataclass
class ClassFacts:
    """Attributes of one class family (the class, its same-file bases and subclasses)."""

    # name -> values assigned to self.<name> outside compiled code (mostly __init__)
    instance_values: dict[str, list[cst.BaseExpression]] = field(default_factory=dict)
    # names assigned to self.<name> anywhere (compiled code included)
    assigned_anywhere: set[str] = field(default_factory=set)
    class_values: dict[str, cst.BaseExpression] = field(default_factory=dict)
    class_annotations: dict[str, cst.Annotation] = field(default_factory=dict)
    constants: set[str] = field(default_factory=set)
    registered: set[str] = field(default_factory=set)
    opaque: bool = False
    # Python code passes `self` to a function (`init_weights(self)`), which may set attributes
    self_escapes: bool = False


def method_self_name(node: cst.FunctionDef) -> str | None:
    """The first positional parameter's name (``self``), or None for a def without one."""
    params = node.params.posonly_params or node.params.params
    if not params:
        return None
    for decorator in node.decorators:
        expression = decorator.decorator
        if isinstance(expression, cst.Name) and expression.value == "staticmethod":
            return None
    return params[0].name.value


def enclosing_class(
    context: LintContext, node: cst.CSTNode
) -> tuple[ClassInfo, cst.FunctionDef] | None:
    """The module-level class and method that directly contain ``node`` (no nested defs between)."""
    current: cst.CSTNode | None = node
    function: cst.FunctionDef | None = None
    while current is not None:
        if isinstance(current, cst.FunctionDef):
            if function is not None:
                return None  # nested def: not a method
            function = current
        elif isinstance(current, cst.ClassDef):
            if function is None:
                return None
            info = context.class_info(current.name.value)
            if info is None or info.node is not current:
                return None
            return info, function
        elif isinstance(current, cst.Lambda):
            return None
        current = context.parent(current)
    return None


def is_self_attribute(node: cst.CSTNode, self_name: str | None) -> bool:
    """``self.<name>`` for the method's own first parameter."""
    return (
        self_name is not None
        and isinstance(node, cst.Attribute)
        and isinstance(node.value, cst.Name)
        and node.value.value == self_name
    )


def is_assignment_target(context: LintContext, node: cst.CSTNode) -> bool:
    """``node`` is written, not read: an assignment's, ``+=``'s or an annotated assignment's target."""
    parent = context.parent(node)
    return isinstance(parent, cst.AssignTarget | cst.AugAssign) or (
        isinstance(parent, cst.AnnAssign) and parent.target is node
    )


def module_data_attribute(context: LintContext, node: cst.Attribute) -> ClassInfo | None:
    """The nn.Module class when ``node`` is ``self.<name>`` in one of its methods and ``name``
    is not a method of the class (so it names data: a submodule, a value...)."""
    found = enclosing_class(context, node)
    if found is None:
        return None
    info, method = found
    if not info.is_nn_module or not is_self_attribute(node, method_self_name(method)):
        return None
    name = node.attr.value
    if any(name in cls.methods for cls in info.mro()):
        return None
    return info


def init_only_values(facts: ClassFacts, name: str) -> list[cst.BaseExpression]:
    """What Python-side code (``__init__``...) assigns to ``self.<name>``, when nothing else
    defines it: not the class body, not a register_* call, not compiled code alone. Empty
    otherwise."""
    if name in facts.class_values or name in facts.class_annotations or name in facts.registered:
        return []
    if name in facts.assigned_anywhere - set(facts.instance_values):
        return []
    return facts.instance_values.get(name, [])


def family(context: LintContext, info: ClassInfo) -> list[ClassInfo]:
    """The class, its same-file bases, and the same-file classes that inherit from it."""
    members = {c.name: c for c in info.mro()}
    for other in context.reach.subclasses_named(info.name):
        for c in other.mro():
            members.setdefault(c.name, c)
    return list(members.values())


def _targets(
    statement: cst.BaseSmallStatement,
) -> Iterator[tuple[cst.BaseExpression, cst.BaseExpression | None]]:
    if isinstance(statement, cst.Assign):
        for target in statement.targets:
            yield target.target, statement.value
    elif isinstance(statement, cst.AnnAssign):
        yield statement.target, statement.value
    elif isinstance(statement, cst.AugAssign):
        yield statement.target, None


class _SelfAssignments(cst.CSTVisitor):
    """``self.x = v`` statements and registrations in one method (nested defs skipped)."""

    def __init__(self, self_name: str | None) -> None:
        super().__init__()
        self.self_name = self_name
        self.assignments: list[tuple[str, cst.BaseExpression | None]] = []
        self.registered: set[str] = set()
        self.opaque = False
        self.escapes = False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def _target(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
        if is_self_attribute(target, self.self_name):
            assert isinstance(target, cst.Attribute)
            self.assignments.append((target.attr.value, value))
        elif isinstance(target, cst.Tuple | cst.List):
            for element in target.elements:
                # unpacking: the value of each element is unknown
                self._target(element.value, None)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._target(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._target(node.target, node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._target(node.target, None)

    def visit_For(self, node: cst.For) -> None:
        self._target(node.target, None)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        is_super = isinstance(func, cst.Name) and func.value == "super"
        if not is_super and any(
            isinstance(arg.value, cst.Name) and arg.value.value == self.self_name
            for arg in node.args
        ):
            self.escapes = True
        if isinstance(func, cst.Name) and func.value == "setattr":
            self.opaque = True
        if isinstance(func, cst.Attribute) and func.attr.value in REGISTRATIONS:
            first = node.args[0].value if node.args else None
            if isinstance(first, cst.SimpleString):
                self.registered.add(str(first.evaluated_value))
            else:
                self.opaque = True
        if isinstance(func, cst.Attribute) and func.attr.value == "update":
            self.opaque |= (
                isinstance(func.value, cst.Attribute) and func.value.attr.value == "__dict__"
            )

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value == "__dict__":
            self.opaque = True


def _string_elements(value: cst.BaseExpression | None) -> set[str]:
    names: set[str] = set()
    if isinstance(value, cst.List | cst.Tuple | cst.Set):
        for element in value.elements:
            if isinstance(element.value, cst.SimpleString):
                names.add(str(element.value.evaluated_value))
    return names


def _plain_bases(context: LintContext, info: ClassInfo) -> bool:
    """Every base is a same-file class or ``nn.Module`` itself (torch's modules bring attributes we cannot see)."""
    for arg in info.node.bases:
        if isinstance(arg.value, cst.Name) and arg.value.value in context.reach.classes:
            continue
        if not context.matches(arg.value, *PLAIN_MODULE_BASES):
            return False
    return True


def class_facts(context: LintContext, info: ClassInfo) -> ClassFacts:
    """:class:`ClassFacts` for ``info``'s family (cached per file: every rule asks for them)."""
    from tsinspect.lint.types.memo import file_memo  # dropped with the file's tree

    cached: dict[str, ClassFacts] = file_memo(context, "class facts")
    facts = cached.get(info.name)
    if facts is None:
        facts = _collect_facts(context, info)
        cached[info.name] = facts
    return facts


def _collect_facts(context: LintContext, info: ClassInfo) -> ClassFacts:
    """Collect :class:`ClassFacts` for ``info``'s family; ``opaque`` when the source cannot tell."""
    facts = ClassFacts()
    methods: list[cst.FunctionDef] = []
    for member in family(context, info):
        facts.opaque |= member.has_other_bases or not _plain_bases(context, member)
        body = member.node.body
        if not isinstance(body, cst.IndentedBlock):
            continue
        for item in body.body:
            if isinstance(item, cst.SimpleStatementLine):
                for small in item.body:
                    for target, value in _targets(small):
                        if not isinstance(target, cst.Name):
                            continue
                        if target.value == "__constants__":
                            facts.constants |= _string_elements(value)
                        if isinstance(small, cst.AnnAssign):
                            facts.class_annotations[target.value] = small.annotation
                        if value is not None:
                            facts.class_values[target.value] = value
            elif isinstance(item, cst.FunctionDef):
                methods.append(item)
            else:
                # decorators, nested ifs in a class body...: assignments we do not follow
                facts.opaque |= not isinstance(item, cst.ClassDef)
    # A compiled method that Python code also calls (`self.reset()` in __init__) creates attributes too.
    called_from_python: set[str] = set()
    for method in methods:
        if not context.is_compiled_def(method):
            called_from_python |= _self_references(method)
    for method in methods:
        collector = _SelfAssignments(method_self_name(method))
        walk(method.body, collector)
        facts.opaque |= collector.opaque
        facts.registered |= collector.registered
        facts.self_escapes |= collector.escapes and not context.is_compiled_def(method)
        creates = not context.is_compiled_def(method) or method.name.value in called_from_python
        for name, value in collector.assignments:
            facts.assigned_anywhere.add(name)
            if creates:
                facts.instance_values.setdefault(name, []).append(
                    value if value is not None else cst.Ellipsis()
                )
    return facts


def _self_references(method: cst.FunctionDef) -> set[str]:
    self_name = method_self_name(method)
    names: set[str] = set()

    class _Finder(cst.CSTVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> None:
            if is_self_attribute(node, self_name):
                names.add(node.attr.value)

    walk(method.body, _Finder())
    return names


def is_final(context: LintContext, annotation: cst.Annotation) -> bool:
    """``Final`` / ``Final[T]`` / ``torch.jit.Final[T]`` under any import alias."""
    expression = annotation.annotation
    if isinstance(expression, cst.Subscript):
        expression = expression.value
    names = context.qualified_names(expression)
    if any(name.endswith(".Final") or name == "Final" for name in names):
        return True
    return (isinstance(expression, cst.Name) and expression.value == "Final") or (
        isinstance(expression, cst.Attribute) and expression.attr.value == "Final"
    )


def container_kind(context: LintContext, facts: ClassFacts, name: str) -> str | None:
    """``ModuleList`` / ``Sequential`` / ``ModuleDict`` when every ``__init__`` value of ``self.<name>`` is one."""
    if (
        facts.opaque
        or name in facts.class_annotations
        or name in facts.class_values
        or name in facts.registered
    ):
        return None
    values = facts.instance_values.get(name)
    if not values:
        return None
    kinds: set[str] = set()
    for value in values:
        if not isinstance(value, cst.Call):
            return None
        found = {
            MODULE_CONTAINERS[q]
            for q in context.qualified_names(value.func)
            if q in MODULE_CONTAINERS
        }
        if len(found) != 1:
            return None
        kinds |= found
    return kinds.pop() if len(kinds) == 1 else None


def self_container_kind(
    context: LintContext,
    node: cst.BaseExpression,
    adjust: Callable[[ClassInfo, ClassFacts, str], ClassFacts] | None = None,
) -> str | None:
    """``ModuleList``/``Sequential`` when ``node`` is ``self.<attr>`` holding one in a module's
    method. ``adjust`` may refine the class's facts for that attribute first."""
    if not isinstance(node, cst.Attribute):
        return None
    found = enclosing_class(context, node)
    if found is None:
        return None
    info, method = found
    if not info.is_nn_module or not is_self_attribute(node, method_self_name(method)):
        return None
    facts = class_facts(context, info)
    if adjust is not None:
        facts = adjust(info, facts, node.attr.value)
    kind = container_kind(context, facts, node.attr.value)
    return kind if kind in ("ModuleList", "Sequential") else None


def in_constant_branch(context: LintContext, node: cst.CSTNode) -> bool:
    """True when ``node`` lies in a branch TorchScript may drop at compile time, depending on the instance.

    TorchScript folds conditions on constants while compiling, and compiles only the branch
    taken: a ``Final`` or ``__constants__`` attribute (``if self.fork_feat:``), an ``is None``
    check on an attribute that may hold ``None`` (the ResNet ``downsample`` pattern),
    ``hasattr``, and ``isinstance`` on an attribute. Which branch survives depends on values
    the source does not show, so a semantic report inside such a branch is not certain.
    """
    child: cst.CSTNode = node
    parent = context.parent(node)
    while parent is not None and not isinstance(
        parent, cst.FunctionDef | cst.ClassDef | cst.Module
    ):
        test: cst.BaseExpression | None = None
        if isinstance(parent, cst.If | cst.IfExp | cst.While) and child is not parent.test:
            test = parent.test
        elif isinstance(parent, cst.BooleanOperation) and child is parent.right:
            test = parent.left
        if test is not None and _constant_test(context, test, parent):
            return True
        child, parent = parent, context.parent(parent)
    return False


def _constant_test(context: LintContext, test: cst.BaseExpression, at: cst.CSTNode) -> bool:
    found = enclosing_class(context, at)
    self_name = method_self_name(found[1]) if found is not None else None
    constants: set[str] = set()
    if found is not None:
        facts = class_facts(context, found[0])
        constants = set(facts.constants) | {
            name
            for name, annotation in facts.class_annotations.items()
            if is_final(context, annotation)
        }
    finder = _ConstantFinder(context, self_name, constants)
    walk(test, finder)
    return finder.constant


class _ConstantFinder(cst.CSTVisitor):
    def __init__(self, context: LintContext, self_name: str | None, constants: set[str]) -> None:
        super().__init__()
        self.context = context
        self.self_name = self_name
        self.constants = constants
        self.constant = False

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if is_self_attribute(node, self.self_name) and node.attr.value in self.constants:
            self.constant = True

    def visit_Comparison(self, node: cst.Comparison) -> None:
        if any(isinstance(c.operator, cst.Is | cst.IsNot) for c in node.comparisons):
            self.constant = True

    def visit_Call(self, node: cst.Call) -> None:
        if self.context.matches(
            node.func,
            "builtins.hasattr",
            "builtins.isinstance",
            "builtins.getattr",
            "torch.jit.isinstance",
        ):
            self.constant = True
