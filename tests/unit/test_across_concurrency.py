"""The models after the representative path run up to `workers` at once, each as soon as what it reads is
built; their runs come back in DAG order, and a failing model stops the others (issue 13)."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pytest

from d3_engine.core.errors import RuntimeFailure
from d3_engine.models.graph import Model
from d3_engine.pipeline.batches import run_concurrently
from d3_engine.pipeline.databases import Databases, PathsPlan
from d3_engine.plan.scenarios import Plan


def _python_model(name: str, deps: list[str], log: list[tuple[str, str, float]], seconds: float) -> Model:
    """A Python model writing table `name` (one row) after `seconds`, logging its start and end."""

    def build(con: duckdb.DuckDBPyConnection) -> int:
        log.append((name, "start", time.monotonic()))
        for dep in deps:  # what it reads is there, on its own connection
            con.execute(f"SELECT * FROM {dep}").fetchall()
        time.sleep(seconds)
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT 1 AS x")
        log.append((name, "end", time.monotonic()))
        return 1

    return Model(name, 1, deps, "60_consolidation", python=build, fingerprint_source=name)


def _databases(con: duckdb.DuckDBPyConnection) -> Databases:
    plan = Plan.__new__(Plan)
    return Databases(con, PathsPlan(seed=1, plan=plan, pipelines=[], batch_size=1))


def test_independent_models_overlap_and_come_back_in_dag_order(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "run.duckdb"))
    log: list[tuple[str, str, float]] = []
    models = [
        _python_model("a", [], log, 0.3),
        _python_model("b", [], log, 0.3),
        _python_model("c", ["a", "b"], log, 0.0),
        _python_model("d", [], log, 0.0),
    ]
    names = [name for name, _ in run_concurrently(_databases(con), models, {}, workers=2)]
    assert names == ["a", "b", "c", "d"]  # DAG order, whatever finished first
    when = {(n, what): t for n, what, t in log}
    assert when[("b", "start")] < when[("a", "end")]  # a and b ran at the same time
    assert when[("c", "start")] >= max(when[("a", "end")], when[("b", "end")])  # c waited for what it reads
    assert [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()] == [
        "a",
        "b",
        "c",
        "d",
    ]


def test_one_worker_builds_one_model_at_a_time(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "run.duckdb"))
    log: list[tuple[str, str, float]] = []
    models = [_python_model("a", [], log, 0.05), _python_model("b", [], log, 0.05)]
    list(run_concurrently(_databases(con), models, {}, workers=1))
    assert [(n, what) for n, what, _ in log] == [("a", "start"), ("a", "end"), ("b", "start"), ("b", "end")]


def test_a_failing_model_stops_the_stage_with_its_error(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "run.duckdb"))
    log: list[tuple[str, str, float]] = []
    broken = Model("broken", 1, [], "60_consolidation", source="SELECT error('boom') AS x")  # its query fails
    models = [_python_model("slow", [], log, 0.2), broken, _python_model("after", ["broken"], log, 0.0)]
    with pytest.raises(RuntimeFailure, match="broken"):
        list(run_concurrently(_databases(con), models, {}, workers=2))
    assert ("after", "start") not in [(n, what) for n, what, _ in log]  # nothing ran on a failed input
