"""`tsinspect check`, `tsinspect rules`, `tsinspect rule`: exit codes, formats, config, suppression."""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tsinspect.cli import main

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

BAD = textwrap.dedent(
    """\
    import torch
    from torch import nn


    class Net(nn.Module):
        def forward(self, x):
            return self._head(x)

        def _head(self, x):
            f = lambda v: v * 2
            return f(x)
    """
)
GOOD = textwrap.dedent(
    """\
    import torch
    from torch import nn


    class Net(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x * 2
    """
)


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """A project folder as the current directory, with no pyproject above it that configures us."""
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(old)


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_clean_file_exits_0(project: Path) -> None:
    result = run("check", str(FIXTURES / "models" / "simple_cnn.py"))
    assert result.exit_code == 0
    assert "All checks passed! (1 file checked)" in result.output


def test_findings_exit_1_with_text_report(project: Path) -> None:
    write(project / "net.py", BAD)
    result = run("check", "net.py")
    assert result.exit_code == 1
    assert (
        result.output.splitlines()[0] == "net.py:10:13: TS101 TorchScript does not support lambda"
    )
    assert "10 |         f = lambda v: v * 2" in result.output
    assert "   |             ^^^^^^^^^^^^^^^\n" in result.output
    assert "= reached from: Net.forward -> Net._head" in result.output
    assert "= help: " in result.output
    assert result.output.rstrip().endswith("Found 1 error in 1 file (1 file checked).")


def test_folder_with_broken_and_good_files(project: Path) -> None:
    write(project / "src" / "good.py", GOOD)
    write(project / "src" / "bad.py", BAD)
    write(project / "src" / "broken.py", "def forward(self, x:\n")
    (project / "src" / "latin.py").write_bytes(b"import torch\n# caf\xe9\n")
    write(project / "src" / ".venv" / "lib.py", BAD)  # excluded by default
    result = run("check", "src", "--format", "json")
    assert result.exit_code == 2
    report = json.loads(result.output)
    assert report["files_checked"] == 4
    found = [(Path(d["path"]).name, d["code"]) for d in report["diagnostics"]]
    assert found == [("bad.py", "TS101"), ("broken.py", "TS001"), ("latin.py", "TS002")]


def test_missing_path_exits_2_but_other_files_are_checked(project: Path) -> None:
    write(project / "net.py", BAD)
    result = run("check", "net.py", "missing.py", "--no-source")
    assert result.exit_code == 2
    assert "net.py:10:13: TS101" in result.output
    assert "missing.py: TS003 Cannot read file: no such file or directory" in result.output


def test_unknown_selector_is_a_usage_error(project: Path) -> None:
    write(project / "net.py", BAD)
    result = run("check", "net.py", "--select", "lamda")
    assert result.exit_code == 2
    assert "unknown rule selector 'lamda'" in result.output


def test_pyproject_config_and_command_line_overrides(project: Path) -> None:
    write(
        project / "pyproject.toml",
        '[tool.tsinspect]\nignore = ["TS101"]\nexclude = ["generated"]\n',
    )
    write(project / "models" / "net.py", BAD)
    write(project / "generated" / "net.py", BAD)
    assert run("check", "models").exit_code == 0
    # --select starts a new selection (as ruff's): the config's ignore no longer applies ...
    assert run("check", "models", "--select", "TS1").exit_code == 1
    # ... but --ignore on the command line does
    assert run("check", "models", "--select", "TS1", "--ignore", "TS101").exit_code == 0
    # the exclude applies while walking, not to a file named explicitly
    assert run("check", ".").exit_code == 0
    assert run("check", "generated/net.py", "--select", "TS101").exit_code == 1
    assert run("check", "models", "--isolated").exit_code == 1


def test_explicit_config_file_and_per_file_ignores(project: Path) -> None:
    config = write(
        project / "conf" / "lint.toml",
        '[tool.tsinspect.per-file-ignores]\n"legacy/*" = ["lambda-in-compiled-code"]\n',
    )
    write(project / "conf" / "legacy" / "net.py", BAD)
    write(project / "conf" / "new" / "net.py", BAD)
    result = run("check", "conf", "--config", str(config), "--format", "json")
    assert result.exit_code == 1
    paths = [Path(d["path"]).parent.name for d in json.loads(result.output)["diagnostics"]]
    assert paths == ["new"]


def test_bad_config_file_is_one_line_exit_2(project: Path) -> None:
    write(project / "pyproject.toml", "[tool.tsinspect]\nselect = [\n")
    write(project / "net.py", GOOD)
    result = run("check", "net.py")
    assert result.exit_code == 2
    assert result.output.startswith("tsinspect: error: ")
    assert "not valid TOML" in result.output
    assert "Traceback" not in result.output


def test_inline_suppression(project: Path) -> None:
    write(
        project / "net.py", BAD.replace("f = lambda v: v * 2", "f = lambda v: v * 2  # noqa: TS101")
    )
    assert run("check", "net.py").exit_code == 0
    write(
        project / "net.py",
        BAD.replace("f = lambda v: v * 2", "f = lambda v: v * 2  # tsinspect: ignore[TS105]"),
    )
    assert run("check", "net.py").exit_code == 1


def test_github_format(project: Path) -> None:
    write(project / "net.py", BAD)
    result = run("check", "net.py", "--format", "github")
    assert result.exit_code == 1
    assert result.output == (
        "::error file=net.py,line=10,col=13,endLine=10,endColumn=28,title=TS101 lambda-in-compiled-code"
        "::TorchScript does not support lambda (reached from Net.forward -> Net._head)\n"
    )


def test_sarif_format(project: Path) -> None:
    write(project / "net.py", BAD)
    result = run("check", "net.py", "--format", "sarif")
    assert result.exit_code == 1
    sarif = json.loads(result.output)
    run_ = sarif["runs"][0]
    rule_ids = [rule["id"] for rule in run_["tool"]["driver"]["rules"]]
    assert "TS101" in rule_ids
    (finding,) = run_["results"]
    assert finding["ruleId"] == "TS101"
    assert rule_ids[finding["ruleIndex"]] == "TS101"
    location = finding["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "net.py"
    assert location["region"]["startLine"] == 10


def test_rules_and_rule_pages() -> None:
    listing = run("rules")
    assert listing.exit_code == 0
    assert any(
        line.startswith("TS101  lambda-in-compiled-code") for line in listing.output.splitlines()
    )
    table = json.loads(run("rules", "--format", "json").output)
    assert {"code": "TS105", "name": "try-in-compiled-code"}.items() <= next(
        row for row in table if row["code"] == "TS105"
    ).items()
    page = run("rule", "TS101")
    assert page.exit_code == 0
    assert page.output.startswith("# TS101 lambda-in-compiled-code")
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead"):
        assert heading in page.output
    assert run("rule", "lambda-in-compiled-code").output == page.output
    unknown = run("rule", "TS999")
    assert unknown.exit_code == 2
    assert "unknown code 'TS999'" in unknown.output


def test_one_code_space_for_lint_archive_and_config_findings() -> None:
    """`tsinspect rules` lists every code any command reports, and `rule` prints each."""
    table = json.loads(run("rules", "--format", "json").output)
    codes = [row["code"] for row in table]
    assert codes == sorted(codes) and len(codes) == len(set(codes))
    sources = {row["code"]: row["source"] for row in table}
    assert sources["TS101"] == "lint"
    assert sources["TS601"] == "archive" and sources["TS605"] == "config"
    assert sources["TS711"] == "config"
    for code, heading in (
        ("TS601", "# TS601 device-constant"),
        ("TS711", "# TS711 naming-fallback"),
    ):
        page = run("rule", code)
        assert page.exit_code == 0 and page.output.startswith(heading)
        assert "## Reported by" in page.output


FLOORDIV = textwrap.dedent(
    """\
    import torch
    from torch import nn


    class Net(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            n = x.size(0)
            n //= 2
            return x[:n]
    """
)


def test_diff_then_fix(project: Path) -> None:
    path = write(project / "net.py", FLOORDIV)
    listed = run("check", "net.py")
    assert listed.exit_code == 1
    assert "net.py:8:9: TS118 [*] " in listed.output
    assert "[*] 1 fixable with `tsinspect check --fix`." in listed.output
    preview = run("check", "net.py", "--diff")
    assert preview.exit_code == 1
    assert "-        n //= 2\n+        n = n // 2\n" in preview.output
    assert path.read_text(encoding="utf-8") == FLOORDIV  # --diff writes nothing
    fixed = run("check", "net.py", "--fix")
    assert fixed.exit_code == 0
    assert "n = n // 2" in path.read_text(encoding="utf-8")
    assert run("check", "net.py", "--diff").exit_code == 0


# --- ruff's everyday flags -------------------------------------------------------------

FIXABLE_AND_NOT = BAD.replace("f = lambda v: v * 2", "f = lambda v: v * 2  # noqa: TS101, TS105")


def test_output_file_is_written_and_not_replaced_without_force(project: Path) -> None:
    write(project / "net.py", BAD)
    result = run("check", "net.py", "--no-source", "-o", "out.txt")
    assert result.exit_code == 1 and result.stdout == ""
    written = (project / "out.txt").read_text()
    assert written.startswith("net.py:10:13: TS101") and "Found 1 error" in written
    again = run("check", "net.py", "--output-file", "out.txt", "--format", "json")
    assert again.exit_code == 2
    assert (
        again.stderr == "tsinspect: error: out.txt already exists; pass --force to overwrite it\n"
    )
    assert (project / "out.txt").read_text() == written
    forced = run("check", "net.py", "--output-file", "out.txt", "--format", "json", "--force")
    assert forced.exit_code == 1
    assert json.loads((project / "out.txt").read_text())["diagnostics"][0]["code"] == "TS101"


def test_statistics_count_findings_per_code(project: Path) -> None:
    write(project / "a.py", BAD)
    write(project / "b.py", BAD)
    write(project / "c.py", FIXABLE_AND_NOT)
    result = run("check", ".", "--statistics", "--no-cache")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "2\tTS101\t[ ] lambda-in-compiled-code",
        "1\tTS005\t[*] unused-noqa",
    ]
    rows = json.loads(run("check", ".", "--statistics", "--format", "json").stdout)
    assert rows == [
        {"code": "TS101", "name": "lambda-in-compiled-code", "count": 2, "fixable": False},
        {"code": "TS005", "name": "unused-noqa", "count": 1, "fixable": True},
    ]
    assert run("check", ".", "--statistics", "--format", "sarif").exit_code == 2


def test_exit_zero_keeps_findings_but_not_unreadable_inputs(project: Path) -> None:
    write(project / "net.py", BAD)
    result = run("check", "net.py", "--exit-zero")
    assert result.exit_code == 0 and "TS101" in result.stdout
    assert run("check", "net.py", "missing.py", "--exit-zero").exit_code == 2


def test_quiet_prints_the_findings_and_nothing_else(project: Path) -> None:
    write(project / "net.py", BAD)
    write(project / "good.py", GOOD)
    result = run("check", "net.py", "-q")
    assert result.exit_code == 1
    assert result.stdout.startswith("net.py:10:13: TS101") and "Found" not in result.stdout
    assert result.stderr == ""
    clean = run("check", "good.py", "--quiet")
    assert clean.exit_code == 0 and clean.stdout == "" and clean.stderr == ""


def test_show_fixes_lists_what_was_fixed(project: Path) -> None:
    write(project / "net.py", FIXABLE_AND_NOT)
    result = run("check", "net.py", "--fix", "--show-fixes", "--no-source")
    assert result.exit_code == 0  # the lambda stays, suppressed
    assert "Fixed 1 finding:\n- net.py:\n    1 \u00d7 TS005 (unused-noqa)\n" in result.stderr
    assert "# noqa: TS101\n" in (project / "net.py").read_text()


def test_stdin_with_a_file_name(project: Path) -> None:
    write(
        project / "pyproject.toml",
        '[tool.tsinspect]\nper-file-ignores = {"legacy/*" = ["TS101"]}\n',
    )
    runner = CliRunner()
    result = runner.invoke(main, ["check", "-", "--stdin-filename", "models/net.py"], input=BAD)
    assert result.exit_code == 1
    assert result.stdout.startswith("models/net.py:10:13: TS101")
    # per-file-ignores follow the name given
    ignored = runner.invoke(main, ["check", "-", "--stdin-filename", "legacy/net.py"], input=BAD)
    assert ignored.exit_code == 0, ignored.stdout
    plain = runner.invoke(main, ["check", "-"], input=BAD)
    assert plain.exit_code == 1 and plain.stdout.startswith("-:10:13: TS101")
    assert runner.invoke(main, ["check", "-", "net.py"], input=BAD).exit_code == 2
    as_json = runner.invoke(main, ["check", "-", "--format", "json"], input=BAD)
    assert as_json.exit_code == 1
    assert [d["code"] for d in json.loads(as_json.stdout)["diagnostics"]] == ["TS101"]


def test_stdin_fix_writes_the_fixed_source_to_stdout(project: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        main, ["check", "-", "--fix", "--stdin-filename", "net.py"], input=FIXABLE_AND_NOT
    )
    # As ruff: stdout is exactly the fixed module, findings that remain go to stderr.
    assert result.stdout == FIXABLE_AND_NOT.replace("# noqa: TS101, TS105", "# noqa: TS101")
    assert result.exit_code == 0
    left = runner.invoke(main, ["check", "-", "--fix"], input=BAD)
    assert left.stdout == BAD and left.exit_code == 1
    assert "-:10:13: TS101" in left.stderr
    diff = runner.invoke(main, ["check", "-", "--diff"], input=FIXABLE_AND_NOT)
    assert diff.exit_code == 1 and "+        f = lambda v: v * 2  # noqa: TS101\n" in diff.stdout


def test_extend_exclude_adds_to_the_configured_excludes(project: Path) -> None:
    write(project / "pyproject.toml", '[tool.tsinspect]\nexclude = ["generated"]\n')
    write(project / "generated" / "net.py", BAD)
    write(project / "vendored" / "net.py", BAD)
    write(project / "models" / "net.py", GOOD)
    assert run("check", ".").exit_code == 1
    result = run("check", ".", "--extend-exclude", "vendored", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["files_checked"] == 1


def test_selector_that_matches_no_code_is_a_usage_error(project: Path) -> None:
    write(project / "net.py", BAD)
    for option in ("--select", "--ignore", "--extend-select"):
        result = run("check", "net.py", option, "TS9")
        assert result.exit_code == 2, option
        assert result.stdout == ""
        assert result.stderr.count("\n") == 1
        assert "'TS9'" in result.stderr and "matches no code" in result.stderr
    # Archive and config codes share the settings: TS6 is a real prefix.
    assert run("check", "net.py", "--ignore", "TS6").exit_code == 1
    write(project / "pyproject.toml", '[tool.tsinspect]\nselect = ["TS8"]\n')
    assert run("check", "net.py").exit_code == 2


def test_progress_on_a_terminal_for_a_long_check(project: Path) -> None:
    """A check shows where it is on stderr when stderr is a terminal (a pseudo-terminal
    here) and the run takes long (the delay is 0 for the test); never when piped."""
    import pty
    import subprocess
    import sys

    for index in range(3):
        write(project / f"m{index}.py", GOOD)
    env = {**os.environ, "TSINSPECT_PROGRESS_DELAY": "0", "PYTHONPATH": os.pathsep.join(sys.path)}
    command = [sys.executable, "-m", "tsinspect", "check", ".", "--no-cache", "-j", "1"]
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            command, stdout=subprocess.PIPE, stderr=follower, env=env, timeout=120, check=False
        )
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed: everything was read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(leader)
    assert done.returncode == 0
    text = shown.decode()
    assert "tsinspect: [" in text and "linting 3/3 files" in text
    assert text.endswith("\r\x1b[K"), "the line is erased at the end"
    assert done.stdout.decode().startswith("All checks passed!")
    piped = subprocess.run(command, capture_output=True, env=env, timeout=120, check=False)
    assert piped.returncode == 0 and piped.stderr == b""
