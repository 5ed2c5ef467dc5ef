"""What TorchScript reads as a function's signature: each parameter's declared type.

A parameter's type comes from its annotation, from a ``# type: (...) -> ...`` signature
comment, or, with neither, is ``Tensor``. TorchScript's two readers differ
(pytorch@v2.13.0:torch/jit/frontend.py:340, torch/jit/annotations.py:112):

- a compiled function (``build_def``) merges the signature comment *over* its annotations:
  with both, the comment wins;
- an ``@torch.jit.ignore`` / ``@torch.jit.unused`` function (``get_signature``) uses its
  annotations when it has any (a parameter's or the return's), else the comment.

The comment is found the way ``get_type_line`` finds it (torch/jit/annotations.py:243): every
line of the function's source (decorators included) that contains ``# type:`` and is not a
``# type: ignore`` / ``# type: ignore[code]`` ending the line. One such line is the signature;
several are the PEP 484 per-argument form, closed by a ``# type: (...) -> R`` line. The
readers here return None (unknown) for anything they cannot follow, and :func:`type_line`
says why TorchScript itself would reject a comment (TS225).

Types are :class:`TSType` values: ``Tensor``, ``int``, ``float``, ``bool``, ``str``,
``complex``, ``None``, ``number`` (a ``Scalar``, what ``Tensor.item()`` returns), and
``Optional[T]``, ``List[T]``, ``Tuple[T, ...]``, ``Dict[K, V]``. ``?`` stands for an unknown
element (``Tuple[int, ?]``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import libcst as cst

from tsinspect.lint.rule import LintContext
from tsinspect.lint.rules._calls import ignore_kind

# get_type_line's filters, verbatim (pytorch@v2.13.0:torch/jit/annotations.py:260 and :265).
_IGNORE = re.compile("# type:\\ ignore(\\[[a-zA-Z-]+\\])?$")
_WRONG_PREFIX = re.compile("#[\t ]*type[\t ]*(?!: ignore(\\[.*\\])?$):")
_NEWLINE = re.compile(r"\r\n|\r|\n")
_SIGNATURE = re.compile(r"^# type:\s*(?P<args>\(.*\))\s*->\s*(?P<returns>\S.*)$")


@dataclass(frozen=True)
class TSType:
    """A TorchScript type: a name and its element types (``List[int]``: ``List`` and ``int``)."""

    name: str
    args: tuple[TSType, ...] = ()

    def __str__(self) -> str:
        if not self.args and self.name != "Tuple":
            return self.name
        return f"{self.name}[{', '.join(str(arg) for arg in self.args)}]"

    @property
    def known(self) -> bool:
        """No unknown (``?``) part."""
        return self.name != "?" and all(arg.known for arg in self.args)


TENSOR = TSType("Tensor")
INT = TSType("int")
FLOAT = TSType("float")
BOOL = TSType("bool")
STR = TSType("str")
NONE = TSType("None")
NUMBER = TSType("number")
UNKNOWN = TSType("?")
INT_LIST = TSType("List", (INT,))

_SIMPLE = {
    "builtins.int": INT,
    "builtins.float": FLOAT,
    "builtins.bool": BOOL,
    "builtins.str": STR,
    "builtins.complex": TSType("complex"),
    "torch.Tensor": TENSOR,
}
_CONSTRUCTORS = {
    "typing.Optional": "Optional",
    "typing.List": "List",
    "builtins.list": "List",
    "typing.Tuple": "Tuple",
    "builtins.tuple": "Tuple",
    "typing.Dict": "Dict",
    "builtins.dict": "Dict",
    "typing.Union": "Union",
}
# How a type comment spells them: names are looked up in the function's globals, which the
# linter does not follow, so only the usual spellings are read.
_COMMENT_NAMES = {
    "Tensor": "torch.Tensor",
    "torch.Tensor": "torch.Tensor",
    "int": "builtins.int",
    "float": "builtins.float",
    "bool": "builtins.bool",
    "str": "builtins.str",
    "List": "typing.List",
    "Tuple": "typing.Tuple",
    "Optional": "typing.Optional",
    "Dict": "typing.Dict",
    "typing.List": "typing.List",
    "typing.Tuple": "typing.Tuple",
    "typing.Optional": "typing.Optional",
    "typing.Dict": "typing.Dict",
}


def _dotted(expression: cst.BaseExpression) -> str | None:
    if isinstance(expression, cst.Name):
        return expression.value
    if isinstance(expression, cst.Attribute):
        inner = _dotted(expression.value)
        return None if inner is None else f"{inner}.{expression.attr.value}"
    return None


def _read_type(
    expression: cst.BaseExpression, names: Callable[[cst.BaseExpression], frozenset[str]]
) -> TSType | None:
    """The type an annotation expression denotes, with ``names`` resolving a name; None if unknown."""
    if isinstance(expression, cst.Name) and expression.value == "None":
        return NONE
    if isinstance(expression, cst.Name | cst.Attribute):
        for name in names(expression):
            if name in _SIMPLE:
                return _SIMPLE[name]
        return None
    if isinstance(expression, cst.BinaryOperation) and isinstance(expression.operator, cst.BitOr):
        left = _read_type(expression.left, names)
        right = _read_type(expression.right, names)
        return _optional_of(left, right)
    if not isinstance(expression, cst.Subscript):
        return None
    constructor = next(
        (_CONSTRUCTORS[n] for n in names(expression.value) if n in _CONSTRUCTORS), None
    )
    if constructor is None:
        return None
    args: list[TSType] = []
    for element in expression.slice:
        if not isinstance(element.slice, cst.Index):
            return None
        inner = _read_type(element.slice.value, names)
        if inner is None:
            return None
        args.append(inner)
    if constructor == "Optional":
        return TSType("Optional", tuple(args)) if len(args) == 1 else None
    if constructor == "Union":
        return _optional_of(*args) if len(args) == 2 else None
    if constructor == "List":
        return TSType("List", tuple(args)) if len(args) == 1 else None
    if constructor == "Dict":
        return TSType("Dict", tuple(args)) if len(args) == 2 else None
    return TSType("Tuple", tuple(args))


def _optional_of(left: TSType | None, right: TSType | None) -> TSType | None:
    """``X | None`` / ``Union[X, None]`` as ``Optional[X]``; other unions are not followed."""
    if left is None or right is None:
        return None
    if right == NONE and left != NONE:
        return TSType("Optional", (left,))
    if left == NONE and right != NONE:
        return TSType("Optional", (right,))
    return None


def annotation_type(context: LintContext, annotation: cst.Annotation | None) -> TSType | None:
    """The type an annotation denotes (names resolved through the file's imports), or None."""
    if annotation is None:
        return None
    return _read_type(annotation.annotation, context.qualified_names)


def _comment_names(expression: cst.BaseExpression) -> frozenset[str]:
    dotted = _dotted(expression)
    found = _COMMENT_NAMES.get(dotted) if dotted is not None else None
    return frozenset({found}) if found is not None else frozenset()


# --- the signature comment ---------------------------------------------------------------------
@dataclass(frozen=True)
class TypeLine:
    """What TorchScript makes of the ``# type:`` comments of one function.

    ``text``: the line it parses as the signature (the per-argument form already joined);
    None when the function has no such comment. ``problem``: why TorchScript rejects the
    comments (None when it reads them); ``line``: the file line the problem is on.
    ``arguments``: the parameter types the comment spells, parsed (None when not readable).
    """

    text: str | None
    problem: str | None = None
    line: int = 0
    arguments: tuple[cst.BaseExpression, ...] | None = None


NO_TYPE_LINE = TypeLine(None)


def _function_lines(context: LintContext, node: cst.FunctionDef) -> Iterator[tuple[int, str]]:
    """(line number, text) of the function's source as ``inspect.getsource`` gives it: from the
    first decorator to the end of the last statement."""
    first = node.decorators[0] if node.decorators else node
    start = context.position(first).start.line
    end = context.position(node).end.line
    lines = _NEWLINE.split(context.source)
    for number in range(start, min(end, len(lines)) + 1):
        yield number, lines[number - 1]


def may_have_type_comment(context: LintContext) -> bool:
    """Cheap test on the whole file before positions are computed."""
    return _has_type_text(context.source)


@functools.lru_cache(maxsize=4)
def _has_type_text(source: str) -> bool:
    return "type" in source and ("# type:" in source or _WRONG_PREFIX.search(source) is not None)


def type_line(context: LintContext, node: cst.FunctionDef) -> TypeLine:
    """The signature comment of ``node`` as TorchScript's ``get_type_line`` finds and parses it."""
    if not may_have_type_comment(context):
        return NO_TYPE_LINE
    lines = list(_function_lines(context, node))
    typed = [(n, text) for n, text in lines if "# type:" in text and not _IGNORE.search(text)]
    if not typed:
        for n, text in lines:
            if _WRONG_PREFIX.search(text):
                return TypeLine(None, "its prefix is not exactly `# type:`", n)
        return NO_TYPE_LINE
    if len(typed) == 1:
        number, text = typed[0]
    else:
        closing = next(((n, t) for n, t in typed if "# type: (...) -> " in t), None)
        if closing is None:
            return TypeLine(
                None,
                "several `# type:` comments, and none is the `# type: (...) -> ...` line "
                "that closes a per-argument signature",
                typed[1][0],
            )
        number, closing_text = closing
        arguments = [
            t[t.find("# type:") + len("# type:") :].strip() for n, t in typed if n < number
        ]
        text = closing_text.replace("...", ", ".join(arguments))
    stripped = text.strip()
    if not stripped.startswith("# type:"):
        return TypeLine(stripped, "code precedes it on its line", number)
    match = _SIGNATURE.match(_drop_trailing_comment(stripped))
    if match is None:
        return TypeLine(stripped, "it is not of the form `# type: (...) -> ...`", number)
    return TypeLine(stripped, None, number, _parse_arguments(match.group("args")))


def _drop_trailing_comment(text: str) -> str:
    """``# type: (int) -> int  # noqa`` -> ``# type: (int) -> int`` (TorchScript's lexer skips it)."""
    head, marker, rest = text.partition("# type:")
    cut = rest.find("#")
    return head + marker + (rest[:cut].rstrip() if cut >= 0 else rest)


def _parse_arguments(text: str) -> tuple[cst.BaseExpression, ...] | None:
    try:
        expression = cst.parse_expression(text)
    except cst.ParserSyntaxError:
        return None
    if isinstance(expression, cst.Tuple):
        if any(isinstance(e, cst.StarredElement) for e in expression.elements):
            return None
        return tuple(e.value for e in expression.elements)
    return (expression,)


# --- parameters --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Parameter:
    """One parameter as TorchScript types it.

    ``type``: the declared type (None: unknown); ``source``: ``"annotation"``, ``"comment"``
    or ``"implicit"`` (neither: TorchScript assumes ``Tensor``).
    """

    node: cst.Param
    type: TSType | None
    source: str
    keyword_only: bool = False

    @property
    def name(self) -> str:
        return self.node.name.value


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


def parameters(context: LintContext, node: cst.FunctionDef) -> tuple[Parameter, ...] | None:
    """The parameters after ``self``/``cls``, typed as TorchScript types them; None when the
    signature cannot be read with certainty (``*args``, an unreadable or miscounted comment)."""
    params = node.params
    if isinstance(params.star_arg, cst.Param) or params.star_kwarg is not None:
        return None
    ordered = [(p, False) for p in (*params.posonly_params, *params.params)]
    ordered += [(p, True) for p in params.kwonly_params]
    if is_method(context, node):
        if not ordered:
            return None
        ordered = ordered[1:]
    comment = type_line(context, node)
    if comment.problem is not None:
        return None
    use_comment = comment.text is not None
    if use_comment and ignore_kind(context, node) is not None:
        # get_signature: annotations, when there are any, hide the comment
        use_comment = node.returns is None and all(p.annotation is None for p, _ in ordered)
    if use_comment:
        if comment.arguments is None or len(comment.arguments) != len(ordered):
            return None
        return tuple(
            Parameter(param, _read_type(argument, _comment_names), "comment", keyword_only)
            for (param, keyword_only), argument in zip(ordered, comment.arguments, strict=True)
        )
    return tuple(
        Parameter(param, annotation_type(context, param.annotation), "annotation", keyword_only)
        if param.annotation is not None
        else Parameter(param, TENSOR, "implicit", keyword_only)
        for param, keyword_only in ordered
    )


def literal_type(node: cst.BaseExpression) -> TSType | None:
    """The Python type of a literal default: number, string, bool, or a tuple of those."""
    if isinstance(node, cst.Integer):
        return INT
    if isinstance(node, cst.Float):
        return FLOAT
    if isinstance(node, cst.SimpleString):
        return None if "b" in node.prefix.lower() else STR
    if isinstance(node, cst.ConcatenatedString):
        return STR
    if isinstance(node, cst.Name) and node.value in ("True", "False"):
        return BOOL
    if (
        isinstance(node, cst.UnaryOperation)
        and isinstance(node.operator, cst.Minus | cst.Plus)
        and isinstance(node.expression, cst.Integer | cst.Float)
    ):
        return literal_type(node.expression)
    if isinstance(node, cst.Tuple):
        elements: list[TSType] = []
        for element in node.elements:
            if isinstance(element, cst.StarredElement):
                return None
            inner = literal_type(element.value)
            if inner is None:
                return None
            elements.append(inner)
        return TSType("Tuple", tuple(elements))
    return None
