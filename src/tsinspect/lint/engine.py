"""One file: bytes -> parse -> one MetadataWrapper -> reach -> one batched visit -> filter -> suppress.

The engine owns the TS0xx diagnostics about the file itself (not Python, not UTF-8) and the
filtering every rule relies on: a report survives only if it lies in compiled code (the
innermost compiled function by position gives its reach path), a semantic report only if it
is not in a branch ``torch.jit.is_scripting()`` prunes, and any report only if no
``# noqa`` / ``# tsinspect: ignore[...]`` comment on its line suppresses it.
"""

from __future__ import annotations

import gc
import io
import os
import re
import tokenize
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

import libcst as cst
from libcst.metadata import CodeRange

from tsinspect.diagnostics import Diagnostic, Fix, Origin, Severity, sorted_diagnostics
from tsinspect.lint.facts import Entry, FileFacts
from tsinspect.lint.guard import TOO_DEEP, content_key, parser_refusal
from tsinspect.lint.noqa import UNUSED_NOQA, unused_suppressions
from tsinspect.lint.reach import CompiledFunction, Reach, analyze
from tsinspect.lint.reparse import ParsedText, parse_text, splice
from tsinspect.lint.rule import LintContext, Phase, Report, Rule
from tsinspect.lint.scopes import Scope
from tsinspect.lint.traversal import visit_batched, walk
from tsinspect.lint.types.memo import forget_file

SYNTAX_ERROR = "TS001"
NOT_UTF8 = "TS002"
UNREADABLE = "TS003"

# Suppression comments: bare noqa, "noqa: TS101, TS102" (ruff's syntax), "tsinspect: ignore[TS101]", "tsinspect: ignore".
NOQA = re.compile(
    r"#\s*noqa(?::\s*(?P<codes>[A-Za-z]+[0-9]+(?:[\s,]+[A-Za-z]+[0-9]+)*))?", re.IGNORECASE
)
TSINSPECT_IGNORE = re.compile(r"#\s*tsinspect:\s*ignore(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)
ALL_CODES = "*"
LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class FileResult:
    """The diagnostics of one file, and the source lines they point at (for snippets).

    ``suppressed``: (line, code) of what the file's suppression comments hid (TS005 is
    recomputed from it when a comment also hides a finding of another file).
    """

    path: str
    diagnostics: tuple[Diagnostic, ...]
    source_lines: Mapping[int, str] = field(default_factory=dict)
    suppressed: tuple[tuple[int, str], ...] = ()


def file_diagnostic(
    rule: type[Rule],
    path: str,
    detail: str,
    line: int = 0,
    column: int = 0,
    headline: str | None = None,
) -> Diagnostic:
    """A TS0xx diagnostic about the file itself, from the rule's metadata (``headline``
    replaces the rule's message where it would not be true of this file)."""
    message = headline or rule.message
    return Diagnostic(
        code=rule.code,
        name=rule.name,
        message=f"{message}: {detail}" if detail else message,
        path=path,
        line=line,
        column=column,
        end_line=line,
        end_column=column,
        severity=rule.severity,
        fix=Fix(rule.fix_hint),
    )


def display_path(path: str) -> str:
    """A path as users read it in messages: relative to the working folder when inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path
    return path if relative.startswith(os.pardir) else relative


def decode_source(data: bytes) -> str:
    """Bytes to text the way Python reads a module (BOM, PEP 263 cookie); raises UnicodeDecodeError."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:  # an unknown coding cookie
        raise UnicodeDecodeError("utf-8", data, 0, 1, str(error)) from None
    return data.decode(encoding)


def source_lines(text: str) -> list[str]:
    """Lines as Python and libcst number them: ``str.splitlines`` also splits on form feeds
    and other separators that are not line breaks in source code."""
    return LINE_BREAK.split(text)


#: TS001's headline when Python accepts the file but libcst's parser does not.
LIBCST_REFUSES = "File not checked: Python accepts it, but libcst's parser refuses it"


def _syntax_error_detail(error: Exception) -> tuple[str, int, int]:
    """libcst's message when it refuses what Python accepted (a construct it does not know)."""
    if isinstance(error, cst.ParserSyntaxError):
        return (error.message.splitlines()[0], error.editor_line, error.editor_column)
    if isinstance(error, RecursionError | MemoryError):
        return (TOO_DEEP, 1, 1)
    return (f"cannot be parsed ({type(error).__name__})", 1, 1)


def parse_suppressions(comments: Sequence[tuple[int, str]]) -> dict[int, set[str]]:
    """Line -> suppressed codes (``*`` for all) from ``(line, comment text)`` pairs."""
    suppressed: dict[int, set[str]] = {}
    for line, text in comments:
        for pattern in (NOQA, TSINSPECT_IGNORE):
            for match in pattern.finditer(text):
                codes = match.group("codes")
                entry = suppressed.setdefault(line, set())
                if not codes or not codes.strip():
                    entry.add(ALL_CODES)
                else:
                    entry.update(
                        code.upper() for code in re.split(r"[\s,]+", codes.strip()) if code
                    )
    return suppressed


def is_suppressed(suppressed: Mapping[int, set[str]], line: int, code: str) -> bool:
    """True when a comment on ``line`` suppresses ``code``."""
    codes = suppressed.get(line)
    return bool(codes) and (ALL_CODES in codes or code in codes)  # type: ignore[operator]


class _CommentCollector(cst.CSTVisitor):
    """The comments that may suppress something (``noqa`` / ``tsinspect`` in them), each with
    the innermost statement around it (where its position is generated from)."""

    def __init__(self) -> None:
        super().__init__()
        self.comments: list[tuple[cst.Comment, cst.CSTNode | None]] = []
        self.statements: list[cst.CSTNode] = []

    def visit_Comment(self, node: cst.Comment) -> None:
        value = node.value.lower()
        if "noqa" in value or "tsinspect" in value:
            self.comments.append((node, self.statements[-1] if self.statements else None))

    def _enter(self, node: cst.CSTNode) -> None:
        self.statements.append(node)

    def _leave(self, original_node: cst.CSTNode) -> None:
        self.statements.pop()

    visit_SimpleStatementLine = visit_FunctionDef = visit_ClassDef = visit_If = _enter
    visit_For = visit_While = visit_Try = visit_TryStar = visit_With = visit_Match = _enter
    leave_SimpleStatementLine = leave_FunctionDef = leave_ClassDef = leave_If = _leave
    leave_For = leave_While = leave_Try = leave_TryStar = leave_With = leave_Match = _leave


def suppression_comments(context: LintContext) -> list[tuple[int, str]]:
    """``(line, text)`` of the file's comments that mention ``noqa`` or ``tsinspect``.

    Only files with diagnostics to keep pay for it, and only those whose text mentions
    either word. libcst's Comment nodes are exactly the file's comments (text inside strings
    never counts) and a walk over them costs less than ``tokenize`` (30 vs 50 ms for timm's
    5.3k-line vision_transformer.py), with no disagreement about syntax the running Python's
    tokenizer does not know.
    """
    lowered = context.source.lower()
    if "noqa" not in lowered and "tsinspect" not in lowered:
        return []
    collector = _CommentCollector()
    walk(context.module, collector)
    return [
        (context.position(comment, within).start.line, comment.value)
        for comment, within in collector.comments
    ]


def _diagnostic(
    report: Report, span: CodeRange, path: str, function: CompiledFunction | None
) -> Diagnostic:
    rule = report.rule
    reach = function.reach if function else report.reach
    if function is not None and function.entry is not None:
        return _through_entry(report, span, path, reach, function.entry)
    return Diagnostic(
        code=rule.code,
        name=rule.name,
        message=report.message,
        path=path,
        # libcst columns are 0-based; ours are 1-based with an exclusive end, as ruff's.
        line=span.start.line,
        column=span.start.column + 1,
        end_line=span.end.line,
        end_column=span.end.column + 1,
        severity=rule.severity,
        fix=Fix(report.fix_hint, report.edits),
        reach=reach,
    )


def _filter(reports: Sequence[Report], context: LintContext) -> list[Diagnostic]:
    kept: dict[tuple[str, int, int, int, int], Diagnostic] = {}
    for report in reports:
        function, pruned = context.placement(report.anchor)
        if function is None and report.rule.compiled_only:
            continue
        if report.rule.phase is Phase.SEMANTIC and pruned:
            continue
        # A warning is about what happens at run time: moot where the code never runs.
        if report.rule.severity is not Severity.ERROR and context.never_runs(report.anchor):
            continue
        span = context.position(report.node)
        key = (report.rule.code, span.start.line, span.start.column, span.end.line, span.end.column)
        if key not in kept:
            kept[key] = _diagnostic(report, span, context.path, function)
    return list(kept.values())


def _through_entry(
    report: Report, span: CodeRange, path: str, reach: tuple[str, ...], entry: Entry
) -> Diagnostic:
    """A finding in code outside the checked paths, reported at the checked line that
    reaches it: scripting the user's model fails there too. Library code is never edited,
    so the fix is a hint only."""
    rule = report.rule
    line = span.start.line
    return Diagnostic(
        code=rule.code,
        name=rule.name,
        message=f"{report.message} (in {display_path(path)}:{line}, compiled from here)",
        path=entry.path,
        line=entry.line,
        column=entry.column,
        end_line=entry.line,
        end_column=entry.column,
        severity=rule.severity,
        fix=Fix(report.fix_hint),
        reach=reach,
        origin=Origin(path, line, span.start.column + 1),
    )


def _may_compile(module: cst.Module, text: str) -> bool:
    """False when nothing in the file can be compiled: no torch, or neither a class with
    bases (a possible nn.Module) nor any mention of ``jit`` (``@torch.jit.script``)."""
    if "torch" not in text:
        return False
    if "jit" in text:
        return True
    return any(isinstance(s, cst.ClassDef) and s.bases for s in _top_level(module.body))


def _top_level(body: Sequence[cst.CSTNode]) -> Iterator[cst.CSTNode]:
    for statement in body:
        yield statement
        if isinstance(statement, cst.If | cst.Try):
            yield from _top_level(statement.body.body)


def lint_source(
    source: str | bytes,
    path: str,
    rules: Sequence[type[Rule]],
    facts: FileFacts | None = None,
) -> FileResult:
    """Lint one file's source with ``rules`` (already selected for this path).

    ``facts``: what the program-wide analysis knows about the file (its modules whose bases
    live elsewhere, its functions compiled from other files); None checks the file alone.
    """
    # libcst builds hundreds of thousands of short-lived nodes per file, and the cyclic
    # collector's passes over them cost ~7% of the run (measured on timm); the trees hold
    # no cycles that outlive the file, so collection waits until the file is done.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _lint_source(source, path, rules, facts)
    finally:
        if collecting:
            gc.enable()


def lint_edited(
    text: str,
    path: str,
    rules: Sequence[type[Rule]],
    facts: FileFacts | None,
    previous: ParsedText | None,
) -> tuple[FileResult, ParsedText | None]:
    """:func:`lint_source` of a new version of a text linted before (the language server's
    buffers): ``previous`` is that lint's parse, and only the top-level statements the edit
    touched are parsed again (:mod:`tsinspect.lint.reparse`: the same tree, the same
    findings). Returns the result and the new parse (None when the text does not parse: the
    next edit starts from ``previous`` again)."""
    parsed: list[ParsedText] = []
    collecting = gc.isenabled()
    gc.disable()
    try:
        result = _lint_source(text, path, rules, facts, previous, parsed)
    finally:
        if collecting:
            gc.enable()
    return result, parsed[0] if parsed else None


def _lint_source(
    source: str | bytes,
    path: str,
    rules: Sequence[type[Rule]],
    facts: FileFacts | None,
    previous: ParsedText | None = None,
    parsed: list[ParsedText] | None = None,
) -> FileResult:
    """``parsed``: when given, the text is parsed with its statements' extents (reparsed
    from ``previous`` when there is one), and the parse is appended to it."""
    by_code = {rule.code: rule for rule in rules}
    if isinstance(source, bytes):
        try:
            text = decode_source(source)
        except (UnicodeDecodeError, LookupError) as error:
            rule = by_code.get(NOT_UTF8)
            detail = f"cannot decode ({error.reason if isinstance(error, UnicodeDecodeError) else error})"
            return FileResult(path, (file_diagnostic(rule, path, detail),) if rule else ())
    else:
        text = source
    key = content_key(source) if isinstance(source, bytes) else None
    spliced = _spliced(previous, text, path) if parsed is not None else None
    # A spliced tree needs no guard over the whole text: see _spliced.
    refusal = None if spliced is not None else parser_refusal(text, path, key)
    line_counts: Sequence[int] | None = None
    if refusal is None:
        try:
            if parsed is None:
                module = cst.parse_module(text)
            else:
                reparsed = spliced or parse_text(text)
                module, line_counts = reparsed.module, reparsed.lines
                parsed.append(reparsed)
        except (cst.ParserSyntaxError, RecursionError, MemoryError) as error:
            # The guard let it through, so Python accepts it: libcst is what refuses
            # (a form feed before an indented line, say). Not checked, and said so truly.
            return _refused(
                text, path, by_code, *_syntax_error_detail(error), headline=LIBCST_REFUSES
            )
    if refusal is not None:
        return _refused(text, path, by_code, *refusal)
    used: list[tuple[int, str]] = []
    try:
        result = _lint_module(module, text, path, rules, facts, used, line_counts)
    except RecursionError:
        # Python accepted it and libcst parsed it, but the tree is deeper than the
        # visitors' recursion allows (a sum of ~500 terms): one line instead of a traceback.
        return _refused(text, path, by_code, "too deeply nested for the linter", 1, 1)
    if UNUSED_NOQA in by_code:
        result = _with_unused_noqa(result, text, used, by_code)
    return replace(result, suppressed=tuple(used)) if used else result


def _spliced(previous: ParsedText | None, text: str, path: str) -> ParsedText | None:
    """The tree of ``text`` spliced from ``previous`` (:func:`tsinspect.lint.reparse.splice`),
    with the parser guard run over the texts libcst parses (the region of the edit alone, or
    in a stand-in class), not over the whole text; None when it cannot be spliced or the
    guard refuses a region (the whole text then goes through the guard and its message).

    The guard's verdict on the region is its verdict on the whole text: ``previous.text`` was
    accepted (by the guard, or by this same argument), the region begins and ends on
    statement boundaries of the same block at the same indentation, with no bracket or string
    open across them (what the splice checks to build the full parse's tree), and Python's
    grammar for a block is a sequence of statements, each parsed alone: the statements around
    the region are tokenized and parsed as before. The one import that changes Python's
    grammar (``from __future__ import barry_as_FLUFL``, for ``<>``) is not looked for in a
    region: a text that mentions it is guarded whole.
    """
    if previous is None or "barry_as_FLUFL" in text:
        return None
    return splice(previous, text, lambda region: parser_refusal(region, path) is None)


def _with_unused_noqa(
    result: FileResult,
    text: str,
    used: Sequence[tuple[int, str]],
    by_code: Mapping[str, type[Rule]],
) -> FileResult:
    """``result`` plus TS005 for the file's suppression comments that hid nothing."""
    from tsinspect.lint.registry import all_rules

    unused = unused_suppressions(
        text, result.path, used, by_code, {rule.code for rule in all_rules()}
    )
    if not unused:
        return result
    lines = source_lines(text)
    snippet = dict(result.source_lines)
    snippet.update({d.line: lines[d.line - 1] for d in unused if 0 < d.line <= len(lines)})
    diagnostics = tuple(sorted_diagnostics([*result.diagnostics, *unused]))
    return FileResult(result.path, diagnostics, snippet)


def _refused(
    text: str,
    path: str,
    by_code: Mapping[str, type[Rule]],
    detail: str,
    line: int,
    column: int,
    headline: str | None = None,
) -> FileResult:
    """TS001 for a file that is not linted: the parser's message, one line, and its snippet."""
    rule = by_code.get(SYNTAX_ERROR)
    if rule is None:
        return FileResult(path, ())
    detail = " ".join(detail.split())  # one line, whatever the parser said
    diagnostic = file_diagnostic(rule, path, detail, line, column, headline)
    lines = source_lines(text)
    snippet = {line: lines[line - 1]} if 0 < line <= len(lines) else {}
    return FileResult(path, (diagnostic,), snippet)


def _lint_module(
    module: cst.Module,
    text: str,
    path: str,
    rules: Sequence[type[Rule]],
    facts: FileFacts | None,
    used: list[tuple[int, str]],
    line_counts: Sequence[int] | None = None,
) -> FileResult:
    """Lint a parsed module (see :func:`_lint_module_in`), then free its tree."""
    contexts: list[LintContext] = []
    try:
        return _lint_module_in(module, text, path, rules, facts, used, contexts, line_counts)
    finally:
        for context in contexts:
            _release(context)


def _release(context: LintContext) -> None:
    """Free the file's tree as soon as the file is done.

    The type pass's memos keep the last file's tree (and its positions) alive until the next
    file, so the collector walked them at every pass. The file's scope graph holds reference
    cycles (a scope holds its bindings, each binding its scope and its reads, each read its
    bindings), which left the whole tree to the cyclic collector: ~400,000 objects over
    torch/nn, 11% of a run. Both are dropped here, and reference counting frees the tree.
    """
    forget_file()
    file_scopes = context._scopes
    if file_scopes is None:
        return
    scopes: dict[int, Scope] = {}
    for start in (file_scopes.module_scope, *file_scopes.scope_of.values()):
        scope: Scope | None = start
        while scope is not None and id(scope) not in scopes:  # up to the builtins' scope
            scopes[id(scope)] = scope
            scope = scope.parent
    for scope in scopes.values():
        for bindings in scope.bindings.values():
            for binding in bindings:
                binding.references.clear()
        for binding in scope._builtins.values():
            binding.references.clear()
        scope.bindings.clear()
        scope.overrides.clear()
        scope._builtins.clear()
    for access in file_scopes.accesses:
        access.referents = ()
    file_scopes.accesses.clear()
    file_scopes.access_at.clear()
    file_scopes.scope_of.clear()


def compiled_context(
    module: cst.Module,
    text: str,
    path: str,
    facts: FileFacts | None,
    line_counts: Sequence[int] | None = None,
) -> LintContext:
    """The parsed file with what TorchScript compiles in it (its reach), as the rules see it.

    ``line_counts``: the lines each top-level statement spans, when known (positions.py).
    """
    wrapper = cst.MetadataWrapper(module, unsafe_skip_copy=True)
    # Positions are resolved lazily (LintContext.position): only files with reports need them;
    # scopes on first use (LintContext.scopes): reach asks for them in every file it reads.
    context = LintContext(
        path=path,
        source=text,
        module=wrapper.module,
        wrapper=wrapper,
        reach=Reach(),
        facts=facts or FileFacts(),
        top_line_counts=line_counts,
    )
    context.reach = analyze(context, facts)
    return context


def _uncompiled_defs(context: LintContext) -> Callable[[cst.FunctionDef], bool]:
    """True for a ``def`` that holds no compiled code: not compiled itself, not inside a
    compiled function, no compiled function (or lambda) inside it. Every report anchored in
    it is dropped for a ``compiled_only`` rule (:func:`_filter`: its placement is None), so
    the rules that declare ``function_local`` need not visit it at all."""
    compiled = {id(function.node) for function in context.reach.functions}
    holding: set[int] = set()
    for function in context.reach.functions:
        above = context.parent(function.node)
        while above is not None and id(above) not in holding:
            holding.add(id(above))
            above = context.parent(above)

    def skipped(node: cst.FunctionDef) -> bool:
        key = id(node)
        return key not in compiled and key not in holding and context.placement(node)[0] is None

    return skipped


def _lint_module_in(
    module: cst.Module,
    text: str,
    path: str,
    rules: Sequence[type[Rule]],
    facts: FileFacts | None,
    used: list[tuple[int, str]],
    contexts: list[LintContext],
    line_counts: Sequence[int] | None = None,
) -> FileResult:
    """Lint a parsed module; ``used`` receives (line, code) of what its comments suppressed."""
    visitor_rules = [rule for rule in rules if not rule.file_level]
    # Metadata is most of the cost: skip it for files where nothing can be compiled.
    told = facts is not None and bool(facts.reached or facts.module_classes)
    if not visitor_rules or (not told and not _may_compile(module, text)):
        return FileResult(path, ())
    context = compiled_context(module, text, path, facts, line_counts)
    contexts.append(context)
    if not context.reach.functions and all(rule.compiled_only for rule in visitor_rules):
        return FileResult(path, ())

    visitors = [rule(context) for rule in visitor_rules]
    visit_batched(
        context.module,
        visitors,
        skipping=[v for v in visitors if v.compiled_only and v.function_local],
        skipped=_uncompiled_defs(context),
    )
    if not context.reports:
        return FileResult(path, ())
    diagnostics = _filter(context.reports, context)
    if diagnostics:
        suppressed = parse_suppressions(suppression_comments(context))
        kept: list[Diagnostic] = []
        for d in diagnostics:
            line = d.origin.line if d.origin else d.line
            if is_suppressed(suppressed, line, d.code):
                used.append((line, d.code))
            else:
                kept.append(d)
        diagnostics = kept
    lines = source_lines(text)
    # Findings reported through an entry point name another file: its lines come from there.
    snippet = {
        d.line: lines[d.line - 1]
        for d in diagnostics
        if d.origin is None and 0 < d.line <= len(lines)
    }
    return FileResult(path, tuple(sorted_diagnostics(diagnostics)), snippet)
