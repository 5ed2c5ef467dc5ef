"""``tsinspect check``, ``tsinspect rules``, ``tsinspect rule``: options in, renderer out. No logic."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence

import click

from tsinspect import __version__
from tsinspect.api import check as api
from tsinspect.api import fix as api_fix
from tsinspect.cli.options import force_option, format_option, quiet_option
from tsinspect.diagnostics import Diagnostic
from tsinspect.files import check_output, write_output
from tsinspect.progress import Progress
from tsinspect.render.github import render_github
from tsinspect.render.json_format import render_json, render_statistics_json
from tsinspect.render.names import one_line
from tsinspect.render.sarif import SarifInvocation, render_sarif
from tsinspect.render.text import location, render_fixes, render_statistics, render_text
from tsinspect.settings import Settings, discover_settings, load_settings

FORMATS = ("text", "json", "sarif", "github")


def _split(values: tuple[str, ...]) -> list[str]:
    """``--select TS1,TS2 --select TS4`` -> ``["TS1", "TS2", "TS4"]``."""
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@format_option(FORMATS, "text")
@click.option(
    "-o",
    "--output-file",
    type=click.Path(dir_okay=False, path_type=str),
    default=None,
    metavar="FILE",
    help="Write the findings to FILE instead of stdout (refused if it exists, unless --force).",
)
@force_option
@click.option(
    "--select",
    multiple=True,
    metavar="SELECTORS",
    help="Rules to enable (comma-separated codes, prefixes such as TS1, names, or ALL); replaces the config's select and ignore.",
)
@click.option(
    "--extend-select", multiple=True, metavar="SELECTORS", help="Rules to enable on top of select."
)
@click.option(
    "--ignore",
    multiple=True,
    metavar="SELECTORS",
    help="Rules to disable, on top of the config's ignore.",
)
@click.option(
    "--exclude",
    multiple=True,
    metavar="PATTERNS",
    help="Glob patterns of files and folders to skip while walking folders, on top of the config's.",
)
@click.option(
    "--extend-exclude",
    multiple=True,
    metavar="PATTERNS",
    help="Like --exclude (ruff's name for adding patterns): on top of the config's exclude.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=str),
    help="Read [tool.tsinspect] from this file instead of the nearest pyproject.toml.",
)
@click.option("--isolated", is_flag=True, help="Ignore every configuration file.")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (default: the number of CPUs).",
)
@click.option("--no-source", is_flag=True, help="Text format: omit the source snippets.")
@click.option(
    "--fix",
    is_flag=True,
    help="Rewrite what the rules can fix mechanically (files are replaced atomically), then report what remains.",
)
@click.option(
    "--diff",
    is_flag=True,
    help="Print the fixes as a unified diff without writing anything; exit 1 if there are any.",
)
@click.option(
    "--show-fixes",
    is_flag=True,
    help="With --fix: list what was fixed, per file and code (on stderr).",
)
@click.option(
    "--statistics",
    is_flag=True,
    help="Print the number of findings per code instead of the findings (text or json).",
)
@click.option(
    "--exit-zero",
    is_flag=True,
    help="Exit 0 even when there are findings (2 still means an unreadable input or bad usage).",
)
@click.option(
    "--stdin-filename",
    type=str,
    default=None,
    metavar="PATH",
    help="With the path '-' (source on stdin): the file name for messages, per-file-ignores and config discovery.",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Neither read nor write the cache: lint every file afresh.",
)
@quiet_option
def check(
    paths: tuple[str, ...],
    output_format: str,
    output_file: str | None,
    force: bool,
    select: tuple[str, ...],
    extend_select: tuple[str, ...],
    ignore: tuple[str, ...],
    exclude: tuple[str, ...],
    extend_exclude: tuple[str, ...],
    config_path: str | None,
    isolated: bool,
    jobs: int | None,
    no_source: bool,
    fix: bool,
    diff: bool,
    show_fixes: bool,
    statistics: bool,
    exit_zero: bool,
    stdin_filename: str | None,
    no_cache: bool,
    quiet: bool,
) -> None:
    """Report what torch.jit.script would reject in PATHS (files or folders; default: .).

    Never imports or runs the checked code, and does not need torch. Exit codes: 0 clean,
    1 findings, 2 usage error or an unreadable input (the other files are still checked).

    Like torch.jit.script, the check follows the program across files: base classes,
    submodules, imported helpers and classes are resolved from the checked files'
    packages, then the interpreter's import path, then extra-paths in [tool.tsinspect].
    A construct TorchScript rejects in code outside PATHS (a library your model
    compiles) is reported at your line that reaches it, with its real location.

    The path '-' reads one module from stdin (name it with --stdin-filename); with --fix
    the fixed source goes to stdout and what remains to stderr, as ruff does, so editors
    and formatters can pipe through it.

    Each file's findings are cached in .tsinspect_cache in the project root (the folder
    of the pyproject.toml with [tool.tsinspect], else the current directory), keyed by
    the file's content, the rules enabled for it and tsinspect's version, so a second
    run over unchanged files lints nothing. Move the folder with cache-dir in
    [tool.tsinspect] or the TSINSPECT_CACHE_DIR environment variable; skip it with
    --no-cache.
    """
    if "-" in paths and len(paths) > 1:
        raise click.UsageError("'-' (stdin) cannot be combined with other paths")
    if statistics and output_format not in ("text", "json"):
        raise click.UsageError("--statistics prints text or json: pass --format text or json")
    if output_file is not None:
        check_output(output_file, force)  # before the run, not after it
    reading_stdin = paths == ("-",)
    targets = list(paths) or ["."]
    if reading_stdin:
        targets = [stdin_filename or "."]
    if isolated:
        settings = Settings()
    elif config_path is not None:
        settings = load_settings(config_path)
    else:
        settings = discover_settings(targets[0])
    settings = settings.with_overrides(
        select=_split(select) or None,
        extend_select=_split(extend_select),
        ignore=_split(ignore),
        exclude=_split((*exclude, *extend_exclude)),
    )
    output = Output(output_file, force, quiet)
    if reading_stdin:
        data = click.get_binary_stream("stdin").read()
        name = stdin_filename or "-"
        if fix or diff:
            sys.exit(_exit_code(_fix_stdin(data, name, settings, diff, output), exit_zero))
        result = api.check_text(data, name, settings)
        exit_code = _exit_code(result.exit_code, exit_zero)
        output.write(_render(result, output_format, statistics, no_source, quiet, exit_code))
        sys.exit(exit_code)
    cache = not no_cache
    if diff:
        preview = api_fix.fix_paths(targets, settings=settings, write=False, cache=cache)
        output.notes(preview.check.warnings)
        output.write(preview.diff())
        for error in preview.check.input_errors:
            # Files that could not be read or parsed: named, since the diff cannot show them.
            click.echo(f"{location(error)}: {error.code} {one_line(error.message)}", err=True)
        fixable = preview.fixed_count
        output.note(f"Would fix {fixable} finding{'' if fixable == 1 else 's'}.")
        code = 2 if preview.check.input_errors else (1 if preview.changed else 0)
        sys.exit(_exit_code(code, exit_zero))
    applied: dict[str, tuple[Diagnostic, ...]] = {}
    with Progress(enabled=False if quiet else None, delay=_progress_delay()) as progress:
        if fix:
            progress("fixing")
            report = api_fix.fix_paths(targets, settings=settings, write=True, cache=cache)
            result = report.check
            applied = {fixed.path: fixed.applied for fixed in report.files if fixed.applied}
        else:
            result = api.check_paths(
                targets, settings=settings, jobs=jobs, cache=cache, progress=progress
            )
    output.notes(result.warnings)
    exit_code = _exit_code(result.exit_code, exit_zero)
    output.write(_render(result, output_format, statistics, no_source, quiet, exit_code))
    if fix:
        fixed_count = sum(len(fixed) for fixed in applied.values())
        if show_fixes:
            output.note(render_fixes(applied).rstrip("\n"))
        # On stderr, so machine-readable formats stay parseable.
        output.note(f"Fixed {fixed_count} finding{'' if fixed_count == 1 else 's'}.")
    sys.exit(exit_code)


def _progress_delay() -> float:
    """Seconds a check runs before its progress line appears: short runs stay silent.
    ``TSINSPECT_PROGRESS_DELAY`` sets it (0 shows every step at once)."""
    try:
        return max(0.0, float(os.environ.get("TSINSPECT_PROGRESS_DELAY", "1")))
    except ValueError:
        return 1.0


class Output:
    """Where check's results go: stdout or the --output-file; notes go to stderr unless -q."""

    def __init__(self, path: str | None, force: bool, quiet: bool) -> None:
        self.path = path
        self.force = force
        self.quiet = quiet

    def write(self, text: str) -> None:
        """The findings (or diff, or statistics): the one document of the run."""
        if self.path is None:
            click.echo(text, nl=False)
        else:
            write_output(self.path, text.encode("utf-8"), force=self.force)

    def note(self, text: str) -> None:
        """A line for the person at the terminal, on stderr; none with -q."""
        if not self.quiet and text:
            click.echo(text, err=True)

    def notes(self, lines: Sequence[str]) -> None:
        """Notes that do not change the result (a cache that cannot be written)."""
        for line in lines:
            self.note(f"tsinspect: {line}")


def _exit_code(code: int, exit_zero: bool) -> int:
    """--exit-zero turns findings (1) into 0; usage errors and unreadable inputs stay 2."""
    return 0 if exit_zero and code == 1 else code


def _render(
    result: api.CheckResult,
    output_format: str,
    statistics: bool,
    no_source: bool,
    quiet: bool,
    exit_code: int,
) -> str:
    if statistics:
        if output_format == "json":
            return render_statistics_json(result.diagnostics)
        return render_statistics(result.diagnostics)
    if output_format == "json":
        return render_json(result.diagnostics, files_checked=result.files_checked)
    if output_format == "sarif":
        return render_sarif(
            result.diagnostics,
            api.rule_descriptors(),
            __version__,
            source_lines=result.source_lines,
            invocation=SarifInvocation(
                exit_code=exit_code,
                input_errors=len(result.input_errors),
                notes=result.warnings,
            ),
        )
    if output_format == "github":
        return render_github(result.diagnostics)
    text = render_text(
        result.diagnostics,
        result.source_lines,
        result.files_checked,
        show_source=not no_source,
        show_summary=not quiet,
    )
    return text


def _fix_stdin(data: bytes, path: str, settings: Settings, diff: bool, output: Output) -> int:
    """``tsinspect check - --fix`` (or ``--diff``): one module from stdin; the exit code."""
    fixed = api_fix.fix_data(data, path, settings)
    if fixed is None:
        result = api.check_text(data, path, settings)
        if not diff:  # not text: echoed unchanged, so that a formatter pipe never loses it
            click.get_binary_stream("stdout").write(data)
        click.echo(render_text(result.diagnostics, {}, 1), err=True, nl=False)
        return result.exit_code
    if diff:
        output.write(fixed.diff())
        return 1 if fixed.changed else 0
    # ruff's contract: the fixed source on stdout, what remains on stderr.
    output.write(fixed.fixed_source)
    remaining = api.check_text(fixed.fixed_source, path, settings)
    if remaining.diagnostics:  # the findings themselves, also with -q (only the summary goes)
        report = render_text(
            remaining.diagnostics, remaining.source_lines, 1, show_summary=not output.quiet
        )
        click.echo(report, err=True, nl=False)
    return remaining.exit_code


@click.command()
@format_option(("text", "json"), "text")
def rules(output_format: str) -> None:
    """List every code tsinspect reports: lint rules, archive (TS6xx) and config (TS7xx) findings."""
    # Imported here: the catalogue pulls in the model side's tables (and networkx), which
    # cost `check` a tenth of a second at every start.
    from tsinspect.api.catalogue import all_codes

    table = [
        {
            "code": entry.code,
            "name": entry.name,
            "severity": entry.severity.value,
            "source": entry.source,
            "message": entry.summary,
        }
        for entry in all_codes()
    ]
    if output_format == "json":
        click.echo(json.dumps(table, indent=2))
        return
    width = max(len(row["name"]) for row in table)
    for row in table:
        click.echo(f"{row['code']}  {row['name']:<{width}}  {row['message']}")


@click.command()
@click.argument("code_or_name")
def rule(code_or_name: str) -> None:
    """Print the documentation page of a code (TS101, TS601, TS711) or name (lambda-in-compiled-code)."""
    from tsinspect.api.catalogue import code_entry

    click.echo(code_entry(code_or_name).page, nl=False)
