"""The hand-written pages stay true to the code: commands and options exist, links resolve,
and the pre-commit and GitHub Actions snippets are valid and name real hooks."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
import yaml

from tsinspect.cli import main

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
HANDWRITTEN = ("index.md", "quickstart.md", "ci.md")
FENCE = re.compile(r"^```(?P<language>[a-z]*)\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"\]\((?P<target>[^)#\s]+)(?:#[^)]*)?\)")


def _blocks(page: str, *languages: str) -> list[str]:
    text = (DOCS / page).read_text(encoding="utf-8")
    return [m.group("body") for m in FENCE.finditer(text) if m.group("language") in languages]


def _command_lines(page: str) -> list[str]:
    """``tsinspect ...`` invocations in console, shell and YAML blocks."""
    lines = []
    for block in _blocks(page, "console", "yaml", "bash", "sh"):
        for line in block.splitlines():
            match = re.search(r"(?:^\$ |run: |entry: )(?P<command>tsinspect .*)$", line.strip())
            if match:
                lines.append(match.group("command").split(" > ")[0])
    return lines


@pytest.mark.parametrize("page", HANDWRITTEN)
def test_commands_and_options_in_the_docs_exist(page: str) -> None:
    for line in _command_lines(page):
        words = shlex.split(line)[1:]
        if not words or words[0].startswith("-"):
            continue
        command = main.all_commands.get(words[0])
        assert isinstance(command, click.Command), f"{page}: unknown command in `{line}`"
        known = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
        known |= {"-h", "--help"}
        for word in words[1:]:
            if word.startswith("-"):
                assert word.split("=")[0] in known, f"{page}: `{line}` uses unknown option {word}"


def test_quickstart_and_ci_cover_every_command_they_promise() -> None:
    quickstart = {shlex.split(line)[1] for line in _command_lines("quickstart.md")}
    assert {"check", "graph", "config", "validate", "report"} <= quickstart
    ci = " ".join(_command_lines("ci.md"))
    assert "check --format sarif" in ci and "check --format github" in ci


@pytest.mark.parametrize("page", [*HANDWRITTEN, "cli.md", "api.md", "rules/index.md"])
def test_links_resolve(page: str) -> None:
    text = (DOCS / page).read_text(encoding="utf-8")
    for match in LINK.finditer(text):
        target = match.group("target")
        if "://" in target:
            continue
        assert (DOCS / page).parent.joinpath(target).resolve().is_file(), (
            f"{page}: broken link {target}"
        )


def test_ci_snippets_are_valid_yaml_using_real_hooks() -> None:
    hooks = {
        hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    }
    documented: set[str] = set()
    workflows = 0
    for block in _blocks("ci.md", "yaml"):
        data = yaml.safe_load(block)
        if isinstance(data, dict) and "repos" in data:
            for repo in data["repos"]:
                documented |= {hook["id"] for hook in repo["hooks"]}
        elif isinstance(data, dict) and "jobs" in data:
            workflows += 1
            steps = [step for job in data["jobs"].values() for step in job["steps"]]
            assert any("tsinspect check" in step.get("run", "") for step in steps)
        elif isinstance(data, list):  # a hook entry with args
            documented |= {hook["id"] for hook in data}
    assert documented and documented <= set(hooks)
    assert workflows == 2
    # The hook installs the core package only (no torch) and runs the check on the staged files.
    assert hooks["tsinspect"]["entry"] == "tsinspect check"
    assert hooks["tsinspect"]["language"] == "python"
    assert hooks["tsinspect"]["types"] == ["python"]
    assert "additional_dependencies" not in hooks["tsinspect"]


def test_the_architecture_page_names_real_modules() -> None:
    """docs/dev/architecture.md is where a newcomer looks first: every module, package and
    script it names exists (packages may be a module or a folder: `walk`, `shapes`)."""
    text = (DOCS / "dev" / "architecture.md").read_text(encoding="utf-8")
    src = ROOT / "src" / "tsinspect"
    names = set(re.findall(r"`([a-z_/]+(?:\.py)?)`", text))
    files = {p.name for p in ROOT.glob("*/**/*.py")} | {p.name for p in src.rglob("*.py")}
    folders = {p.name + "/" for p in src.rglob("*") if p.is_dir()}
    checked = 0
    for name in names:
        leaf = name.rstrip("/").rsplit("/", 1)[-1] + ("/" if name.endswith("/") else "")
        if name.endswith(".py"):
            assert leaf in files, f"architecture.md names {name}, which does not exist"
            checked += 1
        elif name.endswith("/") and name.rstrip("/") in {
            "cli",
            "api",
            "lint",
            "ir",
            "triton",
            "render",
            "types",
        }:
            assert leaf in folders, f"architecture.md names {name}, which does not exist"
            checked += 1
    assert checked > 30
