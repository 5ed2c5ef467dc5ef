"""Compare ``tsinspect check`` on timm's source with the real ``torch.jit.script`` verdicts.

Runs in the Python where tsinspect is installed (no torch needed); reads the
oracle's results (``bench/timm_oracle.py``, run in the timm venv) and lints the
very files that venv's timm was imported from::

    python bench/timm_compare.py                    # -> bench/results/timm_compare.{json,md}
    python bench/timm_compare.py --oracle bench/results/timm_oracle.json --venv /tmp/tsinspect-timm-venv

Two questions, as the issue states them:

* Failing models: did the linter report an ERROR finding at the line TorchScript
  names (the innermost ``File "...", line N`` frame inside timm)? A finding whose
  span covers that line counts, and so does one whose ``origin`` (the real location
  of a finding reported at a checked file's line) covers it; an error finding
  elsewhere in the same function is counted separately as a near miss.
* Scripting models: did the linter report an ERROR finding on code the model
  compiles? Approximation: a finding belongs to a model when the first step of
  its reach path (``Class.method``) names a class defined in the finding's file
  that is among the model's submodule classes (the oracle records
  ``{type(m) for m in model.modules()}`` with their files). A path through a class passed
  in as a value (``Owner.attribute = Class (...)``) crosses files: it belongs to a model
  holding the root class and that class (or a subclass of it). Findings whose reach
  starts at a free function (or is empty) cannot be tied to a class; they are
  attributed to every model that uses a class of that file, and reported as a
  separate, weaker count.
"""

from __future__ import annotations

import argparse
import json
import os
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
    class_ancestors,
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
DEFAULT_VENV = Path(os.environ.get("TSINSPECT_TIMM_VENV", "/tmp/tsinspect-timm-venv"))


@dataclass
class FailureVerdict:
    """How the linter did on one model that failed to script."""

    model: str
    file: str
    line: int
    gist: str
    kind: str
    source_line: str
    verdict: str  # caught | near_miss | missed | unlocated | lineless_by_file
    matching: list[Finding] = field(default_factory=list)
    near: list[Finding] = field(default_factory=list)


def locate_timm(venv: Path) -> Path:
    """The timm package directory inside the oracle's venv."""
    candidates = sorted(venv.glob("lib/python3*/site-packages/timm"))
    if not candidates:
        raise SystemExit(
            f"timm_compare: no timm package under {venv}; run bench/setup_timm_env.sh first"
        )
    return candidates[0].resolve()


def judge_failures(
    records: list[dict[str, Any]], errors: list[Finding], timm_root: str
) -> list[FailureVerdict]:
    """Caught / near miss / missed for every model that failed to script."""
    index = FindingIndex(errors)
    spans_cache: dict[str, list[tuple[int, int, str]]] = {}
    verdicts: list[FailureVerdict] = []
    for record in records:
        if record["status"] != "script_failed":
            continue
        frame = record.get("timm_frame")
        # Recomputed from the full text, so results of older oracle runs get today's gist.
        gist = error_gist_of(record.get("error", "")) or record.get("error_gist", "")
        if not frame:
            # No line to judge. The cause may still lie in code TorchScript never compiles
            # (a hook registered with functools.partial): an error finding without a reach
            # path in a file defining one of the model's classes is tied to the failure by
            # file, as the weak false-positive count ties such findings to scripted models.
            files = {os.path.realpath(c["file"]) for c in record.get("module_classes", [])}
            by_file = [f for path in sorted(files) for f in index.in_file(path) if not f.reach]
            verdicts.append(
                FailureVerdict(
                    record["key"],
                    "",
                    0,
                    gist,
                    error_kind(gist),
                    "",
                    "lineless_by_file" if by_file else "unlocated",
                    matching=by_file,
                )
            )
            continue
        path = os.path.realpath(frame["file"])
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
                model=record["key"],
                file=rel(path, timm_root),
                line=line,
                gist=gist,
                kind=error_kind(gist),
                source_line=source_line(path, line),
                verdict=verdict,
                matching=matching,
                near=near,
            )
        )
    return verdicts


def attribute(
    records: list[dict[str, Any]],
    errors: list[Finding],
    status: str = "scripted",
    ancestors: dict[str, set[str]] | None = None,
) -> tuple[dict[str, list[Finding]], dict[str, list[Finding]]]:
    """Error findings on the models with ``status``: (by reach class, by file only) per model key.

    A path that passes a class in as a value (``FeatureGetterNet.forward ->
    FeatureGetterNet.model = VisionTransformer (...) -> VisionTransformer.forward_intermediates``)
    ends in another file than its root class's: it belongs to a model that holds the root
    class (by name) and, for each such step, the named class or a subclass of it
    (``ancestors``), because only such a model compiles that path.
    """
    ancestors = ancestors or {}
    strict: dict[str, list[Finding]] = defaultdict(list)
    weak: dict[str, list[Finding]] = defaultdict(list)
    for record in records:
        if record["status"] != status:
            continue
        classes = {
            (c["file"], c["name"]) for c in record.get("module_classes", []) if c.get("file")
        }
        files = {file for file, _ in classes}
        names = {name for _, name in classes}
        held = names | {base for name in names for base in ancestors.get(name, ())}
        for finding in errors:
            root = finding.root_class
            flowed = finding.flowed_classes
            if root is not None and flowed:
                if root in names and all(cls in held for cls in flowed):
                    strict[record["key"]].append(finding)
            elif root is not None:
                if (finding.path, root) in classes:
                    strict[record["key"]].append(finding)
            elif finding.path in files:
                weak[record["key"]].append(finding)
    return dict(strict), dict(weak)


def compare(args: argparse.Namespace) -> dict[str, Any]:
    """Lint timm, judge against the oracle, and return the comparison payload."""
    oracles = [json.loads(path.read_text(encoding="utf-8")) for path in args.oracle]
    oracle = oracles[0]
    timm_root = str(locate_timm(args.venv))
    for each in oracles:
        oracle_root = each["environment"]["timm_root"]
        if os.path.realpath(oracle_root) != timm_root:
            print(f"warning: oracle ran on {oracle_root}, linting {timm_root}", file=sys.stderr)
    targets = [Path(timm_root) / "models", Path(timm_root) / "layers"]
    findings, lint_seconds = lint(targets, args.jobs)
    errors = [f for f in findings if f.severity == "error"]
    # Each record is one create_model(...) instance; "key" tells variants of a name apart.
    records = [
        {**record, "key": record.get("key") or record["name"]}
        for each in oracles
        for record in each["records"]
    ]

    verdicts = judge_failures(records, errors, timm_root)
    ancestors = class_ancestors(targets)
    strict, weak = attribute(records, errors, ancestors=ancestors)
    status_counts = Counter(r["status"] for r in records)
    failed = [v for v in verdicts]
    caught = [v for v in failed if v.verdict == "caught"]
    located = [v for v in failed if v.verdict not in ("unlocated", "lineless_by_file")]
    by_file = [v for v in failed if v.verdict == "lineless_by_file"]

    # Distinct failing sites: several variants of a family usually fail at the same line.
    sites: dict[tuple[str, int], list[FailureVerdict]] = defaultdict(list)
    for verdict in failed:
        sites[(verdict.file, verdict.line)].append(verdict)
    sites_caught = sum(1 for group in sites.values() if group[0].verdict == "caught")

    fp_findings: dict[Finding, list[str]] = defaultdict(list)
    for model, model_findings in strict.items():
        for finding in set(model_findings):
            fp_findings[finding].append(model)
    weak_findings: dict[Finding, list[str]] = defaultdict(list)
    for model, model_findings in weak.items():
        for finding in set(model_findings):
            weak_findings[finding].append(model)

    # Every other error finding: on failing models past their first error (TorchScript stops
    # there, so the oracle cannot confirm or refute it), or on code no built model contains.
    caught_findings = {f for v in failed for f in v.matching}
    on_failing: dict[Finding, set[str]] = defaultdict(set)
    for table in attribute(records, errors, "script_failed", ancestors):
        for model, model_findings in table.items():
            for finding in model_findings:
                on_failing[finding].add(model)
    others: list[dict[str, Any]] = []
    for finding in unique(errors):
        if finding in fp_findings or finding in weak_findings or finding in caught_findings:
            continue
        models = sorted(on_failing.get(finding, ()))
        others.append(
            {
                **finding.as_dict(timm_root),
                "status": "on_failing_model" if models else "no_built_model",
                "models": models,
            }
        )

    # The measure is on create_model(name) instances; features_only wrappers are extra.
    variant_of = {record["key"]: record.get("variant", "default") for record in records}
    by_variant: dict[str, dict[str, int]] = {}
    for variant in sorted(set(variant_of.values())):
        mine = [v for v in failed if variant_of[v.model] == variant]
        by_variant[variant] = {
            "scripted": sum(
                1 for r in records if r["status"] == "scripted" and variant_of[r["key"]] == variant
            ),
            "script_failed": len(mine),
            "caught_at_line": sum(1 for v in mine if v.verdict == "caught"),
            "lineless": sum(1 for v in mine if v.verdict in ("unlocated", "lineless_by_file")),
            "lineless_caught_by_file": sum(1 for v in mine if v.verdict == "lineless_by_file"),
            "failing_sites": len({(v.file, v.line) for v in mine}),
            "failing_sites_caught": len({(v.file, v.line) for v in mine if v.verdict == "caught"}),
            "scripted_models_flagged": sum(1 for model in strict if variant_of[model] == variant),
        }

    misses_by_kind: dict[str, list[FailureVerdict]] = defaultdict(list)
    for verdict in failed:
        if verdict.verdict != "caught":
            misses_by_kind[verdict.kind].append(verdict)

    def verdict_dict(v: FailureVerdict) -> dict[str, Any]:
        return {
            "model": v.model,
            "where": f"{v.file}:{v.line}" if v.file else "",
            "gist": v.gist,
            "kind": v.kind,
            "source_line": v.source_line,
            "verdict": v.verdict,
            "matching": [f.as_dict(timm_root) for f in v.matching],
            "near": [f.as_dict(timm_root) for f in v.near],
        }

    import tsinspect

    payload: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "tsinspect": tsinspect.__version__,
        "oracle": {
            "files": [str(path) for path in args.oracle],
            "environment": oracle["environment"],
            "started": oracle.get("started"),
            "variants": sorted({record.get("variant", "default") for record in records}),
            "counts": dict(sorted(status_counts.items())),
        },
        "lint": {
            "files": sorted({f.path for f in findings}).__len__(),
            "targets": [rel(str(t), timm_root) for t in targets],
            "seconds": round(lint_seconds, 3),
            "findings": len(findings),
            "errors": len(errors),
            "by_code": dict(
                sorted(Counter(f"{f.code} {f.name} ({f.severity})" for f in findings).items())
            ),
        },
        "summary": {
            "models": status_counts.get("scripted", 0) + len(failed),
            "records": len(records),
            "scripted": status_counts.get("scripted", 0),
            "script_failed": len(failed),
            "failures_located": len(located),
            "caught_at_line": len(caught),
            "near_miss_same_function": sum(1 for v in failed if v.verdict == "near_miss"),
            "missed": sum(1 for v in failed if v.verdict == "missed"),
            "unlocated": len(failed) - len(located),
            "catch_rate": round(len(caught) / len(failed), 4) if failed else None,
            "catch_rate_located": round(len(caught) / len(located), 4) if located else None,
            "lineless_caught_by_file": len(by_file),
            "catch_rate_with_lineless_by_file": (
                round((len(caught) + len(by_file)) / len(failed), 4) if failed else None
            ),
            "by_variant": by_variant,
            "failing_sites": len(sites),
            "failing_sites_caught": sites_caught,
            "scripted_models_flagged": len(strict),
            "false_positive_findings": len(fp_findings),
            "scripted_models_flagged_weak": len(set(weak) - set(strict)),
            "weak_findings": len(weak_findings),
        },
        "failures": [verdict_dict(v) for v in failed],
        "false_positives": [
            {**f.as_dict(timm_root), "models": sorted(models)}
            for f, models in sorted(
                fp_findings.items(), key=lambda kv: (kv[0].path, kv[0].line, kv[0].code)
            )
        ],
        "weak_false_positives": [
            {**f.as_dict(timm_root), "models": sorted(models)}
            for f, models in sorted(
                weak_findings.items(), key=lambda kv: (kv[0].path, kv[0].line, kv[0].code)
            )
        ],
        "misses_by_kind": {
            kind: [verdict_dict(v) for v in group] for kind, group in sorted(misses_by_kind.items())
        },
        "other_errors": others,
        "flagged_models": {model: len(set(fs)) for model, fs in sorted(strict.items())},
    }
    return payload


def render_markdown(payload: dict[str, Any]) -> str:
    """The comparison as a Markdown page for the rule authors."""
    s = payload["summary"]
    env = payload["oracle"]["environment"]
    lines = [
        "# tsinspect check vs torch.jit.script on timm",
        "",
        f"Date {payload['date']}; tsinspect {payload['tsinspect']}; oracle: torch {env['torch']}, "
        f"timm {env['timm']}, Python {env['python']} (oracle run started {payload['oracle']['started']}).",
        "",
        "| measure | value | target |",
        "| --- | --- | --- |",
        f"| models judged (scripted or failed) | {s['models']} of {s['records']} records "
        f"({payload['oracle']['counts']}; variants {', '.join(payload['oracle']['variants'])}) | |",
        f"| scripted OK | {s['scripted']} | |",
        f"| failed to script | {s['script_failed']} ({s['failing_sites']} distinct sites) | |",
        f"| failures caught at the right line | {s['caught_at_line']} / {s['script_failed']}"
        f" ({pct(s['catch_rate'])}); sites {s['failing_sites_caught']} / {s['failing_sites']} | >= 90% |",
        f"| caught, of failures whose error names a line | {s['caught_at_line']} / {s['failures_located']}"
        f" ({pct(s['catch_rate_located'])}) | |",
        f"| near misses (error in the same function) | {s['near_miss_same_function']} | |",
        f"| missed / no location in the error | {s['missed']} / {s['unlocated']} | |",
        f"| no line, cause flagged in a file of the model (reachless error finding) | "
        f"{s['lineless_caught_by_file']} / {s['unlocated']}; with them "
        f"{pct(s['catch_rate_with_lineless_by_file'])} of all failures | |",
        f"| scriptable models with error findings (reach class) | {s['scripted_models_flagged']}"
        f" ({s['false_positive_findings']} distinct findings) | 0 |",
        f"| scriptable models with error findings (free-function reach, weak) | "
        f"{s['scripted_models_flagged_weak']} ({s['weak_findings']} findings) | 0 |",
        f"| lint run | {payload['lint']['findings']} findings, {payload['lint']['errors']} errors in "
        f"{payload['lint']['seconds']} s over {', '.join(payload['lint']['targets'])} | |",
        "",
        "By variant (`default`: `create_model(name)`; `features_only`: `create_model(name, features_only=True)`):",
        "",
        "| variant | scripted | failed | caught at line | sites caught | scriptable models flagged |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        *(
            f"| {variant} | {v['scripted']} | {v['script_failed']} | {v['caught_at_line']} | "
            f"{v['failing_sites_caught']} / {v['failing_sites']} | {v['scripted_models_flagged']} |"
            for variant, v in s["by_variant"].items()
        ),
        "",
        "## False positives: error findings on code of models that script",
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
                "| where | code | message | reach | models |",
                "| --- | --- | --- | --- | --- |",
            ]
            for fp in payload[key]:
                models = fp["models"]
                shown = ", ".join(models[:4]) + (f" +{len(models) - 4}" if len(models) > 4 else "")
                lines.append(
                    f"| {fp['where']} | {fp['code']} {fp['name']} | {cell(fp['message'])} | "
                    f"{cell(fp['reach'])} | {shown} |"
                )
            lines.append("")
    lines += ["", "## Misses, grouped by error kind", ""]
    if not payload["misses_by_kind"]:
        lines.append("None.")
    for kind, group in payload["misses_by_kind"].items():
        models = sorted({g["model"] for g in group})
        lines += [f"### {kind}", "", f"{len(group)} model(s): {', '.join(models)}", ""]
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
            lines.append(
                f"- `{item['where']}` ({item['verdict']}{near}): `{item['source_line']}` — {item['gist']}"
            )
        lines.append("")
    lines += [
        "## Other error findings",
        "",
        "On failing models past the error TorchScript reported (it stops at the first, so these are",
        "unconfirmed), or on code that no model the oracle built contains.",
        "",
    ]
    if not payload["other_errors"]:
        lines.append("None.")
    else:
        lines += [
            "| where | code | message | reach | status | models |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for other in payload["other_errors"]:
            models = other["models"]
            shown = ", ".join(models[:3]) + (f" +{len(models) - 3}" if len(models) > 3 else "")
            lines.append(
                f"| {other['where']} | {other['code']} {other['name']} | {cell(other['message'])} | "
                f"{cell(other['reach'])} | {other['status']} | {shown} |"
            )
    lines += [
        "",
        "## Every failing model",
        "",
        "| model | where | verdict | error |",
        "| --- | --- | --- | --- |",
    ]
    for item in payload["failures"]:
        lines.append(
            f"| {item['model']} | {item['where']} | {item['verdict']} | {cell(item['gist'])} |"
        )
    lines += ["", "## Findings by code over timm/models and timm/layers", ""]
    lines += [f"- {code}: {count}" for code, count in payload["lint"]["by_code"].items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: print the summary, write JSON and Markdown."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--oracle",
        type=Path,
        nargs="+",
        default=[
            p
            for p in (RESULTS / "timm_oracle.json", RESULTS / "timm_oracle_features.json")
            if p.exists()
        ],
        help="oracle results (default: timm_oracle.json and timm_oracle_features.json where present)",
    )
    parser.add_argument(
        "--venv", type=Path, default=DEFAULT_VENV, help="the venv timm_oracle.py ran in"
    )
    parser.add_argument(
        "--jobs", type=int, default=None, help="lint worker processes (default: all cores)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "timm_compare.json")
    parser.add_argument("--markdown", type=Path, default=RESULTS / "timm_compare.md")
    args = parser.parse_args(argv)
    payload = compare(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    args.markdown.write_text(render_markdown(payload), encoding="utf-8")
    s = payload["summary"]
    print(f"models: {s['models']}  scripted: {s['scripted']}  failed: {s['script_failed']}")
    print(
        f"failures caught at the right line: {s['caught_at_line']}/{s['script_failed']} "
        f"({pct(s['catch_rate'])}), near misses {s['near_miss_same_function']}, missed {s['missed']}, "
        f"unlocated {s['unlocated']}; sites {s['failing_sites_caught']}/{s['failing_sites']}"
    )
    print(
        f"scriptable models flagged with errors: {s['scripted_models_flagged']} "
        f"({s['false_positive_findings']} findings); weak attribution: "
        f"{s['scripted_models_flagged_weak']} more ({s['weak_findings']} findings)"
    )
    for variant, v in s["by_variant"].items():
        print(
            f"  {variant}: scripted {v['scripted']}, failed {v['script_failed']}, caught at line "
            f"{v['caught_at_line']}, sites {v['failing_sites_caught']}/{v['failing_sites']}, "
            f"scriptable models flagged {v['scripted_models_flagged']}"
        )
    for fp in payload["false_positives"]:
        print(
            f"  FP {fp['where']} {fp['code']} {fp['message'][:90]}  [{fp['reach']}] ({len(fp['models'])} models)"
        )
    for fp in payload["weak_false_positives"]:
        print(
            f"  weak FP {fp['where']} {fp['code']} {fp['message'][:90]} ({len(fp['models'])} models)"
        )
    for kind, group in payload["misses_by_kind"].items():
        print(
            f"  MISS x{len(group)} {kind[:100]}: {group[0]['where']} `{group[0]['source_line'][:80]}`"
        )
    print(f"-> {args.out}, {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
