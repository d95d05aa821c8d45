"""Many paths, every branch: the finance SQL equals the reference implementation, and the identities hold.

The stress database is the golden fixture's with 4 parameter sets × 2 MC paths over H = 27 months
starting 2025-11 (short first fiscal year and VAT quarter), brackets 19 % to 200 000 then 25.8 %,
quarterly VAT with lag 1 (monthly with lag 0 in one set), tax lags 0/1/2, CPI, contingency, VAT- and
AP-exempt items, three assets (one bought after H) and four loans (annuity at 9.95 %, linear, bullet,
none). Tap months are seeded pseudo-random: a loss-making start, profits above the first bracket, a
loss inside a profitable year (negative tax accrual) and months without any revenue (overhead ½ : ½).
"""

from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import duckdb
import pytest
from test_finance_fixture import (
    BOTH,
    PRIVATE_COLUMNS,
    PUBLIC_COLUMNS,
    copy_run_db,
    model_vars,
    rows_as_dicts,
    run_finance,
    write_rows,
)
from test_finance_reference import ZERO, r, reference

from d3_engine.models import graph, runner
from d3_engine.models.python.loan import exact
from d3_engine.plan.draws import Batch, write_path_range

H, R, M = 27, 4, 2
COMMON = {
    "start_year": 2025,
    "start_month": 11,
    "bizdev_budget_monthly_eur": 500.0,
    "equity_injection_eur": 5000.0,
    "premiums_buffer_pct": 10.0,
    "vat_period_months": 3,
    "vat_payment_lag_months": 1,
    "corporate_income_pct": 19.0,
}
SETS: list[dict[str, Any]] = [
    {"loan_amount_eur": 30000.0, "term_months": 60, "interest_rate_pct": 9.95, "repayment_type": "annuity",
     "grace_period_months": 3, "payment_lag_months": 0, "ar_days": 30.0, "ap_days": 30.0, "vat_pct": 21.0,
     "cpi_annual_pct": 2.5, "contingency_pct": 5.0, "payment_fee_pct": 2.5, "customers_per_fte": 1000.0,
     "clients_per_fte": 50.0, "cost_per_fte_month_eur": 4500.0},
    {"loan_amount_eur": 12000.0, "term_months": 12, "interest_rate_pct": 12.0, "repayment_type": "linear",
     "grace_period_months": 1, "payment_lag_months": 1, "ar_days": 15.0, "ap_days": 6.0, "vat_pct": 21.0,
     "cpi_annual_pct": 0.0, "contingency_pct": 0.0},
    {"loan_amount_eur": 20000.0, "term_months": 24, "interest_rate_pct": 5.0, "repayment_type": "bullet",
     "grace_period_months": 0, "payment_lag_months": 2, "ar_days": 45.0, "ap_days": 14.5, "vat_pct": 20.5,
     "cpi_annual_pct": 3.3, "contingency_pct": 7.5, "payment_fee_pct": 1.35, "customers_per_fte": 75.5,
     "clients_per_fte": 4.5, "cost_per_fte_month_eur": 399.99},
    {"loan_amount_eur": 0.0, "term_months": 12, "interest_rate_pct": 12.0, "repayment_type": "annuity",
     "grace_period_months": 0, "payment_lag_months": 0, "ar_days": 7.5, "ap_days": 20.0, "vat_pct": 21.0,
     "cpi_annual_pct": 2.5, "contingency_pct": 5.0, "vat_period_months": 1, "vat_payment_lag_months": 0},
]  # fmt: skip
ITEMS = [("admin", 75.25, False, True), ("personal", 2500.0, True, True), ("rent", 500.5, False, False)]
SCENARIOS = [
    (BOTH, "revenue"),
    (BOTH, "gpu_hours"),
    (BOTH, "tokens"),
    (["public"], "revenue"),
    (["private"], "revenue"),
]


def _fee(path: int, receipts: Decimal) -> Decimal:
    """[FIN-1a] the tap's payment fee as the tap month models round it: round6(payment_fee_pct/100 × receipts)."""
    pct = SETS[path // M].get("payment_fee_pct")
    return ZERO if pct is None else r(Fraction(str(pct)) / 100 * Fraction(receipts))


def _money(rng: random.Random, low: float, high: float) -> Decimal:
    """A seeded amount with 6 decimals in [low, high]."""
    return Decimal(rng.randint(int(low * 10**6), int(high * 10**6))).scaleb(-6)


def _usage(rng: random.Random, t: int) -> Decimal:
    """Public usage revenue: small, then above the first tax bracket, then moderate."""
    if t <= 6:
        return _money(rng, 0, 3000)
    return _money(rng, 20000, 60000) if t <= 20 else _money(rng, 5000, 30000)


def public_rows(paths: int) -> list[dict[str, Any]]:
    """Seeded public months; months 23–24 carry a COGS spike (a loss inside fiscal year 2027)."""
    rows = []
    for path in range(paths):
        rng, balance = random.Random(path), Decimal(0)
        for t in range(1, H + 1):
            silent = path % 2 == 0 and t == 1
            usage = Decimal(0) if silent else _usage(rng, t)
            breakage_eur = Decimal(0) if silent else _money(rng, 0, 50)
            credits = Decimal(0) if silent else usage + breakage_eur + _money(rng, 0, 500)
            balance += credits - usage - breakage_eur
            budget = 1000.0 * 1.05 ** (t - 1)
            rows.append({
                "path_id": path, "param_set_id": path // M, "month": t, "budget_eur": budget,
                "acquisition_public_eur": exact(round(budget, 6)), "tokens": 0.0 if silent else rng.uniform(1e6, 1e9),
                "usage_revenue_eur": usage, "credits_sold_eur": credits, "breakage_eur": breakage_eur,
                "revenue_public_eur": usage + breakage_eur, "credit_balance_eur": balance,
                "gpu_cost_eur": usage / 3,
                "cogs_public_eur": _money(rng, 150000, 250000) if t in (23, 24) else usage / 2,
                "instance_hours": 0.0 if silent else 720.0 * rng.randint(1, 5),
                "active_customers": 0.0 if silent else rng.uniform(0, 40) * t, "payment_fee_eur": _fee(path, credits),
            })  # fmt: skip
    return rows


def private_rows(paths: int) -> list[dict[str, Any]]:
    """Seeded private months: small for t ≤ 6, none in month 1 of even paths."""
    rows = []
    for path in range(paths):
        rng = random.Random(1000 + path)
        for t in range(1, H + 1):
            silent = path % 2 == 0 and t == 1
            scale = 0.1 if t <= 6 else 1.0  # a loss-making start, so a loss pool reaches 2026
            hours_rev = Decimal(0) if silent else _money(rng, 0, 30000 * scale)
            fees = Decimal(0) if silent else _money(rng, 0, 20000 * scale)
            rows.append({
                "path_id": path, "param_set_id": path // M, "month": t, "budget_eur": 600.0,
                "acquisition_private_eur": Decimal(600), "hours": 0.0 if silent else rng.uniform(10, 5000) / 7,
                "revenue_hours_eur": hours_rev, "revenue_fees_eur": fees, "revenue_private_eur": hours_rev + fees,
                "cogs_private_eur": hours_rev * Decimal("0.6"),
                "active_clients": 0.0 if silent else rng.uniform(0, 3) * t,
                "payment_fee_eur": _fee(path, hours_rev + fees),
            })  # fmt: skip
    return rows


def _write_params(con: duckdb.DuckDBPyConnection) -> None:
    """R parameter sets in params_general and params_fixed_costs, and the list inputs."""
    schema = {r[0]: r[1] for r in con.execute("DESCRIBE params_general").fetchall()}
    base = rows_as_dicts(con, "SELECT * FROM params_general")[0]
    sets = [
        {**base, **COMMON, **s, "param_set_id": i, "grid_index": 0, "replicate_index": i} for i, s in enumerate(SETS)
    ]
    write_rows(con, "params_general", schema, sets)
    write_path_range(con, Batch(0, R * M))  # the paths model builds the path ids of this range
    fixed = {
        "param_set_id": "BIGINT",
        "grid_index": "BIGINT",
        "replicate_index": "BIGINT",
        "item": "VARCHAR",
        "amount_eur": "DOUBLE",
    }
    items = [
        {"param_set_id": i, "grid_index": 0, "replicate_index": i, "item": n, "amount_eur": v}
        for i in range(R)
        for n, v, _, _ in ITEMS
    ]
    write_rows(con, "params_fixed_costs", fixed, items)
    flags = {"item": "VARCHAR", "vat_exempt": "BOOLEAN", "ap_exempt": "BOOLEAN"}
    write_rows(
        con, "input_fixed_cost_items", flags, [{"item": n, "vat_exempt": v, "ap_exempt": a} for n, _, v, a in ITEMS]
    )
    con.execute("INSERT INTO input_insurances_selected VALUES ('ins_b', 9.4)")
    con.execute("INSERT INTO input_tax_brackets VALUES (1, 200000, 19), (2, NULL, 25.8)")
    con.execute("INSERT INTO input_assets VALUES ('Laptop', 2400, 36, 1, 'loan'), ('Car', 5000, 12, 30, 'operations')")
    con.execute("UPDATE input_assets SET amount_eur = 1000, months = 7, start_month_index = 5 WHERE name = 'Server'")


def stress_connection(run_dir: Path, target: Path, pipelines: list[str], driver: str) -> duckdb.DuckDBPyConnection:
    """The stress database with the finance tables built for the given taps and overhead driver."""
    con = copy_run_db(run_dir, target)
    # run_settings holds resolved values: an unset dscr_test_from_month is 12 there ([V12-5], [ACC-A12])
    con.execute(f"UPDATE run_settings SET horizon_months = {H}, dscr_test_from_month = 12")
    con.execute(f"UPDATE run_settings SET overhead_allocation_driver = '{driver}'")
    _write_params(con)
    for tap, columns, rows in (("public", PUBLIC_COLUMNS, public_rows), ("private", PRIVATE_COLUMNS, private_rows)):
        if tap in pipelines:
            write_rows(con, f"{tap}_month", columns, rows(R * M))
        else:
            con.execute(f"DROP TABLE IF EXISTS {tap}_month")
    run_finance(con, model_vars(H, R, M, pipelines))
    return con


@pytest.fixture(scope="module", params=SCENARIOS, ids=lambda s: f"{'+'.join(s[0])}-{s[1]}")
def stress(
    request: pytest.FixtureRequest, minimal_run: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[duckdb.DuckDBPyConnection, dict[int, list[dict[str, Any]]]]:
    """(connection, reference months by path) for one scenario."""
    pipelines, driver = request.param
    con = stress_connection(minimal_run, tmp_path_factory.mktemp("stress") / "run.duckdb", pipelines, driver)
    return con, reference(con, H, M, pipelines)


def test_finance_month_equals_reference_on_every_path_and_month(stress: Any) -> None:
    """Every line of [FIN-1]–[FIN-9] the reference computes is identical in SQL (exact, no tolerance)."""
    con, ref = stress
    rows = rows_as_dicts(con, "SELECT * FROM finance_month ORDER BY path_id, month")
    assert len(rows) == R * M * H
    compared = [c for c in rows[0] if c in ref[0][0]]
    assert len(compared) >= 55
    for row in rows:
        expected = ref[row["path_id"]][row["month"] - 1]
        assert {c: row[c] for c in compared} == {c: expected[c] for c in compared}, (row["path_id"], row["month"])


def test_segment_month_equals_reference(stress: Any) -> None:
    """[FIN-10] overhead split and contributions per path and month, for each driver and tap selection."""
    con, ref = stress
    columns = [
        "overhead_eur",
        "overhead_public_eur",
        "overhead_private_eur",
        "contribution_public_eur",
        "contribution_private_eur",
    ]
    for row in rows_as_dicts(con, "SELECT * FROM segment_month ORDER BY path_id, month"):
        expected = ref[row["path_id"]][row["month"] - 1]
        assert {c: row[c] for c in columns} == {c: expected[c] for c in columns}, (row["path_id"], row["month"])


def test_path_kpis_equal_reference(stress: Any) -> None:
    """[FIN-9] horizon KPIs per path from the reference months; LTM test from month 12 (not set = 12)."""
    con, ref = stress
    for kpi in rows_as_dicts(con, "SELECT * FROM finance_path_kpis ORDER BY path_id"):
        months = ref[kpi["path_id"]]
        cash = [m["cash_closing_eur"] for m in months]
        tested = [m["dscr_ltm"] for m in months[11:] if m["dscr_ltm"] is not None]
        expected = {
            "net_income_h_eur": sum(m["net_income_eur"] for m in months),
            "cash_min_eur": min(cash),
            "cash_end_eur": cash[-1],
            "funding_gap_eur": max(Decimal(0), -min(cash)),
            "first_negative_cash_month": next((t for t, c in enumerate(cash, 1) if c < 0), None),
            "dscr_min": min((m["dscr"] for m in months if m["dscr"] is not None), default=None),
            "icr_min": min((m["icr"] for m in months if m["icr"] is not None), default=None),
            "dscr_ltm_end": months[-1]["dscr_ltm"],
            "dscr_ltm_test_min": min(tested, default=None),
            "overhead_public_eur": sum(m["overhead_public_eur"] for m in months),
            "contribution_private_eur": sum(m["contribution_private_eur"] for m in months),
        }
        assert {k: kpi[k] for k in expected} == expected, kpi["path_id"]


def test_accounting_identities_hold_exactly(stress: Any) -> None:
    """ACC-A10 on every path and month: balance_check = 0, cash roll-forward, opening cash = loan + equity."""
    con, _ = stress
    bad = con.execute("""
        SELECT f.path_id, f.month FROM finance_month AS f
        JOIN finance_params AS p USING (param_set_id)
        LEFT JOIN finance_month AS prev ON prev.path_id = f.path_id AND prev.month = f.month - 1
        WHERE f.balance_check_eur <> 0
           OR f.cash_closing_eur <> f.cash_opening_eur + f.net_cash_flow_eur
           OR (f.month = 1 AND f.cash_opening_eur <> p.loan_amount_eur + p.equity_injection_eur)
           OR (f.month > 1 AND f.cash_opening_eur <> prev.cash_closing_eur)
    """).fetchall()
    assert bad == []
    assert con.execute("SELECT count(*) FROM finance_month").fetchall()[0][0] == R * M * H


def test_full_schedules_repay_their_amounts(stress: Any) -> None:
    """[FIN-3] Σ principal over the full term = amount per parameter set (no rows for amount 0)."""
    con, _ = stress
    got = con.execute("""
        SELECT param_set_id, sum(principal_eur), count(*) FROM loan_schedule GROUP BY ALL ORDER BY param_set_id
    """).fetchall()
    assert got == [(0, Decimal("30000"), 60), (1, Decimal("12000"), 12), (2, Decimal("20000"), 24)]


def test_full_asset_schedules_depreciate_their_amounts(stress: Any) -> None:
    """[FIN-2] (ACC-A10): 1000 over 7 months = 6 × 142.86 + 142.84; the car bought after H still has its schedule."""
    con, _ = stress
    got = con.execute("""
        SELECT asset, any_value(amount_eur), sum(depreciation_eur), sum(capex_eur), min(month), max(month), count(*)
        FROM asset_schedule GROUP BY asset ORDER BY asset
    """).fetchall()
    assert got == [
        ("Car", Decimal(5000), Decimal(5000), Decimal(5000), 30, 41, 12),
        ("Laptop", Decimal(2400), Decimal(2400), Decimal(2400), 1, 36, 36),
        ("Server", Decimal(1000), Decimal(1000), Decimal(1000), 5, 11, 7),
    ]
    last = con.execute("SELECT depreciation_eur FROM asset_schedule WHERE asset = 'Server' ORDER BY month").fetchall()
    assert [d for (d,) in last] == [Decimal("142.86")] * 6 + [Decimal("142.84")]
    capex = con.execute("SELECT sum(capex_eur) FROM finance_month WHERE path_id = 0").fetchall()[0][0]
    assert capex == Decimal(3400)  # the car (month 30) is beyond H = 27


def test_the_stress_data_reaches_every_branch(stress: Any) -> None:
    """Guard of the comparisons above: the data exercises each rule it is meant to test."""
    con, _ = stress
    taps = [
        t
        for t in ("public", "private")
        if con.execute(f"SELECT count(*) FROM duckdb_tables() WHERE table_name = '{t}_month'").fetchall()[0][0]
    ]
    if len(taps) == 1:  # [FIN-1] a tap that does not run contributes 0; [FIN-10] all overhead to the one that runs
        absent = "private" if taps == ["public"] else "public"
        zero = f"revenue_{absent}_eur <> 0 OR cogs_{absent}_eur <> 0 OR overhead_{absent}_eur <> 0"
        assert con.execute(f"SELECT count(*) FROM segment_month WHERE {zero}").fetchall()[0][0] == 0
        assert con.execute("SELECT DISTINCT driver FROM segment_month").fetchall() == [("single_tap",)]
        return
    checks = {
        "upper bracket": "taxable_income_eur > 200000",
        "negative accrual": "tax_eur < 0",
        "pool carried into a later year": "loss_pool_start_eur > 0 AND taxable_income_eur > 0",
        "tax lag": "tax_paid_eur <> tax_eur",
    }
    for name, condition in checks.items():
        assert con.execute(f"SELECT count(*) FROM finance_cash WHERE {condition}").fetchall()[0][0] > 0, name
    assert con.execute("SELECT count(*) FROM finance_month WHERE capex_financed_eur > 0").fetchall()[0][0] > 0
    drawn = "overdraft_interest_eur > 0 AND overdraft_eur > 0"  # [FIN-7a] the funding line is used and costs
    assert con.execute(f"SELECT count(*) FROM finance_month WHERE {drawn}").fetchall()[0][0] > 0
    assert con.execute("SELECT count(DISTINCT phase) FROM loan_schedule").fetchall()[0][0] == 3
    halves = "month = 1 AND overhead_public_eur = CAST(overhead_eur * CAST('0.5' AS DECIMAL(2,1)) AS DECIMAL(18,6))"
    silent = con.execute(f"SELECT count(*) FROM segment_month WHERE {halves}").fetchall()[0][0]
    assert silent == R * M // 2  # no revenue, hours or tokens in month 1 of even paths: ½ : ½
    quarters = con.execute("""
        SELECT DISTINCT month FROM finance_month JOIN finance_params USING (param_set_id)
        WHERE vat_period_months = 3 AND vat_remitted_eur <> 0 ORDER BY month
    """).fetchall()
    assert [m for (m,) in quarters] == [3, 6, 9, 12, 15, 18, 21, 24, 27]  # Dec, Mar, … + lag 1


def _rep_model() -> graph.Model:
    return graph.discover_models()["representative_path"]


@pytest.mark.parametrize(
    ("net_incomes", "expected"),
    [
        (["-10", "0", "10", "30"], 1),  # median 5: paths 1 and 2 tie at distance 5 → lowest path_id
        (["3", "1", "2"], 2),  # median 2 (the middle value)
        (["-5.000001", "7", "-5.000002", "100"], 0),  # median 0.9999995: |−5.000001 − m| < |7 − m|
    ],
)
def test_representative_path_is_closest_to_the_median(net_incomes: list[str], expected: int) -> None:
    """[FIN-12]: exact median of net_income_h, closest path, ties to the lowest path_id."""
    con = duckdb.connect()
    con.execute("CREATE TABLE paths AS SELECT range AS path_id, range AS param_set_id, 0 AS grid_index, "
                "range AS replicate_index, 0 AS mc_index FROM range(?)", [len(net_incomes)])  # fmt: skip
    con.execute("CREATE TABLE finance_path_kpis (path_id BIGINT, net_income_h_eur DECIMAL(18,6))")
    con.executemany("INSERT INTO finance_path_kpis VALUES (?, CAST(? AS DECIMAL(18,6)))", list(enumerate(net_incomes)))
    runner.run_models(con, [_rep_model()], model_vars())
    assert con.execute("SELECT path_id, param_set_id FROM representative_path").fetchall() == [(expected, expected)]


def test_representative_path_of_the_stress_run(stress: Any) -> None:
    """On the stress paths the model picks the path the reference picks."""
    con, ref = stress
    totals = sorted((sum(m["net_income_eur"] for m in months), path) for path, months in ref.items())
    median = (totals[3][0] + totals[4][0]) / 2  # 8 paths: mean of the two middle values
    expected = min(ref, key=lambda p: (abs(sum(m["net_income_eur"] for m in ref[p]) - median), p))
    assert con.execute("SELECT path_id FROM representative_path").fetchall() == [(expected,)]
