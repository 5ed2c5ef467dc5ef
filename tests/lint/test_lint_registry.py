"""The rule table: codes, names, documentation pages, selectors."""

from __future__ import annotations

import re

import pytest

from tsinspect.errors import InputError
from tsinspect.lint.registry import (
    all_rules,
    get_rule,
    is_selected,
    select_rules,
    validate_selector,
)
from tsinspect.lint.rule import Invalid, Rule, Valid

HEADINGS = ("## What it does", "## Why is this bad?", "## Example", "## Use instead")


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_rule_metadata_and_page(rule: type[Rule]) -> None:
    assert re.fullmatch(r"TS\d{3}", rule.code)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name)
    assert rule.message and "\n" not in rule.message
    assert rule.fix_hint and "\n" not in rule.fix_hint
    page = rule.documentation()
    positions = [page.find(heading) for heading in HEADINGS]
    assert all(p >= 0 for p in positions), f"{rule.code} page lacks one of {HEADINGS}"
    assert positions == sorted(positions), f"{rule.code} headings out of order"
    assert page.startswith(f"# {rule.code} {rule.name}\n")


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_examples_are_in_the_right_list(rule: type[Rule]) -> None:
    assert all(isinstance(example, Valid) for example in rule.VALID)
    assert all(isinstance(example, Invalid) for example in rule.INVALID)


def test_codes_and_names_are_unique_and_sorted() -> None:
    rules = all_rules()
    codes = [r.code for r in rules]
    assert codes == sorted(set(codes))
    assert len({r.name for r in rules}) == len(rules)


def test_get_rule_by_code_or_name() -> None:
    assert get_rule("TS101").name == "lambda-in-compiled-code"
    assert get_rule("ts101") is get_rule("lambda-in-compiled-code")
    with pytest.raises(InputError, match="unknown rule"):
        get_rule("TS999")


def test_selectors_prefixes_and_precedence() -> None:
    assert is_selected("TS101", ["TS1"], [])
    assert is_selected("TS101", ["ALL"], [])
    assert not is_selected("TS101", ["TS1"], ["TS10"])
    # the more specific selector wins, whichever list it is in
    assert is_selected("TS101", ["TS101"], ["TS1"])
    # at equal specificity ignore wins
    assert not is_selected("TS101", ["TS101"], ["TS101"])
    assert is_selected("TS101", ["lambda-in-compiled-code"], ["TS1"])
    codes = {r.code for r in select_rules(["TS0"], [])}
    assert codes == {"TS001", "TS002", "TS003", "TS004", "TS005"}


def test_validate_selector_rejects_unknown_names() -> None:
    assert validate_selector("ts1") == "TS1"
    assert (
        validate_selector("TS6") == "TS6"
    )  # the model side's family: valid even with no lint rule
    with pytest.raises(InputError, match="unknown rule selector 'lamda'"):
        validate_selector("lamda")
