"""Each growth key of [PUB-8b] and each scaling cost of [FIN-1a] alone on minimal_001, against hand-checked numbers.

The expected values are derived step by step in specs/public.md, specs/private.md and specs/finance.md
("Growth a lender believes"). Demand keys run the real demand models on the fixture's default parameter set
(public: budget 1000 growing 10 %, CAC 50, churn 10 %; private: budget 600 flat, CAC 200, churn 0) with one
parameter changed; the cost keys run `d3 run` on a copy of minimal_001 with one key added to general.yaml.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from harness import copy_bundle, run_d3
from test_private_models import TWO_GPUS, Case
from test_private_models import build as build_private
from test_public_harness import build, rerun, rows

DEMAND = ("public_demand", "public_month", "public_horizon")


def public_with(**params: Any) -> list[dict[str, Any]]:
    """public_demand of minimal_001 with `params` set in its one parameter set."""
    con = build(DEMAND)
    if params:
        assignments = ", ".join(f"{k} = ?" for k in params)
        con.execute(f"UPDATE params_public_tap SET {assignments}", list(params.values()))
        rerun(con, DEMAND)
    return rows(con, "SELECT * FROM public_demand ORDER BY month")


def _r9(values: list[float]) -> list[float]:
    return [round(v, 9) for v in values]


# --- [PUB-8b] Public Tap, one key at a time ---------------------------------------------------------------------


def test_public_budget_cap_alone() -> None:
    """Cap 1050: budgets 1000 / 1050 / 1050 (uncapped 1100, 1210); new 20 / 21 / 21; active 20 / 39 / 56.1."""
    got = public_with(budget_cap_eur=1050.0)
    assert [r["budget_eur"] for r in got] == [1000.0, 1050.0, 1050.0]
    assert [r["new_customers"] for r in got] == [20.0, 21.0, 21.0]
    assert _r9([r["active_customers"] for r in got]) == [20.0, 39.0, 56.1]
    assert [r["cac_eur"] for r in got] == [50.0] * 3  # no elasticity: the base CAC


def test_public_cac_elasticity_alone() -> None:
    """Elasticity 0.5: CAC 50 / 50·√1.1 = 52.440442 / 50·1.1 = 55; new 20 / 20.976177 / 22."""
    got = public_with(cac_elasticity=0.5)
    assert [round(r["cac_eff_eur"], 6) for r in got] == [50.0, 52.440442, 55.0]
    assert [r["cac_eur"] for r in got] == [r["cac_eff_eur"] for r in got]  # ε = 1 at sd 0 [RNG-10]
    assert [round(r["new_customers"], 6) for r in got] == [20.0, 20.976177, 22.0]
    assert [round(r["active_customers"], 6) for r in got] == [20.0, 38.976177, 57.078559]
    assert [r["budget_eur"] for r in got] == [1000.0, 1100.0, 1000.0 * 1.1**2]  # spend unchanged


def test_public_addressable_market_alone() -> None:
    """A = 50: saturation 1 / 0.6 / 0.376; new 20 / 13.2 / 9.0992; active 20 / 31.2 / 37.1792."""
    got = public_with(addressable_customers=50)
    assert _r9([r["saturation"] for r in got]) == [1.0, 0.6, 0.376]
    assert _r9([r["new_customers"] for r in got]) == [20.0, 13.2, 9.0992]
    assert _r9([r["active_customers"] for r in got]) == [20.0, 31.2, 37.1792]
    assert _r9([r["tokens"] / 50e6 for r in got]) == [20.0, 31.2, 37.1792]  # tokens follow the customers


def test_public_room_caps_new_customers_in_month_one() -> None:
    """A = 15: month 1 buys 20 but only 15 fit (room), month 2 saturation 0 (new 0, churn: 13.5), month 3
    saturation 0.1 → 2.42 new, 14.57 active. Active customers never exceed A, even in month 1 [PUB-8b]."""
    got = public_with(addressable_customers=15)
    assert _r9([r["new_customers"] for r in got]) == [15.0, 0.0, 2.42]
    assert _r9([r["active_customers"] for r in got]) == [15.0, 13.5, 14.57]
    assert max(r["active_customers"] for r in got) <= 15


def test_public_keys_unset_equal_the_worked_example() -> None:
    """[EX-5]: new 20 / 22 / 24.2, active 20 / 40 / 60.2, saturation 1, CAC 50 (keys not set, sd 0)."""
    got = public_with()
    assert _r9([r["new_customers"] for r in got]) == [20.0, 22.0, 24.2]
    assert _r9([r["active_customers"] for r in got]) == [20.0, 40.0, 60.2]
    assert [r["saturation"] for r in got] == [1.0] * 3


# --- [PUB-8b] Private Tap, one key at a time --------------------------------------------------------------------


def private_clients(**params: Any) -> list[tuple[Any, ...]]:
    con = build_private(Case(offers=TWO_GPUS, params=params))
    sql = "SELECT budget_eur, cac_eur, new_clients, active_clients, hours FROM private_clients ORDER BY month"
    return con.execute(sql).fetchall()


def test_private_budget_cap_alone() -> None:
    """Cap 450 (below the flat 600): 2.25 new clients a month, active 2.25 / 4.5 / 6.75, hours × 100."""
    assert private_clients(budget_cap_eur=450.0) == [
        (450.0, 200.0, 2.25, 2.25, 225.0),
        (450.0, 200.0, 2.25, 4.5, 450.0),
        (450.0, 200.0, 2.25, 6.75, 675.0),
    ]


def test_private_cac_elasticity_alone_changes_nothing_at_a_flat_budget() -> None:
    """max(1, 600/600)^0.25 = 1: elasticity only bites once the budget grows past the launch budget."""
    assert private_clients(cac_elasticity=0.25) == private_clients()


def test_private_addressable_market_alone() -> None:
    """A = 8 (binary fractions, exact): new 3 / 1.875 / 1.171875, active 3 / 4.875 / 6.046875."""
    got = private_clients(addressable_customers=8.0)
    assert [(r[2], r[3]) for r in got] == [(3.0, 3.0), (1.875, 4.875), (1.171875, 6.046875)]


# --- [FIN-1a] through `d3 run` on a copy of minimal_001 ---------------------------------------------------------


def _run_with(tmp: Path, finance_lines: str) -> Path:
    """`d3 run` of a copy of minimal_001 with `finance_lines` added to the finance block of general.yaml."""
    inputs = copy_bundle("minimal_001", tmp / "inputs")
    anchor = "  equity_injection_eur: 3000\n"
    inputs.replace("operator/general.yaml", anchor, anchor + finance_lines)
    outcome = run_d3("run", "--inputs", inputs.root, "--out", tmp / "out", "--quiet")
    assert outcome.exit_code == 0, outcome.stderr
    return tmp / "out" / "latest"


def _rep(run: Path, name: str, column: str) -> list[str]:
    with (run / name).open(encoding="utf-8") as handle:
        return [row[column] for row in csv.DictReader(handle) if row["series"] == "rep"]


def _kpi(run: Path, metric: str) -> str:
    with (run / "consolidated_kpis.csv").open(encoding="utf-8") as handle:
        return next(row["rep"] for row in csv.DictReader(handle) if row["metric"] == metric)


@pytest.fixture(scope="module")
def fee_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _run_with(tmp_path_factory.mktemp("fee"), "  payment_fee_pct: 2.5\n")


@pytest.fixture(scope="module")
def support_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    block = "  support: {customers_per_fte: 20, clients_per_fte: 3, cost_per_fte_month_eur: 500}\n"
    return _run_with(tmp_path_factory.mktemp("support"), block)


@pytest.mark.e2e  # a run of its own on changed inputs
def test_payment_fees_alone(fee_run: Path) -> None:
    """2.5 % of credits sold (1175 / 2350 / 3536.75) + 2.5 % of private revenue (735.60 / 1471.20 / 2206.80):
    47.765 / 95.53 / 143.58875; opex and EBITDA move by exactly that, the contingency does not."""
    assert _rep(fee_run, "pnl_by_month.csv", "payment_fees_eur") == ["47.77", "95.53", "143.59"]
    assert _rep(fee_run, "pnl_by_month.csv", "support_eur") == ["0.00"] * 3
    assert _rep(fee_run, "pnl_by_month.csv", "contingency_eur") == ["0.00"] * 3
    assert _rep(fee_run, "pnl_by_month.csv", "opex_total_eur") == ["2167.77", "2315.53", "2473.59"]
    assert _rep(fee_run, "pnl_by_month.csv", "ebitda_eur") == ["-2426.93", "-1028.09", "-8.96"]
    # No VAT, paid in the month: cash falls by the cumulative fees (no tax: every month is a loss) [FIN-7].
    assert _rep(fee_run, "cashflow_by_month.csv", "cash_closing_eur") == ["11236.80", "9522.99", "8578.77"]
    assert _rep(fee_run, "cashflow_by_month.csv", "input_vat_eur") == ["357.00", "105.00", "105.00"]
    # Each tap's fee leaves its own contribution; the overhead split is unchanged [FIN-10].
    assert _kpi(fee_run, "contribution_public") == "-3783.03"  # −3606.484061 − 176.54375
    assert _kpi(fee_run, "contribution_private") == "319.05"  # 429.394061 − 110.34
    assert _kpi(fee_run, "overhead_public") == "959.79"
    assert _rep(fee_run, "public_tap_scenarios.csv", "contribution_before_overhead_eur") == ["-2823.23"]


@pytest.mark.e2e  # a run of its own on changed inputs
def test_support_staff_alone(support_run: Path) -> None:
    """One FTE per 20 customers and 3 clients: loads 20/20 + 3/3 = 2 (exactly 2, not 3: the −1e-9),
    40/20 + 6/3 = 4, 60.2/20 + 9/3 = 6.01 → 2 / 4 / 7 FTE at €500 = 1000 / 2000 / 3500."""
    assert _rep(support_run, "pnl_by_month.csv", "support_eur") == ["1000.00", "2000.00", "3500.00"]
    assert _rep(support_run, "pnl_by_month.csv", "payment_fees_eur") == ["0.00"] * 3
    assert _rep(support_run, "pnl_by_month.csv", "opex_total_eur") == ["3120.00", "4220.00", "5830.00"]
    assert _rep(support_run, "cashflow_by_month.csv", "cash_closing_eur") == ["10284.57", "6666.28", "2365.66"]
    assert _rep(support_run, "cashflow_by_month.csv", "delta_payables_eur") == ["121.00", "0.00", "0.00"]  # AP-exempt
    assert _kpi(support_run, "support_fte_end") == "7.000000"
    # Support is overhead [FIN-10]: 520 + support, split by revenue (month 1: 1520 × 1175/1910.6 = 934.784884).
    assert _kpi(support_run, "overhead_public") == "4959.99"
    assert _kpi(support_run, "overhead_private") == "3100.01"
    assert _kpi(support_run, "contribution_public") == "-7606.68"
    assert _kpi(support_run, "contribution_private") == "-2070.41"
    assert Decimal(_kpi(support_run, "net_income")) == Decimal("-3826.72") - 6500  # no tax on a loss


def test_keys_unset_give_zero_cost_lines(minimal_run: Path) -> None:
    """minimal_001 sets neither key: both lines are 0.00 and support_fte_end is 0 [V12-0]."""
    assert _rep(minimal_run, "pnl_by_month.csv", "payment_fees_eur") == ["0.00"] * 3
    assert _rep(minimal_run, "pnl_by_month.csv", "support_eur") == ["0.00"] * 3
    assert _kpi(minimal_run, "support_fte_end") == "0.000000"
