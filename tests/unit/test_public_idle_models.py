"""A model without traffic is computed once per parameter set, and nothing published changes (issue 13).

The shipped inputs carry 15 curated models of which 3 have traffic; the other 12 hold 0 tokens on every
path. `public_served_month` (per path, the models with traffic) and `public_idle_model` (per set, the rest)
replace `public_model_month` in what reads every path: `public_month` and the capacity plan's percentiles
(weighted rows) and violations. This module runs the shipped inputs on a small plan with a warm minimum
pool (`min_instances_per_model: 1`, so an idle model costs GPU hours and money in every month) and
`--keep-path-tables`, so public_model_month and public_capacity_path hold every path, and recomputes from
them what the engine computed before the split: [PUB-9] [PUB-11] [OUT-3] [GEN-5].
"""

from __future__ import annotations

import duckdb
import pytest
from harness import copy_bundle, run_d3

from d3_engine.models.graph import discover_models
from d3_engine.models.python.capacity_plan import PASSTHROUGH, value_columns
from d3_engine.models.render import render_text
from d3_engine.models.series import series_sql

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def run_db(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    root = tmp_path_factory.mktemp("idle")
    inputs = copy_bundle("inputs", root / "inputs")
    inputs.set_key("simulation.yaml", "run.random_runs_per_simulation", 4)
    inputs.set_key("simulation.yaml", "stochastic.simulations_per_run", 5)
    inputs.set_key("simulation.yaml", "targets.horizon_months", 12)
    inputs.del_key("simulation.yaml", "stress_tests")
    inputs.set_key("operator/public_tap.yaml", "autoscaling.min_instances_per_model", 1)
    outcome = run_d3("run", "--inputs", str(inputs), "--out", str(root / "out"), "--quiet", "--keep-path-tables")
    assert outcome.exit_code == 0, outcome.stderr
    return duckdb.connect(str(root / "out" / "latest" / "run.duckdb"), read_only=True)


def one(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    return con.execute(sql).fetchall()[0][0]


def test_the_plan_has_idle_models_with_a_warm_pool(run_db: duckdb.DuckDBPyConnection) -> None:
    assert one(run_db, "SELECT count(*) FROM public_idle_model") == 4 * 12  # 4 parameter sets (replicates)
    assert one(run_db, "SELECT min(instances) FROM public_idle_model") == 1
    assert one(run_db, "SELECT min(gpu_cost_eur) FROM public_idle_model") > 0
    assert one(run_db, "SELECT count(DISTINCT path_id) FROM public_model_month") == 20
    assert one(run_db, "SELECT count(*) FROM public_served_month") == 20 * 12 * 3


def test_an_idle_row_is_every_path_and_month_of_its_set(run_db: duckdb.DuckDBPyConnection) -> None:
    """public_model_month (every admitted model, every path) = public_served_month ∪ paths × public_idle_model."""
    columns = [r[0] for r in run_db.execute("DESCRIBE public_idle_model").fetchall()]
    listed = ", ".join(columns)
    rebuilt = f"""
        SELECT path_id, month, {listed} FROM public_served_month
        UNION ALL
        SELECT m.path_id, m.month, {", ".join("i." + c for c in columns)}
        FROM (SELECT DISTINCT path_id, param_set_id, month FROM public_model_month) AS m
        JOIN public_idle_model AS i USING (param_set_id)"""
    whole = f"SELECT path_id, month, {listed} FROM public_model_month"
    assert one(run_db, f"SELECT count(*) FROM (({whole}) EXCEPT ALL ({rebuilt}))") == 0
    assert one(run_db, f"SELECT count(*) FROM (({rebuilt}) EXCEPT ALL ({whole}))") == 0


def test_public_month_sums_every_admitted_model_in_byte_order(run_db: duckdb.DuckDBPyConnection) -> None:
    """The sums of [PUB-9]/[PUB-11] over public_model_month, as the engine formed them before the split."""
    before = """
        SELECT path_id, month,
               list_reduce(list(tokens ORDER BY model), lambda a, b: a + b, 0.0::DOUBLE) AS tokens,
               list_reduce(list(instance_hours ORDER BY model), lambda a, b: a + b, 0.0::DOUBLE) AS instance_hours,
               CAST(sum(usage_revenue_eur) AS DECIMAL(18, 6)) AS usage_revenue_eur,
               CAST(sum(gpu_cost_eur) AS DECIMAL(18, 6)) AS gpu_cost_eur,
               CAST(sum(cogs_eur) AS DECIMAL(18, 6)) AS cogs_public_eur
        FROM public_model_month GROUP BY path_id, month"""
    now = """SELECT path_id, month, tokens, instance_hours, usage_revenue_eur, gpu_cost_eur, cogs_public_eur
             FROM public_month"""
    assert one(run_db, "SELECT count(*) FROM public_month") == 20 * 12
    assert one(run_db, f"SELECT count(*) FROM (({before}) EXCEPT ALL ({now}))") == 0
    assert one(run_db, "SELECT min(instance_hours) FROM public_month") >= 15 * 720  # every pool is warm


def test_capacity_percentiles_equal_those_over_every_path(run_db: duckdb.DuckDBPyConnection) -> None:
    """The weighted capacity series is the unweighted one over every path's public_capacity_path rows."""
    rep = int(one(run_db, "SELECT path_id FROM representative_path"))  # type: ignore[call-overload]
    percentiles = [
        int(p)
        for p in str(
            one(
                run_db,
                "SELECT list_sort(list(DISTINCT series_order)) FROM public_tap_capacity_series WHERE series <> 'rep'",
            )
        )[1:-1].split(", ")
    ]
    source = discover_models()["public_capacity_path"].header
    assert source is not None
    columns, passthrough = value_columns(source), list(PASSTHROUGH)
    sql = series_sql("public_capacity_path", ["month", "model"], columns, percentiles, rep, passthrough)
    listed = ", ".join(["series", "series_order", "month", "model", *columns, *passthrough])
    want = f"SELECT {listed} FROM ({render_text(sql, {}, 'want')})"
    got = f"SELECT {listed} FROM public_tap_capacity_series"
    assert one(run_db, f"SELECT count(*) FROM ({got})") == (len(percentiles) + 1) * 12 * 15
    assert one(run_db, f"SELECT count(*) FROM (({want}) EXCEPT ALL ({got}))") == 0
    assert one(run_db, f"SELECT count(*) FROM (({got}) EXCEPT ALL ({want}))") == 0


def test_violating_share_counts_every_path(run_db: duckdb.DuckDBPyConnection) -> None:
    """violating_paths_pct per month and model = 100 · violating paths / N over public_capacity_path."""
    want = """
        SELECT month, model, CAST(round(100 * count(DISTINCT path_id) FILTER (WHERE capacity_violation) / 20, 4)
                                   AS DECIMAL(18, 4)) AS pct
        FROM public_capacity_path GROUP BY month, model"""
    got = "SELECT DISTINCT month, model, violating_paths_pct AS pct FROM public_tap_capacity_plan"
    assert one(run_db, f"SELECT count(*) FROM (({want}) EXCEPT ({got}))") == 0
    assert one(run_db, f"SELECT count(*) FROM (({got}) EXCEPT ({want}))") == 0
