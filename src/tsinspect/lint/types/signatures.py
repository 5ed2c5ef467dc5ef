"""What TorchScript compiles a function's signature to: each parameter's type, the return type.

A parameter's type comes from its annotation, from a ``# type: (...) -> ...`` signature
comment (:func:`~.annotations.type_line`), or, with neither, is ``Tensor``. TorchScript's two
readers differ (pytorch@v2.13.0:torch/jit/frontend.py:340, torch/jit/annotations.py:112), and
both were measured with torch 2.13:

- a compiled function (``build_def``, ``merge_type_from_type_comment``) takes the comment
  *over* its annotations, parameters and return alike: ``def fn(x: Tensor, k: int) -> int``
  with ``# type: (Tensor, float) -> float`` compiles as ``(Tensor x, float k) -> float``;
- an ``@torch.jit.ignore`` / ``@torch.jit.unused`` function (``get_signature``) uses its
  annotations when it has any (a parameter's or the return's), else the comment.

A comment TorchScript rejects (TS225), or one whose count does not match the parameters, makes
the whole signature unknown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import libcst as cst

from tsinspect.lint.calls import ignore_kind
from tsinspect.lint.reach import ClassInfo
from tsinspect.lint.rule import LintContext
from tsinspect.lint.types.annotations import (
    TypeLine,
    annotation_type,
    comment_type,
    type_line,
)
from tsinspect.lint.types.lattice import TENSOR, Type
from tsinspect.lint.types.memo import file_memo

Source = Literal["annotation", "comment", "implicit"]


@dataclass(frozen=True)
class Parameter:
    """One parameter as TorchScript types it (``self`` is never one).

    ``type``: the declared type (None: unknown); ``source``: ``"annotation"``, ``"comment"``
    or ``"implicit"`` (neither: TorchScript assumes ``Tensor``). ``node`` is the def's
    parameter (None in a :class:`Signature` built from known types).
    """

    name: str
    type: Type | None
    source: Source = "annotation"
    has_default: bool = False
    keyword_only: bool = False
    node: cst.Param | None = field(default=None, compare=False, repr=False)

    @property
    def default(self) -> cst.BaseExpression | None:
        """The default value as written (None: no default, or no ``node``)."""
        return self.node.default if self.node is not None else None


@dataclass(frozen=True)
class Signature:
    """A callee's TorchScript signature, ``self`` left out: what arguments must be, and what
    the call returns (None: unknown). Build one with :func:`signature_of`, or directly."""

    params: tuple[Parameter, ...]
    returns: Type | None

    def bind(self, call: cst.Call) -> list[tuple[cst.Arg, Parameter]] | None:
        """Each argument of ``call`` with the parameter it fills; None for ``*a``/``**k``."""
        bound: list[tuple[cst.Arg, Parameter]] = []
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


def is_method(context: LintContext, node: cst.FunctionDef) -> bool:
    """A def in a class body that takes ``self``/``cls`` first (not a ``@staticmethod``)."""
    holder = context.parent(node)
    owner = context.parent(holder) if isinstance(holder, cst.IndentedBlock) else None
    if not isinstance(owner, cst.ClassDef):
        return False
    return not any(
        isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod"
        for d in node.decorators
    )


def _uses_comment(context: LintContext, node: cst.FunctionDef, comment: TypeLine) -> bool:
    """Whether TorchScript types ``node`` from its signature comment (see the module doc)."""
    if comment.text is None:
        return False
    if ignore_kind(context, node) is None:
        return True
    params = [*node.params.posonly_params, *node.params.params, *node.params.kwonly_params]
    if is_method(context, node):
        params = params[1:]
    return node.returns is None and all(param.annotation is None for param in params)


def _typed(context: LintContext, node: cst.FunctionDef) -> tuple[Parameter, ...] | None:
    """Every named parameter after ``self``/``cls`` (``*args``/``**kwargs`` left out), typed;
    None when a signature comment cannot be followed."""
    params = node.params
    ordered = [(p, False) for p in (*params.posonly_params, *params.params)]
    ordered += [(p, True) for p in params.kwonly_params]
    if is_method(context, node):
        if not ordered:
            return None
        ordered = ordered[1:]
    comment = type_line(context, node)
    if comment.problem is not None:
        return None
    if _uses_comment(context, node, comment):
        if comment.arguments is None or len(comment.arguments) != len(ordered):
            return None
        return tuple(
            Parameter(
                param.name.value,
                comment_type(context, argument),
                "comment",
                param.default is not None,
                keyword_only,
                param,
            )
            for (param, keyword_only), argument in zip(ordered, comment.arguments, strict=True)
        )
    return tuple(
        Parameter(
            param.name.value,
            annotation_type(context, param.annotation) if param.annotation else TENSOR,
            "annotation" if param.annotation else "implicit",
            param.default is not None,
            keyword_only,
            param,
        )
        for param, keyword_only in ordered
    )


def parameters(context: LintContext, node: cst.FunctionDef) -> tuple[Parameter, ...] | None:
    """The parameters after ``self``/``cls``, typed as TorchScript types them; None when the
    signature cannot be read with certainty (``*args``, an unreadable or miscounted comment)."""
    params = node.params
    if isinstance(params.star_arg, cst.Param) or params.star_kwarg is not None:
        return None
    return _typed(context, node)


def parameter_types(context: LintContext, node: cst.FunctionDef) -> dict[str, Type | None]:
    """Every parameter name -> the type a local of that name starts with in the body.

    :func:`parameters`' types, except: ``self``, ``*args`` and ``**kwargs`` are unknown, and
    so is an unannotated parameter with a default other than ``None`` (``scale=2``: the
    function fails to script, TS220). All are unknown when the comment cannot be followed.
    """
    params = node.params
    types: dict[str, Type | None] = {
        param.name.value: None
        for param in (*params.posonly_params, *params.params, *params.kwonly_params)
    }
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            types[star.name.value] = None
    for parameter in _typed(context, node) or ():
        default = parameter.default
        dropped = parameter.source == "implicit" and not (
            default is None or (isinstance(default, cst.Name) and default.value == "None")
        )
        types[parameter.name] = None if dropped else parameter.type
    return types


def return_type(context: LintContext, node: cst.FunctionDef) -> Type | None:
    """The declared return type: the signature comment's when TorchScript uses it, else the
    annotation's; None when undeclared or unknown."""
    comment = type_line(context, node)
    if comment.problem is not None:
        return None
    if _uses_comment(context, node, comment):
        return comment_type(context, comment.returns)
    return annotation_type(context, node.returns)


def declares_return(context: LintContext, node: cst.FunctionDef) -> bool:
    """The return type is declared (an annotation or a signature comment), or cannot be
    followed: TorchScript does not infer it from the ``return`` statements."""
    if node.returns is not None:
        return True
    comment = type_line(context, node)
    return comment.problem is not None or _uses_comment(context, node, comment)


def signature_of(context: LintContext, node: cst.FunctionDef) -> Signature:
    """The signature TorchScript compiles ``node`` with (``context`` is the defining file's):
    the parameters typed as in :func:`parameter_types`."""
    types = parameter_types(context, node)
    params: list[Parameter] = []
    positional = [*node.params.posonly_params, *node.params.params]
    if is_method(context, node):
        positional = positional[1:]
    for param in positional:
        params.append(
            Parameter(
                param.name.value,
                types[param.name.value],
                has_default=param.default is not None,
                node=param,
            )
        )
    for param in node.params.kwonly_params:
        params.append(
            Parameter(
                param.name.value,
                types[param.name.value],
                has_default=param.default is not None,
                keyword_only=True,
                node=param,
            )
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
) -> cst.FunctionDef | None:
    """The same-file def ``func(...)`` calls.

    ``helper(...)``: a module-level def; ``self.method(...)``: the method of ``owner`` (the
    class the calling method belongs to) when no same-file subclass overrides it.
    """
    if isinstance(func, cst.Name):
        target = context.is_module_level_function(func)
        if target is not None and _plain_callee(context, target):
            return target
    elif (
        isinstance(func, cst.Attribute)
        and isinstance(func.value, cst.Name)
        and func.value.value == self_name
        and owner is not None
    ):
        method = _resolve_method(context, owner, func.attr.value)
        if method is not None:
            return method
    return None


def callee_signature(
    context: LintContext,
    func: cst.BaseExpression,
    self_name: str | None,
    owner: ClassInfo | None,
) -> Signature | None:
    """The declared signature of what ``func(...)`` calls (see :func:`callee_def`).

    The one place to extend for callees in other files: return ``signature_of(<their file's
    context>, <their def>)``, or a ``Signature`` built from known types. An
    undeclared return is inferred by the flow pass (``flow.callee_return_type``).
    """
    cache: dict[int, Signature | None] = file_memo(context, "signatures")
    key = id(func)
    if key not in cache:
        found = callee_def(context, func, self_name, owner)
        cache[key] = None if found is None else signature_of(context, found)
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
    for other in context.reach.subclasses(owner):
        if other is not owner and name in other.methods:
            return None  # a subclass overrides it: which one runs depends on the instance
    return method
