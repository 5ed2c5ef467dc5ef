"""The hover: what TorchScript makes of the name under the cursor.

The type comes from the linter's own flow pass (:func:`tsinspect.lint.types.flow.name_types`),
so it is the type the TS2xx rules reason with: ``Optional[Tensor]`` before a ``None`` check,
``Tensor`` after it, ``Tensor (inferred: unannotated parameter)`` for a parameter TorchScript
types as a Tensor because it has no annotation. Whether the enclosing function is compiled,
and by which path, comes from the linter's reach (:mod:`tsinspect.lint.reach`). Never
imports torch.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from tsinspect.lint.engine import compiled_context, display_path
from tsinspect.lint.facts import FileFacts
from tsinspect.lint.guard import parser_refusal
from tsinspect.lint.reach import CompiledFunction
from tsinspect.lint.rule import LintContext
from tsinspect.lint.traversal import walk
from tsinspect.lint.types.flow import name_types
from tsinspect.lint.types.lattice import TENSOR
from tsinspect.lint.types.signatures import parameter_types


@dataclass(frozen=True)
class HoverInfo:
    """What the hover shows about one name.

    ``type_text``: TorchScript's type for it ("" when the linter does not know it);
    ``compiled``: the enclosing function is compiled; ``reach``: its compile path.
    Lines and columns are 1-based, end exclusive (the name's span).
    """

    name: str
    function: str
    type_text: str
    compiled: bool
    reach: tuple[str, ...]
    line: int
    column: int
    end_line: int
    end_column: int

    def markdown(self) -> str:
        """The hover's text."""
        lines = [f"```python\n{self.name}: {self.type_text or 'unknown'}\n```"]
        if not self.type_text:
            lines.append("tsinspect does not know the type TorchScript gives it here.")
        if self.compiled:
            lines.append(f"`{self.function}` is compiled by TorchScript.")
            if self.reach:
                lines.append("Compile path: " + " → ".join(f"`{step}`" for step in self.reach))
        else:
            lines.append(f"`{self.function}` is not compiled by TorchScript (plain Python).")
        return "\n\n".join(lines)


class _NameAt(cst.CSTVisitor):
    """The ``Name`` whose span holds the position, and the defs around it, innermost last."""

    def __init__(self, context: LintContext, line: int, column: int) -> None:
        super().__init__()
        self.context = context
        self.line, self.column = line, column
        self.found: cst.Name | None = None
        self.defs: list[cst.FunctionDef] = []
        self._stack: list[cst.FunctionDef] = []

    def _holds(self, node: cst.CSTNode) -> bool:
        span = self.context.position(node)
        start, end = (span.start.line, span.start.column), (span.end.line, span.end.column)
        return start <= (self.line, self.column) <= end

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self.found is not None:
            return False
        if isinstance(node, cst.FunctionDef):
            if not self._holds(node):
                return False
            self._stack.append(node)
        elif isinstance(node, cst.ClassDef | cst.IndentedBlock | cst.SimpleStatementLine):
            if not self._holds(node):
                return False
        elif isinstance(node, cst.Name) and self._holds(node):
            self.found = node
            self.defs = list(self._stack)
            return False
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        if self._stack and original_node is self._stack[-1]:
            self._stack.pop()


def hover_at(
    text: str, path: str, facts: FileFacts | None, line: int, column: int
) -> HoverInfo | None:
    """The hover for the name at ``line`` (1-based), ``column`` (0-based, in characters);
    None outside any function or away from a name, or when the text does not parse."""
    context = _context(text, path, facts)
    if context is None:
        return None
    finder = _NameAt(context, line, column)
    walk(context.module, finder)
    name = finder.found
    if name is None or not finder.defs:
        return None
    function = finder.defs[-1]
    compiled = _compiled(context, function)
    type_text = _type_text(context, function, name)
    span = context.position(name)
    qualname = compiled.qualname if compiled else function.name.value
    reach = compiled.reach if compiled else ()
    if compiled is not None and compiled.entry is not None:
        entry = compiled.entry
        reach = (*reach, f"(from {display_path(entry.path)}:{entry.line})")
    return HoverInfo(
        name=name.value,
        function=qualname,
        type_text=type_text,
        compiled=compiled is not None,
        reach=reach,
        line=span.start.line,
        column=span.start.column + 1,
        end_line=span.end.line,
        end_column=span.end.column + 1,
    )


# The contexts of the last texts hovered: moving the pointer over one file asks for the same
# parse, positions and reach again and again. Two: a model and the file beside it.
_CONTEXTS: dict[tuple[str, str, str], LintContext] = {}
_KEEP = 2


def _context(text: str, path: str, facts: FileFacts | None) -> LintContext | None:
    """The parsed file with its reach, as the engine builds it; None when it does not parse."""
    key = (path, text, facts.fingerprint() if facts is not None else "")
    found = _CONTEXTS.get(key)
    if found is not None:
        return found
    if parser_refusal(text, path) is not None:
        return None
    try:
        module = cst.parse_module(text)
    except (cst.ParserSyntaxError, RecursionError, MemoryError):
        return None
    context = compiled_context(module, text, path, facts)
    while len(_CONTEXTS) >= _KEEP:
        del _CONTEXTS[next(iter(_CONTEXTS))]
    _CONTEXTS[key] = context
    return context


def _compiled(context: LintContext, function: cst.FunctionDef) -> CompiledFunction | None:
    for compiled in context.reach.functions:
        if compiled.node is function:
            return compiled
    return None


def _type_text(context: LintContext, function: cst.FunctionDef, name: cst.Name) -> str:
    """The type the flow pass gives ``name``; for a parameter, the one it starts with."""
    params = [
        *function.params.posonly_params,
        *function.params.params,
        *function.params.kwonly_params,
    ]
    parameter = next((p for p in params if p.name is name), None)
    if parameter is not None:
        kind = parameter_types(context, function).get(name.value)
        if kind is None:
            return ""
        if parameter.annotation is None and kind == TENSOR:
            return f"{kind} (inferred: unannotated parameter)"
        return str(kind)
    kind = name_types(context, function).get(id(name))
    if kind is None:
        return ""
    if kind == TENSOR and _unannotated_tensor_parameter(context, function, name.value):
        return f"{kind} (inferred: unannotated parameter)"
    return str(kind)


def _unannotated_tensor_parameter(
    context: LintContext, function: cst.FunctionDef, name: str
) -> bool:
    for param in (*function.params.posonly_params, *function.params.params):
        if param.name.value == name and param.annotation is None:
            return parameter_types(context, function).get(name) == TENSOR
    return False
