"""`d3 run` end to end: the published finance artefacts [OUT-4] of the golden fixture and the shipped plan.

Unlike the other finance tests, these read what the real CLI publishes, with the real taps upstream.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from harness import second_minimal_run

from d3_engine.export.artefacts import LOAN_SCHEDULE
from d3_engine.export.finance import MONTHLY_FILES

FILES = [f"{name}.csv" for name in MONTHLY_FILES] + ["loan_schedule.csv"]


def _lines(run_dir: Path, name: str) -> list[str]:
    return (run_dir / name).read_text(encoding="utf-8").splitlines()


def test_minimal_run_publishes_the_ex8_rows(minimal_run: Path) -> None:
    """[EX-8]: the two `rep` rows given verbatim; one path, so p10 = p50 = p90 = rep; files in SHA256SUMS."""
    cashflow = _lines(minimal_run, "cashflow_by_month.csv")
    assert cashflow[-1] == (
        "rep,3,2026-03,9666.28,134.63,0.00,181.50,0.00,0.00,403.69,356.82,0.00,0.00,0.00,356.82,0.00,109.63,1047.82,"
        "1157.45,"
        "-800.63,8865.66,1206.15,105.00,697.45,0.308284,-1.519341,0.116316,0.315881"
    )
    balance = _lines(minimal_run, "balance_sheet_by_month.csv")
    assert balance[10] == (
        "rep,1,2026-01,11284.57,181.50,1100.00,12566.07,0.00,121.00,44.23,0.00,0.00,12000.00,12165.23,3000.00,"
        "-2599.16,400.84,0.00"
    )
    pnl = _lines(minimal_run, "pnl_by_month.csv")
    assert [line.split(",", 1)[1] for line in pnl[4:7]] == [line.split(",", 1)[1] for line in pnl[10:13]]
    loan = _lines(minimal_run, "loan_schedule.csv")
    assert loan[0] == ",".join(LOAN_SCHEDULE.columns()) and len(loan) == 13
    assert loan[-1] == "12,2026-12,repayment,1145.99,11.46,1145.99,1157.45,0.00"
    sums = (minimal_run / "SHA256SUMS").read_text(encoding="utf-8")
    assert all(f"  {name}\n" in sums for name in FILES)


@pytest.mark.e2e
def test_finance_artefacts_are_byte_identical_on_a_second_run(minimal_run: Path) -> None:
    """[RNG-7]: same inputs and seed, another concurrency → the same bytes (a second run of the real CLI)."""
    second = second_minimal_run()
    assert second.exit_code == 0, second.outcome.stderr
    for name in FILES:
        assert (second.run_dir / name).read_bytes() == (minimal_run / name).read_bytes(), name


def test_shipped_plan_keeps_its_books_on_every_path(shipped_run: Path) -> None:
    """ACC-A10 on all 5 000 paths × 60 months of the shipped inputs (§11.4), and the 60-month loan of [IN-7]
    (the cached full-size run has the stress tests off: they never change the base scenario)."""
    con = duckdb.connect(str(shipped_run / "run.duckdb"), read_only=True)
    got = con.execute("""
        SELECT count(*), count(DISTINCT path_id),
               count(*) FILTER (WHERE balance_check_eur <> 0
                                   OR cash_closing_eur <> cash_opening_eur + net_cash_flow_eur)
        FROM finance_month
    """).fetchall()
    assert got == [(5000 * 60, 5000, 0)]
    loan = con.execute("""
        SELECT count(*), sum(principal_eur) FROM loan_schedule JOIN representative_path USING (param_set_id)
    """).fetchall()
    assert loan == [(60, Decimal("30000"))]


def test_shipped_plan_has_the_expected_character(shipped_run: Path) -> None:
    """[DEF-7] (plausibility, not a golden value): on the representative path cash turns negative within
    the first half-year and the funding gap exceeds the €35 000 of loan and equity."""
    con = duckdb.connect(str(shipped_run / "run.duckdb"), read_only=True)
    first_negative, gap = con.execute("""
        SELECT first_negative_cash_month, funding_gap_eur
        FROM finance_path_kpis JOIN representative_path USING (path_id)
    """).fetchall()[0]
    assert first_negative <= 6
    assert gap > 35000
