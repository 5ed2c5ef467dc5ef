"""Compare ``tsinspect check`` on Hugging Face transformers with the real ``torch.jit.script``, class by class.

Runs in the Python where tsinspect is installed (no torch needed); reads the
oracle's results (``bench/transformers_oracle.py``, run in the venv of
``bench/setup_hf_env.sh``) and lints the very files that venv's transformers was
imported from::

    python bench/transformers_compare.py                   # -> bench/results/transformers_compare.{json,md}
    python bench/transformers_compare.py --checked-paths   # -> bench/results/transformers_compare_checked.{json,md}
    python bench/transformers_compare.py --venv /tmp/tsinspect-hf-venv --oracle bench/results/transformers_oracle.json

What is linted:

* default: the model folders ``transformers/models/<type>/`` of every model type
  the oracle built, and every other transformers file that defines one of the
  scripted classes, one of their bases, or holds a failing frame
  (``modeling_utils.py``, ``modeling_layers.py``, ``activations.py``...): each file
  on its own, as per-file reach sees it.
* ``--checked-paths``: only the model files themselves (the files under
  ``models/<type>/`` that define a scripted class, e.g. ``modeling_bert.py``);
  everything else is library code reached through imports. That is a user file
  subclassing library classes: a finding in the library is reported at the checked
  file's line, with its real location in ``origin``.

The questions, per class instance the oracle scripted (``variant`` ``default``;
the ``annotation_ignored`` retries are counted apart):

* Failing classes: is there an ERROR finding at the innermost frame inside
  transformers (its span, or its ``origin``, covers that line of that file)?
  ``caught``; an error finding elsewhere in the same function is a near miss.
  Counted per class and per distinct failing site (file, line).
* Classes that script: an ERROR finding whose reach starts at ``Class.method``,
  ``Class`` defined in the finding's file and scripted on its own, is a false
  positive. Error findings on failing classes away from the failing line are
  listed apart: TorchScript stops at the first error, so they are unconfirmed.
* Misses by error kind, each with what the linter would need: ``cross_file``
  when every class failing at that line either fails in another file than its
  own or has its ``nn.Module`` base in another file (per-file reach does not know
  the class is a module); else ``types`` (the error is about a type TorchScript
  inferred: an ``Optional`` not refined, an attribute of an unsupported type...),
  else ``other``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compare_common import (
    Finding,
    FindingIndex,
    cell,
    enclosing_function,
    error_kind,
    function_spans,
    lint,
    pct,
    rel,
    source_line,
    unique,
)
from oracle_common import error_gist_of

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_VENV = Path(os.environ.get("TSINSPECT_HF_VENV", "/tmp/tsinspect-hf-venv"))

# Error kinds about a type TorchScript inferred or was told (the linter needs type facts).
_TYPE_KINDS = re.compile(
    r"(object has no attribute or method|Expected a value of type|Expected a default value of type"
    r"|was annotated as having type|Unknown type name|is not a subtype|Tried to set an attribute"
    r"|Arguments for call are not valid|Return value was annotated|failed to convert Python type)"
)


@dataclass
class FailureVerdict:
    """How the linter did on one class instance that failed to script."""

    key: str
    class_name: str
    variant: str
    models: list[str]
    file: str
    line: int
    gist: str
    kind: str
    source_line: str
    note: str
    # caught | near_miss | missed | unlocated
    verdict: str
    # cross_file | types | other: what a miss would need (see the module docstring).
    needs: str = ""
    frame_in_other_file: bool = False
    base_in_other_file: bool = False
    matching: list[Finding] = field(default_factory=list)
    near: list[Finding] = field(default_factory=list)


def locate_transformers(venv: Path) -> Path:
    """The transformers package directory inside the oracle's venv."""
    candidates = sorted(venv.glob("lib/python3*/site-packages/transformers"))
    if not candidates:
        raise SystemExit(
            f"transformers_compare: no transformers package under {venv}; "
            "run bench/setup_hf_env.sh first"
        )
    return candidates[0].resolve()


def _model_dir(path: str, root: str) -> str | None:
    """``<root>/models/<type>`` when ``path`` lies in a model folder."""
    parts = os.path.relpath(path, root).split(os.sep)
    if len(parts) >= 3 and parts[0] == "models":
        return os.path.join(root, "models", parts[1])
    return None


def _frame_path(frame: dict[str, Any], oracle_root: str, root: str) -> str:
    """The frame's file in the linted tree (the oracle may have run from another copy)."""
    path = os.path.realpath(frame["file"])
    if oracle_root != root and path.startswith(oracle_root + os.sep):
        path = root + path[len(oracle_root) :]
    return path


def targets(oracle: dict[str, Any], root: str, checked_paths: bool) -> list[Path]:
    """What to lint (see the module docstring)."""
    oracle_root = os.path.realpath(oracle["environment"]["transformers_root"])
    files: set[str] = set()
    folders: set[str] = set()
    for record in oracle["classes"]:
        paths = [record["file"], *(b["file"] for b in record["bases"])]
        paths += [f["file"] for f in record.get("frames", [])]
        for path in paths:
            mapped = _frame_path({"file": path}, oracle_root, root)
            if not mapped.startswith(root + os.sep):
                continue
            files.add(mapped)
            folder = _model_dir(mapped, root)
            if folder is not None:
                folders.add(folder)
    class_files = {
        _frame_path({"file": r["file"]}, oracle_root, root) for r in oracle["classes"] if r["file"]
    }
    if checked_paths:
        chosen = sorted(f for f in class_files if _model_dir(f, root) is not None)
        return [Path(f) for f in chosen]
    outside = sorted(f for f in files if _model_dir(f, root) is None)
    return [Path(f) for f in sorted(folders)] + [Path(f) for f in outside]


def judge_failures(
    records: list[dict[str, Any]], errors: list[Finding], root: str, oracle_root: str
) -> list[FailureVerdict]:
    """Caught / near miss / missed / unlocated for every class instance that failed to script."""
    index = FindingIndex(errors)
    spans_cache: dict[str, list[tuple[int, int, str]]] = {}
    verdicts: list[FailureVerdict] = []
    for record in records:
        if record["status"] != "script_failed":
            continue
        frame = record.get("transformers_frame")
        # Recomputed from the full text, so results of older oracle runs get today's gist.
        gist = error_gist_of(record.get("error", "")) or record.get("error_gist", "")
        class_file = _frame_path({"file": record["file"]}, oracle_root, root)
        base_elsewhere = any(
            _frame_path({"file": b["file"]}, oracle_root, root) != class_file
            for b in record["bases"]
        )
        common = {
            "key": record["key"],
            "class_name": record["qualname"],
            "variant": record["variant"],
            "models": record["models"],
            "gist": gist,
            "kind": error_kind(gist),
            "base_in_other_file": base_elsewhere,
        }
        if not frame:
            verdicts.append(
                FailureVerdict(
                    **common, file="", line=0, source_line="", note="", verdict="unlocated"
                )
            )
            continue
        path = _frame_path(frame, oracle_root, root)
        line = int(frame["line"])
        matching = index.covering(path, line)
        spans = spans_cache.setdefault(path, function_spans(path))
        function = enclosing_function(spans, line)
        near = []
        if function is not None:
            near = [f for f in index.within(path, function[0], function[1]) if f not in matching]
        verdict = "caught" if matching else "near_miss" if near else "missed"
        verdicts.append(
            FailureVerdict(
                **common,
                file=rel(path, root),
                line=line,
                source_line=source_line(path, line),
                note=frame.get("note", ""),
                verdict=verdict,
                frame_in_other_file=path != class_file,
                matching=matching,
                near=near,
            )
        )
    # What a missed site needs is decided per site: several classes often fail at one line, and
    # when one of them (its own file, its nn.Module base local) fails there too, per-file reach
    # already gets to the line and what is missing is a rule.
    sites: dict[tuple[str, str, int], list[FailureVerdict]] = defaultdict(list)
    for verdict in verdicts:
        if verdict.verdict != "caught":
            sites[(verdict.variant, verdict.file, verdict.line)].append(verdict)
    for group in sites.values():
        if all(v.frame_in_other_file or v.base_in_other_file for v in group):
            needs = "cross_file"
        elif _TYPE_KINDS.search(group[0].gist):
            needs = "types"
        else:
            needs = "other"
        for verdict in group:
            verdict.needs = needs
    return verdicts


def attribute(
    records: list[dict[str, Any]],
    errors: list[Finding],
    root: str,
    oracle_root: str,
    status: str = "scripted",
) -> tuple[dict[str, list[Finding]], dict[str, list[Finding]]]:
    """Error findings on the class instances with ``status``: (by reach class, by file only) per key."""
    by_class: dict[tuple[str, str], list[str]] = defaultdict(list)
    by_file: dict[str, list[str]] = defaultdict(list)
    for record in records:
        if record["status"] != status:
            continue
        file = _frame_path({"file": record["file"]}, oracle_root, root)
        by_class[(file, record["qualname"])].append(record["key"])
        by_file[file].append(record["key"])
    strict: dict[str, list[Finding]] = defaultdict(list)
    weak: dict[str, list[Finding]] = defaultdict(list)
    for finding in errors:
        root_class = finding.root_class
        if root_class is not None:
            for key in by_class.get((finding.path, root_class), []):
                strict[key].append(finding)
        else:
            for key in by_file.get(finding.path, []):
                weak[key].append(finding)
    return dict(strict), dict(weak)


def _summary(verdicts: list[FailureVerdict], scripted: int, flagged: int) -> dict[str, Any]:
    located = [v for v in verdicts if v.verdict != "unlocated"]
    caught = [v for v in verdicts if v.verdict == "caught"]
    sites: dict[tuple[str, int], list[FailureVerdict]] = defaultdict(list)
    for verdict in located:
        sites[(verdict.file, verdict.line)].append(verdict)
    return {
        "scripted": scripted,
        "script_failed": len(verdicts),
        "failures_located": len(located),
        "caught_at_line": len(caught),
        "near_miss_same_function": sum(1 for v in verdicts if v.verdict == "near_miss"),
        "missed": sum(1 for v in verdicts if v.verdict == "missed"),
        "unlocated": len(verdicts) - len(located),
        "catch_rate": round(len(caught) / len(verdicts), 4) if verdicts else None,
        "catch_rate_located": round(len(caught) / len(located), 4) if located else None,
        "failing_sites": len(sites),
        "failing_sites_caught": sum(1 for group in sites.values() if group[0].verdict == "caught"),
        "scripted_classes_flagged": flagged,
        "misses_by_need": dict(
            sorted(Counter(v.needs for v in verdicts if v.verdict != "caught").items())
        ),
        "missed_sites_by_need": dict(
            sorted(
                Counter(
                    group[0].needs for group in sites.values() if group[0].verdict != "caught"
                ).items()
            )
        ),
    }


def compare(args: argparse.Namespace) -> dict[str, Any]:
    """Lint transformers, judge against the oracle, and return the comparison payload."""
    oracle = json.loads(args.oracle.read_text(encoding="utf-8"))
    root = str(locate_transformers(args.venv))
    oracle_root = os.path.realpath(oracle["environment"]["transformers_root"])
    if oracle_root != root:
        print(f"warning: oracle ran on {oracle_root}, linting {root}", file=sys.stderr)
    paths = targets(oracle, root, args.checked_paths)
    findings, lint_seconds = lint(paths, args.jobs)
    errors = [f for f in findings if f.severity == "error"]
    records = oracle["classes"]
    default = [r for r in records if r["variant"] == "default"]

    verdicts = judge_failures(records, errors, root, oracle_root)
    strict, weak = attribute(default, errors, root, oracle_root)
    status_counts = Counter(f"{r['variant']}:{r['status']}" for r in records)

    by_variant: dict[str, dict[str, Any]] = {}
    for variant in sorted({r["variant"] for r in records}):
        mine = [v for v in verdicts if v.variant == variant]
        scripted = sum(1 for r in records if r["variant"] == variant and r["status"] == "scripted")
        flagged = len(strict) if variant == "default" else 0
        by_variant[variant] = _summary(mine, scripted, flagged)
    summary = by_variant.get("default", _summary([], 0, 0))

    fp_findings: dict[Finding, list[str]] = defaultdict(list)
    for key, class_findings in strict.items():
        for finding in set(class_findings):
            fp_findings[finding].append(key)
    weak_findings: dict[Finding, list[str]] = defaultdict(list)
    for key, class_findings in weak.items():
        for finding in set(class_findings):
            weak_findings[finding].append(key)

    # Every other error finding: on failing classes past their first error (TorchScript stops
    # there, so the oracle cannot confirm or refute it), or on code no scripted class reaches.
    caught_findings = {f for v in verdicts for f in v.matching}
    on_failing: dict[Finding, set[str]] = defaultdict(set)
    for table in attribute(default, errors, root, oracle_root, "script_failed"):
        for key, class_findings in table.items():
            for finding in class_findings:
                on_failing[finding].add(key)
    others: list[dict[str, Any]] = []
    for finding in unique(errors):
        if finding in fp_findings or finding in weak_findings or finding in caught_findings:
            continue
        keys = sorted(on_failing.get(finding, ()))
        others.append(
            {
                **finding.as_dict(root),
                "status": "on_failing_class" if keys else "no_scripted_class",
                "classes": keys,
            }
        )

    misses_by_kind: dict[str, list[FailureVerdict]] = defaultdict(list)
    for verdict in verdicts:
        if verdict.verdict != "caught" and verdict.variant == "default":
            misses_by_kind[verdict.kind].append(verdict)
    kind_order = sorted(misses_by_kind, key=lambda k: (-len(misses_by_kind[k]), k))

    def verdict_dict(v: FailureVerdict) -> dict[str, Any]:
        return {
            "class": v.key,
            "models": v.models,
            "variant": v.variant,
            "where": f"{v.file}:{v.line}" if v.file else "",
            "gist": v.gist,
            "kind": v.kind,
            "source_line": v.source_line,
            "note": v.note,
            "verdict": v.verdict,
            "needs": v.needs,
            "frame_in_other_file": v.frame_in_other_file,
            "base_in_other_file": v.base_in_other_file,
            "matching": [f.as_dict(root) for f in v.matching],
            "near": [f.as_dict(root) for f in v.near],
        }

    import tsinspect

    models = oracle.get("models", [])
    model_failures = [v for v in verdicts if v.variant == "default" and set(v.models)]
    top = {m["model_class"]: m["model_type"] for m in models}
    payload: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "tsinspect": tsinspect.__version__,
        "mode": "checked_paths" if args.checked_paths else "per_file",
        "oracle": {
            "file": str(args.oracle),
            "environment": oracle["environment"],
            "started": oracle.get("started"),
            "counts": dict(sorted(status_counts.items())),
            "models": {
                "built": sum(1 for m in models if m["status"] == "built"),
                "not_built": [m["model_type"] for m in models if m["status"] != "built"],
                "scripted": sorted(
                    m["model_type"] for m in models if m["script_status"] == "scripted"
                ),
            },
        },
        "lint": {
            "targets": [rel(str(p), root) for p in paths],
            "seconds": round(lint_seconds, 3),
            "findings": len(findings),
            "errors": len(errors),
            "by_code": dict(
                sorted(Counter(f"{f.code} {f.name} ({f.severity})" for f in findings).items())
            ),
        },
        "summary": {
            **summary,
            "classes": len(default),
            "false_positive_findings": len(fp_findings),
            "scripted_classes_flagged_weak": len(set(weak) - set(strict)),
            "weak_findings": len(weak_findings),
            "models_caught": sum(
                1 for v in model_failures if v.key in top and v.verdict == "caught"
            ),
            "models_failed": sum(1 for v in model_failures if v.key in top),
            "by_variant": by_variant,
        },
        "failures": [verdict_dict(v) for v in verdicts],
        "false_positives": [
            {**f.as_dict(root), "classes": sorted(keys)}
            for f, keys in sorted(
                fp_findings.items(), key=lambda kv: (kv[0].path, kv[0].line, kv[0].code)
            )
        ],
        "weak_false_positives": [
            {**f.as_dict(root), "classes": sorted(keys)}
            for f, keys in sorted(
                weak_findings.items(), key=lambda kv: (kv[0].path, kv[0].line, kv[0].code)
            )
        ],
        "misses_by_kind": {
            kind: [verdict_dict(v) for v in misses_by_kind[kind]] for kind in kind_order
        },
        "misses_by_kind_and_need": {
            kind: dict(sorted(Counter(v.needs for v in misses_by_kind[kind]).items()))
            for kind in kind_order
        },
        "other_errors": others,
        "flagged_classes": {key: len(set(fs)) for key, fs in sorted(strict.items())},
    }
    return payload


def render_markdown(payload: dict[str, Any]) -> str:
    """The comparison as a Markdown page for the rule authors."""
    s = payload["summary"]
    env = payload["oracle"]["environment"]
    mode = (
        "only the model files checked; the rest of transformers reached through imports"
        if payload["mode"] == "checked_paths"
        else "every file involved checked on its own"
    )
    lines = [
        "# tsinspect check vs torch.jit.script on Hugging Face transformers, class by class",
        "",
        f"Date {payload['date']}; tsinspect {payload['tsinspect']}; mode: {mode}. Oracle: torch "
        f"{env['torch']}, transformers {env['transformers']}, Python {env['python']} "
        f"(run started {payload['oracle']['started']}; {payload['oracle']['models']['built']} models built).",
        "",
        "| measure | value | target |",
        "| --- | --- | --- |",
        f"| classes scripted on their own | {s['classes']} ({payload['oracle']['counts']}) | |",
        f"| scripted OK | {s['scripted']} | |",
        f"| failed to script | {s['script_failed']} ({s['failing_sites']} distinct sites) | |",
        f"| failures caught at the right line | {s['caught_at_line']} / {s['script_failed']}"
        f" ({pct(s['catch_rate'])}); sites {s['failing_sites_caught']} / {s['failing_sites']} | >= 90% |",
        f"| caught, of failures whose error names a line | {s['caught_at_line']} / "
        f"{s['failures_located']} ({pct(s['catch_rate_located'])}) | |",
        f"| models (their own class) caught | {s['models_caught']} / {s['models_failed']} | |",
        f"| near misses (error in the same function) | {s['near_miss_same_function']} | |",
        f"| missed / no location | {s['missed']} / {s['unlocated']} | |",
        f"| misses by what they need (classes; sites) | {s['misses_by_need']}; "
        f"{s['missed_sites_by_need']} | |",
        f"| scriptable classes with error findings (reach class) | {s['scripted_classes_flagged']}"
        f" ({s['false_positive_findings']} distinct findings) | 0 |",
        f"| scriptable classes with error findings (free-function reach, weak) | "
        f"{s['scripted_classes_flagged_weak']} ({s['weak_findings']} findings) | 0 |",
        f"| lint run | {payload['lint']['findings']} findings, {payload['lint']['errors']} errors, "
        f"{len(payload['lint']['targets'])} targets, {payload['lint']['seconds']} s | |",
        "",
        "By variant (`default`: `torch.jit.script(instance)`; `annotation_ignored`: the retry with "
        "the config-annotated attributes in `__jit_ignored_attributes__`):",
        "",
        "| variant | scripted | failed | caught at line | sites caught | misses by need |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
        *(
            f"| {variant} | {v['scripted']} | {v['script_failed']} | {v['caught_at_line']} | "
            f"{v['failing_sites_caught']} / {v['failing_sites']} | {v['misses_by_need']} |"
            for variant, v in s["by_variant"].items()
        ),
        "",
        "## False positives: error findings on classes that script",
        "",
    ]
    if not payload["false_positives"] and not payload["weak_false_positives"]:
        lines.append("None.")
    for title, key in (
        ("by reach class", "false_positives"),
        ("free-function reach (weak)", "weak_false_positives"),
    ):
        if payload[key]:
            lines += [
                f"### {title}",
                "",
                "| where | code | message | reach | classes |",
                "| --- | --- | --- | --- | --- |",
            ]
            for fp in payload[key]:
                keys = [k.rsplit(".", 1)[-1] for k in fp["classes"]]
                shown = ", ".join(keys[:4]) + (f" +{len(keys) - 4}" if len(keys) > 4 else "")
                lines.append(
                    f"| {fp['where']} | {fp['code']} {fp['name']} | {cell(fp['message'])} | "
                    f"{cell(fp['reach'])} | {shown} |"
                )
            lines.append("")
    lines += [
        "",
        "## Misses (variant `default`), grouped by error kind",
        "",
        "`needs`: cross_file (the failing line or the class's nn.Module base is in another file "
        "than the class), types, other.",
        "",
        "| count | kind | needs |",
        "| ---: | --- | --- |",
    ]
    for kind, group in payload["misses_by_kind"].items():
        needs = payload["misses_by_kind_and_need"][kind]
        lines.append(f"| {len(group)} | {cell(kind)} | {needs} |")
    lines.append("")
    for kind, group in payload["misses_by_kind"].items():
        classes = sorted({g["class"].rsplit(".", 1)[-1] for g in group})
        lines += [f"### {kind}", "", f"{len(group)} class(es): {', '.join(classes)}", ""]
        seen: set[str] = set()
        for item in group:
            if item["where"] in seen:
                continue
            seen.add(item["where"])
            near = (
                "; near: " + ", ".join(f"{n['code']} at {n['where']}" for n in item["near"])
                if item["near"]
                else ""
            )
            note = f" ({item['note']})" if item["note"] else ""
            lines.append(
                f"- `{item['where'] or item['class']}` ({item['verdict']}, {item['needs']}{near}): "
                f"`{item['source_line']}` — {item['gist']}{note}"
            )
        lines.append("")
    lines += [
        "## Other error findings",
        "",
        "On failing classes past the error TorchScript reported (it stops at the first, so these are",
        "unconfirmed), or on code that no scripted class reaches.",
        "",
    ]
    if not payload["other_errors"]:
        lines.append("None.")
    else:
        lines += [
            "| where | code | message | reach | status | classes |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for other in payload["other_errors"]:
            keys = [k.rsplit(".", 1)[-1] for k in other["classes"]]
            shown = ", ".join(keys[:3]) + (f" +{len(keys) - 3}" if len(keys) > 3 else "")
            lines.append(
                f"| {other['where']} | {other['code']} {other['name']} | {cell(other['message'])} | "
                f"{cell(other['reach'])} | {other['status']} | {shown} |"
            )
    lines += [
        "",
        "## Every failing class",
        "",
        "| class | variant | models | where | verdict | needs | error |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for item in payload["failures"]:
        models = ", ".join(item["models"][:3]) + (
            f" +{len(item['models']) - 3}" if len(item["models"]) > 3 else ""
        )
        lines.append(
            f"| {item['class'].rsplit('.', 1)[-1]} | {item['variant']} | {models} | {item['where']} | "
            f"{item['verdict']} | {item['needs']} | {cell(item['gist'])} |"
        )
    lines += ["", "## Findings by code over the linted files", ""]
    lines += [f"- {code}: {count}" for code, count in payload["lint"]["by_code"].items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: print the summary, write JSON and Markdown."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--oracle",
        type=Path,
        default=RESULTS / "transformers_oracle.json",
        help="oracle results (bench/transformers_oracle.py)",
    )
    parser.add_argument(
        "--venv", type=Path, default=DEFAULT_VENV, help="the venv transformers_oracle.py ran in"
    )
    parser.add_argument(
        "--checked-paths",
        action="store_true",
        help="lint only the model files; the rest of transformers is library code reached by imports",
    )
    parser.add_argument("--jobs", type=int, default=1, help="lint worker processes")
    parser.add_argument("--out", type=Path, help="JSON output (default by mode, in bench/results)")
    parser.add_argument("--markdown", type=Path, help="Markdown output (default by mode)")
    args = parser.parse_args(argv)
    stem = "transformers_compare_checked" if args.checked_paths else "transformers_compare"
    args.out = args.out or RESULTS / f"{stem}.json"
    args.markdown = args.markdown or RESULTS / f"{stem}.md"
    payload = compare(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    args.markdown.write_text(render_markdown(payload), encoding="utf-8")
    s = payload["summary"]
    print(
        f"[{payload['mode']}] classes: {s['classes']}  scripted: {s['scripted']}  "
        f"failed: {s['script_failed']}"
    )
    print(
        f"failures caught at the right line: {s['caught_at_line']}/{s['script_failed']} "
        f"({pct(s['catch_rate'])}), near misses {s['near_miss_same_function']}, missed {s['missed']}, "
        f"unlocated {s['unlocated']}; sites {s['failing_sites_caught']}/{s['failing_sites']}; "
        f"models {s['models_caught']}/{s['models_failed']}"
    )
    print(f"misses by need: {s['misses_by_need']}; sites: {s['missed_sites_by_need']}")
    print(
        f"scriptable classes flagged with errors: {s['scripted_classes_flagged']} "
        f"({s['false_positive_findings']} findings); weak attribution: "
        f"{s['scripted_classes_flagged_weak']} more ({s['weak_findings']} findings)"
    )
    for variant, v in s["by_variant"].items():
        print(
            f"  {variant}: scripted {v['scripted']}, failed {v['script_failed']}, caught at line "
            f"{v['caught_at_line']}, sites {v['failing_sites_caught']}/{v['failing_sites']}"
        )
    for fp in payload["false_positives"]:
        print(
            f"  FP {fp['where']} {fp['code']} {fp['message'][:90]}  [{fp['reach']}] "
            f"({len(fp['classes'])} classes)"
        )
    for kind, group in payload["misses_by_kind"].items():
        print(
            f"  MISS x{len(group)} {kind[:90]}: {group[0]['where']} `{group[0]['source_line'][:70]}`"
        )
    print(f"-> {args.out}, {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
