"""Stress tests re-run the plan's KPI models on the same random numbers ([IN-21], [V12-7]).

Each stress is computed in its own scratch database inside the staging folder: the same input tables,
the same variable values and the same outcome noise as the base (the streams are keyed by coordinates,
[RNG-2]/[RNG-9]), and the parameter tables with the stress applied after the variables overlay. There the
`scenario_path_kpis` model runs with the models it needs (its rows are that database's scenario 0), and only
those rows come back into run.duckdb, into `stress_path_kpis` with the stress's number; the scratch database
is then deleted. The stage runs before the base's models, so the base's `scenario_path_kpis` (which appends
`stress_path_kpis` to its own scenario 0), `whatif_kpis` and `stress_tests` are ordinary models of its DAG. A
stress therefore never changes a base table or artefact, runs no acceptance check and never changes the exit
code.

Up to `--max-concurrency` stresses (the run's workers: no more than the machine has cores) are computed at
once, each by its own thread on a share of the workers and with the batch size the base run uses: the stage's
batches hold no more paths than the base's, and each stress at once adds its own copy of the plan's tables (so
not more of them than the cores they keep busy). Their rows are appended and their `stress_done` events
emitted in input order. A stress is a pure function of its inputs, like a batch ([RNG-7]), so none of this
changes a byte: it only keeps the cores busy through each stress's one-thread parts (its input tables, its plan
models, its appends), which one stress at a time left half idle. When a stress fails, the others stop at their
next model and the stage reports the first failure in input order that is not such a stop.
"""

from __future__ import annotations

import shutil
import threading
import time
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from d3_engine.core import interrupts
from d3_engine.core.db import bound_memory, comment_on, connect, create_table, sql_literal, transaction
from d3_engine.core.events import EventLog, elapsed_ms
from d3_engine.inputs.stresses import Stress
from d3_engine.models.graph import Model
from d3_engine.models.header import column_comment
from d3_engine.models.python.registry import table_headers
from d3_engine.models.scope import upstream_of
from d3_engine.pipeline.batches import PathsPlan, finish_scratch, run_plan
from d3_engine.pipeline.databases import BatchStopped, database_block_size, split_batch_size, stop_point
from d3_engine.plan.params import write_params, write_settings
from d3_engine.plan.scenarios import ParamValues
from d3_engine.plan.store import write_inputs
from d3_engine.plan.validate import Validated

if TYPE_CHECKING:
    import duckdb

#: The model whose rows a stress brings back, and the per-path tables it reads (kept whole in a stress run).
PATH_KPIS = "scenario_path_kpis"
KPI_SOURCES = frozenset({"risk_path", "consolidated_path_kpis", "finance_path_kpis"})
#: The table the stress stage fills and `scenario_path_kpis` reads: the stress rows (scenario ≥ 1).
STRESS_ROWS = "stress_path_kpis"


def create_stress_rows(con: duckdb.DuckDBPyConnection) -> None:
    """An empty `stress_path_kpis` with the columns of `scenario_path_kpis` (its header) and their COMMENTs."""
    header = table_headers()[PATH_KPIS]
    create_table(con, STRESS_ROWS, header.schema(), {})
    purpose = "per-path what-if KPIs of every stress test (scenario ≥ 1), filled by the stress stage [IN-21] [V12-7]"
    comment_on(con, STRESS_ROWS, purpose, {c.name: column_comment(c) for c in header.columns})


def run_stress(
    validated: Validated,
    stress: Stress,
    values: ParamValues,
    scratch: Path,
    setup: dict[str, Any],
    stop: threading.Event | None = None,
) -> None:
    """Build one stressed run of the `scenario_path_kpis` model in the database file `scratch`.

    `stop`: set by the caller when the stage fails; the stress then ends at its next model (BatchStopped)."""
    con = connect(scratch, threads=setup["workers"], block_size=database_block_size(validated.plan))
    spill = scratch.parent / f".stress-{stress.scenario}-spill"
    bound_memory(con, spill)
    paths = PathsPlan(
        validated.seed,
        validated.plan,
        validated.pipelines,
        setup["batch"],
        workers=setup["workers"],
        scratch_file=scratch.with_name(scratch.stem + ".paths.duckdb"),
        keep_only=KPI_SOURCES,
        stop=stop,
    )
    models = upstream_of(setup["models"], frozenset({PATH_KPIS}))
    try:
        with transaction(con):  # one commit for the small tables and their COMMENTs (core/db.transaction)
            write_inputs(con, validated)
            write_settings(con, validated.simulation, validated.fx)
            write_params(con, values, setup["docs"], setup["gpus"], stress)
            create_stress_rows(con)  # empty here: the model's rows are this stress's own (scenario 0)
        run_plan(con, models, setup["model_vars"], paths, on_done=lambda _: stop_point(stop))
        finish_scratch(con, models, paths, None)
    finally:
        con.close()
        for leftover in (paths.scratch_file, paths.scratch_file.with_name(paths.scratch_file.name + ".wal")):
            leftover.unlink(missing_ok=True)
        shutil.rmtree(spill, ignore_errors=True)


def append_stress(con: duckdb.DuckDBPyConnection, scenario: int, other_db: Path) -> None:
    """Append a stress run's `scenario_path_kpis` rows to `stress_path_kpis` as scenario `scenario`."""
    con.execute(f"ATTACH {sql_literal(other_db)} AS stress_run (READ_ONLY)")
    try:
        con.execute(
            f"INSERT INTO {STRESS_ROWS} SELECT CAST({int(scenario)} AS BIGINT) AS scenario, * EXCLUDE (scenario) "
            f"FROM stress_run.{PATH_KPIS} ORDER BY path_id"
        )
    finally:
        con.execute("DETACH stress_run")


def run_stresses(
    con: duckdb.DuckDBPyConnection,
    validated: Validated,
    values: ParamValues,
    staging: Path,
    models: list[Model],
    setup: dict[str, Any],
    log: EventLog,
) -> None:
    """Every stress into `stress_path_kpis` in input order (empty without stresses); call before the base's models.

    Up to `workers` stresses at once (no more than the cores, run._workers), `workers // at once` workers each,
    batches no larger than the base's (see the module docstring)."""
    create_stress_rows(con)
    stresses = list(validated.stresses)
    if not stresses:
        return
    workers = max(1, int(setup["workers"]))
    at_once = max(1, min(workers, len(stresses)))  # the workers are already no more than the cores (run._workers)
    shared = {
        **setup,
        "models": models,
        "workers": max(1, workers // at_once),
        # the base's batch size (databases.split_batch_size): with `at_once` stresses of `workers // at_once`
        # workers, the stage's batches hold as many paths as the base's
        "batch": split_batch_size(validated.plan, int(setup["batch"]), workers),
    }
    stop = threading.Event()
    pool = ThreadPoolExecutor(max_workers=at_once, thread_name_prefix="d3-stress")
    futures: list[Future[tuple[Path, int]]] = []
    try:
        for stress in stresses:
            futures.append(pool.submit(_one_stress, validated, stress, values, staging, shared, stop))
        for stress, future in zip(stresses, futures, strict=True):
            scratch, ms = future.result()
            try:
                append_stress(con, stress.scenario, scratch)
            finally:
                _remove_database(scratch)
            log.emit("stress_done", "INFO", scenario=stress.scenario, name=stress.name, ms=ms)
    except BaseException as failure:
        stop.set()  # the stresses still running end at their next model; those not started never start
        with interrupts.deferred():  # a signal now must not cut the wait for the threads or the clean-up
            _finish(pool, staging, stresses)
        cause = _first_failure(futures) if isinstance(failure, BatchStopped) else None
        if cause is not None:  # an earlier stress stopped because a later one failed: report the failure
            raise cause from None
        raise
    _finish(pool, staging, stresses)


def _finish(pool: ThreadPoolExecutor, staging: Path, stresses: list[Stress]) -> None:
    """Wait for every stress thread, then delete every stress database left in the staging folder."""
    pool.shutdown(wait=True, cancel_futures=True)
    for stress in stresses:
        _remove_database(_scratch_of(staging, stress))


def _first_failure(futures: list[Future[tuple[Path, int]]]) -> BaseException | None:
    """The first exception in input order of a stress that failed, rather than stopped when another failed."""
    for future in futures:
        if future.cancelled():
            continue
        failure = future.exception()
        if failure is not None and not isinstance(failure, (BatchStopped, CancelledError)):
            return failure
    return None


def _one_stress(
    validated: Validated,
    stress: Stress,
    values: ParamValues,
    staging: Path,
    setup: dict[str, Any],
    stop: threading.Event,
) -> tuple[Path, int]:
    """One stress computed on a pool thread; returns its database file (the caller appends it in input order)
    and the milliseconds it took."""
    stop_point(stop)
    start = time.monotonic()
    scratch = _scratch_of(staging, stress)
    try:
        run_stress(validated, stress, values, scratch, setup, stop)
    except BaseException:
        stop.set()  # at once: a stress this thread or another would start next never starts
        raise
    return scratch, elapsed_ms(start)


def _scratch_of(staging: Path, stress: Stress) -> Path:
    return staging / f".stress-{stress.scenario}.duckdb"


def _remove_database(database: Path) -> None:
    for leftover in (database, database.with_name(database.name + ".wal")):
        leftover.unlink(missing_ok=True)


__all__ = ["run_stresses"]
