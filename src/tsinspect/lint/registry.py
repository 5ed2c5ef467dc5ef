"""The one code table: every rule, by code and by name, and selector matching.

Registration is automatic: every module under ``tsinspect/lint/rules/`` (the family
packages included) is imported and every ``Rule`` subclass defined there with a ``code``
is registered. A new rule file needs no edit here.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterable
from functools import cache

from tsinspect.errors import InputError
from tsinspect.lint import rules as rules_package
from tsinspect.lint.rule import Rule

CODE_PATTERN = re.compile(r"^TS\d{3}$")
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
# A selector that looks like a code prefix is accepted even if no lint rule has it yet:
# the model side reports TS6xx/TS7xx through the same settings.
PREFIX_PATTERN = re.compile(r"^TS\d{0,3}$")


@cache
def _table() -> dict[str, type[Rule]]:
    table: dict[str, type[Rule]] = {}
    names: dict[str, str] = {}
    # walk_packages imports each family package to list its modules; sorted for a stable order.
    found = pkgutil.walk_packages(rules_package.__path__, prefix=f"{rules_package.__name__}.")
    for module_info in sorted(found, key=lambda m: m.name):
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Rule)
                and value.__module__ == module.__name__
                and "code" in vars(value)
            ):
                _check_rule(value, table, names)
                table[value.code] = value
                names[value.name] = value.code
    return dict(sorted(table.items()))


def _check_rule(rule: type[Rule], table: dict[str, type[Rule]], names: dict[str, str]) -> None:
    """Registration errors are programming errors: fail loudly at import."""
    if not CODE_PATTERN.match(rule.code):
        raise ValueError(f"{rule.__qualname__}: code {rule.code!r} is not TS + three digits")
    if not NAME_PATTERN.match(rule.name):
        raise ValueError(f"{rule.__qualname__}: name {rule.name!r} is not kebab-case")
    if rule.code in table:
        raise ValueError(
            f"{rule.code} registered twice: {table[rule.code].__qualname__} and {rule.__qualname__}"
        )
    if rule.name in names:
        raise ValueError(f"rule name {rule.name!r} used by {names[rule.name]} and {rule.code}")


def all_rules() -> tuple[type[Rule], ...]:
    """Every registered rule class, sorted by code."""
    return tuple(_table().values())


def get_rule(code_or_name: str) -> type[Rule]:
    """One rule by code (``TS101``, case-insensitive) or kebab-case name; InputError if unknown."""
    key = code_or_name.strip()
    table = _table()
    if key.upper() in table:
        return table[key.upper()]
    for rule in table.values():
        if rule.name == key.lower():
            return rule
    raise InputError(f"unknown rule {code_or_name!r}; run `tsinspect rules` to list them")


def validate_selector(selector: str, where: str = "selector") -> str:
    """Normalize a selector (``ALL``, a code prefix, or a rule name); InputError if it names nothing."""
    key = selector.strip()
    if key.upper() == "ALL" or PREFIX_PATTERN.match(key.upper()):
        return key.upper()
    if any(rule.name == key.lower() for rule in _table().values()):
        return key.lower()
    raise InputError(
        f"unknown rule selector {selector!r} in {where}; use a code prefix such as TS1 or TS101, "
        "a rule name, or ALL (`tsinspect rules` lists them)"
    )


def _specificity(selector: str, rule: type[Rule]) -> int:
    """How specifically ``selector`` names ``rule`` (0 = not at all). Longer prefixes win."""
    if selector == "ALL":
        return 1
    if selector == rule.name:
        return 10
    if rule.code.startswith(selector):
        return 1 + len(selector)
    return 0


def is_selected(code: str, select: Iterable[str], ignore: Iterable[str]) -> bool:
    """ruff's rule: the most specific matching selector wins; at equal specificity ``ignore`` wins."""
    rule = _table().get(code)
    if rule is None:
        return False
    best_select = max((_specificity(s, rule) for s in select), default=0)
    best_ignore = max((_specificity(s, rule) for s in ignore), default=0)
    return best_select > 0 and best_select > best_ignore


def select_rules(select: Iterable[str], ignore: Iterable[str]) -> tuple[type[Rule], ...]:
    """The rules enabled by ``select`` minus ``ignore`` (selectors already validated)."""
    select, ignore = tuple(select), tuple(ignore)
    return tuple(rule for rule in _table().values() if is_selected(rule.code, select, ignore))
