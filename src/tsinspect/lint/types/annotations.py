"""What an annotation or a ``# type:`` comment means to TorchScript, as a :class:`~.lattice.Type`."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import LintContext
from tsinspect.lint.scopes import full_name
from tsinspect.lint.types.lattice import (
    BOOL,
    DEVICE,
    DICT,
    FLOAT,
    INT,
    LIST,
    NONE,
    OPTIONAL,
    STR,
    TENSOR,
    TUPLE,
    UNION,
    Type,
    dict_of,
    list_of,
    optional,
    tuple_of,
    union,
)

_SIMPLE_ANNOTATIONS = {
    "builtins.int": INT,
    "builtins.float": FLOAT,
    "builtins.bool": BOOL,
    "builtins.str": STR,
    "torch.Tensor": TENSOR,
    "torch.nn.Parameter": TENSOR,
    "torch.nn.parameter.Parameter": TENSOR,
    "torch.device": DEVICE,
    # torch/jit/annotations.py: "dtype not yet bound in as its own type"
    "torch.dtype": INT,
}
_GENERICS = {
    "typing.Optional": OPTIONAL,
    "typing_extensions.Optional": OPTIONAL,
    "typing.Union": UNION,
    "typing_extensions.Union": UNION,
    "typing.List": LIST,
    "builtins.list": LIST,
    "typing.Tuple": TUPLE,
    "builtins.tuple": TUPLE,
    "typing.Dict": DICT,
    "builtins.dict": DICT,
}


class _Names:
    """Qualified names of annotation expressions: the file's own nodes, or nodes parsed from a
    string annotation / type comment, whose names are looked up in the module scope."""

    def __init__(self, context: LintContext, parsed: bool) -> None:
        self.context = context
        self.parsed = parsed

    def __call__(self, node: cst.CSTNode) -> frozenset[str]:
        if not self.parsed:
            return self.context.qualified_names(node)
        full = full_name(node)
        if full is None:
            return frozenset()
        bindings = self.context.scopes.module_scope[full.split(".")[0]]
        return frozenset(name for binding in bindings for name in binding.qualified_names(full))


def parse_annotation(context: LintContext, expression: cst.BaseExpression) -> Type | None:
    """The TorchScript type an annotation expression spells, or None when not certain."""
    return _parse(expression, _Names(context, parsed=False))


def annotation_type(context: LintContext, annotation: cst.Annotation | None) -> Type | None:
    """The type of an annotation (``x: Optional[Tensor]``, ``-> List[int]``), or None."""
    return None if annotation is None else parse_annotation(context, annotation.annotation)


def _parse_text(text: str, names: _Names) -> Type | None:
    try:
        expression = cst.parse_expression(text.strip())
    except cst.ParserSyntaxError:
        return None
    return _parse(expression, _Names(names.context, parsed=True))


def _parse(expression: cst.BaseExpression, names: _Names) -> Type | None:
    if isinstance(expression, cst.Name) and expression.value == "None":
        return NONE
    if isinstance(expression, cst.SimpleString):
        value = expression.evaluated_value
        return _parse_text(value, names) if isinstance(value, str) else None
    if isinstance(expression, cst.BinaryOperation) and isinstance(expression.operator, cst.BitOr):
        left = _parse(expression.left, names)
        right = _parse(expression.right, names)
        return None if left is None or right is None else union([left, right])
    if isinstance(expression, cst.Subscript):
        return _parse_generic(expression, names)
    if isinstance(expression, cst.Name | cst.Attribute):
        qualified = names(expression)
        for name in qualified:
            if name in _SIMPLE_ANNOTATIONS:
                return _SIMPLE_ANNOTATIONS[name]
        spelled = expression.value if isinstance(expression, cst.Name) else expression.attr.value
        if spelled == "Tensor" and not qualified:
            return TENSOR
    return None


def _parse_generic(expression: cst.Subscript, names: _Names) -> Type | None:
    kinds = {_GENERICS[name] for name in names(expression.value) if name in _GENERICS}
    if len(kinds) != 1:
        return None
    (kind,) = kinds
    arguments: list[cst.BaseExpression] = []
    for element in expression.slice:
        if not isinstance(element.slice, cst.Index):
            return None
        arguments.append(element.slice.value)
    if kind == TUPLE and len(arguments) == 1 and isinstance(arguments[0], cst.Tuple):
        if arguments[0].elements:
            return None
        return tuple_of()  # Tuple[()]
    parsed: list[Type] = []
    for argument in arguments:
        if isinstance(argument, cst.Ellipsis):
            return None  # Tuple[int, ...]: TorchScript rejects it
        inner = _parse(argument, names)
        if inner is None:
            return None
        parsed.append(inner)
    if kind == OPTIONAL and len(parsed) == 1:
        return optional(parsed[0])
    if kind == UNION and parsed:
        return union(parsed)
    if kind == LIST and len(parsed) == 1:
        return list_of(parsed[0])
    if kind == DICT and len(parsed) == 2:
        return dict_of(parsed[0], parsed[1])
    if kind == TUPLE:
        return tuple_of(*parsed)
    return None


def _source_lines(context: LintContext) -> list[str]:
    return context.source.splitlines()


def has_type_comment(context: LintContext, node: cst.FunctionDef) -> bool:
    """A ``# type: (...) -> ...`` signature comment: TorchScript reads parameter types from it."""
    if "# type:" not in context.source:  # positions cost a pass over the file; most files have none
        return False
    start = context.position(node).start.line
    body = context.position(node.body).start.line
    lines = _source_lines(context)
    return any("# type:" in lines[i - 1] for i in range(start, min(body + 2, len(lines) + 1)))


def _has_annotations(node: cst.FunctionDef) -> bool:
    params = [*node.params.posonly_params, *node.params.params, *node.params.kwonly_params]
    return node.returns is not None or any(param.annotation is not None for param in params)


def type_comment_signature(
    context: LintContext, node: cst.FunctionDef
) -> tuple[list[Type | None], Type | None] | None:
    """Parameter types (``self`` excluded) and return type from a ``# type:`` comment.

    TorchScript reads the comment only when the def has no annotation at all, and looks for
    it in the whole function's source (torch/jit/annotations.py ``get_type_line``): one
    ``# type: (...) -> ...`` line. None when there is none, or more than one (the per-line
    form), or it does not parse.
    """
    if "# type:" not in context.source or _has_annotations(node):
        return None
    position = context.position(node)
    lines = _source_lines(context)[position.start.line - 1 : position.end.line]
    found = [
        line
        for line in lines
        if "# type:" in line
        and not line.rstrip().split("# type:", 1)[1].strip().startswith("ignore")
    ]
    if len(found) != 1 or "->" not in found[0]:
        return None
    text = found[0].split("# type:", 1)[1]
    arguments_text, returns_text = text.split("->", 1)
    names = _Names(context, parsed=True)
    try:
        arguments = cst.parse_expression(arguments_text.strip())
    except cst.ParserSyntaxError:
        return None
    if isinstance(arguments, cst.Tuple):
        elements: list[cst.BaseExpression] = [element.value for element in arguments.elements]
    else:
        elements = [arguments]
    return [_parse(element, names) for element in elements], _parse_text(returns_text, names)
