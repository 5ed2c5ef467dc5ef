"""What an annotation or a ``# type:`` comment means to TorchScript, as a :class:`~.lattice.Type`.

One table of the names TorchScript knows (:data:`_SIMPLE_ANNOTATIONS`, :data:`_GENERICS`)
and one parser serve annotations (any import alias, through the file's qualified names),
string annotations and type comments (their names looked up in the module scope, the way
TorchScript's resolution callback looks them up in the function's globals). A name
TorchScript resolves without an import (``Tensor``, ``List``, ``Optional``... in a comment
or a string, pytorch@v2.13.0:torch/jit/annotations.py ``EvalEnv``) is read even when the file
does not import it. Anything else is unknown (None).

The signature comment is found the way ``get_type_line`` finds it
(pytorch@v2.13.0:torch/jit/annotations.py:243): every line of the function's source
(decorators included) that contains ``# type:`` and is not a ``# type: ignore`` /
``# type: ignore[code]`` ending the line. One such line is the signature; several are the
PEP 484 per-argument form, closed by a ``# type: (...) -> R`` line. :func:`type_line` also
says why TorchScript itself would reject the comments (TS225); which of a comment and the
annotations TorchScript uses is :mod:`.signatures`' business.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from tsinspect.lint.guard import accepted_tree
from tsinspect.lint.rule import LintContext
from tsinspect.lint.scopes import full_name
from tsinspect.lint.traversal import walk
from tsinspect.lint.types.lattice import (
    BOOL,
    COMPLEX,
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
from tsinspect.lint.types.memo import file_memo

# The dtype-specific legacy Tensor classes TorchScript reads as `Tensor`, with a warning:
# "TorchScript will treat type annotations of Tensor dtype-specific subtypes as if they are
# normal Tensors" (pytorch@v2.13.0:torch/jit/annotations.py:371, ``is_tensor``). Measured:
# these nine script; `torch.BFloat16Tensor` and the `torch.cuda.*` / `torch.sparse.*`
# classes fail with "Unknown type name".
LEGACY_TENSOR_CLASSES = frozenset(
    f"torch.{name}Tensor"
    for name in ("Long", "Double", "Float", "Int", "Short", "Half", "Char", "Byte", "Bool")
)
_SIMPLE_ANNOTATIONS = {
    "builtins.int": INT,
    "builtins.float": FLOAT,
    "builtins.bool": BOOL,
    "builtins.str": STR,
    "builtins.complex": COMPLEX,
    "torch.Tensor": TENSOR,
    "torch.nn.Parameter": TENSOR,
    "torch.nn.parameter.Parameter": TENSOR,
    **dict.fromkeys(LEGACY_TENSOR_CLASSES, TENSOR),
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
# What TorchScript resolves in a type comment or a string annotation with no import
# (measured: `# type: (Tensor, Optional[List[int]]) -> Tuple[Tensor, Dict[str, int]]` scripts
# in a file that imports only torch, while `typing.Optional` there is "Unknown type
# constructor typing.Optional").
_UNIMPORTED = {
    "Tensor": "torch.Tensor",
    "List": "typing.List",
    "Tuple": "typing.Tuple",
    "Optional": "typing.Optional",
    "Dict": "typing.Dict",
    "Union": "typing.Union",
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
        found = frozenset(name for binding in bindings for name in binding.qualified_names(full))
        if not found and full in _UNIMPORTED:
            return frozenset({_UNIMPORTED[full]})
        return found


def parse_annotation(context: LintContext, expression: cst.BaseExpression) -> Type | None:
    """The TorchScript type an annotation expression spells, or None when not certain."""
    return _parse(expression, _Names(context, parsed=False))


def annotation_type(context: LintContext, annotation: cst.Annotation | None) -> Type | None:
    """The type of an annotation (``x: Optional[Tensor]``, ``-> List[int]``), or None."""
    return None if annotation is None else parse_annotation(context, annotation.annotation)


def comment_type(context: LintContext, expression: cst.BaseExpression | None) -> Type | None:
    """The type an expression parsed from a ``# type:`` comment spells, or None."""
    return None if expression is None else _parse(expression, _Names(context, parsed=True))


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


# --- the signature comment ---------------------------------------------------------------------
# get_type_line's filters, verbatim (pytorch@v2.13.0:torch/jit/annotations.py:260 and :265).
_IGNORE = re.compile("# type:\\ ignore(\\[[a-zA-Z-]+\\])?$")
_WRONG_PREFIX = re.compile("#[\t ]*type[\t ]*(?!: ignore(\\[.*\\])?$):")
_NEWLINE = re.compile(r"\r\n|\r|\n")
_SIGNATURE = re.compile(r"^# type:\s*(?P<args>\(.*\))\s*->\s*(?P<returns>\S.*)$")


@dataclass(frozen=True)
class TypeLine:
    """What TorchScript makes of the ``# type:`` comments of one function.

    ``text``: the line it parses as the signature (the per-argument form already joined);
    None when the function has no such comment. ``problem``: why TorchScript rejects the
    comments (None when it reads them); ``line``: the file line the problem is on.
    ``arguments`` and ``returns``: the parameter types and the return type the comment
    spells, parsed (None when not readable); read them with :func:`comment_type`.
    """

    text: str | None
    problem: str | None = None
    line: int = 0
    arguments: tuple[cst.BaseExpression, ...] | None = None
    returns: cst.BaseExpression | None = None


NO_TYPE_LINE = TypeLine(None)


def _function_lines(context: LintContext, node: cst.FunctionDef) -> Iterator[tuple[int, str]]:
    """(line number, text) of the function's source as ``inspect.getsource`` gives it: from the
    first decorator to the end of the last statement."""
    span = _function_spans(context).get(id(node))
    if span is None:
        first = node.decorators[0] if node.decorators else node
        span = (context.position(first).start.line, context.position(node).end.line)
    start, end = span
    memo = file_memo(context, "source lines")
    lines = memo.get("lines")
    if lines is None:
        lines = memo["lines"] = _NEWLINE.split(context.source)
    for number in range(start, min(end, len(lines)) + 1):
        yield number, lines[number - 1]


class _Defs(cst.CSTVisitor):
    """Every ``def`` of a libcst tree, in source order."""

    def __init__(self) -> None:
        super().__init__()
        self.defs: list[cst.FunctionDef] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.defs.append(node)


def _ast_defs(node: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Every ``def`` of an ``ast`` tree, in source order (``ast.walk`` is breadth first)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
            yield child
        yield from _ast_defs(child)


def _function_spans(context: LintContext) -> dict[int, tuple[int, int]]:
    """Lines (first decorator, last line) of every ``def`` of the file.

    libcst's positions cost a code generation pass over the whole file (most of the lint time
    of a file with type comments); the standard library's parser gives the same lines for a
    fraction of it. The two trees list their defs in the same source order. Empty when the
    two disagree (the caller then falls back to positions).
    """
    memo = file_memo(context, "function spans")
    if "spans" not in memo:
        spans: dict[int, tuple[int, int]] = {}
        tree = accepted_tree(context.source)
        if tree is None:
            try:
                tree = ast.parse(context.source)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                tree = None
        if tree is not None:
            collector = _Defs()
            walk(context.module, collector)
            defs = list(_ast_defs(tree))
            if len(defs) == len(collector.defs) and all(
                a.name == c.name.value for a, c in zip(defs, collector.defs, strict=True)
            ):
                for a, c in zip(defs, collector.defs, strict=True):
                    start = min([a.lineno, *(d.lineno for d in a.decorator_list)])
                    spans[id(c)] = (start, a.end_lineno or a.lineno)
        memo["spans"] = spans
    spans_found: dict[int, tuple[int, int]] = memo["spans"]
    return spans_found


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
    return TypeLine(
        stripped,
        None,
        number,
        _parse_arguments(match.group("args")),
        _parse_expression(match.group("returns")),
    )


def _drop_trailing_comment(text: str) -> str:
    """``# type: (int) -> int  # noqa`` -> ``# type: (int) -> int`` (TorchScript's lexer skips it)."""
    head, marker, rest = text.partition("# type:")
    cut = rest.find("#")
    return head + marker + (rest[:cut].rstrip() if cut >= 0 else rest)


def _parse_expression(text: str) -> cst.BaseExpression | None:
    try:
        return cst.parse_expression(text.strip())
    except cst.ParserSyntaxError:
        return None


def _parse_arguments(text: str) -> tuple[cst.BaseExpression, ...] | None:
    expression = _parse_expression(text)
    if expression is None:
        return None
    if isinstance(expression, cst.Tuple):
        if any(isinstance(e, cst.StarredElement) for e in expression.elements):
            return None
        return tuple(e.value for e in expression.elements)
    return (expression,)
