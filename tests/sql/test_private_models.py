"""Given rows → expected rows for the Private Tap models (sql/models/40_private) [PRV-1]…[PRV-7].

Each test builds the few input tables the models read (input_offers, run_settings, params_*,
draw_private_noise) in an in-memory DuckDB, runs the real model files in DAG order and checks
hand-computed values. With fx = 1 and a 0 % buffer, eur_hr equals usd_hr exactly, so most
expected floats are exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from d3_engine.core.db import connect, create_table
from d3_engine.models.graph import discover_models, order_models
from d3_engine.models.runner import run_models

D = Decimal
PRIVATE = order_models({n: m for n, m in discover_models().items() if m.layer == "40_private"})

PARAMS: dict[str, Any] = {
    "fx_buffer_pct": 0.0,
    "default_markup_over_provider_cost_pct": 50.0,
    "management_fee_eur_per_month": 100.0,
    "weight_cost": 0.6,
    "weight_availability": 0.4,
    "weight_reputation": 0.0,
    "base_fee_eur_per_month": 0.0,  # not set, as resolved by the inputs stage ([PRV-3], [V12-5])
    "budget_month0_eur": 600.0,
    "budget_growth_pct_mom": 0.0,
    "cac_base_eur": 200.0,
    "cac_sd_pct": 0.0,
    "hours_per_client_month_mean": 100.0,
    "hours_sd_pct": 0.0,
    "churn_pct_mom": 0.0,
    "budget_cap_eur": None,  # [PUB-8b] keys not set, as resolved by the inputs stage: the 1.1 behaviour [V12-5]
    "cac_elasticity": 0.0,
    "addressable_customers": None,
}


@dataclass
class Case:
    """Inputs of one hand-built parameter set with one path."""

    offers: list[tuple[str, str, float]]  # gpu, provider, usd_hr (availability = reputation = 1)
    params: dict[str, Any] = field(default_factory=dict)
    mix: dict[str, float] | None = None  # None: equal split over the GPUs of the offers [PRV-6]
    base_fees: dict[str, float] = field(default_factory=dict)
    quality: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict)
    months: int = 3
    z: list[tuple[float, float]] | None = None  # (z_cac, z_hours) per month; zeros by default
    fx: float = 1.0
    payment_fee_pct: float = 0.0  # finance.payment_fee_pct of params_general; 0 = not set, as resolved [FIN-1a]


def _params_tables(con: duckdb.DuckDBPyConnection, case: Case) -> None:
    values = {**PARAMS, **case.params}
    ids = {"param_set_id": [0], "grid_index": [0], "replicate_index": [0]}
    schema = dict.fromkeys(ids, "BIGINT") | dict.fromkeys(values, "DOUBLE")
    create_table(con, "params_private_tap", schema, ids | {k: [v] for k, v in values.items()})
    general = dict.fromkeys(ids, "BIGINT") | {"payment_fee_pct": "DOUBLE"}
    create_table(con, "params_general", general, ids | {"payment_fee_pct": [case.payment_fee_pct]})
    gpus = sorted({g for g, _, _ in case.offers}, key=str.encode)
    mix = case.mix if case.mix is not None else dict.fromkeys(gpus, 1 / len(gpus))
    key_schema = dict.fromkeys(ids, "BIGINT") | {"gpu": "VARCHAR"}
    create_table(
        con,
        "params_client_gpu_mix",
        key_schema | {"share": "DOUBLE"},
        {**{k: [0] * len(mix) for k in ids}, "gpu": list(mix), "share": list(mix.values())},
    )
    fees = case.base_fees
    create_table(
        con,
        "params_base_fee_by_gpu",
        key_schema | {"fee_eur_per_month": "DOUBLE"},
        {**{k: [0] * len(fees) for k in ids}, "gpu": list(fees), "fee_eur_per_month": list(fees.values())},
    )


def build(case: Case) -> duckdb.DuckDBPyConnection:
    """An in-memory run.duckdb holding the case's inputs and every private model."""
    con = connect(None)
    quality = [case.quality.get((g, p), (1.0, 1.0)) for g, p, _ in case.offers]
    create_table(
        con,
        "input_offers",
        {"gpu": "VARCHAR", "provider": "VARCHAR", "usd_hr": "DOUBLE", "availability": "DOUBLE"}
        | {"reputation": "DOUBLE", "source_line": "BIGINT"},
        {
            "gpu": [o[0] for o in case.offers],
            "provider": [o[1] for o in case.offers],
            "usd_hr": [o[2] for o in case.offers],
            "availability": [q[0] for q in quality],
            "reputation": [q[1] for q in quality],
            "source_line": list(range(2, len(case.offers) + 2)),
        },
    )
    create_table(con, "run_settings", {"eur_usd_fx_rate": "DOUBLE"}, {"eur_usd_fx_rate": [case.fx]})
    _params_tables(con, case)
    z = case.z or [(0.0, 0.0)] * case.months
    create_table(
        con,
        "draw_private_noise",
        dict.fromkeys(("path_id", "grid_index", "replicate_index", "mc_index", "month"), "BIGINT")
        | {"z_cac": "DOUBLE", "z_hours": "DOUBLE"},
        {
            **{k: [0] * len(z) for k in ("path_id", "grid_index", "replicate_index", "mc_index")},
            "month": list(range(1, len(z) + 1)),
            "z_cac": [a for a, _ in z],
            "z_hours": [b for _, b in z],
        },
    )
    run_models(con, PRIVATE, {"replicates": 1, "mc": 1, "horizon_months": len(z)})
    return con


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return con.execute(sql).fetchall()


TWO_GPUS = [("GPU-A", "Alpha", 0.44), ("GPU-A", "Beta", 0.352), ("GPU-B", "Alpha", 1.32), ("GPU-B", "Beta", 1.76)]
EX6_QUALITY = {("GPU-A", "Beta"): (0.5, 1.0), ("GPU-B", "Alpha"): (0.9, 1.0)}  # availability, reputation


# --- PRV-2: the quote is a median over distinct providers -------------------------------------------------


def test_median_of_an_odd_number_of_providers_is_the_middle_offer() -> None:
    con = build(Case(offers=[("X", "A", 1.0), ("X", "B", 3.0), ("X", "C", 2.0)]))
    assert rows(con, "SELECT providers, provider_eur_hr_med, min_eur_hr FROM private_quote") == [(3, 2.0, 1.0)]


def test_median_of_an_even_number_of_providers_interpolates() -> None:
    # GEN-5, n = 4, p = 50: i = ⌊3·50/100⌋ = 1, r = 50 → x1 + 0.5·(x2 − x1) = 2 + 0.5·(4 − 2) = 3
    con = build(Case(offers=[("X", "A", 8.0), ("X", "B", 2.0), ("X", "C", 4.0), ("X", "D", 1.0), ("Y", "A", 1.0)]))
    got = rows(con, "SELECT gpu, providers, provider_eur_hr_med FROM private_quote ORDER BY gpu")
    assert got == [("X", 4, 3.0), ("Y", 1, 1.0)]


def test_two_providers_give_the_worked_example_medians() -> None:
    # EX-6: GPU-A 0.352 + ½·(0.44 − 0.352) = 0.396, GPU-B 1.54
    con = build(Case(offers=TWO_GPUS))
    got = rows(con, "SELECT gpu, provider_eur_hr_med FROM private_quote ORDER BY gpu")
    assert [(g, round(v, 12)) for g, v in got] == [("GPU-A", 0.396), ("GPU-B", 1.54)]


def test_duplicate_offers_of_one_provider_count_once_at_their_lowest_price() -> None:
    # Over the three SKU rows the median would be 3.0; over the two providers it is (1 + 3)/2 = 2.
    con = build(Case(offers=[("X", "A", 5.0), ("X", "A", 1.0), ("X", "B", 3.0)]))
    assert rows(con, "SELECT providers, provider_eur_hr_med FROM private_quote") == [(2, 2.0)]
    assert rows(con, "SELECT provider, usd_hr FROM private_offers ORDER BY provider") == [("A", 1.0), ("B", 3.0)]


def test_eur_hr_applies_fx_and_the_private_buffer() -> None:
    # PRV-1 / EX-2: usd / 1.25 × 1.10 = usd × 0.88
    con = build(Case(offers=[("X", "A", 0.5)], fx=1.25, params={"fx_buffer_pct": 10.0}))
    assert rows(con, "SELECT eur_hr FROM private_offers") == [(0.5 / 1.25 * (1 + 10.0 / 100),)]
    assert round(rows(con, "SELECT eur_hr FROM private_offers")[0][0], 12) == 0.44


# --- PRV-3: price, margin and fees --------------------------------------------------------------------------


def test_markup_40_gives_a_margin_of_28_5714_percent() -> None:
    con = build(Case(offers=[("X", "A", 1.0)], params={"default_markup_over_provider_cost_pct": 40.0}))
    sell, margin, pct = rows(con, "SELECT sell_eur_hr, margin_eur_hr, margin_pct FROM private_pricing")[0]
    assert sell == 1.4 and margin == pytest.approx(0.4, abs=1e-15)
    assert f"{pct:.4f}" == "28.5714"


def test_base_fee_by_class_beats_the_general_base_fee() -> None:
    case = Case(
        offers=[("X", "A", 1.0), ("Y", "A", 1.0), ("Z", "A", 1.0)],
        params={"base_fee_eur_per_month": 20.0},
        base_fees={"X": 50.0},
        mix={"X": 0.25, "Y": 0.75},
    )
    con = build(case)
    got = rows(con, "SELECT gpu, base_fee_eur_per_month, client_mix_share FROM private_economics ORDER BY gpu")
    assert got == [("X", 50.0, 0.25), ("Y", 20.0, 0.75), ("Z", 20.0, 0.0)]
    # Σ x_g·fee_g = 0.25·50 + 0.75·20 = 27.5; fee per client 100 + 27.5 = 127.5
    assert rows(con, "SELECT base_fee_mix_eur_per_month, fee_per_client_eur_per_month FROM private_fees") == [
        (27.5, 127.5)
    ]
    # 3 active clients in month 1 → DEC(3 × 127.5) = 382.5 (fees per client, never per GPU row)
    assert rows(con, "SELECT revenue_fees_eur FROM private_month WHERE month = 1") == [(D("382.500000"),)]


def test_without_any_base_fee_only_the_management_fee_is_charged() -> None:
    con = build(Case(offers=TWO_GPUS))
    assert rows(con, "SELECT DISTINCT base_fee_eur_per_month FROM private_economics") == [(0.0,)]
    got = rows(con, "SELECT month, revenue_fees_eur FROM private_month ORDER BY month")
    assert got == [(1, D("300.000000")), (2, D("600.000000")), (3, D("900.000000"))]


# --- PRV-4: vendor scores, ranks and the recommended vendor --------------------------------------------------


def test_scores_ranks_and_realised_margin_follow_the_worked_example() -> None:
    con = build(Case(offers=TWO_GPUS, quality=EX6_QUALITY))
    got = rows(con, "SELECT gpu, provider, score, rank, recommended FROM private_vendor_recommendation ORDER BY 1, 4")
    assert [(g, p, round(s, 12), r, ok) for g, p, s, r, ok in got] == [
        ("GPU-A", "Alpha", 0.88, 1, True),
        ("GPU-A", "Beta", 0.8, 2, False),
        ("GPU-B", "Alpha", 0.96, 1, True),
        ("GPU-B", "Beta", 0.85, 2, False),
    ]
    eco = rows(con, "SELECT gpu, recommended_provider, realised_margin_pct FROM private_economics ORDER BY gpu")
    assert [(g, p, f"{m:.4f}") for g, p, m in eco] == [("GPU-A", "Alpha", "25.9259"), ("GPU-B", "Alpha", "42.8571")]


def test_all_zero_weights_fall_back_to_cost_only() -> None:
    # IN-17: a drawn set whose vendor weights sum to 0 scores on cost alone (w_cost = 1).
    case = Case(
        offers=[("X", "Cheap", 1.0), ("X", "Dear", 2.0)],
        params={"weight_cost": 0.0, "weight_availability": 0.0, "weight_reputation": 0.0},
        quality={("X", "Cheap"): (0.1, 0.1)},
    )
    con = build(case)
    got = rows(con, "SELECT provider, weight_cost, score, rank FROM private_vendor_recommendation ORDER BY rank")
    assert got == [("Cheap", 1.0, 1.0, 1), ("Dear", 1.0, 0.5, 2)]


def test_ties_go_to_the_lower_price_then_provider_byte_order() -> None:
    # Only availability counts: A and b and C score 1.0 each; C is cheaper; "A" < "b" in byte order.
    case = Case(
        offers=[("X", "b", 2.0), ("X", "A", 2.0), ("X", "C", 1.5)],
        params={"weight_cost": 0.0, "weight_availability": 1.0, "weight_reputation": 0.0},
    )
    con = build(case)
    assert rows(con, "SELECT provider FROM private_vendor_recommendation ORDER BY rank") == [("C",), ("A",), ("b",)]


# --- PRV-5: clients -------------------------------------------------------------------------------------------


def test_churn_0_accumulates_every_new_client() -> None:
    con = build(Case(offers=TWO_GPUS, months=4))
    got = rows(con, "SELECT new_clients, active_clients, hours FROM private_clients ORDER BY month")
    assert got == [(3.0, 3.0, 300.0), (3.0, 6.0, 600.0), (3.0, 9.0, 900.0), (3.0, 12.0, 1200.0)]


def test_churn_100_keeps_only_the_month_s_new_clients() -> None:
    con = build(Case(offers=TWO_GPUS, params={"churn_pct_mom": 100.0, "budget_growth_pct_mom": 10.0}))
    got = rows(con, "SELECT budget_eur, new_clients, active_clients FROM private_clients ORDER BY month")
    budgets = [600.0 * (1 + 10.0 / 100) ** t for t in range(3)]
    assert got == [(b, b / 200.0, b / 200.0) for b in budgets]


def test_churn_recurrence_runs_in_the_stated_float_order() -> None:
    z = [(0.3, -1.2), (-0.7, 0.4), (1.1, 0.0), (0.0, 2.0)]
    params = {"churn_pct_mom": 3.0, "cac_sd_pct": 20.0, "hours_sd_pct": 25.0, "budget_growth_pct_mom": 6.0}
    con = build(Case(offers=TWO_GPUS, params=params, z=z))
    got = rows(con, "SELECT cac_eur, new_clients, active_clients, hours FROM private_clients ORDER BY month")
    expected, active = [], 0.0
    for t, (z_cac, z_hours) in enumerate(z, start=1):
        eps = _eps(20.0, z_cac)
        new = (600.0 * (1 + 6.0 / 100) ** (t - 1) * eps) / 200.0  # [RNG-10]: ε multiplies the clients bought
        active = active * (1 - 3.0 / 100) + new
        expected.append((200.0 / eps, new, active, active * 100.0 * _eps(25.0, z_hours)))
    assert got == expected  # bit for bit: same operations in the same order


def test_zero_cac_acquires_no_client() -> None:
    con = build(Case(offers=TWO_GPUS, params={"cac_base_eur": 0.0}))
    assert rows(con, "SELECT DISTINCT new_clients, active_clients, hours FROM private_clients") == [(0.0, 0.0, 0.0)]
    assert rows(con, "SELECT DISTINCT revenue_private_eur, cogs_private_eur FROM private_month") == [(D(0), D(0))]


def _eps(sd_pct: float, z: float) -> float:
    """RNG-5 mean-1 lognormal factor."""
    s2 = math.log(1 + (sd_pct / 100) * (sd_pct / 100))
    return math.exp(-s2 / 2 + math.sqrt(s2) * z)


# --- PRV-6 / PRV-7: mix, revenue, cost --------------------------------------------------------------------------


def test_revenue_and_cogs_of_the_worked_example() -> None:
    con = build(Case(offers=TWO_GPUS, quality=EX6_QUALITY))
    got = rows(
        con,
        "SELECT month, hours, revenue_hours_eur, revenue_fees_eur, revenue_private_eur, cogs_private_eur, "
        "gross_margin_private_eur "
        "FROM private_month ORDER BY month",
    )
    assert got == [
        (1, 300.0, D("435.600000"), D("300.000000"), D("735.600000"), D("264.000000"), D("471.600000")),
        (2, 600.0, D("871.200000"), D("600.000000"), D("1471.200000"), D("528.000000"), D("943.200000")),
        (3, 900.0, D("1306.800000"), D("900.000000"), D("2206.800000"), D("792.000000"), D("1414.800000")),
    ]
    per_gpu = rows(
        con, "SELECT gpu, hours, revenue_hours_eur, cogs_eur FROM private_gpu_month WHERE month = 1 ORDER BY gpu"
    )
    assert per_gpu == [
        ("GPU-A", 150.0, D("89.100000"), D("66.000000")),
        ("GPU-B", 150.0, D("346.500000"), D("198.000000")),
    ]


def test_revenue_hours_is_the_sum_of_per_class_decimal_grains() -> None:
    # GEN-4: DEC per (month, GPU), then exact sums. Each class earns DEC(1 h × 0.0000005 €) = 0.000001,
    # so the month has 0.000002, where DEC of the float total would give 0.000001.
    case = Case(
        offers=[("X", "A", 0.0000005), ("Y", "A", 0.0000005)],
        params={"default_markup_over_provider_cost_pct": 0.0, "hours_per_client_month_mean": 2.0 / 3.0},
        months=1,
    )
    con = build(case)
    assert (
        rows(con, "SELECT revenue_hours_eur, cogs_eur FROM private_gpu_month ORDER BY gpu")
        == [(D("0.000001"),) * 2] * 2
    )
    assert rows(con, "SELECT revenue_hours_eur, cogs_private_eur FROM private_month") == [
        (D("0.000002"), D("0.000002"))
    ]


def test_a_class_outside_the_client_mix_sells_no_hours() -> None:
    con = build(Case(offers=TWO_GPUS, mix={"GPU-B": 1.0}))
    assert rows(con, "SELECT DISTINCT gpu, hours FROM private_gpu_month WHERE month = 1") == [("GPU-B", 300.0)]
    assert rows(con, "SELECT gpu, client_mix_share FROM private_economics ORDER BY gpu") == [
        ("GPU-A", 0.0),
        ("GPU-B", 1.0),
    ]


def test_customers_by_month_carries_the_artefact_column_names() -> None:
    con = build(Case(offers=TWO_GPUS, quality=EX6_QUALITY))
    got = rows(con, "SELECT * FROM private_customers_by_month WHERE month = 2")
    cols = [d[0] for d in con.execute("SELECT * FROM private_customers_by_month").description]
    assert cols == [
        "path_id",
        "month",
        "budget_eur",
        "cac_eur",
        "new_clients",
        "active_clients",
        "hours",
        "revenue_hours_eur",
        "revenue_fees_eur",
        "revenue_eur",
        "cogs_eur",
        "gross_margin_eur",
    ]
    assert got == [
        (
            0,
            2,
            D("600.000000"),
            200.0,
            3.0,
            6.0,
            600.0,
            *(D("871.200000"), D("600.000000"), D("1471.200000")),
            *(D("528.000000"), D("943.200000")),
        )
    ]
