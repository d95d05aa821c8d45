"""`d3 run`: validate, simulate, check, export and publish one run (ARCHITECTURE §1).

The public entry point is `run(options, log)`; it returns the exit code and never leaves a
half-written run behind: everything is built in a staging folder that is renamed into place
only when complete (OUT-2).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from d3_engine import ENGINE_VERSION
from d3_engine.checks.runner import (
    acceptance_block,
    acceptance_exit_code,
    check_state,
    discover_checks,
    failed_with,
    run_checks,
)
from d3_engine.core import interrupts
from d3_engine.core.db import SPILL_DIR, bound_memory, connect, create_described_table, transaction
from d3_engine.core.errors import EXIT_OK
from d3_engine.core.events import EventLog, Progress
from d3_engine.core.formats import write_sha256sums
from d3_engine.export import consolidated as export_consolidated
from d3_engine.export import finance as export_finance
from d3_engine.export import private as export_private
from d3_engine.export import public as export_public
from d3_engine.export import risk as export_risk
from d3_engine.export import whatif as export_whatif
from d3_engine.export.artefacts import export_variable_draws
from d3_engine.export.context import RunContext
from d3_engine.export.ledger import LedgerEntry
from d3_engine.export.publish import check_latest, compute_run_id, make_staging, publish, remove_own
from d3_engine.export.run_summary import RunFacts, cli_overrides, write_run_summary
from d3_engine.export.sweep import sweep
from d3_engine.export.verify import Expected, engine_source_sha256
from d3_engine.models.graph import Model, check_references, order_models
from d3_engine.models.python.registry import all_models
from d3_engine.models.render import model_variables
from d3_engine.models.runner import ModelRun
from d3_engine.pipeline.batches import PathsPlan, finish_scratch, run_plan
from d3_engine.pipeline.databases import database_block_size
from d3_engine.pipeline.reuse import expected_engine, note_identity, refuse_unsafe_out, reuse_published
from d3_engine.pipeline.stresses import run_stresses
from d3_engine.pipeline.validation import validation_stage
from d3_engine.plan.params import write_params, write_settings
from d3_engine.plan.scenarios import ParamValues, variable_values
from d3_engine.plan.store import write_inputs
from d3_engine.plan.stress_params import write_stress_scenarios
from d3_engine.plan.validate import Validated
from d3_engine.report.render import render_report

DEFAULT_PATHS_PER_BATCH = 5000
SCRATCH_NAME = ".scratch.duckdb"  # per-path tables read during the run, deleted before publishing


@dataclass
class RunOptions:
    """Everything `d3 run` can be told on the command line."""

    inputs: Path
    out: Path
    pipelines: list[str] | None = None
    seed: int | None = None
    fail_on_warning: bool | None = None
    max_concurrency: int | None = None
    paths_per_batch: int = DEFAULT_PATHS_PER_BATCH
    quiet: bool = False
    sets: list[str] = field(default_factory=list)  # --set FILE.KEY=VALUE texts [IN-20]
    force: bool = False
    keep_path_tables: bool = False


def run(options: RunOptions, log: EventLog, entry: LedgerEntry | None = None) -> tuple[int, Path | None]:
    """Run the whole pipeline, or reuse the published run of the same id (OUT-15); returns (exit code,
    published run folder). `entry` learns what the ledger line needs."""
    refuse_unsafe_out(options.inputs, options.out, log)
    validated = validation_stage(
        log, options.inputs, options.pipelines, options.fail_on_warning, options.seed, options.quiet, options.sets
    )
    models = engine_models(validated.pipelines)  # refuses an unknown ref()/var() before anything is written
    overrides = cli_overrides(validated.bundle.sets)  # [IN-20] the one list the run id, summary and ledger share
    run_id = compute_run_id(
        ENGINE_VERSION,
        validated.seed,
        validated.pipelines,
        validated.fail_on_warning,
        validated.bundle.files,
        options.keep_path_tables,
        overrides,
    )
    log.run_id = run_id
    note_identity(entry, validated, run_id, overrides)
    interrupts.checkpoint()
    _sweep(options.out, log)
    expected = expected_engine(models, model_variables(validated), options.keep_path_tables)
    final = options.out / run_id
    refused = final.exists()  # a folder of this id that is not reused is said once (run_not_reused)
    reused = None if options.force else reuse_published(final, expected, options.out, log, "already published")
    if reused is None:
        reused = _compute(validated, options, log, models, expected, refused)
    elif entry is not None:
        entry.reused = True
    if entry is not None:
        entry.run_dir = final
    return reused, final


def _compute(
    validated: Validated, options: RunOptions, log: EventLog, models: list[Model], expected: Expected, refused: bool
) -> int:
    """Build the run in its staging folder and publish it (OUT-2); a run of the same id published
    meanwhile by another d3 process is reused instead (unless --force). `refused`: the folder of this id
    existed before and was not reused, which was said then."""
    run_id = log.run_id or ""
    check_latest(options.out)
    staging = make_staging(options.out, run_id)
    try:
        exit_code = _build(validated, models, options, log, staging)
        final = options.out / run_id
        meanwhile = "published meanwhile by another d3 process"
        concurrent = (
            None if options.force else reuse_published(final, expected, options.out, log, meanwhile, not refused)
        )
        if concurrent is not None:
            remove_own(staging)
            return concurrent
        final = publish(staging, options.out, run_id).folder
    except BaseException:
        remove_own(staging)
        raise
    log.emit("export_done", "INFO", artefacts=len(list(_artefacts(final))), run_dir=str(final))
    return exit_code


def _sweep(out: Path, log: EventLog) -> None:
    removed = sweep(out)
    if removed:
        log.emit("sweep_done", "INFO", removed=removed)


def _workers(options: RunOptions, validated: Validated) -> int:
    """--max-concurrency (else run.max_concurrency), and no more than the cores this process may use: a worker
    beyond the cores adds CPU and memory, not speed (the shipped default of 4 on 2 cores: 8.8 s of CPU for a
    small plan instead of 7.2, and a later finish). Never changes an artefact ([RNG-7]). The cores are the CPU
    affinity: a container's CPU quota (cgroups) is not seen."""
    wanted = options.max_concurrency
    if wanted is None:
        wanted = int(validated.simulation["run"]["max_concurrency"])
    return max(1, min(wanted, _cores()))


def _cores() -> int:
    """The cores this process may use (its CPU affinity, else the machine's)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _build(validated: Validated, models: list[Model], options: RunOptions, log: EventLog, staging: Path) -> int:
    """Fill the staging folder: run.duckdb, artefacts, run_summary, SHA256SUMS."""
    plan = validated.plan
    workers = _workers(options, validated)
    progress = Progress(enabled=not options.quiet)
    con = connect(staging / "run.duckdb", threads=workers, block_size=database_block_size(plan))
    bound_memory(con, staging / SPILL_DIR)
    try:
        values, gpus = _write_plan(con, validated, log, workers)
        setup = {
            "workers": workers,
            "docs": validated.scope_docs(),
            "gpus": gpus,
            "batch": options.paths_per_batch,
            "model_vars": model_variables(validated),
        }
        run_stresses(con, validated, values, staging, models, setup, log)  # fills stress_path_kpis, read by models
        paths = PathsPlan(
            validated.seed,
            plan,
            validated.pipelines,
            options.paths_per_batch,
            keep_every_path=options.keep_path_tables,
            workers=workers,
            scratch_file=staging / SCRATCH_NAME,
            on_batch=lambda done, total: progress.update("paths", done, total),
            on_job=lambda event, g, r, done, total: log.emit(
                event,
                "DEBUG",
                grid_index=g,
                replicate_index=r,
                **({"mc_progress": f"{done}/{total}"} if event == "job_done" else {}),
            ),
        )
        interrupts.checkpoint()
        runs = run_plan(con, models, model_variables(validated), paths, on_done=lambda r: _model_done(log, r))
        ctx = RunContext(con, staging, validated)
        ctx.summary_extra["engine_source_sha256"] = engine_source_sha256()
        exit_code = _check_and_export(ctx, runs, log, lambda: finish_scratch(con, models, paths, ctx.rep_path_id))
    finally:
        con.close()
        shutil.rmtree(staging / SPILL_DIR, ignore_errors=True)
    interrupts.checkpoint()
    write_sha256sums(staging, exclude=set())
    return exit_code


def _write_plan(con: Any, validated: Validated, log: EventLog, workers: int) -> tuple[ParamValues, list[str]]:
    """The input, settings, parameter and scenario tables every model reads; returns (values, GPU keys).
    `grid_built` also says the workers the run uses (--max-concurrency capped at the cores), which no artefact does."""
    plan = validated.plan
    values = variable_values(plan, validated.seed)
    gpus = sorted({o.gpu for o in validated.offers}, key=str.encode)
    with transaction(con):  # ~50 small tables and their COMMENTs: one commit, not ~100 syncs of the log
        write_inputs(con, validated)
        write_settings(con, validated.simulation, validated.fx)
        _write_run_meta(con, log.run_id or "", validated)
        write_params(con, values, validated.scope_docs(), gpus)
        write_stress_scenarios(con, validated.stresses)
    log.emit(
        "grid_built",
        "INFO",
        grid_size=plan.grid_size,
        replicates=plan.replicates,
        mc=plan.mc,
        paths=plan.paths,
        workers=workers,
    )
    _emit_overrides(log, validated)
    return values, gpus


def _model_done(log: EventLog, model_run: ModelRun) -> None:
    log.emit("model_done", "INFO", name=model_run.name, version=model_run.version, rows=model_run.rows, ms=model_run.ms)
    interrupts.checkpoint()  # a signal whose exception a DuckDB query swallowed stops the run here


def _check_and_export(ctx: RunContext, runs: list[ModelRun], log: EventLog, finish: Callable[[], None]) -> int:
    """Acceptance checks (ACC-0), every artefact, then run_summary; returns the exit code."""
    validated = ctx.validated
    results = run_checks(
        ctx.con,
        ctx.run_dir,
        model_variables(validated),
        validated.plan.paths,
        validated.fail_on_warning,
        check_state(ctx.con, validated.pipelines),
    )
    exit_code = acceptance_exit_code(results)
    log.emit(
        "acceptance_checked",
        "INFO",
        passed=exit_code == EXIT_OK,
        failed_error=failed_with(results, "error"),
        failed_warning=failed_with(results, "warning"),
    )
    ctx.summary_extra["acceptance"] = acceptance_block(results)
    export_all(ctx)
    log.emit("aggregate_done", "INFO", paths=validated.plan.paths)
    log.emit("analysis_done", "INFO", variables=sum(1 for v in validated.plan.used if v.treatment != "fixed"))
    finish()  # the checks and exports read every path: keep the representative rows, delete the scratch database
    render_report(ctx.run_dir, con=ctx.con)  # OUT-10: inside staging, before run_summary and SHA256SUMS
    facts = RunFacts(validated, log.run_id or "", runs, exit_code, extra=ctx.summary_extra)
    write_run_summary(ctx.run_dir, facts)
    return exit_code


def _write_run_meta(con: Any, run_id: str, validated: Validated) -> None:
    """`run_meta`: the run id and seed, for the report title and ad-hoc queries."""
    keys = ["run_id", "seed", "seed_source"]
    values = [run_id, str(validated.seed), validated.seed_source]
    described = {
        "key": ("VARCHAR", "run_id, seed (the root seed [RNG-1]) or seed_source (where the seed came from) [unit: id]"),
        "value": ("VARCHAR", "its value as text [unit: text]"),
    }
    create_described_table(
        con, "run_meta", "the run id and seed [OUT-7] [RNG-1]", described, {"key": keys, "value": values}
    )


def export_all(ctx: RunContext) -> None:
    """Every artefact of the run; each pipeline's exporter adds its files and summary blocks."""
    export_variable_draws(ctx.con, ctx.run_dir)
    if ctx.runs("public"):
        export_public.export(ctx)
    if ctx.runs("private"):
        export_private.export(ctx)
    export_finance.export(ctx)
    export_risk.export(ctx)
    export_consolidated.export(ctx)  # after finance, before the report (which reads its tables)
    export_whatif.export(ctx)  # grid_kpis.csv, stress_tests.csv [OUT-12] [OUT-13]


def engine_models(pipelines: list[str]) -> list[Model]:
    """Every engine model of the selected pipelines in DAG order: the SQL files and the Python models.

    First every model and check of every pipeline is checked for an unknown ref() or var() and a broken
    header (`check_references`). A ref() to a model of a tap that does not run (the finance models read
    public_month and private_month inside `{% if %}` blocks) and a Python model's dep on a source table
    (loan_schedule on params_general) are not edges between the selected models.
    """
    found = all_models()
    checks = {f"sql/checks/{c.path.name}": c.query + "\n" + (c.paths_query or "") for c in discover_checks()}
    check_references(found, checks)
    chosen = {n: m for n, m in found.items() if not m.pipelines or set(m.pipelines) & set(pipelines)}
    return order_models({n: replace(m, deps=[d for d in m.deps if d in chosen]) for n, m in chosen.items()})


def _emit_overrides(log: EventLog, validated: Validated) -> None:
    for variable in validated.plan.used:
        log.emit(
            "variable_override",
            "INFO",
            scope=variable.scope,
            variable_id=variable.variable_id,
            path=variable.path,
            treatment=variable.treatment,
        )


def _artefacts(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name not in ("run.duckdb", "run.duckdb.wal", ".d3-run"):
            yield path
