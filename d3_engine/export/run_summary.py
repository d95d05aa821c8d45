"""run_summary.json and run_summary.md (DOMAIN OUT-7).

The summary explains a run completely: seed and its source, plan size, every input file's hash,
every override, warnings, model fingerprints and dependency versions. It holds no timestamp,
duration, host name, absolute path or concurrency setting (RNG-7).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from d3_engine import ENGINE_VERSION, SCHEMA_VERSION
from d3_engine.core.formats import draw_value_text, dumps_json
from d3_engine.inputs.overrides import SetOverride
from d3_engine.inputs.variable_keys import leaf_value
from d3_engine.models.runner import ModelRun
from d3_engine.plan.validate import Validated

LOCKED = ("duckdb", "numpy", "matplotlib", "jinja2", "pyyaml", "jsonschema", "typer", "pyarrow", "pillow")
"""[RNG-7]'s locked dependencies, pyarrow, which carries values since issue 13, and pillow, which writes the
charts' PNG bytes (specs/engine.md): every runtime dependency of pyproject.toml."""
SUMMARY_FILES = ("run_summary.json", "run_summary.md")


@dataclass
class RunFacts:
    """What the summary reports; later stages add their blocks through `extra`."""

    validated: Validated
    run_id: str
    model_runs: list[ModelRun]
    exit_code: int
    extra: dict[str, Any] = field(default_factory=dict)


def dependency_versions() -> dict[str, str]:
    """Installed version of every locked dependency (RNG-7)."""
    out = {}
    for name in LOCKED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _overrides(v: Validated) -> list[dict[str, Any]]:
    rows = []
    for variable in v.plan.used:
        _, operator_value = leaf_value(v.resolved.doc(variable.scope), variable.path)
        rows.append(
            {
                "scope": variable.scope,
                "variable_id": variable.variable_id,
                "path": variable.path,
                "file": variable.file,
                "operator_value": operator_value,
                "variable_default": draw_value_text(variable.default),
                "treatment": variable.treatment,
            }
        )
    return rows


def cli_overrides(sets: list[SetOverride]) -> list[list[str]]:
    """`[FILE.KEY, VALUE text]` of every `--set`, in command-line order ([IN-20])."""
    return [[s.name, s.text] for s in sets]


def _fingerprints(runs: list[ModelRun]) -> list[dict[str, Any]]:
    return sorted(
        ({"name": r.name, "version": r.version, "sha256": r.sha256} for r in runs), key=lambda e: e["name"].encode()
    )


def build_summary(facts: RunFacts, artefacts: list[str]) -> dict[str, Any]:
    """The OUT-7 mapping."""
    v = facts.validated
    plan = v.plan
    summary: dict[str, Any] = {
        "engine_version": ENGINE_VERSION,
        "schema_version": SCHEMA_VERSION,
        "run_id": facts.run_id,
        "seed": v.seed,
        "seed_source": v.seed_source,
        "pipelines": v.pipelines,
        "fail_on_warning": v.fail_on_warning,
        "horizon_months": plan.horizon,
        "paths": {"grid": plan.grid_size, "replicates": plan.replicates, "mc": plan.mc, "total": plan.paths},
        "grid_variables": [
            {"scope": g.scope, "variable_id": g.variable_id, "values": [draw_value_text(x) for x in g.values]}
            for g in plan.grid_vars
        ],
        "random_variables": [
            {"scope": r.scope, "variable_id": r.variable_id, "distribution": r.spec.distribution}
            for r in plan.random_vars
        ],
        "input_files": [{"file": f.rel, "sha256": f.sha256, "bytes": f.bytes} for f in v.bundle.files],
        "overrides": _overrides(v),
        "cli_overrides": cli_overrides(v.bundle.sets),
        "shadowing": v.bundle.shadowing,
        "warnings": [
            {"code": w.code, "file": w.file, "location": w.location, "message": w.message} for w in v.warnings
        ],
        "model_fingerprints": _fingerprints(facts.model_runs),
        "dependencies": dependency_versions(),
        "artefacts": artefacts,
        "exit_code": facts.exit_code,
    }
    summary.update(facts.extra)
    return summary


def _markdown(summary: dict[str, Any]) -> str:
    paths = summary["paths"]
    lines = [
        f"# d3 run {summary['run_id']}",
        "",
        f"- engine version: {summary['engine_version']} (input schema v{summary['schema_version']})",
        f"- seed: {summary['seed']} (from {summary['seed_source']})",
        f"- pipelines: {', '.join(summary['pipelines'])}; fail_on_warning: {str(summary['fail_on_warning']).lower()}",
        f"- horizon: {summary['horizon_months']} months",
        f"- paths: {paths['grid']} grid point(s) × {paths['replicates']} replicate(s) × {paths['mc']} MC = "
        f"{paths['total']}",
        f"- exit code: {summary['exit_code']}",
        "- --set: " + ("; ".join(f"{k}={v}" for k, v in summary["cli_overrides"]) or "none"),
        "",
        "## Variables",
        "",
        "| scope | variable | path | treatment | default | operator value |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {o['scope']} | {o['variable_id']} | {o['path']} | {o['treatment']} | {o['variable_default']} | "
        f"{o['operator_value']} |"
        for o in summary["overrides"]
    ]
    lines += ["", "## Warnings", ""]
    lines += [f"- [{w['code']}] {w['file']} {w['location']}: {w['message']}" for w in summary["warnings"]] or ["- none"]
    lines += ["", "## Input files", "", "| file | bytes | sha256 |", "|---|---|---|"]
    lines += [f"| {f['file']} | {f['bytes']} | `{f['sha256']}` |" for f in summary["input_files"]]
    lines += ["", "## Engine models", "", "| model | version | sha256 |", "|---|---|---|"]
    lines += [f"| {m['name']} | {m['version']} | `{m['sha256'][:16]}…` |" for m in summary["model_fingerprints"]]
    lines += ["", "## Dependencies", ""]
    lines += [f"- {name} {version}" for name, version in summary["dependencies"].items()]
    lines += ["", "## Artefacts", ""] + [f"- {a}" for a in summary["artefacts"]]
    return "\n".join(lines) + "\n"


def write_run_summary(run_dir: Path, facts: RunFacts) -> None:
    """Write run_summary.json and .md; the artefact list includes both summary files."""
    # A dot-name is the staging folder's own (.d3-run, the scratch database, DuckDB's spill files), never an artefact.
    relative = [p.relative_to(run_dir) for p in run_dir.rglob("*") if p.is_file()]
    present = [r.as_posix() for r in relative if not any(part.startswith(".") for part in r.parts)]
    artefacts = sorted({*present, *SUMMARY_FILES} - {"run.duckdb", "run.duckdb.wal", ".d3-run"}, key=str.encode)
    summary = build_summary(facts, artefacts)
    (run_dir / "run_summary.json").write_text(dumps_json(summary), encoding="utf-8")
    (run_dir / "run_summary.md").write_text(_markdown(summary), encoding="utf-8")


def module_fingerprint(path: Path) -> str:
    """sha256 of a Python engine model's source (OUT-7)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()
