"""Source ranges of the nodes a file's findings point at, without a whole-module pass.

libcst's ``PositionProvider`` generates the code of the whole module once, recording a range
for every node: 40-60% of a lint of a 1,000-line file (a context manager, two positions and a
dictionary entry per node), paid as soon as one finding needs a line. The ranges only need
the code generated before a node, so this module generates positions for one statement:

- a statement in a body (the module's, or an indented block's) starts at column 0 of a new
  line, with the indentation of its enclosing blocks: with those three known, generating its
  code with libcst's own ``PositionProvidingCodegenState`` records the same ranges for it and
  every node inside it as the whole-module pass does (the generated text from there on is the
  same, and so is every position in it);
- the line it starts at is the start of its top-level statement (the line counts of the
  top-level statements before it, from plain code generation, which costs a tenth of the
  positions pass) plus the lines generated inside that statement before it (plain code
  generation of the top-level statement once, noting where each statement in it starts).

Anything else (a comment in the module's header or footer, a node that is not in the module)
falls back to libcst's whole-module pass, so every answer is ``PositionProvider``'s.
"""

from __future__ import annotations

import re
from collections.abc import Callable, MutableMapping, Sequence

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst.metadata import CodeRange, PositionProvider
from libcst.metadata.position_provider import PositionProvidingCodegenState

# libcst's own split (libcst/metadata/position_provider.py): "\r\n", "\r" and "\n".
_NEWLINE = re.compile(r"\r\n?|\n")


class Counting(CodegenState):
    """Plain code generation that follows the line and column as libcst's positions do (per
    token), and the characters generated; with ``starts``, it records where each
    statement's code starts."""

    def __init__(
        self,
        default_indent: str,
        default_newline: str,
        starts: dict[int, tuple[int, int, tuple[str, ...]]] | None = None,
    ):
        super().__init__(default_indent=default_indent, default_newline=default_newline)
        self.starts = starts
        self.line = 0
        self.column = 0
        self.chars = 0

    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.add_token(token)

    def add_token(self, value: str) -> None:
        # The tokens themselves are not kept: only where they end.
        self.chars += len(value)
        if "\n" in value or "\r" in value:
            segments = _NEWLINE.split(value)
            self.line += len(segments) - 1
            self.column = len(segments[-1])
        else:
            self.column += len(value)

    def before_codegen(self, node: cst.CSTNode) -> None:
        if self.starts is not None and isinstance(node, cst.BaseStatement):
            self.starts[id(node)] = (self.line, self.column, tuple(self.indent_tokens))


class Positions:
    """``PositionProvider``'s ranges for one module, generated a statement at a time.

    ``parent`` gives a node's parent (the lint context's map). ``top_line_counts``: the lines
    each top-level statement's code spans, when the caller knows them (the language server
    keeps them for the statements an edit did not touch); counted here otherwise.
    """

    def __init__(
        self,
        module: cst.Module,
        parent: Callable[[cst.CSTNode], cst.CSTNode | None],
        top_line_counts: Sequence[int] | None = None,
    ) -> None:
        self.module = module
        self._parent = parent
        self._provider = PositionProvider()
        # filled by libcst's codegen states (they write into their provider's table)
        self._computed: MutableMapping[cst.CSTNode, object] = self._provider._computed
        self._done: set[int] = set()
        # where each statement's code starts (line, column, indentation), per top-level statement
        self._starts: dict[int, tuple[int, int, tuple[str, ...]]] = {}
        self._counted: set[int] = set()
        self._whole = False
        self._top_index: dict[int, int] | None = None
        # start line of each top-level statement's code (its leading lines included)
        self._top_starts: list[int] = []
        self._counts = list(top_line_counts) if top_line_counts is not None else None
        self._header_lines: int | None = None

    def position(self, node: cst.CSTNode, within: cst.CSTNode | None = None) -> CodeRange:
        """The node's range: lines 1-based, columns 0-based. ``within``: a statement that
        contains ``node``, for nodes the parent map leaves out (comments, whitespace)."""
        found = self._computed.get(node)
        if found is None:
            self._generate(node, within)
            found = self._computed.get(node)
            if found is None and not self._whole:
                self._generate_whole()
                found = self._computed.get(node)
            if found is None:
                raise KeyError(node)  # not in this module: as PositionProvider
        assert isinstance(found, CodeRange)
        return found

    # --- which code to generate ----------------------------------------------------------------
    def _generate(self, node: cst.CSTNode, within: cst.CSTNode | None) -> None:
        if self._whole:
            return
        chain = self._ancestors(within if within is not None else node)
        if chain is None:
            self._generate_whole()
            return
        top, unit = chain
        if id(unit) in self._done:
            return  # generated already, and node is not in it: a wrong hint
        line = self._top_start(top)
        indent: list[str] = []
        if unit is not top:
            if id(top) not in self._counted:
                # One pass over the top-level statement finds where each statement in it starts.
                counting = Counting(
                    self.module.default_indent, self.module.default_newline, self._starts
                )
                counting.line = line
                top._codegen(counting)
                self._counted.add(id(top))
            start = self._starts.get(id(unit))
            if start is None or start[1] != 0:
                self._generate_whole()  # not at a line's start: never seen, but be right
                return
            line, indent = start[0], list(start[2])
        state = PositionProvidingCodegenState(
            default_indent=self.module.default_indent,
            default_newline=self.module.default_newline,
            provider=self._provider,
            indent_tokens=indent,
            line=line,
            column=0,
        )
        unit._codegen(state)
        self._done.add(id(unit))

    def _ancestors(self, node: cst.CSTNode) -> tuple[cst.CSTNode, cst.CSTNode] | None:
        """(top-level statement, innermost statement in a body) containing ``node``, or None
        when ``node`` is not inside a top-level statement of the module."""
        unit: cst.CSTNode | None = None
        child: cst.CSTNode | None = None
        current: cst.CSTNode | None = node
        while current is not None:
            parent = self._parent(current)
            if parent is None:
                break
            if (
                unit is None
                and isinstance(current, cst.BaseStatement)
                and isinstance(parent, cst.Module | cst.IndentedBlock)
            ):
                unit = current
            child, current = current, parent
        if current is not self.module or child is None or unit is None:
            return None
        if id(child) not in self._top_indices():
            return None
        return child, unit

    def _top_indices(self) -> dict[int, int]:
        if self._top_index is None:
            self._top_index = {id(s): i for i, s in enumerate(self.module.body)}
        return self._top_index

    def _top_start(self, top: cst.CSTNode) -> int:
        """The line the top-level statement's code (leading lines included) starts at."""
        index = self._top_indices()[id(top)]
        module = self.module
        if not self._top_starts:
            counting = Counting(module.default_indent, module.default_newline)
            counting.line = 1
            for empty_line in module.header:
                empty_line._codegen(counting)
            self._top_starts.append(counting.line)
        while len(self._top_starts) <= index:
            known = len(self._top_starts) - 1
            if self._counts is not None and known < len(self._counts):
                lines = self._counts[known]
            else:
                lines = line_count(module, module.body[known])
            self._top_starts.append(self._top_starts[-1] + lines)
        return self._top_starts[index]

    def _generate_whole(self) -> None:
        self._whole = True
        state = PositionProvidingCodegenState(
            default_indent=self.module.default_indent,
            default_newline=self.module.default_newline,
            provider=self._provider,
        )
        self.module._codegen(state)


def line_count(module: cst.Module, statement: cst.CSTNode) -> int:
    """The lines a top-level statement's code spans (its leading lines included), as
    libcst's positions count them."""
    counting = Counting(module.default_indent, module.default_newline)
    statement._codegen(counting)
    return counting.line
