"""Parse an edited file again by parsing only the top-level statements the edit touched.

libcst's parse of a 1,000-line file costs 110-200 ms, most of the language server's budget
for an edit. An edit usually changes one function: the other top-level statements' trees
can be kept, and only the text from the first touched statement to the last is parsed.

The tree built that way must be the tree ``cst.parse_module`` builds for the new text (the
lint of it is then the lint of the new text, exactly). It is where a top-level statement's
tree is a function of its own text: a statement starts at column 0 of a new line, outside
any bracket, and its code (its leading blank lines and comments included) ends with its last
newline. The module-wide things a parse decides are checked, and anything else parses the
whole text again:

- the statements on either side of the change are parsed again too (a change that starts or
  ends on a boundary can move a comment from one statement to the next);
- the default indentation (the first indented block's) and newline must come out the same;
- a region whose text starts or ends in blank lines or comments that libcst would give to
  the module's header or footer, or a statement after it led by indented lines (a block
  above may own them), is not spliced;
- the module's own header and footer are never in the region, and a file without a final
  newline is parsed whole.

``tests/lint/test_reparse.py`` compares the spliced tree with a full parse
(``libcst.deep_equals``) over thousands of edits of real files.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import libcst as cst

from tsinspect.lint.positions import Counting


@dataclass(frozen=True)
class ParsedText:
    """A parsed text, with the extent of each top-level statement's code in it.

    ``lengths`` and ``lines``: characters and lines of each top-level statement's code (its
    leading lines included), in the order of ``module.body``; ``header``: characters of the
    module's header lines. Positions use ``lines`` (:class:`tsinspect.lint.positions.Positions`).
    """

    text: str
    module: cst.Module
    header: int
    lengths: tuple[int, ...]
    lines: tuple[int, ...]
    # the first top-level statement with an indented block (it sets the default indent)
    first_block: int | None
    # id of a top-level class -> where each statement of its body starts, and where the last
    # one ends, in characters from the class's code start (known for classes edited before)
    members: Mapping[int, tuple[int, ...]] = field(default_factory=dict)


def parse_text(text: str) -> ParsedText:
    """``cst.parse_module(text)`` with the statements' extents (raises as it does)."""
    module = cst.parse_module(text)
    lengths, lines = _extents(module, module.body)
    return ParsedText(
        text, module, _header_length(module), lengths, lines, _first_block(module.body)
    )


def reparse(previous: ParsedText | None, text: str) -> ParsedText:
    """``parse_text(text)``, parsing only the statements that changed since ``previous``."""
    spliced = _splice(previous, text) if previous is not None else None
    return spliced if spliced is not None else parse_text(text)


def splice(
    previous: ParsedText, text: str, accepts: Callable[[str], bool] | None = None
) -> ParsedText | None:
    """``parse_text(text)`` from ``previous`` by parsing only the statements that changed;
    None where that cannot be the full parse's tree. ``accepts``: asked about each text
    handed to libcst's parser (the region alone, or inside a stand-in ``class _:``) before it
    is parsed; False gives None."""
    return _splice(previous, text, accepts)


def _extents(
    module: cst.Module, statements: Sequence[cst.BaseStatement]
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    lengths: list[int] = []
    lines: list[int] = []
    for statement in statements:
        counting = Counting(module.default_indent, module.default_newline)
        statement._codegen(counting)
        lengths.append(counting.chars)
        lines.append(counting.line)
    return tuple(lengths), tuple(lines)


def _header_length(module: cst.Module) -> int:
    counting = Counting(module.default_indent, module.default_newline)
    for line in module.header:
        line._codegen(counting)
    return counting.chars


def _common(same: Callable[[int], bool], limit: int) -> int:
    """The largest ``n <= limit`` with ``same(n)`` (``same`` holds up to some n, then never):
    a binary search of slice comparisons, which run in C, where a loop over characters
    costs 5-10 ms for a 50,000-character file."""
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if same(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _indented(lines: Sequence[cst.EmptyLine]) -> bool:
    """Lines with whitespace before them (at the top level, the indentation is in it)."""
    return any(line.whitespace.value for line in lines)


def _opens_block(node: cst.CSTNode) -> bool:
    """True when the statement has an indented block (an INDENT token) in it."""
    for child in node.children:
        if isinstance(child, cst.IndentedBlock):
            return True
        clause = (cst.Else, cst.ExceptHandler, cst.ExceptStarHandler, cst.Finally, cst.If)
        if isinstance(child, (*clause, cst.MatchCase)) and _opens_block(child):
            return True
    return False


def _first_block(statements: Sequence[cst.BaseStatement]) -> int | None:
    return next((i for i, s in enumerate(statements) if _opens_block(s)), None)


def _splice(
    previous: ParsedText, text: str, accepts: Callable[[str], bool] | None = None
) -> ParsedText | None:
    old_text, module = previous.text, previous.module
    body = module.body
    if not body or not module.has_trailing_newline or module.footer:
        return None
    if text == old_text:
        return previous
    # the unchanged prefix and suffix, in characters
    limit = min(len(old_text), len(text))
    start = _common(lambda n: old_text[:n] == text[:n], limit)
    end = _common(lambda n: old_text[len(old_text) - n :] == text[len(text) - n :], limit - start)
    # statement i spans [offsets[i], offsets[i + 1]) of the old text
    offsets = [previous.header]
    for length in previous.lengths:
        offsets.append(offsets[-1] + length)
    if offsets[-1] != len(old_text):
        return None
    changed_from, changed_to = start, len(old_text) - end  # old text [from, to) changed
    if changed_from <= previous.header:
        return None
    # the statements holding the last unchanged character before the change and the first
    # one after it: a change on a boundary parses the statements on both sides again
    first = next(i for i in range(len(body)) if offsets[i + 1] >= changed_from)
    last = next((i for i in range(first, len(body)) if offsets[i + 1] > changed_to), len(body) - 1)
    if first == last:
        inside = _splice_in_class(
            previous, first, offsets[first], changed_from, changed_to, text, accepts
        )
        if inside is not None:
            return inside
    region = text[offsets[first] : offsets[last + 1] + len(text) - len(old_text)]
    if accepts is not None and not accepts(region):
        return None
    try:
        part = cst.parse_module(region)
    except Exception:  # the whole parse says what is wrong, in the engine's words
        return None
    after = body[last + 1 :]
    if (
        not part.body
        or part.footer
        or not part.has_trailing_newline
        or part.default_newline != module.default_newline
        or _indented(part.header)
        or _indented(part.body[0].leading_lines)
        or (after and _indented(after[0].leading_lines))
    ):
        return None
    # The default indent is the file's first indented block's: the spliced statements must
    # have been parsed with the one the whole text gives.
    in_before = previous.first_block is not None and previous.first_block < first
    in_part = _first_block(part.body)
    if in_part is not None and part.default_indent != module.default_indent:
        return None
    was_in_region = previous.first_block is not None and first <= previous.first_block <= last
    if not in_before and in_part is None and was_in_region:
        return None
    statements = list(part.body)
    if part.header:
        # Blank lines and comments before the region's first statement: the module's
        # header in a parse of the region alone, that statement's leading lines in the file.
        lead = statements[0]
        statements[0] = lead.with_changes(leading_lines=(*part.header, *lead.leading_lines))
    spliced = module.with_changes(body=(*body[:first], *statements, *after))
    lengths, lines = _extents(spliced, statements)
    if in_before:
        first_block = previous.first_block
    elif in_part is not None:
        first_block = first + in_part
    elif previous.first_block is not None:
        first_block = previous.first_block + len(statements) - (last + 1 - first)
    else:
        first_block = None
    return ParsedText(
        text,
        spliced,
        previous.header,
        (*previous.lengths[:first], *lengths, *previous.lengths[last + 1 :]),
        (*previous.lines[:first], *lines, *previous.lines[last + 1 :]),
        first_block,
        _kept_members(previous, spliced.body),
    )


def _kept_members(
    previous: ParsedText, body: Sequence[cst.BaseStatement]
) -> dict[int, tuple[int, ...]]:
    """The measured members of the classes the new tree still holds (the same nodes, so the
    same code and the same offsets from their start): a later edit in one of them need not
    generate its code again. Only nodes alive in ``body``: an id is reused once its node is
    freed."""
    if not previous.members:
        return {}
    return {id(node): previous.members[id(node)] for node in body if id(node) in previous.members}


def _plain(lines: Sequence[cst.EmptyLine]) -> bool:
    """Blank lines, and comments at the block's own indentation: no block above can own them."""
    return all(
        not line.whitespace.value and (line.indent or line.comment is None) for line in lines
    )


def _leading(statement: cst.BaseStatement) -> Sequence[cst.EmptyLine]:
    if isinstance(statement, cst.SimpleStatementLine | cst.BaseCompoundStatement):
        return statement.leading_lines
    return ()


class _Members(Counting):
    """Code generation of a class that notes where each statement of its body starts."""

    def __init__(self, module: cst.Module, members: Sequence[cst.BaseStatement]) -> None:
        super().__init__(module.default_indent, module.default_newline)
        self.wanted = {id(member): index for index, member in enumerate(members)}
        self.found = [0] * (len(members) + 1)
        self.last = members[-1]

    def before_codegen(self, node: cst.CSTNode) -> None:
        index = self.wanted.get(id(node))
        if index is not None:
            self.found[index] = self.chars

    def after_codegen(self, node: cst.CSTNode) -> None:
        if node is self.last:
            self.found[-1] = self.chars


def _measure(
    module: cst.Module, statements: Sequence[cst.BaseStatement], indent: str
) -> tuple[list[int], int]:
    """Characters of each statement's code inside a block indented by ``indent``, and lines."""
    lengths: list[int] = []
    lines = 0
    for statement in statements:
        counting = Counting(module.default_indent, module.default_newline)
        counting.indent_tokens = [indent]
        statement._codegen(counting)
        lengths.append(counting.chars)
        lines += counting.line
    return lengths, lines


def _splice_in_class(
    previous: ParsedText,
    index: int,
    class_start: int,
    changed_from: int,
    changed_to: int,
    text: str,
    accepts: Callable[[str], bool] | None = None,
) -> ParsedText | None:
    """An edit inside one top-level class: parse only the statements of its body it touched
    (a method, usually), inside a stand-in ``class _:`` so that they parse at their own
    indentation; None where that cannot be the full parse's tree."""
    module = previous.module
    node = module.body[index]
    if not isinstance(node, cst.ClassDef) or not isinstance(node.body, cst.IndentedBlock):
        return None
    block = node.body
    members = block.body
    if len(members) < 2:
        return None
    known = previous.members.get(id(node))
    if known is None:
        measuring = _Members(module, members)
        node._codegen(measuring)
        known = tuple(measuring.found)
    offsets = [class_start + offset for offset in known]
    if changed_from <= offsets[0] or changed_to >= offsets[-1]:
        return None  # the class's header, or what follows its last statement
    first = next(i for i in range(len(members)) if offsets[i + 1] >= changed_from)
    last = next(i for i in range(first, len(members)) if offsets[i + 1] > changed_to)
    ends_class = last == len(members) - 1
    # Lines after the class's last statement: an indented comment there belongs to the
    # innermost block deep enough for it, which the edit may change; blank lines and comments
    # at column 0 before the next statement are that statement's whatever the class holds.
    if ends_class and (
        block.footer
        or index + 1 >= len(module.body)
        or not _plain(_leading(module.body[index + 1]))
    ):
        return None
    delta = len(text) - len(previous.text)
    region = text[offsets[first] : offsets[last + 1] + delta]
    indent = block.indent if block.indent is not None else module.default_indent
    stand_in_text = f"class _:{module.default_newline}{region}"
    if accepts is not None and not accepts(stand_in_text):
        return None
    try:
        stand_in = cst.parse_module(stand_in_text)
    except Exception:
        return None
    parsed = stand_in.body[0] if len(stand_in.body) == 1 else None
    if (
        not isinstance(parsed, cst.ClassDef)
        or not isinstance(parsed.body, cst.IndentedBlock)
        or parsed.body.footer
        or stand_in.footer
        or stand_in.header
        or parsed.leading_lines
        or not stand_in.has_trailing_newline
        or stand_in.default_newline != module.default_newline
        or stand_in.default_indent != module.default_indent
        or (parsed.body.indent or stand_in.default_indent) != indent
        or not _plain(_leading(parsed.body.body[0]))
        or not (ends_class or _plain(_leading(members[last + 1])))
    ):
        return None
    statements = parsed.body.body
    spliced_class = node.with_changes(
        body=block.with_changes(body=(*members[:first], *statements, *members[last + 1 :]))
    )
    body = module.body
    spliced = module.with_changes(body=(*body[:index], spliced_class, *body[index + 1 :]))
    new_lengths, new_lines = _measure(module, statements, indent)
    _, old_lines = _measure(module, members[first : last + 1], indent)
    starts = list(known[: first + 1])
    for length in new_lengths:
        starts.append(starts[-1] + length)
    starts.extend(offset + delta for offset in known[last + 2 :])
    return ParsedText(
        text,
        spliced,
        previous.header,
        (
            *previous.lengths[:index],
            previous.lengths[index] + delta,
            *previous.lengths[index + 1 :],
        ),
        (
            *previous.lines[:index],
            previous.lines[index] + new_lines - old_lines,
            *previous.lines[index + 1 :],
        ),
        previous.first_block,
        {**_kept_members(previous, spliced.body), id(spliced_class): tuple(starts)},
    )
