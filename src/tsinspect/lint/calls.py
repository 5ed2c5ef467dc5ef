"""What a call is: the called function, its decorators (``@torch.jit.ignore``/``unused``),
keyword and positional arguments, literal values bound to names.

An analysis beside :mod:`.reach`, read by the rules of every family and by the type pass
(:mod:`.types`): small functions on libcst nodes and the lint context, kept in one place so
they all agree on what a call is.
"""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.reach import decorator_names
from tsinspect.lint.rule import LintContext
from tsinspect.lint.scopes import ScopeKind
from tsinspect.lint.traversal import walk

IGNORE = frozenset({"torch.jit.ignore", "torch._jit_internal.ignore"})
UNUSED = frozenset({"torch.jit.unused", "torch._jit_internal.unused"})


def dotted_name(expression: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a chain of names and attributes, else None (calls, subscripts...)."""
    if isinstance(expression, cst.Name):
        return expression.value
    if isinstance(expression, cst.Attribute):
        inner = dotted_name(expression.value)
        return f"{inner}.{expression.attr.value}" if inner is not None else None
    return None


def string_value(expression: cst.BaseExpression) -> str | None:
    """The value of a plain string literal (implicit concatenation included), else None.

    f-strings and bytes give None: they are not plain ``str`` constants.
    """
    if isinstance(expression, cst.SimpleString):
        if "b" in expression.prefix.lower():
            return None
        value = expression.evaluated_value
        return value if isinstance(value, str) else None
    if isinstance(expression, cst.ConcatenatedString):
        left = string_value(expression.left)
        right = string_value(expression.right)
        return left + right if left is not None and right is not None else None
    return None


def bound_value(context: LintContext, target: cst.CSTNode | None) -> cst.BaseExpression | None:
    """The value a binding's name receives from ``target = value``, ``a = target = value`` or
    ``target: T = value``; None for any other binding (a parameter, a loop or tuple target...)."""
    if not isinstance(target, cst.Name):
        return None
    holder = context.parent(target)
    if isinstance(holder, cst.AssignTarget):
        statement = context.parent(holder)
        return statement.value if isinstance(statement, cst.Assign) else None
    if isinstance(holder, cst.AnnAssign) and holder.target is target:
        return holder.value
    return None


def values_bound_to(context: LintContext, name: cst.Name) -> list[cst.BaseExpression] | None:
    """The value of each binding of ``name`` (:func:`bound_value`) when every one visible is
    an assignment; None when one is not (a parameter, a loop target...) or none is visible."""
    bindings = context.scopes.bindings_of(name)
    if not bindings:
        return None
    values: list[cst.BaseExpression] = []
    for binding in bindings:
        value = bound_value(context, binding.node)
        if value is None:
            return None
        values.append(value)
    return values


def global_assignment_value(context: LintContext, name: cst.Name) -> cst.BaseExpression | None:
    """The value of ``name`` when it is bound exactly once, at module level, by ``name = value``."""
    binding = context.scopes.sole_binding(name)
    if binding is None or binding.scope.kind is not ScopeKind.MODULE:
        return None
    return bound_value(context, binding.node)


def has_decorator(context: LintContext, node: cst.FunctionDef, names: frozenset[str]) -> bool:
    """True when one of the def's decorators (called or not) resolves to one of ``names``."""
    return not decorator_names(context, node).isdisjoint(names)


def keyword(call: cst.Call, name: str) -> cst.Arg | None:
    """The keyword argument ``name=`` of ``call``, if given."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def positional_count(call: cst.Call) -> int:
    """How many plain positional arguments ``call`` passes (``*xs`` counts as unknown: -1)."""
    count = 0
    for arg in call.args:
        if arg.star:
            return -1
        if arg.keyword is None:
            count += 1
    return count


def method_owner(context: LintContext, node: cst.FunctionDef) -> cst.ClassDef | None:
    """The class ``node`` is a method of (None for module-level or nested functions)."""
    holder = context.parent(node)
    if isinstance(holder, cst.IndentedBlock):
        owner = context.parent(holder)
        if isinstance(owner, cst.ClassDef):
            return owner
    return None


def enclosing_function(context: LintContext, node: cst.CSTNode) -> cst.FunctionDef | None:
    """The innermost ``def`` containing ``node``."""
    current = context.parent(node)
    while current is not None and not isinstance(current, cst.FunctionDef):
        current = context.parent(current)
    return current


def ignore_kind(context: LintContext, node: cst.FunctionDef) -> str | None:
    """``"ignore"`` for ``@torch.jit.ignore``, ``"unused"`` for ``@torch.jit.unused`` or
    ``@torch.jit.ignore(drop=True)`` (replaced by a raise when scripted), else None."""
    for decorator in node.decorators:
        expression = decorator.decorator
        target = expression.func if isinstance(expression, cst.Call) else expression
        names = context.qualified_names(target)
        if not names.isdisjoint(UNUSED):
            return "unused"
        if not names.isdisjoint(IGNORE):
            if isinstance(expression, cst.Call):
                drop = keyword(expression, "drop")
                if drop is not None and not (
                    isinstance(drop.value, cst.Name) and drop.value.value == "False"
                ):
                    return "unused"
            return "ignore"
    return None


def called_function(context: LintContext, call: cst.Call) -> tuple[str, cst.FunctionDef] | None:
    """The same-file def a call resolves to: ``self.method(...)`` (through same-file bases of the
    calling method's class) or ``function(...)`` at module level; with a display name."""
    func = call.func
    if isinstance(func, cst.Name):
        target = context.is_module_level_function(func)
        return (func.value, target) if target is not None else None
    if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)):
        return None
    caller = enclosing_function(context, call)
    if caller is None:
        return None
    params = caller.params.posonly_params or caller.params.params
    if not params or params[0].name.value != func.value.value:
        return None
    owner = method_owner(context, caller)
    info = context.class_info(owner.name.value) if owner is not None else None
    if info is None or info.node is not owner:
        return None
    found = info.lookup(func.attr.value)
    if found is None:
        return None
    _, defs = found
    return (f"{func.value.value}.{func.attr.value}", defs[-1])


def may_be_user_call(call: cst.Call) -> bool:
    """``helper(...)`` or ``self.method(...)``: the only calls :func:`called_function` resolves
    (checked first: most calls are ``x.view(...)``, ``torch.cat(...)``...)."""
    func = call.func
    if isinstance(func, cst.Name):
        return True
    return (
        isinstance(func, cst.Attribute)
        and isinstance(func.value, cst.Name)
        and func.value.value in ("self", "cls")
    )


def calls_of(body: cst.CSTNode, name: str) -> list[cst.Call]:
    """The calls ``name(...)`` under ``body`` (a loop's body calling its loop variable)."""
    finder = _CallsOf(name)
    walk(body, finder)
    return finder.calls


class _CallsOf(cst.CSTVisitor):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.calls: list[cst.Call] = []

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == self.name:
            self.calls.append(node)
