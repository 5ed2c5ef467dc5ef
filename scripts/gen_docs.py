"""Regenerate the generated documentation pages, or check that the committed ones are current.

    python scripts/gen_docs.py            # write docs/cli.md, docs/api.md, docs/rules/*.md
    python scripts/gen_docs.py --check    # exit 1 and name the stale pages (what the test runs)

The pages come from the code: the click commands (``docs/cli.md``), the registered lint rules'
docstrings, metadata and VALID/INVALID examples (``docs/rules/``), and the public names of
``tsinspect.__all__`` (``docs/api.md``). Rendering lives in ``docs_pages`` beside this script.
"""

from __future__ import annotations

import argparse
import dataclasses
import enum
import inspect
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT / "src"))

from docs_pages import (  # noqa: E402
    FAMILY_REFERENCES,
    ApiEntry,
    CodeDoc,
    ExampleDoc,
    MemberDoc,
    RuleDoc,
    api_reference,
    cli_reference,
    code_page,
    rule_filename,
    rule_page,
    rules_index,
)

import tsinspect  # noqa: E402
from tsinspect.api.catalogue import all_codes  # noqa: E402
from tsinspect.cli import main as cli_group  # noqa: E402
from tsinspect.lint.fix import FixResult  # noqa: E402
from tsinspect.lint.registry import all_rules  # noqa: E402
from tsinspect.lint.rule import Rule  # noqa: E402

DOCS = ROOT / "docs"
RULES = DOCS / "rules"


def _fix_diff(rule: type[Rule]) -> str:
    """The diff ``--fix`` makes on the rule's first INVALID example that pins a fixed text.

    The rule declares ``fixable``; the example pins the fixed module, and
    tests/lint/test_rule_examples.py proves it against the real fixer and torch, so the page
    is built from declarations without linting anything.
    """
    for example in rule.INVALID:
        fixed = example.fixed_source
        if fixed is not None:
            return FixResult("example.py", example.source, fixed, (), ()).diff()
    return ""


def _references(rule: type[Rule]) -> tuple[str, ...]:
    """The public sources behind the rule's family (TorchScript's front end at torch 2.13)."""
    return next(
        (refs for prefix, refs in FAMILY_REFERENCES.items() if rule.code.startswith(prefix)), ()
    )


def _rule_doc(rule: type[Rule]) -> RuleDoc:
    return RuleDoc(
        code=rule.code,
        name=rule.name,
        message=rule.message,
        severity=rule.severity.value,
        page=rule.documentation(),
        autofix=rule.fixable,
        fix_diff=_fix_diff(rule),
        references=_references(rule),
        valid=tuple(ExampleDoc(e.source, e.label) for e in rule.VALID),
        invalid=tuple(
            ExampleDoc(e.source, e.label, e.fails_at.value, e.line) for e in rule.INVALID
        ),
    )


def _doc(value: Any) -> str:
    return inspect.cleandoc(value.__doc__ or "") if value.__doc__ else ""


class _Annotation(str):
    """A string annotation (``from __future__ import annotations``) shown unquoted."""

    def __repr__(self) -> str:
        return str(self)


def _signature(name: str, value: Any) -> str:
    try:
        signature = inspect.signature(value)
    except (TypeError, ValueError):
        return ""

    def plain(annotation: Any) -> Any:
        return _Annotation(annotation) if isinstance(annotation, str) else annotation

    parameters = [p.replace(annotation=plain(p.annotation)) for p in signature.parameters.values()]
    signature = signature.replace(
        parameters=parameters, return_annotation=plain(signature.return_annotation)
    )
    return f"{name}{signature}"


def _members(cls: type) -> tuple[MemberDoc, ...]:
    members: list[MemberDoc] = []
    for name, raw in sorted(vars(cls).items()):
        if name.startswith("_"):
            continue
        if isinstance(raw, property):
            members.append(MemberDoc(name, name, _doc(raw).split("\n\n")[0].replace("\n", " ")))
        elif isinstance(raw, (staticmethod, classmethod)) or inspect.isfunction(raw):
            function = raw.__func__ if isinstance(raw, (staticmethod, classmethod)) else raw
            signature = _signature(name, function)
            if not isinstance(raw, staticmethod):  # drop self / cls
                signature = signature.replace("(self, ", "(", 1).replace("(self)", "()", 1)
                signature = signature.replace("(cls, ", "(", 1).replace("(cls)", "()", 1)
            members.append(
                MemberDoc(name, signature, _doc(function).split("\n\n")[0].replace("\n", " "))
            )
    return tuple(members)


def _api_entry(name: str, value: Any) -> ApiEntry:
    module = getattr(value, "__module__", "tsinspect") or "tsinspect"
    if inspect.isclass(value):
        if issubclass(value, BaseException):
            return ApiEntry(name, "exception", module, "", _doc(value))
        if issubclass(value, enum.Enum):
            members = ", ".join(f"`{m.name}` (`{m.value!r}`)" for m in value)
            return ApiEntry(name, "enum", module, "", f"{_doc(value)}\n\nMembers: {members}.")
        if dataclasses.is_dataclass(value):
            fields = tuple(f"{f.name}: {f.type}" for f in dataclasses.fields(value))
            return ApiEntry(name, "dataclass", module, "", _doc(value), fields, _members(value))
        return ApiEntry(
            name, "class", module, _signature(name, value), _doc(value), (), _members(value)
        )
    if callable(value):
        return ApiEntry(name, "function", module, _signature(name, value), _doc(value))
    return ApiEntry(name, "value", "tsinspect", f"{name} = {value!r}", "")


def generate() -> dict[Path, str]:
    """Every generated page: path -> content."""
    rules = [_rule_doc(rule) for rule in all_rules()]
    codes = [
        CodeDoc(entry.code, entry.name, entry.summary, entry.severity.value, entry.page)
        for entry in all_codes()
        if entry.source != "lint"
    ]
    pages: dict[Path, str] = {
        DOCS / "cli.md": cli_reference(cli_group),
        RULES / "index.md": rules_index(rules, codes),
    }
    for rule in rules:
        pages[RULES / rule_filename(rule.code)] = rule_page(rule)
    for code in codes:
        pages[RULES / rule_filename(code.code)] = code_page(code)
    entries = [
        _api_entry(name, getattr(tsinspect, name))
        for name in tsinspect.__all__
        if name != "__version__"
    ]
    pages[DOCS / "api.md"] = api_reference(entries)
    return pages


def stale_pages(pages: Mapping[Path, str]) -> list[str]:
    """Pages whose committed content differs from ``pages``, and rule pages no rule generates."""
    stale = [
        str(path.relative_to(ROOT))
        for path, text in pages.items()
        if not path.is_file() or path.read_text(encoding="utf-8") != text
    ]
    if RULES.is_dir():
        stale += [
            str(path.relative_to(ROOT)) + " (no such rule)"
            for path in sorted(RULES.glob("*.md"))
            if path not in pages
        ]
    return sorted(stale)


def main(argv: list[str] | None = None) -> int:
    """Write the pages, or with ``--check`` report the stale ones and exit 1."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="do not write; exit 1 if a page is stale"
    )
    args = parser.parse_args(argv)
    pages = generate()
    stale = stale_pages(pages)
    if args.check:
        for name in stale:
            print(f"stale: {name}")
        if stale:
            print("run: python scripts/gen_docs.py")
        return 1 if stale else 0
    RULES.mkdir(parents=True, exist_ok=True)
    for path in sorted(RULES.glob("*.md")):
        if path not in pages:
            path.unlink()  # the page of a rule that no longer exists
    for path, text in pages.items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
