"""The Public Tap exporter: exact OUT-4 headers, row orders, series rules and run_summary blocks.

The database is minimal_001's default set expanded to three paths with budgets ×1, ×2, ×4 and at
most 2 instances per model, so percentile rows differ from the rep row and some paths violate
capacity [PUB-11] [OUT-3] [OUT-4] [OUT-7] [FIN-11].
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from d3_engine.checks.preflight import default_set_db, run_model_closure
from d3_engine.export import public as export_public
from d3_engine.export.artefacts import CAPACITY_PLAN, PUBLIC_CUSTOMERS, PUBLIC_PRICES, PUBLIC_SCENARIOS, VENDOR_CHOICE
from d3_engine.export.context import RunContext
from d3_engine.models.graph import discover_models
from d3_engine.models.python import autoscaler as autoscaler_model
from d3_engine.models.python.registry import all_models
from d3_engine.models.render import model_variables
from d3_engine.models.runner import build_model
from d3_engine.pipeline.validation import validate_inputs

if TYPE_CHECKING:
    import duckdb

MINIMAL = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "minimal_001"
BUDGETS = (1000.0, 2000.0, 4000.0)
SERIES_MODELS = ("public_tap_scenarios", "public_tap_customers_by_month", "public_tap_capacity_plan")


def three_paths(con: duckdb.DuckDBPyConnection) -> None:
    """Set k (= path k) copies the default set with budget BUDGETS[k] and max 2 instances (and its general
    parameters, which public_month reads for the payment fee [FIN-1a])."""
    con.execute("CREATE TEMP TABLE base_p AS SELECT * FROM params_public_tap")
    con.execute("CREATE TEMP TABLE base_g AS SELECT * FROM params_general")
    con.execute("CREATE TEMP TABLE base_n AS SELECT * FROM draw_public_noise")
    con.execute("DELETE FROM params_public_tap")
    con.execute("DELETE FROM params_general")
    con.execute("DELETE FROM draw_public_noise")
    for k, budget in enumerate(BUDGETS):
        con.execute(
            f"INSERT INTO params_general SELECT * REPLACE ({k} AS param_set_id, {k} AS replicate_index) FROM base_g"
        )
        con.execute(
            f"""INSERT INTO params_public_tap SELECT * REPLACE ({k} AS param_set_id, {k} AS replicate_index,
                {budget} AS budget_month0_eur, 2 AS max_instances_per_model) FROM base_p"""
        )
        con.execute(
            f"INSERT INTO draw_public_noise SELECT * REPLACE ({k} AS path_id, {k} AS replicate_index) FROM base_n"
        )


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> RunContext:
    validated = validate_inputs(MINIMAL)
    con = default_set_db(validated, ("public_demand",), with_noise=True)
    three_paths(con)
    public = tuple(n for n, m in discover_models().items() if m.layer == "30_public")
    run_model_closure(con, public, model_variables(validated, replicates=len(BUDGETS), mc=1))
    con.execute("CREATE TABLE representative_path AS SELECT 0::BIGINT AS path_id, 0::BIGINT AS param_set_id")
    autoscaler_model.run_autoscaler(con)
    models = all_models()
    for name in SERIES_MODELS:  # the across-paths models the exporter copies (checked against their headers)
        build_model(con, models[name], {})
    ctx = RunContext(con, tmp_path_factory.mktemp("run"), validated)
    export_public.export(ctx)
    return ctx


def read(ctx: RunContext, name: str) -> list[list[str]]:
    with (ctx.run_dir / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


HEADERS = {
    "public_vendor_choice.csv": VENDOR_CHOICE.columns(),
    "public_tap_prices_per_model.csv": PUBLIC_PRICES.columns(),
    "public_tap_scenarios.csv": PUBLIC_SCENARIOS.columns(),
    "public_tap_customers_by_month.csv": PUBLIC_CUSTOMERS.columns(),
    "public_tap_capacity_plan.csv": CAPACITY_PLAN.columns(),
    "public_tap_scaling_events.csv": export_public.EVENTS_HEADER,
    "public_tap_autoscaling_summary.csv": export_public.AUTOSCALING_HEADER,
    "public_tap_credit_packs.csv": export_public.PACKS_HEADER,
}
OUT4 = {
    "public_vendor_choice.csv": "model,gpu,provider,vram_gb,usd_hr,eur_hr,tps,tps_source,tps_source_tag,"
    "cost_eur_per_1M,chosen",
    "public_tap_prices_per_model.csv": "model,gpu,provider,tps,tps_source,eur_hr,gpu_cost_eur_per_1M,cost_eur_per_1M,"
    "target_margin_pct,raw_sell_eur_per_1k,sell_eur_per_1k,sell_eur_per_1M,price_rule,margin_pct,"
    "margin_p90_stress_pct,admitted,traffic_share",
    "public_tap_scenarios.csv": "series,tokens,revenue_eur,cogs_eur,gross_margin_eur,acquisition_eur,"
    "contribution_before_overhead_eur",
    "public_tap_customers_by_month.csv": "series,month,budget_eur,cac_eur,new_customers,active_customers,tokens,"
    "blended_sell_eur_per_1k,credits_sold_eur,revenue_eur,breakage_eur,credit_balance_eur,cogs_eur,gross_margin_eur",
    "public_tap_capacity_plan.csv": "series,month,model,gpu,tokens,avg_tokens_per_hour,peak_tokens_per_hour,tps,"
    "cap_tokens_per_hour_per_instance,instances_needed,instances,instance_hours,eur_hr,gpu_cost_eur,"
    "capacity_violation,violating_paths_pct",
    "public_tap_scaling_events.csv": "timestamp_s,model,gpu,month,demand_tokens_per_hour,effective_capacity,"
    "replicas_prev,replicas_new,reason,util_pct",
    "public_tap_autoscaling_summary.csv": "model,gpu,months_simulated,steps,avg_util_pct,p95_util_pct,sla_violations,"
    "scale_events,max_replicas",
    "public_tap_credit_packs.csv": "pack_eur,blended_sell_eur_per_1k,tokens,value_eur,error_pct",
}


@pytest.mark.parametrize("name", sorted(OUT4))
def test_every_artefact_has_the_exact_out4_header(exported: RunContext, name: str) -> None:
    first_line = (exported.run_dir / name).read_text(encoding="utf-8").split("\n", 1)[0]
    assert first_line == OUT4[name] == ",".join(HEADERS[name])


def test_monthly_series_rows_in_series_then_month_order(exported: RunContext) -> None:
    body = read(exported, "public_tap_customers_by_month.csv")[1:]
    assert [(r[0], r[1]) for r in body] == [(s, str(t)) for s in ("p10", "p50", "p90", "rep") for t in (1, 2, 3)]
    rep1 = next(r for r in body if r[:2] == ["rep", "1"])
    assert rep1[2:6] == ["1000.00", "50.00", "20.000000", "20.000000"]
    p50_1 = next(r for r in body if r[:2] == ["p50", "1"])
    assert p50_1[2] == "2000.00"  # median of the budgets 1000, 2000, 4000


def test_capacity_percentile_rows_flag_violations_and_share_of_paths(exported: RunContext) -> None:
    body = read(exported, "public_tap_capacity_plan.csv")[1:]
    small3 = {r[0]: r for r in body if r[1] == "3" and r[2] == "Small 7B"}
    # needed per path 2, 3, 6 (peak 3 762 500 × 1, 2, 4 over 2 880 000); max 2
    assert {s: small3[s][9] for s in small3} == {"p10": "2", "p50": "3", "p90": "5", "rep": "2"}  # p90 = 5.4
    assert {s: small3[s][14] for s in small3} == {"p10": "false", "p50": "true", "p90": "true", "rep": "false"}
    assert {small3[s][15] for s in small3} == {"66.6667"}  # 2 of 3 paths, the same on every series
    small1 = {r[0]: r for r in body if r[1] == "1" and r[2] == "Small 7B"}
    assert {small1[s][15] for s in small1} == {"0.0000"}
    assert [(r[0], r[1], r[2]) for r in body] == sorted(
        ((r[0], r[1], r[2]) for r in body), key=lambda k: (k[0] == "rep", k[0], int(k[1]), k[2].encode())
    )
    assert {r[3] for r in body if r[2] == "Small 7B"} == {"GPU-A"}  # parameter-level columns from the rep set


def test_parameter_level_files_show_the_rep_set(exported: RunContext) -> None:
    prices = read(exported, "public_tap_prices_per_model.csv")[1:]
    assert [r[0] for r in prices] == ["Large 30B", "Small 7B"]
    choice = read(exported, "public_vendor_choice.csv")[1:]
    assert [(r[0], r[1], r[-1]) for r in choice] == [
        ("Large 30B", "GPU-A", "false"),
        ("Large 30B", "GPU-B", "true"),
        ("Small 7B", "GPU-A", "true"),
        ("Small 7B", "GPU-B", "false"),
    ]


def test_packs_and_autoscaler_files_are_the_rep_path(exported: RunContext) -> None:
    assert read(exported, "public_tap_credit_packs.csv")[1:] == [["50.00", "0.001175", "42553191", "50.00", "0.0000"]]
    events = read(exported, "public_tap_scaling_events.csv")[1:]
    assert [r[0] for r in events] == ["27180", "73680"]
    assert [r[0] for r in read(exported, "public_tap_autoscaling_summary.csv")[1:]] == ["Large 30B", "Small 7B", "ALL"]


def test_scenarios_are_horizon_totals_per_series(exported: RunContext) -> None:
    body = read(exported, "public_tap_scenarios.csv")[1:]
    assert [r[0] for r in body] == ["p10", "p50", "p90", "rep"]
    rep = body[-1]
    assert rep[1:] == ["6010000000.000000", "7061.75", "6398.44", "663.31", "3310.00", "-2646.69"]
    assert body[1][5] == "6620.00"  # acquisition of the median path: 2 × 3310


def test_summary_blocks(exported: RunContext) -> None:
    extra = exported.summary_extra
    assert extra["throughput"] == [
        {"model": "Large 30B", "gpu": "GPU-B", "tps": 1200.0, "source": "measured", "source_tag": "T1"},
        {"model": "Small 7B", "gpu": "GPU-A", "tps": 1000.0, "source": "measured", "source_tag": "T1"},
    ]
    assert extra["heuristics"] == []
    assert extra["capacity_violations"] == {"rep_path_model_months": 0, "paths_with_violation": 2}
    scaling = extra["autoscaling"]
    assert (round(scaling["avg_util_pct"], 4), round(scaling["p95_util_pct"], 4)) == (32.6744, 71.8969)
    assert (scaling["sla_violations"], scaling["scale_events"]) == (0, 2)
