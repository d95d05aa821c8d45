"""Property tests of bounded growth and scaling costs on random parameter sets (hypothesis) [PUB-8b] [FIN-1a].

Demand: each example turns minimal_001's one parameter set into several (one path each, all built in one
vectorised run of the real `public_demand` model) over a 24-month horizon with outcome noise:
- active customers never exceed the addressable market, in any month;
- more budget never means fewer customers: without a market always; with a market whenever the bigger plan
  never buys more than the market's retained share in one month (k_t ≤ A·(1 − churn/100)), which is where the
  [PUB-8b] month step is monotone in last month's customers (see specs/public.md);
- with elasticity 0 and no cap or market every number equals the engine without these keys, and at sd 0 it
  equals version 1 of the model (the 1.1 engine) bit for bit.
Support: `finance_scaling_costs` on random customer counts is a step function of the customers: FTE =
ceil(load − 1e-9), nondecreasing, an integer, and the cost is FTE × cost per FTE exactly.
"""

from __future__ import annotations

import math
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sql"))
from test_public_harness import build, expand_sets, rows

from d3_engine.core.db import connect, create_table
from d3_engine.inputs.resolved import resolve_inputs
from d3_engine.models.graph import discover_models
from d3_engine.models.header import parse_header
from d3_engine.models.render import render_text
from d3_engine.models.runner import run_models

H = 24
DEMAND = ("public_demand",)
SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _not_set() -> dict[str, Any]:
    """The [PUB-8b] keys of a public_tap.yaml that sets none of them, as the inputs stage resolves them [V12-5]."""
    acquisition = resolve_inputs({"public_tap": {"acquisition": {}}}).docs["public_tap"]["acquisition"]
    return {key: acquisition[key] for key in ("budget_cap_eur", "cac_elasticity", "addressable_customers")}


UNSET = _not_set()


def demand_db() -> duckdb.DuckDBPyConnection:
    """minimal_001's default set with draws for H months (noise is switched on per example)."""
    con = build(DEMAND)
    con.execute("DELETE FROM draw_public_noise")
    con.execute(
        f"""INSERT INTO draw_public_noise SELECT 0, 0, 0, 0, m, sin(7.0 * m), cos(5.0 * m)
            FROM range(1, {H + 1}) AS t(m)"""
    )
    return con


def run_sets(con: duckdb.DuckDBPyConnection, sets: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """public_demand for each parameter set (path k = set k), months ascending."""
    expand_sets(con, sets)
    variables = {"horizon_months": H, "replicates": len(sets), "mc": 1}
    rerun_models(con, variables)
    out: dict[int, list[dict[str, Any]]] = {k: [] for k in range(len(sets))}
    for row in rows(con, "SELECT * FROM public_demand ORDER BY path_id, month"):
        out[row["path_id"]].append(row)
    return out


def rerun_models(con: duckdb.DuckDBPyConnection, variables: dict[str, Any]) -> None:
    model = discover_models()["public_demand"]
    run_models(con, [model], {**variables, "pipelines": ["public"], "percentiles": [10, 50, 90], "fx": 1.25})


@st.composite
def demand_params(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "budget_month0_eur": draw(st.sampled_from([0.0, 100.0, 1000.0, 2500.5])),
        "budget_growth_pct_mom": draw(st.sampled_from([0.0, 3.0, 8.0, 25.0])),
        "cac_base_eur": draw(st.sampled_from([0.0, 10.0, 50.0, 333.3])),
        "cac_sd_pct": draw(st.sampled_from([0.0, 20.0, 60.0])),
        "churn_pct_mom": draw(st.sampled_from([0.0, 3.0, 10.0, 100.0])),
        "budget_cap_eur": draw(st.sampled_from([None, 500.0, 1500.0, 15000.0])),
        "cac_elasticity": draw(st.sampled_from([0.0, 0.25, 1.0])),  # resolved: never null [V12-5]
        "addressable_customers": draw(st.sampled_from([None, 1, 15, 300, 4000])),
    }


@SETTINGS
@given(demand_params(), st.floats(1.01, 3.0))
def test_market_bounds_customers_and_more_budget_never_buys_fewer(p: dict[str, Any], factor: float) -> None:
    con = demand_db()
    bigger = {**p, "budget_month0_eur": p["budget_month0_eur"] * factor}
    if p["budget_cap_eur"] is not None:
        bigger["budget_cap_eur"] = p["budget_cap_eur"] * factor
    small, large = run_sets(con, [p, bigger]).values()
    market = p["addressable_customers"]
    if market is not None:
        assert all(r["active_customers"] <= market for r in small + large)
    retained = math.inf if market is None else market * (1 - p["churn_pct_mom"] / 100)
    bought = [r["budget_eur"] * r["eps_cac"] / r["cac_eff_eur"] if r["cac_eff_eur"] > 0 else 0.0 for r in large]
    if all(k <= retained for k in bought):
        assert all(b["active_customers"] >= a["active_customers"] for a, b in zip(small, large, strict=True))
    assert all(b["budget_eur"] >= a["budget_eur"] for a, b in zip(small, large, strict=True))


@SETTINGS
@given(demand_params())
def test_elasticity_zero_without_cap_or_market_is_the_engine_without_these_keys(p: dict[str, Any]) -> None:
    con = demand_db()
    plain = {**p, **UNSET}
    zero = {**plain, "cac_elasticity": 0.0}
    without, with_zero = run_sets(con, [plain, zero]).values()
    for a, b in zip(without, with_zero, strict=True):
        assert {k: v for k, v in a.items() if k not in ("path_id", "param_set_id", "replicate_index")} == {
            k: v for k, v in b.items() if k not in ("path_id", "param_set_id", "replicate_index")
        }
    if p["cac_sd_pct"] == 0:
        version_1 = _version_1(con, {"horizon_months": H, "replicates": 2, "mc": 1})
        for row in without + with_zero:
            old = version_1[(row["path_id"], row["month"])]
            assert {k: row[k] for k in old} == old  # bit for bit: the 1.1 demand model


def _version_1(con: duckdb.DuckDBPyConnection, variables: dict[str, Any]) -> dict[tuple[int, int], dict[str, Any]]:
    """Rows of sql/models/30_public/public_demand_v1.sql (kept in the repo) on the same tables."""
    path = discover_models()["public_demand"].path
    assert path is not None
    v1 = path.with_name("public_demand_v1.sql")
    assert parse_header(v1.read_text(encoding="utf-8"), v1).version == 1
    sql = render_text(v1.read_text(encoding="utf-8"), variables)
    return {(r["path_id"], r["month"]): r for r in rows(con, f"SELECT * FROM ({sql}) ORDER BY path_id, month")}


# --- [FIN-1a] support staffing is a step function of customers ------------------------------------------------


def scaling_db(actives: list[tuple[float, float]], ratios: tuple[float, float], cost: str) -> duckdb.DuckDBPyConnection:
    """The tables finance_scaling_costs reads, one path per (customers, clients) pair, month 1 only."""
    con = connect(None)
    n = len(actives)
    ids = list(range(n))
    create_table(con, "paths", {"path_id": "BIGINT", "param_set_id": "BIGINT"}, {"path_id": ids, "param_set_id": ids})
    create_table(
        con,
        "finance_fixed_month",
        {"param_set_id": "BIGINT", "month": "BIGINT"},
        {"param_set_id": ids, "month": [1] * n},
    )
    general = {"param_set_id": "BIGINT", "customers_per_fte": "DOUBLE", "clients_per_fte": "DOUBLE"}
    general |= {"cost_per_fte_month_eur": "DOUBLE"}
    create_table(
        con,
        "params_general",
        general,
        {"param_set_id": ids, "customers_per_fte": [ratios[0]] * n, "clients_per_fte": [ratios[1]] * n,
         "cost_per_fte_month_eur": [float(cost)] * n},
    )  # fmt: skip
    for table, active in (("public_month", "active_customers"), ("private_month", "active_clients")):
        schema = {"path_id": "BIGINT", "month": "BIGINT", "payment_fee_eur": "DECIMAL(18,6)", active: "DOUBLE"}
        column = [a[0] if table == "public_month" else a[1] for a in actives]
        create_table(con, table, schema, {"path_id": ids, "month": [1] * n, "payment_fee_eur": [0] * n, active: column})
    model = discover_models()["finance_scaling_costs"]
    run_models(con, [model], {"pipelines": ["public", "private"], "horizon_months": 1})
    return con


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.floats(0, 5000, allow_nan=False), min_size=1, max_size=40),
    st.floats(0, 300, allow_nan=False),
    st.sampled_from([(1000.0, 50.0), (20.0, 3.0), (7.5, 0.4), (1.0, 1.0)]),
    st.sampled_from(["4500", "0", "1234.56"]),
)
def test_support_fte_is_a_step_function_of_customers(
    customers: list[float], clients: float, ratios: tuple[float, float], cost: str
) -> None:
    customers = sorted(customers)
    con = scaling_db([(c, clients) for c in customers], ratios, cost)
    got = rows(con, "SELECT path_id, support_fte, support_eur FROM finance_scaling_costs ORDER BY path_id")
    ftes = [r["support_fte"] for r in got]
    assert ftes == sorted(ftes)  # more customers never need fewer staff
    for c, r in zip(customers, got, strict=True):
        load = c / ratios[0] + clients / ratios[1]
        assert r["support_fte"] == math.ceil(load - 1e-9)  # the smallest whole FTE count that covers the load
        assert r["support_fte"] - 1 < load - 1e-9 <= r["support_fte"] or r["support_fte"] == 0
        assert r["support_eur"] == r["support_fte"] * Decimal(cost)
