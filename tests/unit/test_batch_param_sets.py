"""A batch reads the run's per-parameter-set tables through views of its own parameter sets (issue 13).

At 1 000 000 paths a batch of 5 000 paths holds 200 of the plan's 40 000 parameter sets; models that joined a
per-set table over every set, or read it into Python, did work in proportion to the whole plan in every batch.
The views give each batch the rows of its sets only; a path's values depend on its own set's rows, so no byte
changes (the determinism scenarios compare every batch size with one batch of every path).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from d3_engine.pipeline.databases import Databases, PathsPlan
from d3_engine.plan.draws import Batch
from d3_engine.plan.scenarios import Plan

MC = 3  # paths per parameter set: param_set_id = path_id // MC [GEN-2]


def _databases(tmp_path: Path) -> Databases:
    con = duckdb.connect(str(tmp_path / "run.duckdb"))
    con.execute("CREATE TABLE params_x AS SELECT range AS param_set_id, range * 10 AS v FROM range(10)")
    con.execute("CREATE TABLE per_model AS SELECT range // 2 AS param_set_id, range % 2 AS k FROM range(20)")
    con.execute("CREATE TABLE settings AS SELECT 'horizon' AS key, 6 AS value")  # no param_set_id: not scoped
    con.execute("CREATE TABLE paths AS SELECT range AS path_id, range // 3 AS param_set_id FROM range(30)")
    con.execute("CREATE TABLE draw_public_noise AS SELECT 0 AS path_id, 0 AS param_set_id")
    plan = Plan([], [], [], [], replicates=10, mc=MC, horizon=6)
    dbs = Databases(con, PathsPlan(seed=1, plan=plan, pipelines=[], batch_size=7))
    dbs.find_per_set_tables({"paths", "draw_public_noise"})
    return dbs


def test_the_per_set_tables_are_those_with_a_param_set_id_that_no_batch_writes(tmp_path: Path) -> None:
    assert _databases(tmp_path).per_set == ["params_x", "per_model"]


def test_a_batch_sees_the_rows_of_its_own_parameter_sets_only(tmp_path: Path) -> None:
    dbs = _databases(tmp_path)
    cursor = dbs.open_batch("d3_batch_0")
    dbs.scope_batch(cursor, "d3_batch_0", Batch(4, 11))  # paths 4..10: sets 1, 2, 3
    try:
        assert cursor.execute("SELECT param_set_id, v FROM params_x ORDER BY 1").fetchall() == [
            (1, 10),
            (2, 20),
            (3, 30),
        ]
        assert cursor.execute("SELECT count(*), min(param_set_id), max(param_set_id) FROM per_model").fetchall() == [
            (6, 1, 3)
        ]
        # The batch writes its own per-path tables under the names of the run's (no view is in the way) ...
        cursor.execute("CREATE OR REPLACE TABLE paths AS SELECT 4 AS path_id, 1 AS param_set_id")
        assert cursor.execute("SELECT count(*) FROM paths").fetchall() == [(1,)]
        # ... and the run's tables are untouched.
        assert dbs.con.execute("SELECT count(*) FROM params_x").fetchall() == [(10,)]
        assert dbs.con.execute("SELECT count(*) FROM paths").fetchall() == [(30,)]
    finally:
        dbs.close_batch(cursor, "d3_batch_0")


def test_the_last_partial_batch_and_a_one_path_batch_are_scoped_to_their_sets(tmp_path: Path) -> None:
    dbs = _databases(tmp_path)
    for batch, sets in ((Batch(28, 30), [9]), (Batch(15, 16), [5]), (Batch(0, 30), list(range(10)))):
        cursor = dbs.open_batch("d3_batch_1")
        dbs.scope_batch(cursor, "d3_batch_1", batch)
        try:
            got = [r[0] for r in cursor.execute("SELECT param_set_id FROM params_x ORDER BY 1").fetchall()]
        finally:
            dbs.close_batch(cursor, "d3_batch_1")
        assert got == sets, batch
