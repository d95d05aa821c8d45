"""Which models run once, batch by batch, or across paths (models/scope.py, specs/engine.md "Paths in batches")."""

from __future__ import annotations

from d3_engine.models.graph import Model
from d3_engine.models.header import ModelHeader, header_problems, parse_header
from d3_engine.models.python import capacity_plan
from d3_engine.models.python.registry import table_headers
from d3_engine.models.scope import KEPT_PER_PATH, SCRATCH_COLUMNS, SCRATCH_PER_PATH, split_by_scope, upstream_of
from d3_engine.pipeline.run import engine_models


def _model(name: str, grain: list[str], deps: list[str], scope: str = "") -> Model:
    header = ModelHeader(name, 1, "p", grain, scope=scope)
    return Model(name, 1, deps, "x", header)


def test_the_shipped_dag_splits_into_plan_path_and_across_models() -> None:
    scoped = split_by_scope(engine_models(["public", "private"]))
    plan, path, across = ({m.name for m in ms} for ms in (scoped.plan, scoped.path, scoped.across))
    assert {"public_price", "private_economics", "loan_schedule", "finance_fixed_month"} <= plan
    assert {"variable_draws", "grid_axes"} <= plan  # over the plan table `params` only
    assert {"paths", "public_demand", "public_model_month", "finance_cash", "finance_month", "risk_path"} <= path
    assert across == {
        "representative_path",
        "autoscaler",
        "annual_summary",
        "breach_verdict",
        "risk_by_month",
        "consolidated_kpis",
        "sensitivity",
        "scenario_path_kpis",
        "whatif_kpis",
        "grid_kpis",
        "stress_tests",
        # the series of the monthly files and the capacity plan [GEN-5] [FIN-11]
        "pnl_by_month",
        "cashflow_by_month",
        "balance_sheet_by_month",
        "public_tap_scenarios",
        "public_tap_customers_by_month",
        "private_tap_customers_by_month",
        "public_tap_capacity_plan",
    }
    # every table a run keeps or parks in scratch is a per-path table of the DAG
    assert set(scoped.path_tables()) >= KEPT_PER_PATH | SCRATCH_PER_PATH


def test_a_scratch_table_keeps_its_grain_and_the_columns_its_readers_across_paths_use() -> None:
    """The columns are named by hand (models/scope.py); the grain and the capacity plan's columns are derived here,
    so a new capacity column cannot go missing from the scratch copy unnoticed."""
    headers = table_headers()
    assert set(SCRATCH_COLUMNS) <= SCRATCH_PER_PATH
    for table, kept in SCRATCH_COLUMNS.items():
        declared = [c.name for c in headers[table].columns]
        assert set(headers[table].grain) <= set(kept) and set(kept) <= set(declared), table
        assert list(kept) == [c for c in declared if c in kept], f"{table}: keep the header's column order"
    capacity = capacity_plan.value_columns(headers[capacity_plan.SOURCE])
    assert {"path_id", "month", "model", capacity_plan.VIOLATION, *capacity} <= set(
        SCRATCH_COLUMNS["public_served_month"]
    )


def test_a_per_path_grain_downstream_of_an_across_model_runs_after_the_batches() -> None:
    models = [
        _model("demand", ["path_id", "month"], []),
        _model("rep", ["path_id"], ["demand"], scope="across paths"),
        _model("rep_detail", ["path_id", "month"], ["rep", "demand"]),
        _model("price", ["param_set_id"], []),
        _model("summary", ["metric"], ["demand"]),
    ]
    scoped = split_by_scope(models)
    assert [m.name for m in scoped.plan] == ["price"]
    assert [m.name for m in scoped.path] == ["demand"]
    assert [m.name for m in scoped.across] == ["rep", "rep_detail", "summary"]


def test_upstream_of_keeps_only_what_the_targets_need_in_dag_order() -> None:
    models = [
        _model("a", ["path_id"], []),
        _model("b", ["path_id"], ["a"]),
        _model("c", ["path_id"], []),
        _model("d", ["path_id"], ["b"]),
    ]
    assert [m.name for m in upstream_of(models, frozenset({"d"}))] == ["a", "b", "d"]
    assert upstream_of(models, frozenset({"nope"})) == []


def test_a_header_scope_must_be_a_known_one() -> None:
    text = "-- model: m\n-- version: 1\n-- purpose: p\n-- grain: path_id\n-- scope: per batch\n-- columns:\n"
    text += "--   path_id BIGINT <id>  path\n"
    header = parse_header(text, "test")
    assert header.scope == "per batch"
    assert "scope 'per batch' is not one of: across paths" in header_problems(header)
