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
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from d3_engine.core.db import bound_memory, comment_on, connect, create_table, sql_literal
from d3_engine.core.events import EventLog, elapsed_ms
from d3_engine.inputs.stresses import Stress
from d3_engine.models.graph import Model
from d3_engine.models.header import column_comment
from d3_engine.models.python.registry import table_headers
from d3_engine.models.scope import upstream_of
from d3_engine.pipeline.batches import PathsPlan, finish_scratch, run_plan
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
) -> None:
    """Build one stressed run of the `scenario_path_kpis` model in the database file `scratch`."""
    con = connect(scratch, threads=setup["workers"])
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
    )
    models = upstream_of(setup["models"], frozenset({PATH_KPIS}))
    try:
        write_inputs(con, validated)
        write_settings(con, validated.simulation, validated.fx)
        write_params(con, values, setup["docs"], setup["gpus"], stress)
        create_stress_rows(con)  # empty here: the model's rows are this stress's own (scenario 0)
        run_plan(con, models, setup["model_vars"], paths)
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
    """Every stress in input order into `stress_path_kpis` (empty without stresses); call before the base's models."""
    create_stress_rows(con)
    for stress in validated.stresses:
        start = time.monotonic()
        scratch = staging / f".stress-{stress.scenario}.duckdb"
        try:
            run_stress(validated, stress, values, scratch, {**setup, "models": models})
            append_stress(con, stress.scenario, scratch)
        finally:
            for leftover in (scratch, scratch.with_name(scratch.name + ".wal")):
                leftover.unlink(missing_ok=True)
        log.emit("stress_done", "INFO", scenario=stress.scenario, name=stress.name, ms=elapsed_ms(start))


__all__ = ["run_stresses"]
