"""Idempotent reruns and the guards around a run's folders (DOMAIN OUT-2, OUT-15, V12-6, V12-10).

`d3 run` on inputs it has already published reuses the published folder when it verifies and was
made by this very engine; `--force` computes it again. This module holds that decision, the
`unsafe_path` guard on `--out`, and what the run tells its ledger line.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from d3_engine.core import interrupts
from d3_engine.core.errors import ERROR, Finding, ValidationFailed
from d3_engine.core.events import EventLog
from d3_engine.export.ledger import LedgerEntry
from d3_engine.export.publish import canonical_sha256, input_pairs, swap_latest
from d3_engine.export.verify import Expected, engine_source_sha256, reuse_problem, summary_of
from d3_engine.models.graph import Model
from d3_engine.models.runner import render
from d3_engine.pipeline.validation import report_findings
from d3_engine.plan.validate import Validated


def refuse_unsafe_out(inputs: Path, out: Path, log: EventLog) -> None:
    """`--out` equal to or inside `--inputs` is ERROR `unsafe_path` (V12-10): the run's own files
    would become inputs of the next run on that folder.

    Raises:
        ValidationFailed: with the finding, after reporting it.
    """
    real_inputs, real_out = inputs.resolve(), out.resolve()
    if real_out != real_inputs and not real_out.is_relative_to(real_inputs):
        return
    where = "is the inputs folder" if real_out == real_inputs else f"lies inside the inputs folder {inputs}"
    finding = Finding(
        "unsafe_path",
        ERROR,
        str(out),
        "--out",
        f"the output folder {where}, so every run would change the inputs of the next",
        "choose an --out folder outside --inputs (for example --out outputs beside the inputs folder)",
    )
    report_findings(log, [finding])
    raise ValidationFailed([finding])


def model_fingerprints(models: list[Model], variables: dict[str, Any]) -> list[dict[str, Any]]:
    """The fingerprints this engine would record for these models (as run_summary lists them)."""
    prints = []
    for model in models:
        source = model.fingerprint_source if model.python is not None else render(model, variables)
        prints.append({"name": model.name, "version": model.version, "sha256": _sha256(source)})
    return sorted(prints, key=lambda e: e["name"].encode())


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def expected_engine(models: list[Model], variables: dict[str, Any], keep_path_tables: bool) -> Expected:
    """What a reusable run must have recorded (V12-6)."""
    return Expected(model_fingerprints(models, variables), engine_source_sha256(), keep_path_tables)


def reuse_published(
    final: Path, expected: Expected, out: Path, log: EventLog, reason: str, say_why_not: bool = True
) -> int | None:
    """Reuse `final` when it verifies and matches this engine: point `latest` at it and return its
    recorded exit code; None when it must be computed (the reason is an INFO event unless `say_why_not` is
    False: the caller already said it of the same folder)."""
    if not final.exists():
        return None
    problem = reuse_problem(final, expected)
    if problem is not None:
        if say_why_not:
            log.emit("run_not_reused", "INFO", run_dir=str(final), reason=problem)
        return None
    summary = summary_of(final) or {}
    with interrupts.deferred():
        swap_latest(out, final.name)
    exit_code = int(summary["exit_code"])
    log.emit("run_reused", "INFO", run_dir=str(final), exit_code=exit_code, reason=reason)
    return exit_code


def note_identity(entry: LedgerEntry | None, validated: Validated, run_id: str, cli_overrides: list[list[str]]) -> None:
    """Tell the ledger line what the run is, once its id is known (OUT-15)."""
    if entry is None:
        return
    entry.run_id = run_id
    entry.seed = validated.seed
    entry.paths = validated.plan.paths
    entry.horizon_months = validated.plan.horizon
    entry.inputs_sha256 = canonical_sha256(input_pairs(validated.bundle.files))
    entry.cli_overrides = [list(pair) for pair in cli_overrides]
