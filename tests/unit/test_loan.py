"""The exact per-parameter-set schedules of the loan model: the loan [FIN-3] [EX-7] and CPI indexation [FIN-1]."""

from __future__ import annotations

import inspect
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import duckdb
import pytest

from d3_engine.models.python import loan
from d3_engine.models.python.loan import LoanTerms, annuity_payment, indexed_amount, loan_schedule, round_to

D = Decimal
TERMS_TABLES = ("loan_schedule", "fixed_cost_indexed")


def _rows(terms: LoanTerms) -> dict[int, tuple[str, Decimal, Decimal, Decimal, Decimal, Decimal]]:
    return {
        r.month: (r.phase, r.opening_balance, r.interest, r.principal, r.payment, r.closing_balance)
        for r in loan_schedule(terms)
    }


def test_ex7_annuity_with_one_grace_month() -> None:
    """[EX-7]: 12 000 at r = 0.01, grace 1, n = 11 → P = 1157.45; the rows the example prints."""
    assert annuity_payment(Fraction(12000), Fraction(1, 100), 11) == Fraction(115745, 100)
    rows = _rows(LoanTerms(D(12000), 12, D(12), "annuity", 1))
    assert len(rows) == 12
    assert rows[1] == ("grace", D("12000.00"), D("120.00"), D("0.00"), D("120.00"), D("12000.00"))
    assert rows[2] == ("repayment", D("12000.00"), D("120.00"), D("1037.45"), D("1157.45"), D("10962.55"))
    assert rows[3] == ("repayment", D("10962.55"), D("109.63"), D("1047.82"), D("1157.45"), D("9914.73"))
    assert rows[12] == ("repayment", D("1145.99"), D("11.46"), D("1145.99"), D("1157.45"), D("0.00"))


def test_annuity_at_a_non_terminating_monthly_rate() -> None:
    """9.95 %/1200 = 0.00829166…: P = round2(30000·r/(1 − (1+r)^−57)) = 662.59 (662.5906968… exactly)."""
    rows = _rows(LoanTerms(D(30000), 60, D("9.95"), "annuity", 3))
    assert [rows[s][0] for s in (1, 3, 4)] == ["grace", "grace", "repayment"]
    assert rows[1][2] == D("248.75")  # 30000 × 9.95/1200 = 248.75 exactly
    assert rows[4][2:5] == (D("248.75"), D("413.84"), D("662.59"))
    assert rows[60][3] == rows[60][1]  # the last month repays the residual
    assert sum(r[3] for r in rows.values()) == D(30000)
    assert all(r[4] == D("662.59") for s, r in rows.items() if 4 <= s < 60)


def test_linear_repays_round2_amount_over_n_and_the_residual_at_the_term() -> None:
    """Linear: round2(12000/11) = 1090.91 for s = 2..11, the term takes 12000 − 10 × 1090.91 = 1090.90."""
    rows = _rows(LoanTerms(D(12000), 12, D(12), "linear", 1))
    assert [rows[s][3] for s in range(2, 12)] == [D("1090.91")] * 10
    assert rows[12][3] == D("1090.90")
    assert rows[3][2] == D("109.09")  # round2(10909.09 × 0.01)
    assert rows[12][5] == D("0.00")


def test_bullet_pays_interest_only_until_the_term() -> None:
    """Bullet: 20 000 at 5 % → interest round2(20000/240) = 83.33 a month, all principal in month 24."""
    rows = _rows(LoanTerms(D(20000), 24, D(5), "bullet", 0))
    assert {rows[s][0] for s in range(1, 24)} == {"interest_only"}
    assert {rows[s][2:4] for s in range(1, 25)} == {(D("83.33"), D("0.00"))} | {(D("83.33"), D("20000.00"))}
    assert rows[24] == ("repayment", D("20000.00"), D("83.33"), D("20000.00"), D("20083.33"), D("0.00"))


def test_zero_rate_annuity_and_zero_amount() -> None:
    """r = 0: P = round2(B₀/n) = 333.33, the term takes 333.34; amount 0 has no schedule rows."""
    rows = _rows(LoanTerms(D(1000), 3, D(0), "annuity", 0))
    assert [rows[s][3] for s in (1, 2, 3)] == [D("333.33"), D("333.33"), D("333.34")]
    assert {rows[s][2] for s in (1, 2, 3)} == {D("0.00")}
    assert loan_schedule(LoanTerms(D(0), 12, D(12), "annuity", 1)) == []


def test_schedule_guards() -> None:
    """Arithmetic guards: an unknown type or grace ≥ term is refused."""
    with pytest.raises(ValueError, match="repayment_type"):
        loan_schedule(LoanTerms(D(1), 2, D(1), "balloon", 0))
    with pytest.raises(ValueError, match="grace"):
        loan_schedule(LoanTerms(D(1), 2, D(1), "annuity", 2))


def test_round_to_is_half_away_from_zero() -> None:
    """[GEN-4] rounding: halves go away from zero on both sides."""
    cent = Fraction(1, 100)
    assert round_to(Fraction(5, 1000), cent) == cent
    assert round_to(Fraction(-5, 1000), cent) == -cent
    assert round_to(Fraction(4999, 1000000), cent) == 0


def test_indexed_fixed_cost_is_exact_before_its_single_rounding() -> None:
    """round6(item × (1 + cpi/100)^k): 0.78 × 1.025² = 0.8194875 is a tie → 0.819488 (float pow gives
    0.819487); 2500 × 1.025⁹ = 3122.1574248691… → 3122.157425; k = 0 is the item itself."""
    assert indexed_amount(D("0.78"), D("2.5"), 2) == D("0.819488")
    assert indexed_amount(D(2500), D("2.5"), 9) == D("3122.157425")
    assert indexed_amount(D("75.25"), D("2.5"), 0) == D("75.250000")


def _params_db(con: duckdb.DuckDBPyConnection | None = None) -> duckdb.DuckDBPyConnection:
    """Three parameter sets, two with the same loan terms; plan starts 2025-11; H = 25 (in `con`, else in memory)."""
    con = con or duckdb.connect()
    con.execute("""CREATE TABLE params_general AS SELECT * FROM (VALUES
        (0, 0, 0, 2025, 11, 12000.0, 12, 12.0, 'annuity', 1, 2.5),
        (1, 0, 1, 2025, 11, 12000.0, 12, 12.0, 'annuity', 1, 2.5),
        (2, 0, 2, 2025, 11, 5000.0, 3, 9.95, 'linear', 0, 0.0))
        AS t(param_set_id, grid_index, replicate_index, start_year, start_month, loan_amount_eur, term_months,
             interest_rate_pct, repayment_type, grace_period_months, cpi_annual_pct)""")
    con.execute("""CREATE TABLE params_fixed_costs AS SELECT * FROM (VALUES
        (0, 'rent', 500.0), (1, 'rent', 500.0), (2, 'rent', 0.78)) AS t(param_set_id, item, amount_eur)""")
    con.execute("CREATE TABLE run_settings AS SELECT 25 AS horizon_months")
    return con


def test_loan_model_builds_one_schedule_per_parameter_set() -> None:
    """Table loan_schedule: full terms per set, computed once per distinct terms, periods cross the year."""
    con = _params_db()
    assert loan.build_loan_schedule(con) == 12 + 12 + 3
    rows = con.execute("""SELECT param_set_id, month, period, phase, principal_eur FROM loan_schedule
                          WHERE month IN (2, 3) ORDER BY ALL""").fetchall()
    assert rows == [
        (0, 2, "2025-12", "repayment", D("1037.45")),
        (0, 3, "2026-01", "repayment", D("1047.82")),
        (1, 2, "2025-12", "repayment", D("1037.45")),
        (1, 3, "2026-01", "repayment", D("1047.82")),
        (2, 2, "2025-12", "repayment", D("1666.67")),
        (2, 3, "2026-01", "repayment", D("1666.66")),
    ]
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '_d3_terms%'").fetchall() == [(0,)]


def test_cpi_model_indexes_every_plan_year_of_the_horizon() -> None:
    """Table fixed_cost_indexed: plan years k = 0..⌊(25−1)/12⌋ = 0..2 for every set and item."""
    con = _params_db()
    assert loan.build_fixed_cost_indexed(con) == 3 * 3
    got = con.execute("SELECT param_set_id, plan_year, amount_eur FROM fixed_cost_indexed ORDER BY ALL").fetchall()
    assert got[:3] == [(0, 0, D("500")), (0, 1, D("512.5")), (0, 2, D("525.3125"))]
    assert got[6:] == [(2, 0, D("0.78")), (2, 1, D("0.78")), (2, 2, D("0.78"))]


def test_both_models_built_at_once_on_two_connections_give_the_same_tables(tmp_path: Path) -> None:
    """The per-set models run up to two at once (pipeline/batches.run_concurrently): loan_schedule and
    fixed_cost_indexed both build from terms, each with helper tables of its own, so neither drops the other's."""
    con = _params_db(duckdb.connect(str(tmp_path / "run.duckdb")))
    reference = _params_db()
    loan.build_loan_schedule(reference)
    loan.build_fixed_cost_indexed(reference)
    expected = {t: reference.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TERMS_TABLES}
    for _ in range(20):
        with ThreadPoolExecutor(max_workers=2) as pool:
            cursors = [con.cursor(), con.cursor()]
            done = [
                pool.submit(loan.build_loan_schedule, cursors[0]),
                pool.submit(loan.build_fixed_cost_indexed, cursors[1]),
            ]
            assert [d.result() for d in done] == [27, 9]
        assert {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TERMS_TABLES} == expected
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '_d3_terms%'").fetchall() == [(0,)]


def test_engine_model_declarations() -> None:
    """Both are engine models of layer 50_finance, fingerprinted by the module source ([OUT-7])."""
    source = inspect.getsource(loan)
    loan_model, cpi_model = loan.model(), loan.cpi_model()
    assert (loan_model.name, loan_model.version, loan_model.layer, loan_model.deps) == (
        "loan_schedule",
        1,
        "50_finance",
        ["params_general"],
    )
    assert (cpi_model.name, cpi_model.layer) == ("fixed_cost_indexed", "50_finance")
    assert loan_model.fingerprint_source == cpi_model.fingerprint_source == source
    assert loan_model.python is loan.build_loan_schedule
