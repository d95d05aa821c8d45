"""The validation stage shared by `d3 validate` and `d3 run`, with its events (OUT-11)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from d3_engine.checks.preflight import public_findings
from d3_engine.core.errors import ERROR, Finding, ValidationFailed
from d3_engine.core.events import EventLog, elapsed_ms
from d3_engine.inputs.validate import check_inputs, settle
from d3_engine.plan.validate import Validated, plan_inputs


def validate_inputs(
    inputs: Path,
    pipelines: list[str] | None = None,
    fail_on_warning: bool | None = None,
    cli_seed: int | None = None,
    sets: list[str] | None = None,
) -> Validated:
    """Validate an inputs folder completely: the inputs, the plan, then the pricing preflight.

    Raises:
        ValidationFailed: with every finding, when any ERROR remains after escalation.
    """
    checked = check_inputs(inputs, pipelines, fail_on_warning, cli_seed, sets)
    validated = plan_inputs(checked)
    findings = checked.bundle.findings
    if validated is not None and "public" in validated.pipelines and not findings.errors:
        findings.items.extend(public_findings(validated))
    warnings = settle(findings.items, checked.fail_on_warning)
    if validated is None:  # a plan is missing only beside an ERROR, which `settle` has raised
        raise ValidationFailed(warnings)
    validated.warnings = warnings
    return validated


def report_findings(log: EventLog, findings: list[Finding]) -> None:
    """JSONL events for every finding and a readable list on stderr."""
    for finding in findings:
        if finding.severity == ERROR:
            # An escalated warning keeps its own code beside `escalated_warning` (IN-5).
            extra = {"original_code": finding.original_code} if finding.original_code else {}
            log.emit(
                "validate_error",
                "ERROR",
                code=finding.code,
                file=finding.file,
                location=finding.location,
                message=finding.message,
                hint=finding.hint,
                **extra,
            )
        else:
            log.emit(
                "validation_warning",
                "WARN",
                code=finding.code,
                file=finding.file,
                location=finding.location,
                message=finding.message,
            )
    errors = [f for f in findings if f.severity == ERROR]
    warnings = [f for f in findings if f.severity != ERROR]
    if errors:
        sys.stderr.write(f"d3: the inputs have {len(errors)} error(s) and {len(warnings)} warning(s):\n")
    elif warnings:
        sys.stderr.write(f"d3: {len(warnings)} warning(s):\n")
    for finding in errors + warnings:
        sys.stderr.write(f"  {finding.render()}\n")


def validation_stage(
    log: EventLog,
    inputs: Path,
    pipelines: list[str] | None,
    fail_on_warning: bool | None,
    seed: int | None,
    quiet: bool,
    sets: list[str] | None = None,
) -> Validated:
    """Load and validate with events; raises ValidationFailed after reporting."""
    start = time.monotonic()
    log.emit("load_start", "INFO")
    log.emit("validate_start", "INFO")
    try:
        validated = validate_inputs(inputs, pipelines, fail_on_warning, seed, sets)
    except ValidationFailed as failed:
        log.emit("load_done", "INFO", files=None, ms=elapsed_ms(start))
        report_findings(log, failed.findings)
        errors = sum(1 for f in failed.findings if f.severity == ERROR)
        log.emit(
            "validate_done", "INFO", errors=errors, warnings=len(failed.findings) - errors, seed=None, seed_source=None
        )
        raise
    level = str(validated.simulation["logging"]["level"])
    log.set_level("WARN" if quiet else level)
    log.emit("load_done", "INFO", files=len(validated.bundle.files), ms=elapsed_ms(start))
    report_findings(log, validated.warnings)
    log.emit(
        "validate_done",
        "INFO",
        errors=0,
        warnings=len(validated.warnings),
        seed=validated.seed,
        seed_source=validated.seed_source,
    )
    return validated
