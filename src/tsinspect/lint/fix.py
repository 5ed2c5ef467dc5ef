"""Autofix: apply the edits that rules attach to their diagnostics, safely and repeatably.

A rule attaches :class:`~tsinspect.diagnostics.Edit` records (1-based, end-exclusive spans)
only when its fix is mechanical and safe. This module turns them into a new source:

- the edits of one diagnostic are applied all together or not at all;
- identical edits are applied once (two findings that both add ``from typing import Optional``);
- ``from m import a`` and ``from m import b`` inserted at one point become one line;
- a diagnostic whose edits overlap edits already accepted in this pass is deferred: the file is
  linted again after the pass, so the finding comes back with positions in the new text;
- the result must parse with libcst and compile with Python; a diagnostic whose edits break
  the file is never applied;
- passes repeat until no fixable finding remains, at most :data:`MAX_PASSES` times.

Pure: text in, text out. Reading and writing files is the API layer's job (``tsinspect.api.fix``).

Rule authors build their edits with :func:`replace_node`, :func:`insert_before`,
:func:`insert_after` and :func:`import_edits`: they convert libcst's 0-based columns to the
1-based spans of :class:`~tsinspect.diagnostics.Edit`, and ``import_edits`` makes every rule
that needs the same import produce the same edit, so it is applied once.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst
from libcst.metadata import CodeRange

from tsinspect.diagnostics import Diagnostic, Edit, Span, sorted_diagnostics
from tsinspect.lint.guard import parser_refusal

if TYPE_CHECKING:
    from tsinspect.lint.rule import LintContext

# Enough for chains of fixes that unlock each other; a fix that keeps re-creating itself stops here.
MAX_PASSES = 10

# Line breaks as libcst and Python count them (str.splitlines also splits on \x0c, \x1c, ...).
_NEWLINE = re.compile(r"\r\n|\r|\n")

Linter = Callable[[str], Sequence[Diagnostic]]


@dataclass(frozen=True)
class FixResult:
    """The outcome of fixing one source.

    ``applied``: the diagnostics whose edits were applied (each located in the text of the pass
    that fixed it). ``remaining``: what the linter still reports on ``fixed_source``, sorted.
    """

    path: str
    source: str
    fixed_source: str
    applied: tuple[Diagnostic, ...]
    remaining: tuple[Diagnostic, ...]

    @property
    def changed(self) -> bool:
        """True when fixing changed the text."""
        return self.fixed_source != self.source

    def diff(self) -> str:
        """A unified diff from the original to the fixed text (empty when nothing changed)."""
        if not self.changed:
            return ""
        lines = difflib.unified_diff(
            self.source.splitlines(keepends=True),
            self.fixed_source.splitlines(keepends=True),
            fromfile=f"a/{self.path}",
            tofile=f"b/{self.path}",
        )
        # A last line without a newline would glue onto the next file's header.
        return "".join(
            line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n"
            for line in lines
        )


@dataclass(frozen=True, order=True)
class _Replacement:
    """An edit as character offsets into the source: ``source[start:end]`` becomes ``text``."""

    start: int
    end: int
    text: str

    def conflicts_with(self, other: _Replacement) -> bool:
        """Two different edits whose relative order or extent is ambiguous.

        Overlapping ranges conflict, and so does an insertion at or inside the other edit's
        range (its place before or after the other text would be a guess).
        """
        if self == other:
            return False
        if self.start == self.end or other.start == other.end:
            point, span = (self, other) if self.start == self.end else (other, self)
            return span.start <= point.start <= span.end
        return self.start < other.end and other.start < self.end


def line_starts(source: str) -> list[int]:
    """Offset of the first character of each line; ``result[0]`` is line 1."""
    return [0, *(match.end() for match in _NEWLINE.finditer(source))]


def _offset(source: str, starts: Sequence[int], line: int, column: int) -> int | None:
    """1-based (line, column) to an offset; None when outside the text."""
    if line < 1 or line > len(starts) or column < 1:
        return None
    limit = starts[line] if line < len(starts) else len(source)
    offset = starts[line - 1] + column - 1
    return offset if offset <= limit else None


def _replacements(
    source: str, starts: Sequence[int], edits: Sequence[Edit], newline: str
) -> list[_Replacement] | None:
    """A diagnostic's edits as offsets, duplicates merged; None if any span is outside the text."""
    found: list[_Replacement] = []
    for edit in edits:
        span = edit.span
        start = _offset(source, starts, span.line, span.column)
        end = _offset(source, starts, span.end_line, span.end_column)
        if start is None or end is None or end < start:
            return None
        text = edit.replacement
        if newline != "\n" and "\r" not in text:
            text = text.replace("\n", newline)  # keep a CRLF file CRLF
        replacement = _Replacement(start, end, text)
        if replacement not in found:
            found.append(replacement)
    return found


# Inserted import lines, as import helpers and rules write them: ``from module import a, b``
# or ``import module``, each on its own line.
_IMPORT_LINE = re.compile(
    r"(?:from (?P<module>[\w.]+) import (?P<names>\w+(?:, \w+)*)|import (?P<plain>[\w.]+))"
    r"(?P<newline>\r\n|\r|\n)"
)


def _import_block(text: str) -> tuple[dict[str, set[str]], set[str], str] | None:
    """``from`` imports (module -> names), plain imports and the newline of an inserted
    block of import lines; None when ``text`` is anything else."""
    froms: dict[str, set[str]] = {}
    plain: set[str] = set()
    newlines: set[str] = set()
    position = 0
    while position < len(text):
        match = _IMPORT_LINE.match(text, position)
        if match is None:
            return None
        if match["plain"]:
            plain.add(match["plain"])
        else:
            froms.setdefault(match["module"], set()).update(match["names"].split(", "))
        newlines.add(match["newline"])
        position = match.end()
    if len(newlines) != 1:
        return None
    return froms, plain, newlines.pop()


def _merge_import(accepted: list[_Replacement], insertion: _Replacement) -> bool:
    """Fold an inserted import block into an accepted one inserted at the same point.

    Two findings that need different names (``Optional`` and ``List`` from typing,
    ``Optional`` and ``torch.Tensor``), or one finding that needs two, would otherwise
    conflict (two insertions at one point) and never be fixed; one block of import lines,
    a ``from m import a, b`` per module, gives them all. Returns True if merged.
    """
    if insertion.start != insertion.end:
        return False
    block = _import_block(insertion.text)
    if block is None:
        return False
    for index, other in enumerate(accepted):
        if other.start != insertion.start or other.end != insertion.end:
            continue
        found = _import_block(other.text)
        if found is None or found[2] != block[2]:
            continue
        froms = {module: set(names) for module, names in found[0].items()}
        for module, names in block[0].items():
            froms.setdefault(module, set()).update(names)
        newline = block[2]
        lines = [f"import {module}{newline}" for module in sorted(found[1] | block[1])]
        lines += [
            f"from {module} import {', '.join(sorted(names))}{newline}"
            for module, names in sorted(froms.items())
        ]
        accepted[index] = _Replacement(other.start, other.end, "".join(lines))
        return True
    return False


def _splice(source: str, replacements: Sequence[_Replacement]) -> str:
    """Apply non-conflicting replacements, last first so earlier offsets stay valid."""
    text = source
    for replacement in sorted(replacements, reverse=True):
        text = text[: replacement.start] + replacement.text + text[replacement.end :]
    return text


def is_valid_python(source: str) -> bool:
    """True when libcst parses ``source`` and Python compiles it.

    Compiling (not only parsing) also catches what the compiler rejects after parsing, such
    as an import inserted above ``from __future__ import annotations``.
    """
    if parser_refusal(source, "<fixed>") is not None:
        return False  # never handed to libcst: it may crash on what Python refuses
    try:
        cst.parse_module(source)
        compile(source, "<fixed>", "exec", dont_inherit=True)
    except (cst.ParserSyntaxError, SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _dominant_newline(source: str) -> str:
    match = _NEWLINE.search(source)
    return match.group(0) if match else "\n"


def _merged_imports(replacements: Sequence[_Replacement]) -> list[_Replacement]:
    """One finding's edits with its import insertions at one point folded into one."""
    merged: list[_Replacement] = []
    for replacement in replacements:
        if not _merge_import(merged, replacement):
            merged.append(replacement)
    return merged


def _accept(
    accepted: Sequence[_Replacement], own: Sequence[_Replacement]
) -> list[_Replacement] | None:
    """``accepted`` plus one finding's edits (duplicates dropped, imports merged); None on a conflict."""
    combined = list(accepted)
    new: list[_Replacement] = []
    for replacement in own:
        if replacement not in combined and not _merge_import(combined, replacement):
            new.append(replacement)
    if any(r.conflicts_with(a) for r in new for a in combined):
        return None
    return [*combined, *new]


def apply_fixes(
    source: str, diagnostics: Sequence[Diagnostic]
) -> tuple[str, tuple[Diagnostic, ...]]:
    """One pass: apply every fixable diagnostic that does not conflict with an earlier one.

    Returns the new text and the diagnostics applied, in output order. Diagnostics without
    edits, with a span outside the text, with edits that conflict among themselves or with
    edits already accepted are skipped (a later pass sees them again); if the combined result
    would not compile, each diagnostic is re-tried in order and kept only if the text still
    compiles with it.
    """
    starts = line_starts(source)
    newline = _dominant_newline(source)
    accepted: list[_Replacement] = []
    plan: list[tuple[Diagnostic, list[_Replacement]]] = []
    for diagnostic in sorted_diagnostics(list(diagnostics)):
        if diagnostic.fix is None or not diagnostic.fix.edits:
            continue
        own = _replacements(source, starts, diagnostic.fix.edits, newline)
        if own is not None:
            own = _merged_imports(own)
        if own is None or any(a.conflicts_with(b) for i, a in enumerate(own) for b in own[i + 1 :]):
            continue
        combined = _accept(accepted, own)
        if combined is None:
            continue  # deferred: the next pass sees it again at its new position
        accepted = combined
        plan.append((diagnostic, own))
    if not plan:
        return source, ()
    fixed = _splice(source, accepted)
    if is_valid_python(fixed):
        return fixed, tuple(d for d, _ in plan)
    # Some fix breaks the file: keep the ones that do not, in order.
    kept: list[_Replacement] = []
    applied: list[Diagnostic] = []
    for diagnostic, own in plan:
        candidate = _accept(kept, own)
        if candidate is not None and is_valid_python(_splice(source, candidate)):
            kept = candidate
            applied.append(diagnostic)
    return _splice(source, kept), tuple(applied)


def fix_text(source: str, path: str, lint: Linter, max_passes: int = MAX_PASSES) -> FixResult:
    """Lint, apply the fixable findings, lint again, until nothing fixable is left (bounded).

    ``lint`` maps a source text to its diagnostics (the engine with the rules enabled for
    ``path``). A source that does not parse is returned unchanged with its TS001 finding.
    """
    current = source
    applied: list[Diagnostic] = []
    diagnostics = list(lint(current))
    for _ in range(max_passes):
        if not any(d.fix is not None and d.fix.edits for d in diagnostics):
            break
        fixed, used = apply_fixes(current, diagnostics)
        if not used or fixed == current:
            break
        current = fixed
        applied.extend(used)
        diagnostics = list(lint(current))
    return FixResult(
        path=path,
        source=source,
        fixed_source=current,
        applied=tuple(applied),
        remaining=tuple(sorted_diagnostics(diagnostics)),
    )


# --- edits for rule authors ------------------------------------------------------------------


def span_of(code_range: CodeRange) -> Span:
    """libcst's range (lines 1-based, columns 0-based) as a diagnostics span (all 1-based)."""
    return Span(
        code_range.start.line,
        code_range.start.column + 1,
        code_range.end.line,
        code_range.end.column + 1,
    )


def replace_node(context: LintContext, node: cst.CSTNode, replacement: str) -> Edit:
    """An edit replacing ``node``'s text (as PositionProvider locates it) by ``replacement``."""
    return Edit(span_of(context.position(node)), replacement)


def insert_before(context: LintContext, node: cst.CSTNode, text: str) -> Edit:
    """An edit inserting ``text`` just before ``node``."""
    start = context.position(node).start
    return Edit(Span(start.line, start.column + 1, start.line, start.column + 1), text)


def insert_after(context: LintContext, node: cst.CSTNode, text: str) -> Edit:
    """An edit inserting ``text`` just after ``node`` (e.g. ``: Optional[int]`` after a parameter name)."""
    end = context.position(node).end
    return Edit(Span(end.line, end.column + 1, end.line, end.column + 1), text)


def _is_docstring(statement: cst.CSTNode) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _is_future_import(statement: cst.CSTNode) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, cst.ImportFrom)
        and isinstance(small.module, cst.Name)
        and small.module.value == "__future__"
        for small in statement.body
    )


def _imported_as(module: cst.Module, module_name: str, name: str) -> str | None:
    """How top-level imports already make ``module_name.name`` available, if they do."""
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if (
                isinstance(small, cst.ImportFrom)
                and not small.relative
                and small.module is not None
            ):
                if cst.Module([]).code_for_node(small.module) != module_name or isinstance(
                    small.names, cst.ImportStar
                ):
                    continue
                for alias in small.names:
                    if isinstance(alias.name, cst.Name) and alias.name.value == name:
                        if alias.asname is None:
                            return name
                        if isinstance(alias.asname.name, cst.Name):
                            return alias.asname.name.value
            elif isinstance(small, cst.Import):
                for alias in small.names:
                    if cst.Module([]).code_for_node(alias.name) != module_name:
                        continue
                    if alias.asname is None:
                        return f"{module_name}.{name}"
                    if isinstance(alias.asname.name, cst.Name):
                        return f"{alias.asname.name.value}.{name}"
    return None


def import_edits(context: LintContext, module_name: str, name: str) -> tuple[tuple[Edit, ...], str]:
    """The edits that make ``module_name.name`` usable, and the expression to write for it.

    When a top-level import already provides it (``from typing import Optional``, ``import
    typing``, an alias), no edit and that spelling (``Optional``, ``typing.Optional``...).
    Otherwise one insertion of ``from <module_name> import <name>`` on its own line: after
    the module docstring and ``from __future__`` imports, else before the first statement
    (below a shebang, an encoding cookie and header comments). Every rule asking for the same
    import gets the same edit, so :func:`apply_fixes` applies it once.
    """
    existing = _imported_as(context.module, module_name, name)
    if existing is not None:
        return (), existing
    bound = module_bindings(context.module)
    if name not in bound:
        text, spelling = f"from {module_name} import {name}\n", name
    elif module_name.split(".")[0] not in bound:
        # `Optional = None` at module level: importing the name would be undone by it (or
        # undo it); the module's own name is free.
        text, spelling = f"import {module_name}\n", f"{module_name}.{name}"
    else:
        alias = _free_name(f"_{name}", bound)
        text, spelling = f"from {module_name} import {name} as {alias}\n", alias
    body = list(context.module.body)
    header = 0
    while header < len(body) and (
        (header == 0 and _is_docstring(body[header])) or _is_future_import(body[header])
    ):
        header += 1
    if header:
        line = context.position(body[header - 1]).end.line + 1
    elif body:
        line = context.position(body[0]).start.line
    else:
        line = 1
    return (Edit(Span(line, 1, line, 1), text),), spelling


def _free_name(base: str, bound: set[str]) -> str:
    name, number = base, 1
    while name in bound:
        number += 1
        name = f"{base}{number}"
    return name


class _ModuleBindings(cst.CSTVisitor):
    """Names bound at module level: assignments, definitions, imports, loop and ``with``
    targets, ``except ... as``, walrus. Function and class bodies are their own scopes."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def _targets(self, node: cst.CSTNode) -> None:
        if isinstance(node, cst.Name):
            self.names.add(node.value)
        elif isinstance(node, cst.Tuple | cst.List):
            for element in node.elements:
                self._targets(element.value)
        elif isinstance(node, cst.StarredElement):
            self._targets(node.value)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.names.add(node.name.value)
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.names.add(node.name.value)
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._targets(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._targets(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._targets(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._targets(node.target)

    def visit_AsName(self, node: cst.AsName) -> None:
        self._targets(node.name)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._targets(node.target)

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            if alias.asname is None:
                self.names.add(cst.Module([]).code_for_node(alias.name).split(".")[0])

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            if alias.asname is None and isinstance(alias.name, cst.Name):
                self.names.add(alias.name.value)


def module_bindings(module: cst.Module) -> set[str]:
    """The names ``module`` binds at module level (see :class:`_ModuleBindings`)."""
    visitor = _ModuleBindings()
    module.visit(visitor)
    return visitor.names
