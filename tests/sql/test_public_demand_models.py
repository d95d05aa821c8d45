"""Public demand, mix, credits and capacity models, given rows → expected rows [PUB-8]–[PUB-11].

Expected values come from DOMAIN §9 EX-5 (minimal_001) or are hand-computed from the rule text;
edge cases: zero demand, CAC 0, a warm minimum pool without demand, a capacity violation,
breakage with expiry, MC noise, and several paths at once.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from test_public_harness import build, expand_sets, rerun, rows

if TYPE_CHECKING:
    import duckdb


def money(rows_: list[dict[str, Any]], column: str) -> list[str]:
    """A DECIMAL column as text (exact, 6 decimals)."""
    return [str(r[column]) for r in rows_]


def month_rows(con: duckdb.DuckDBPyConnection, columns: str) -> list[dict[str, Any]]:
    return rows(con, f"SELECT month, {columns} FROM public_month ORDER BY month")


# ------------------------------------------------------------------------------------------ EX-5


def test_ex5_demand_recurrence() -> None:
    con = build()
    got = rows(con, "SELECT * FROM public_demand ORDER BY month")
    assert [r["budget_eur"] for r in got] == [1000.0, 1100.0, 1000.0 * 1.1**2]
    assert [r["cac_eur"] for r in got] == [50.0, 50.0, 50.0]
    assert [round(r["new_customers"], 9) for r in got] == [20.0, 22.0, 24.2]
    assert [round(r["active_customers"], 9) for r in got] == [20.0, 40.0, 60.2]
    assert [round(r["tokens"]) for r in got] == [1_000_000_000, 2_000_000_000, 3_010_000_000]
    assert [r["eps_cac"] for r in got] == [1.0, 1.0, 1.0]  # sd 0 → ε = 1 exactly [RNG-5]


def test_ex5_capacity_per_model() -> None:
    con = build()
    got = rows(con, "SELECT * FROM public_model_month ORDER BY model, month")
    large, small = got[:3], got[3:]
    assert [r["tokens"] for r in small] == [750e6, 1500e6, 2257.5e6]
    assert [r["tokens"] for r in large] == [250e6, 500e6, 752.5e6]
    assert [round(r["peak_tokens_per_hour"], 2) for r in small] == [1_250_000.0, 2_500_000.0, 3_762_500.0]
    assert [round(r["peak_tokens_per_hour"], 2) for r in large] == [416_666.67, 833_333.33, 1_254_166.67]
    assert [r["instances"] for r in small] == [1, 1, 2]
    assert [r["instances"] for r in large] == [1, 1, 1]
    assert money(small, "gpu_cost_eur") == ["253.440000", "253.440000", "506.880000"]
    assert money(large, "gpu_cost_eur") == ["950.400000", "950.400000", "950.400000"]
    assert (str(small[0]["cogs_eur"]), str(large[0]["cogs_eur"])) == ("455.160000", "1450.600000")
    assert money(small, "usage_revenue_eur") == ["750.000000", "1500.000000", "2257.500000"]
    assert money(large, "usage_revenue_eur") == ["425.000000", "850.000000", "1279.250000"]
    assert not any(r["capacity_violation"] for r in got)


def test_ex5_month_totals_credits_and_horizon() -> None:
    con = build()
    got = month_rows(con, "*")
    assert money(got, "usage_revenue_eur") == ["1175.000000", "2350.000000", "3536.750000"]
    assert money(got, "gpu_cost_eur") == ["1203.840000", "1203.840000", "1457.280000"]
    assert money(got, "cogs_public_eur") == ["1905.760000", "2005.760000", "2486.920000"]
    assert money(got, "credits_sold_eur") == money(got, "usage_revenue_eur")  # breakage_eur 0
    assert money(got, "credit_balance_eur") == ["0.000000"] * 3
    assert money(got, "acquisition_public_eur") == ["1000.000000", "1100.000000", "1210.000000"]
    assert [r["blended_sell_eur_per_1k"] for r in got] == [0.001175] * 3
    assert [r["tokens"] for r in got] == [1e9, 2e9, 3.01e9]
    horizon = rows(con, "SELECT * FROM public_horizon")[0]
    assert (horizon["instance_hours"], horizon["blended_sell_eur_per_1k"]) == (5040.0, 0.001175)
    assert (str(horizon["revenue_eur"]), str(horizon["cogs_eur"])) == ("7061.750000", "6398.440000")
    assert str(horizon["contribution_before_overhead_eur"]) == "-2646.690000"


def test_ex5_credit_pack() -> None:
    con = build()
    got = rows(con, "SELECT * FROM public_credit_packs")
    assert [(r["pack_eur"], r["tokens"], str(r["value_eur"]), str(r["error_pct"])) for r in got] == [
        (50.0, 42_553_191, "49.999999", "0.0000")
    ]


# ---------------------------------------------------------------------------------- edge cases


def test_zero_demand_gives_zero_tokens_no_instances_and_no_packs() -> None:
    con = build()
    con.execute("UPDATE params_public_tap SET budget_month0_eur = 0")
    rerun(con)
    models = rows(con, "SELECT tokens, instances_needed, instances, gpu_cost_eur, cogs_eur FROM public_model_month")
    assert len(models) == 6
    assert {(r["tokens"], r["instances_needed"], r["instances"], str(r["gpu_cost_eur"])) for r in models} == {
        (0.0, 0, 0, "0.000000")
    }
    got = month_rows(con, "usage_revenue_eur, cogs_public_eur, blended_sell_eur_per_1k, active_customers")
    assert [(str(r["usage_revenue_eur"]), r["blended_sell_eur_per_1k"], r["active_customers"]) for r in got] == [
        ("0.000000", None, 0.0)
    ] * 3
    assert rows(con, "SELECT * FROM public_credit_packs") == []


def test_cac_zero_acquires_nobody() -> None:
    con = build()
    con.execute("UPDATE params_public_tap SET cac_base_eur = 0")
    rerun(con)
    got = rows(con, "SELECT cac_eur, new_customers, active_customers, tokens FROM public_demand ORDER BY month")
    assert got == [{"cac_eur": 0.0, "new_customers": 0.0, "active_customers": 0.0, "tokens": 0.0}] * 3


def test_min_instances_cost_money_without_demand() -> None:
    con = build()
    con.execute("UPDATE params_public_tap SET budget_month0_eur = 0, min_instances_per_model = 2")
    rerun(con)
    got = rows(
        con, "SELECT model, instances, gpu_cost_eur, cogs_eur FROM public_model_month WHERE month = 1 ORDER BY model"
    )
    # 2 × 720 × 1.32 = 1900.80 (× 1.5 = 2851.20); 2 × 720 × 0.352 = 506.88 (× 1.5 = 760.32)
    assert [(r["model"], r["instances"], str(r["gpu_cost_eur"]), str(r["cogs_eur"])) for r in got] == [
        ("Large 30B", 2, "1900.800000", "2851.200000"),
        ("Small 7B", 2, "506.880000", "760.320000"),
    ]
    assert money(month_rows(con, "cogs_public_eur"), "cogs_public_eur") == ["3611.520000"] * 3
    assert [r["instance_hours"] for r in month_rows(con, "instance_hours")] == [2880.0] * 3


def test_capacity_violation_keeps_revenue_on_all_tokens() -> None:
    con = build()
    con.execute("UPDATE params_public_tap SET max_instances_per_model = 1")
    rerun(con)
    got = rows(con, "SELECT * FROM public_model_month WHERE model = 'Small 7B' AND month = 3")[0]
    assert (got["instances_needed"], got["instances"], got["capacity_violation"]) == (2, 1, True)
    assert (str(got["usage_revenue_eur"]), str(got["gpu_cost_eur"])) == ("2257.500000", "253.440000")
    assert rows(con, "SELECT count(*) AS n FROM public_capacity_path WHERE capacity_violation") == [{"n": 1}]


def test_breakage_expires_unused_credits_after_expiry_months() -> None:
    con = build()
    con.execute("UPDATE params_public_tap SET breakage_pct = 20, expiry_months = 1")
    rerun(con)
    got = month_rows(con, "credits_sold_eur, breakage_eur, revenue_public_eur, credit_balance_eur")
    # credits = usage / 0.8; unused_t = credits − usage; breakage_t = unused_{t−1}
    assert money(got, "credits_sold_eur") == ["1468.750000", "2937.500000", "4420.937500"]
    assert money(got, "breakage_eur") == ["0.000000", "293.750000", "587.500000"]
    assert money(got, "revenue_public_eur") == ["1175.000000", "2643.750000", "4124.250000"]
    assert money(got, "credit_balance_eur") == ["293.750000", "587.500000", "884.187500"]


def test_credits_sold_is_the_exact_quotient_rounded_once() -> None:
    con = build()
    con.execute("UPDATE params_public_tap SET breakage_pct = 3")
    rerun(con)
    got = money(month_rows(con, "credits_sold_eur"), "credits_sold_eur")
    expected = [
        str((Decimal(u) / Decimal("0.97")).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP))
        for u in ("1175", "2350", "3536.75")
    ]
    assert got == expected == ["1211.340206", "2422.680412", "3646.134021"]
    assert money(month_rows(con, "breakage_eur"), "breakage_eur") == ["0.000000"] * 3  # expiry 12 > H


def test_mc_noise_factors_follow_rng5_and_rng10() -> None:
    con = build()
    con.execute("UPDATE params_public_tap SET cac_sd_pct = 20, tokens_sd_pct = 25")
    con.execute("UPDATE draw_public_noise SET z_cac = 0.5 * month - 1, z_tokens = 0.7 - 0.6 * month")
    rerun(con)
    got = rows(con, "SELECT month, eps_cac, eps_tokens, cac_eur, new_customers FROM public_demand ORDER BY month")
    for r in got:
        for sd, z, eps in ((20, 0.5 * r["month"] - 1, r["eps_cac"]), (25, 0.7 - 0.6 * r["month"], r["eps_tokens"])):
            s2 = math.log(1 + (sd / 100) ** 2)
            assert math.isclose(eps, math.exp(-s2 / 2 + math.sqrt(s2) * z), rel_tol=1e-14)
        # [RNG-10]: the noise multiplies the customers bought, not the cost; CAC_t = cac_base / ε is reported
        assert r["cac_eur"] == 50.0 / r["eps_cac"]
        assert r["new_customers"] == (1000.0 * 1.1 ** (r["month"] - 1) * r["eps_cac"]) / 50.0


def test_recurrence_runs_for_every_path_in_the_stated_order() -> None:
    con = build()
    budgets, churns = [500.0, 1000.0, 2500.0], [3.0, 10.0, 7.5]
    expand_sets(con, [{"budget_month0_eur": b, "churn_pct_mom": c} for b, c in zip(budgets, churns, strict=True)])
    rerun(con, replicates=3)
    got = rows(con, "SELECT path_id, month, active_customers FROM public_demand ORDER BY path_id, month")
    for path, (b, churn) in enumerate(zip(budgets, churns, strict=True)):
        active, expected = 0.0, []
        for t in range(1, 4):
            active = active * (1 - churn / 100) + b * (1 + 10 / 100) ** (t - 1) / 50.0
            expected.append(active)
        assert [r["active_customers"] for r in got if r["path_id"] == path] == expected
