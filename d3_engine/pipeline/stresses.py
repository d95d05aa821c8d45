"""Stress tests re-run the whole plan on the same random numbers ([IN-21], [V12-7]).

Each stress is computed in its own scratch database inside the staging folder: the same input tables,
the same variable values and the same outcome noise as the base (the streams are keyed by coordinates,
[RNG-2]/[RNG-9]), and the parameter tables with the stress applied after the variables overlay. Only its
per-path what-if KPIs come back into run.duckdb (`scenario_path_kpis`, scenario = the stress's number);
the scratch database is then deleted. A stress therefore never changes a base table or artefact, runs no
acceptance check and never changes the exit code.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from d3_engine.core.db import bound_memory, connect
from d3_engine.core.events import EventLog, elapsed_ms
from d3_engine.export.whatif_kpis import append_scenario, create_path_kpis
from d3_engine.inputs.stresses import Stress
from d3_engine.models.graph import Model
from d3_engine.models.scope import upstream_of
from d3_engine.pipeline.batches import PathsPlan, finish_scratch, run_plan
from d3_engine.plan.params import write_params, write_settings
from d3_engine.plan.scenarios import ParamValues
from d3_engine.plan.store import write_inputs
from d3_engine.plan.validate import Validated

if TYPE_CHECKING:
    import duckdb

#: What a stress keeps: the per-path tables `scenario_path_kpis` reads; only their models run.
KPI_SOURCES = frozenset({"risk_path", "consolidated_path_kpis", "finance_path_kpis"})


def run_stress(
    validated: Validated,
    stress: Stress,
    values: ParamValues,
    scratch: Path,
    setup: dict[str, Any],
) -> None:
    """Build one stressed run in the database file `scratch` and its `scenario_path_kpis`."""
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
    models = upstream_of(setup["models"], KPI_SOURCES)
    try:
        write_inputs(con, validated)
        write_settings(con, validated.simulation, validated.fx)
        write_params(con, values, setup["docs"], setup["gpus"], stress)
        run_plan(con, models, setup["model_vars"], paths)
        create_path_kpis(con, stress.scenario)
        finish_scratch(con, models, paths, None)
    finally:
        con.close()
        for leftover in (paths.scratch_file, paths.scratch_file.with_name(paths.scratch_file.name + ".wal")):
            leftover.unlink(missing_ok=True)
        shutil.rmtree(spill, ignore_errors=True)


def run_stresses(
    con: duckdb.DuckDBPyConnection,
    validated: Validated,
    values: ParamValues,
    staging: Path,
    models: list[Model],
    setup: dict[str, Any],
    log: EventLog,
) -> None:
    """Scenario 0 from the base run, then every stress in input order, into `scenario_path_kpis`."""
    create_path_kpis(con, 0)
    for stress in validated.stresses:
        start = time.monotonic()
        scratch = staging / f".stress-{stress.scenario}.duckdb"
        try:
            run_stress(validated, stress, values, scratch, {**setup, "models": models})
            append_scenario(con, str(scratch))
        finally:
            for leftover in (scratch, scratch.with_name(scratch.name + ".wal")):
                leftover.unlink(missing_ok=True)
        log.emit("stress_done", "INFO", scenario=stress.scenario, name=stress.name, ms=elapsed_ms(start))


__all__ = ["run_stresses"]
