"""The "how growth is bounded" note of the report's demand section [PUB-8b] [FIN-1a] [OUT-10].

Two runs of minimal_001 (H = 3, one path): as shipped (no growth key set) and with every growth key and
scaling cost set. The note names each limit in words when it is not set, and gives the cap month, the CAC
factor at the cap, the share of the market reached, the month-H growth rate and the support FTEs when it is.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from harness import copy_bundle, run_d3

from d3_engine.report.context import load_run_info
from d3_engine.report.growth import growth_note
from d3_engine.report.tables import Bullets, Db


def _run(tmp: Path, edits: dict[str, tuple[str, str]]) -> Path:
    """`d3 run` of a copy of minimal_001 with `edits` (file → (old, new) text) applied."""
    inputs = copy_bundle("minimal_001", tmp / "inputs")
    for rel, (old, new) in edits.items():
        inputs.replace(rel, old, new)
    outcome = run_d3("run", "--inputs", inputs.root, "--out", tmp / "out", "--quiet")
    assert outcome.exit_code == 0, outcome.stderr
    return tmp / "out" / "latest"


def _note(run: Path) -> list[str]:
    with duckdb.connect(str(run / "run.duckdb"), read_only=True) as con:
        blocks = growth_note(load_run_info(Db(con)))
    bullets = [b for b in blocks if isinstance(b, Bullets)]
    assert len(bullets) == 1
    return bullets[0].items


@pytest.fixture(scope="module")
def unbounded(minimal_run: Path) -> list[str]:
    return _note(minimal_run)  # the cached standard run of minimal_001: no growth key set


@pytest.fixture(scope="module")
def bounded(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    acquisition = "  churn_pct_mom: {churn}\n"
    keys = "  budget_cap_eur: {cap}\n  cac_elasticity: 0.5\n  addressable_customers: {market}\n"
    edits = {
        "operator/public_tap.yaml": (
            acquisition.format(churn=10),
            acquisition.format(churn=10) + keys.format(cap=1050, market=50),
        ),
        "operator/private_tap.yaml": (
            acquisition.format(churn=0),
            acquisition.format(churn=0) + keys.format(cap=450, market=8),
        ),
        "operator/general.yaml": (
            "  equity_injection_eur: 3000\n",
            "  equity_injection_eur: 3000\n  payment_fee_pct: 2.5\n"
            "  support: {customers_per_fte: 20, clients_per_fte: 3, cost_per_fte_month_eur: 500}\n",
        ),
    }
    return _note(_run(tmp_path_factory.mktemp("bounded"), edits))


def test_unset_limits_are_said_in_words(unbounded: list[str]) -> None:
    assert unbounded[0] == (
        "Public Tap budget: not capped; it grows 10.0 % a month, ×1.2 by month 3 "
        "(set acquisition.budget_cap_eur to bound it)."
    )
    assert unbounded[1].startswith("Public Tap acquisition cost: constant: every extra euro buys customers")
    assert unbounded[2] == (
        "Public Tap market: no addressable market set, so nothing limits the number of customers; the median path "
        "ends with 60 active customers; active customers grow 50.50 % a month at month 3 (median) "
        "(set acquisition.addressable_customers to bound it)."
    )  # 60.2 / 40 − 1 = 50.5 %
    assert unbounded[5].startswith("Private Tap market: no addressable market set")
    assert unbounded[-2:] == [
        "Payment fees: none (finance.payment_fee_pct not set or 0).",
        "Support staff: not modelled (finance.support not set); the fixed payroll serves every customer.",
    ]


@pytest.mark.e2e  # a run of its own on changed inputs
def test_set_limits_give_cap_month_cac_factor_market_share_and_staff(bounded: list[str]) -> None:
    assert bounded[0] == "Public Tap budget: capped at € 1,050 a month, reached in month 2 (2026-02)."
    assert bounded[1] == (
        "Public Tap acquisition cost: rises with the budget, CAC × (budget / launch budget)^0.50; "
        "at the cap one customer costs 1.02× the base CAC."
    )  # √1.05 = 1.0247
    # A = 50: budget 1000 / 1050 / 1050, CAC 50 / 51.234754 / 51.234754, saturation 1 / 0.6 / 0.394073 →
    # new 20 / 12.296341 / 8.076097, active 20 / 30.296341 / 35.342804 (70.7 % of A, +16.66 % in month 3)
    assert bounded[2] == (
        "Public Tap market: 50 addressable customers; the median path ends with 35 active (70.7 % of the market); "
        "active customers grow 16.66 % a month at month 3 (median)."
    )
    assert bounded[3] == "Private Tap budget: capped at € 450 a month, reached in month 1 (2026-01)."  # 600 > 450
    assert bounded[4].endswith("at the cap one client costs 1.00× the base CAC.")  # below the launch budget
    # A = 8, 2.25 bought a month: active 2.25 / 3.8671875 / 5.029541015625 (62.9 % of A, +30.06 %)
    assert bounded[5] == (
        "Private Tap market: 8 addressable clients; the median path ends with 5 active (62.9 % of the market); "
        "active clients grow 30.06 % a month at month 3 (median)."
    )
    assert bounded[-2] == "Payment fees: 2.50 % of credits sold and of private revenue, paid in the month [FIN-1a]."
    assert bounded[-1] == (  # 35.342804/20 + 5.029541/3 = 3.44 → 4 FTE
        "Support staff: one FTE per 20 public customers and 3 private clients at € 500 a month; "
        "month 3 needs 4.0 FTE (median path) [FIN-1a]."
    )
