"""``tsinspect check``, ``tsinspect rules``, ``tsinspect rule``: options in, renderer out. No logic."""

from __future__ import annotations

import json
import sys

import click

from tsinspect import __version__
from tsinspect.api import check as api
from tsinspect.api import fix as api_fix
from tsinspect.render.github import render_github
from tsinspect.render.json_format import render_json
from tsinspect.render.names import one_line
from tsinspect.render.sarif import render_sarif
from tsinspect.render.text import location, render_text
from tsinspect.settings import Settings, discover_settings, load_settings

FORMATS = ("text", "json", "sarif", "github")


def _split(values: tuple[str, ...]) -> list[str]:
    """``--select TS1,TS2 --select TS4`` -> ``["TS1", "TS2", "TS4"]``."""
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def _warn(warnings: tuple[str, ...]) -> None:
    """Notes that do not change the result (a cache that cannot be written), on stderr."""
    for warning in warnings:
        click.echo(f"tsinspect: {warning}", err=True)


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="Output format.",
)
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
    "--no-cache",
    is_flag=True,
    help="Neither read nor write the cache: lint every file afresh.",
)
def check(
    paths: tuple[str, ...],
    output_format: str,
    select: tuple[str, ...],
    extend_select: tuple[str, ...],
    ignore: tuple[str, ...],
    exclude: tuple[str, ...],
    config_path: str | None,
    isolated: bool,
    jobs: int | None,
    no_source: bool,
    fix: bool,
    diff: bool,
    no_cache: bool,
) -> None:
    """Report what torch.jit.script would reject in PATHS (files or folders; default: .).

    Never imports or runs the checked code, and does not need torch. Exit codes: 0 clean,
    1 findings, 2 usage error or an unreadable input (the other files are still checked).

    Like torch.jit.script, the check follows the program across files: base classes,
    submodules, imported helpers and classes are resolved from the checked files'
    packages, then the interpreter's import path, then extra-paths in [tool.tsinspect].
    A construct TorchScript rejects in code outside PATHS (a library your model
    compiles) is reported at your line that reaches it, with its real location.

    Each file's findings are cached in .tsinspect_cache in the project root (the folder
    of the pyproject.toml with [tool.tsinspect], else the current directory), keyed by
    the file's content, the rules enabled for it and tsinspect's version, so a second
    run over unchanged files lints nothing. Move the folder with cache-dir in
    [tool.tsinspect] or the TSINSPECT_CACHE_DIR environment variable; skip it with
    --no-cache.
    """
    targets = list(paths) or ["."]
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
        exclude=_split(exclude),
    )
    cache = not no_cache
    if diff:
        preview = api_fix.fix_paths(targets, settings=settings, write=False, cache=cache)
        _warn(preview.check.warnings)
        click.echo(preview.diff(), nl=False)
        for error in preview.check.input_errors:
            # Files that could not be read or parsed: named, since the diff cannot show them.
            click.echo(f"{location(error)}: {error.code} {one_line(error.message)}", err=True)
        fixable = preview.fixed_count
        click.echo(f"Would fix {fixable} finding{'' if fixable == 1 else 's'}.", err=True)
        sys.exit(2 if preview.check.input_errors else (1 if preview.changed else 0))
    fixed_count = 0
    if fix:
        report = api_fix.fix_paths(targets, settings=settings, write=True, cache=cache)
        result = report.check
        fixed_count = report.fixed_count
    else:
        result = api.check_paths(targets, settings=settings, jobs=jobs, cache=cache)
    _warn(result.warnings)
    if output_format == "json":
        output = render_json(result.diagnostics, files_checked=result.files_checked)
    elif output_format == "sarif":
        output = render_sarif(result.diagnostics, api.rule_descriptors(), __version__)
    elif output_format == "github":
        output = render_github(result.diagnostics)
    else:
        output = render_text(
            result.diagnostics, result.source_lines, result.files_checked, show_source=not no_source
        )
    click.echo(output, nl=False)
    if fix:
        # On stderr, so machine-readable formats stay parseable.
        click.echo(f"Fixed {fixed_count} finding{'' if fixed_count == 1 else 's'}.", err=True)
    sys.exit(result.exit_code)


@click.command()
@click.option(
    "--format",
    "output_format",
    type=click.Choice(("text", "json")),
    default="text",
    show_default=True,
)
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
