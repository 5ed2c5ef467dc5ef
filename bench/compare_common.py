"""What the compare scripts (``timm_compare.py``, ``transformers_compare.py``) share.

Runs in the Python where tsinspect is installed (no torch): running the linter,
the finding record the comparisons judge, and where a finding lies. A finding
in library code reached from a checked file is reported at the checked file's
line and carries ``origin`` (the real location); a finding "lies at" a line of a
file when its own span or its origin covers that line.
"""

from __future__ import annotations

import ast
import os
import re
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# A reach step naming a class passed in as a value: `Owner.attribute = Class (module:line)`.
_FLOW_STEP = re.compile(r"^\w+\.\w+ = (\w+) \(")


@dataclass(frozen=True)
class Finding:
    """A lint diagnostic, reduced to what the comparison needs."""

    code: str
    name: str
    severity: str
    path: str
    line: int
    end_line: int
    message: str
    reach: tuple[str, ...]
    # (path, line, end_line) of the real location, for findings reported at a checked file's line.
    origin: tuple[str, int, int] | None = None

    @property
    def root_class(self) -> str | None:
        """The class at the start of the reach path (``Net`` of ``Net.forward``), if any."""
        if not self.reach:
            return None
        head = self.reach[0]
        return head.split(".", 1)[0] if "." in head else None

    @property
    def flowed_classes(self) -> tuple[str, ...]:
        """Classes the reach path says an attribute holds because they were passed in
        (``FeatureGetterNet.model = VisionTransformer (timm.models.deit:136)``)."""
        return tuple(m.group(1) for step in self.reach if (m := _FLOW_STEP.match(step)))

    def span_in(self, path: str) -> tuple[int, int] | None:
        """The lines this finding covers in ``path``: its own span or its origin's, else None."""
        if self.path == path:
            return (self.line, self.end_line)
        if self.origin is not None and self.origin[0] == path:
            return (self.origin[1], self.origin[2])
        return None

    def covers(self, path: str, line: int) -> bool:
        """True when the finding (or its origin) lies on ``line`` of ``path``."""
        span = self.span_in(path)
        return span is not None and span[0] <= line <= span[1]

    def as_dict(self, root: str) -> dict[str, Any]:
        """JSON form, with paths relative to the package's parent."""
        out = {
            "code": self.code,
            "name": self.name,
            "severity": self.severity,
            "where": f"{rel(self.path, root)}:{self.line}",
            "message": self.message,
            "reach": " -> ".join(self.reach),
        }
        if self.origin is not None:
            out["origin"] = f"{rel(self.origin[0], root)}:{self.origin[1]}"
        return out


def _origin_of(diagnostic: Any) -> tuple[str, int, int] | None:
    """A diagnostic's ``origin`` as (real path, line, end line); absent or null today."""
    origin = getattr(diagnostic, "origin", None)
    if origin is None:
        return None

    def get(key: str) -> Any:
        return origin.get(key) if isinstance(origin, dict) else getattr(origin, key, None)

    path, line = get("path"), get("line")
    if not path or not line:
        return None
    end_line = get("end_line") or line
    return (os.path.realpath(str(path)), int(line), max(int(end_line), int(line)))


def lint(paths: Iterable[Path | str], jobs: int | None) -> tuple[list[Finding], float]:
    """Run the linter through the library API; returns the findings and the wall time."""
    import tsinspect

    start = time.perf_counter()
    result = tsinspect.check_paths([str(p) for p in paths], jobs=jobs)
    elapsed = time.perf_counter() - start
    findings = [
        Finding(
            code=d.code,
            name=d.name,
            severity=getattr(d.severity, "value", str(d.severity)),
            path=os.path.realpath(d.path),
            line=d.line,
            end_line=max(d.end_line, d.line),
            message=d.message,
            reach=tuple(d.reach),
            origin=_origin_of(d),
        )
        for d in result.diagnostics
    ]
    return findings, elapsed


class FindingIndex:
    """Findings by the file they lie in: their own path, and their origin's."""

    def __init__(self, findings: Iterable[Finding]) -> None:
        self._by_path: dict[str, list[Finding]] = defaultdict(list)
        for finding in findings:
            self._by_path[finding.path].append(finding)
            if finding.origin is not None and finding.origin[0] != finding.path:
                self._by_path[finding.origin[0]].append(finding)

    def in_file(self, path: str) -> list[Finding]:
        """Every finding lying in ``path``."""
        return self._by_path.get(path, [])

    def covering(self, path: str, line: int) -> list[Finding]:
        """The findings whose span (or origin) covers ``line`` of ``path``."""
        return [f for f in self.in_file(path) if f.covers(path, line)]

    def within(self, path: str, first: int, last: int) -> list[Finding]:
        """The findings starting (in ``path``) between ``first`` and ``last``."""
        found = []
        for finding in self.in_file(path):
            span = finding.span_in(path)
            if span is not None and first <= span[0] <= last:
                found.append(finding)
        return found


def function_spans(path: str) -> list[tuple[int, int, str]]:
    """(first line, last line, qualname) of every def in a file, decorators included."""
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return []
    spans: list[tuple[int, int, str]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                    spans.append((first, child.end_lineno or child.lineno, name))
                visit(child, f"{name}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return spans


def enclosing_function(spans: list[tuple[int, int, str]], line: int) -> tuple[int, int, str] | None:
    """The innermost def containing ``line``."""
    inside = [s for s in spans if s[0] <= line <= s[1]]
    return min(inside, key=lambda s: s[1] - s[0]) if inside else None


def error_kind(gist: str) -> str:
    """The error message with names and numbers blanked, to group misses by kind."""
    kind = re.sub(r"'[^']*'", "'…'", gist)
    kind = re.sub(r"<function [\w.]+ at 0x[0-9a-f]+>", "<function …>", kind)
    kind = re.sub(r"\b\d+\b", "N", kind)
    kind = re.sub(r"__torch__\.[\w.]+", "__torch__.…", kind)
    return kind.rstrip(":").strip()


def source_line(path: str, line: int) -> str:
    """Line ``line`` of ``path``, stripped ("" when out of range or unreadable)."""
    try:
        return Path(path).read_text(encoding="utf-8").splitlines()[line - 1].strip()
    except (OSError, IndexError):
        return ""


def rel(path: str, root: str) -> str:
    """``path`` relative to the parent of the package ``root`` (``timm/...``, ``transformers/...``)."""
    parent = os.path.dirname(root)
    return os.path.relpath(path, parent) if path.startswith(parent) else path


def class_ancestors(folders: Iterable[Path | str]) -> dict[str, set[str]]:
    """Every class name under ``folders`` with the names of all its bases, transitively
    (by name: enough to tell whether a model's class derives from a class a path names)."""
    bases: dict[str, set[str]] = defaultdict(set)
    for folder in folders:
        for path in sorted(Path(folder).rglob("*.py")):
            try:
                tree = ast.parse(path.read_bytes())
            except (SyntaxError, ValueError):
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef):
                    for base in node.bases:
                        name = (
                            base.attr
                            if isinstance(base, ast.Attribute)
                            else getattr(base, "id", "")
                        )
                        if name:
                            bases[node.name].add(name)
    ancestors: dict[str, set[str]] = {}

    def up(name: str, seen: frozenset[str]) -> set[str]:
        if name in ancestors:
            return ancestors[name]
        found: set[str] = set()
        for base in bases.get(name, ()):
            if base not in seen:
                found |= {base, *up(base, seen | {base})}
        ancestors[name] = found
        return found

    for name in list(bases):
        up(name, frozenset({name}))
    return ancestors


def unique(findings: Iterable[Finding]) -> list[Finding]:
    """Distinct findings in path, line, code order."""
    return sorted(set(findings), key=lambda f: (f.path, f.line, f.code))


def cell(text: str) -> str:
    """Text fit for a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")[:200]


def pct(rate: float | None) -> str:
    """A rate as a whole percentage ("n/a" for None)."""
    return "n/a" if rate is None else f"{rate:.0%}"
