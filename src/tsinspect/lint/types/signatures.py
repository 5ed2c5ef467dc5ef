"""What TorchScript compiles a function's signature to: each parameter's type, the return type."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from tsinspect.lint.reach import ClassInfo
from tsinspect.lint.rule import LintContext
from tsinspect.lint.types.annotations import (
    _has_annotations,
    annotation_type,
    has_type_comment,
    type_comment_signature,
)
from tsinspect.lint.types.lattice import TENSOR, Type
from tsinspect.lint.types.memo import file_memo


@dataclass(frozen=True)
class Param:
    """One parameter of a compiled signature: its certain type (None: unknown)."""

    name: str
    type: Type | None
    has_default: bool
    keyword_only: bool = False


@dataclass(frozen=True)
class Signature:
    """A callee's TorchScript signature, ``self`` left out: what arguments must be, and what
    the call returns (None: unknown). Build one with :func:`signature_of`, or directly."""

    params: tuple[Param, ...]
    returns: Type | None

    def bind(self, call: cst.Call) -> list[tuple[cst.Arg, Param]] | None:
        """Each argument of ``call`` with the parameter it fills; None for ``*a``/``**k``."""
        bound: list[tuple[cst.Arg, Param]] = []
        positional = [param for param in self.params if not param.keyword_only]
        by_name = {param.name: param for param in self.params}
        index = 0
        for arg in call.args:
            if arg.star:
                return None
            if arg.keyword is None:
                if index >= len(positional):
                    return None
                bound.append((arg, positional[index]))
                index += 1
            else:
                param = by_name.get(arg.keyword.value)
                if param is None:
                    return None
                bound.append((arg, param))
        return bound


def parameter_types(
    context: LintContext, node: cst.FunctionDef, is_method: bool
) -> dict[str, Type | None]:
    """Parameter name -> certain type, as TorchScript types the signature.

    Annotated parameters take their annotation; with no annotation anywhere, a ``# type:``
    comment; otherwise an unannotated parameter is ``Tensor`` (when its default is ``None``
    or absent; a parameter with another default fails to script: unknown here).
    """
    params = [*node.params.posonly_params, *node.params.params, *node.params.kwonly_params]
    comment = type_comment_signature(context, node)
    commented = not _has_annotations(node) and has_type_comment(context, node)
    types: dict[str, Type | None] = {}
    offset = 1 if is_method else 0
    for index, param in enumerate(params):
        name = param.name.value
        if index == 0 and is_method:
            types[name] = None
            continue
        if param.annotation is not None:
            types[name] = annotation_type(context, param.annotation)
        elif comment is not None:
            position = index - offset
            types[name] = comment[0][position] if position < len(comment[0]) else None
        elif commented:
            types[name] = None
        elif param.default is None or (
            isinstance(param.default, cst.Name) and param.default.value == "None"
        ):
            types[name] = TENSOR
        else:
            types[name] = None
    for star in (node.params.star_arg, node.params.star_kwarg):
        if isinstance(star, cst.Param):
            types[star.name.value] = None
    return types


def return_type(context: LintContext, node: cst.FunctionDef) -> Type | None:
    """The declared return type: the annotation, or the ``# type:`` comment's."""
    if node.returns is not None:
        return annotation_type(context, node.returns)
    comment = type_comment_signature(context, node)
    return comment[1] if comment is not None else None


def signature_of(context: LintContext, node: cst.FunctionDef, is_method: bool) -> Signature:
    """The signature TorchScript compiles ``node`` with (``context`` is the defining file's)."""
    types = parameter_types(context, node, is_method)
    params: list[Param] = []
    positional = [*node.params.posonly_params, *node.params.params]
    for index, param in enumerate(positional):
        if index == 0 and is_method:
            continue
        params.append(
            Param(param.name.value, types.get(param.name.value), param.default is not None)
        )
    for param in node.params.kwonly_params:
        params.append(
            Param(param.name.value, types.get(param.name.value), param.default is not None, True)
        )
    return Signature(tuple(params), return_type(context, node))


_TORCHSCRIPT_DECORATORS = frozenset(
    {
        "torch.jit.script",
        "torch.jit.ignore",
        "torch.jit.unused",
        "torch.jit.export",
        "torch._jit_internal.ignore",
        "torch._jit_internal.unused",
        "torch._jit_internal.export",
    }
)


def _plain_callee(context: LintContext, node: cst.FunctionDef) -> bool:
    """No decorator but TorchScript's own: the signature is the def's (``@torch.jit.ignore``
    functions keep a typed signature too, measured)."""
    for decorator in node.decorators:
        expression = decorator.decorator
        if isinstance(expression, cst.Call):
            expression = expression.func
        if not context.qualified_names(expression) & _TORCHSCRIPT_DECORATORS:
            return False
    return True


def callee_def(
    context: LintContext,
    func: cst.BaseExpression,
    self_name: str | None,
    owner: ClassInfo | None,
) -> tuple[cst.FunctionDef, bool] | None:
    """The same-file def ``func(...)`` calls, and whether it is a method.

    ``helper(...)``: a module-level def; ``self.method(...)``: the method of ``owner`` (the
    class the calling method belongs to) when no same-file subclass overrides it.
    """
    if isinstance(func, cst.Name):
        target = context.is_module_level_function(func)
        if target is not None and _plain_callee(context, target):
            return target, False
    elif (
        isinstance(func, cst.Attribute)
        and isinstance(func.value, cst.Name)
        and func.value.value == self_name
        and owner is not None
    ):
        method = _resolve_method(context, owner, func.attr.value)
        if method is not None:
            return method, True
    return None


def callee_signature(
    context: LintContext,
    func: cst.BaseExpression,
    self_name: str | None,
    owner: ClassInfo | None,
) -> Signature | None:
    """The declared signature of what ``func(...)`` calls (see :func:`callee_def`).

    The one place to extend for callees in other files: return ``signature_of(<their file's
    context>, <their def>, is_method)``, or a ``Signature`` built from known types. An
    undeclared return is inferred by the flow pass (``flow.callee_return_type``).
    """
    cache: dict[int, Signature | None] = file_memo(context, "signatures")
    key = id(func)
    if key not in cache:
        found = callee_def(context, func, self_name, owner)
        cache[key] = None if found is None else signature_of(context, found[0], found[1])
    return cache[key]


def _resolve_method(context: LintContext, owner: ClassInfo, name: str) -> cst.FunctionDef | None:
    looked_up = owner.lookup(name)
    if looked_up is None or len(looked_up[1]) != 1:
        return None
    (method,) = looked_up[1]
    if not _plain_callee(context, method) or not (
        method.params.posonly_params or method.params.params
    ):
        return None
    for other in context.reach.classes.values():
        if other is owner or name not in other.methods:
            continue
        if any(base is owner for base in other.mro()):
            return None  # a subclass overrides it: which one runs depends on the instance
    return method
