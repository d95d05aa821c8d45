"""The funding recurrence [FIN-7a], funded capex [FIN-2a] and the breach statistics [FIN-14] on small plans.

The plans are the [EX-8] database of test_finance_fixture with a few changes, each hand-checked (numbers in
specs/finance.md, "Worked example with a dip"):

- *dip*: no loan, equity 3 000, month-3 public revenue +2 000 (credits sold with it). Cash goes below zero in
  month 1 (−595.434), the funding line costs round2(595.434 × 1 %) = 5.95 in month 2 and
  round2(1 062.218 × 1 %) = 10.62 in month 3, and cash recovers to 1 703.9855 in month 3.
- *limit*: the same with `funding_line.limit_eur` 1 000: month 2's overdraft 1 062.218 is over it.
- break-even in month 1 (every month +3 000 of revenue) and never (month 3 −300).

Golden file: tests/golden/dip_001/finance_month.csv holds the dip plan's lines ([OUT-3] formats).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from test_finance_fixture import (
    PRIVATE_COLUMNS,
    PUBLIC_COLUMNS,
    copy_run_db,
    ex5_public_rows,
    ex6_private_rows,
    finance_models,
    model_vars,
    rows_as_dicts,
    write_rows,
)

from d3_engine.core.formats import write_csv
from d3_engine.models import graph, render, runner

D = Decimal
GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "dip_001" / "finance_month.csv"
GOLDEN_COLUMNS = [
    "month",
    "ebitda_eur",
    "overdraft_interest_eur",
    "interest_eur",
    "ebt_eur",
    "tax_eur",
    "cfads_eur",
    "net_cash_flow_eur",
    "cash_closing_eur",
    "cash_eur",
    "overdraft_eur",
    "total_assets_eur",
    "total_liabilities_eur",
    "total_equity_eur",
    "balance_check_eur",
]
RISK_MODELS = ("risk_path_month", "risk_path", "risk_by_month")


def _public_rows(extra: Sequence[str], paths: int = 1) -> list[dict[str, Any]]:
    """[EX-5] months with `extra[t−1]` EUR more usage revenue (= credits sold) on every path."""
    rows = []
    for path_id in range(paths):
        for row in ex5_public_rows(path_id):
            add = D(extra[path_id * 3 + row["month"] - 1] if len(extra) > 3 else extra[row["month"] - 1])
            for key in ("usage_revenue_eur", "credits_sold_eur", "revenue_public_eur"):
                row[key] += add
            rows.append(row)
    return rows


def build(
    run_dir: Path,
    target: Path,
    extra: Sequence[str] = ("0", "0", "2000"),
    loan: str = "0",
    equity: str = "3000",
    limit: str | None = None,
    paths: int = 1,
    start_month: int | None = None,
) -> duckdb.DuckDBPyConnection:
    """The [EX-8] database changed as the module docstring says, finance and risk models built."""
    con = copy_run_db(run_dir, target)
    con.execute(
        f"UPDATE params_general SET loan_amount_eur = {loan}, equity_injection_eur = {equity}, "
        f"funding_line_limit_eur = {'NULL' if limit is None else limit}"
    )
    if start_month is not None:
        con.execute(f"UPDATE params_general SET start_month = {start_month}")
    write_rows(con, "public_month", PUBLIC_COLUMNS, _public_rows(extra, paths))
    private = [dict(r, path_id=p) for p in range(paths) for r in ex6_private_rows()]
    write_rows(con, "private_month", PRIVATE_COLUMNS, private)
    variables = model_vars(mc=paths)
    runner.run_models(con, finance_models(), variables)
    found = graph.discover_models()
    risk = [found[name] for name in RISK_MODELS]
    for model in risk:
        model.deps = []
    runner.run_models(con, risk, variables)
    return con


@pytest.fixture(scope="module")
def dip(minimal_run: Path, tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    return build(minimal_run, tmp_path_factory.mktemp("dip") / "run.duckdb")


def month_rows(con: duckdb.DuckDBPyConnection, path_id: int = 0) -> list[dict[str, Any]]:
    return rows_as_dicts(con, f"SELECT * FROM finance_month WHERE path_id = {path_id} ORDER BY month")


def test_dip_hand_checked(dip: duckdb.DuckDBPyConnection) -> None:
    """[FIN-7a]: interest on the previous month's overdraft, the overdraft a liability, cash an asset ≥ 0."""
    rows = month_rows(dip)
    got = [
        (r["overdraft_interest_eur"], r["interest_eur"], r["ebt_eur"], r["cash_closing_eur"], r["cash_eur"],
         r["overdraft_eur"]) for r in rows
    ]  # fmt: skip
    assert got == [
        (D("0"), D("0"), D("-2479.16"), D("-595.434"), D("0"), D("595.434")),
        (D("5.95"), D("5.95"), D("-1038.51"), D("-1062.218"), D("0"), D("1062.218")),
        (D("10.62"), D("10.62"), D("2024.01"), D("1703.9855"), D("1703.9855"), D("0")),
    ]
    assert [r["balance_check_eur"] for r in rows] == [0, 0, 0]
    assert rows[0]["total_liabilities_eur"] == D("760.660")  # 595.434 + 121 + 44.226
    assert rows[2]["retained_earnings_eur"] == D("-1493.66")
    assert [r["debt_service_eur"] for r in rows] == [D("0"), D("5.95"), D("10.62")]  # [FIN-9a]


def test_dip_matches_its_golden_file(dip: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    rows = dip.execute(f"SELECT {', '.join(GOLDEN_COLUMNS)} FROM finance_month ORDER BY month").fetchall()
    written = tmp_path / "finance_month.csv"
    write_csv(written, GOLDEN_COLUMNS, rows)
    assert written.read_text(encoding="utf-8") == GOLDEN.read_text(encoding="utf-8")


def test_dip_breaches_months_1_and_2_and_breaks_even_in_month_3(dip: duckdb.DuckDBPyConnection) -> None:
    """[FIN-14] without a limit the line only measures the gap: cash < 0 is a breach; never over a limit."""
    flags = dip.execute("SELECT cash_breach, over_limit, dscr_breach FROM risk_path_month ORDER BY month").fetchall()
    assert flags == [(True, False, False), (True, False, False), (False, False, False)]
    risk = rows_as_dicts(dip, "SELECT * FROM risk_path")[0]
    assert (risk["first_breach_month"], risk["breach_any"], risk["break_even_month"]) == (1, True, 3)
    assert risk["funding_gap_eur"] == D("1062.218")


def test_a_limit_that_is_exceeded(minimal_run: Path, tmp_path: Path) -> None:
    """Limit 1 000: headroom = cash + 1 000 is 404.566 ≥ 0 in month 1 and −62.218 < 0 in month 2 (over the limit);
    the limit never caps the overdraft, so the cash lines are those of the dip plan."""
    con = build(minimal_run, tmp_path / "run.duckdb", limit="1000")
    rows = rows_as_dicts(con, "SELECT * FROM risk_path_month ORDER BY month")
    assert [(r["headroom_eur"], r["cash_breach"], r["over_limit"]) for r in rows] == [
        (D("404.566"), False, False),
        (D("-62.218"), True, True),
        (D("2703.9855"), False, False),
    ]
    assert [r["cash_closing_eur"] for r in month_rows(con)] == [D("-595.434"), D("-1062.218"), D("1703.9855")]
    by_month = con.execute("SELECT paths_over_limit, paths_breached_by FROM risk_by_month ORDER BY month").fetchall()
    assert by_month == [(0, 0), (1, 1), (0, 1)]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [(("3000", "3000", "3000"), 1), (("0", "0", "-300"), None), (("0", "0", "0"), 3)],
    ids=["month-1", "never", "ex8-month-3"],
)
def test_break_even_month(minimal_run: Path, tmp_path: Path, extra: tuple[str, str, str], expected: int | None) -> None:
    """First t with EBITDA ≥ 0 in every month t..H; null when month H is still negative ([FIN-14])."""
    con = build(minimal_run, tmp_path / "run.duckdb", extra=extra, loan="12000")
    ebitda = [r["ebitda_eur"] for r in month_rows(con)]
    assert con.execute("SELECT break_even_month FROM risk_path").fetchall() == [(expected,)], ebitda


def test_probabilities_are_counts_over_the_per_path_table(minimal_run: Path, tmp_path: Path) -> None:
    """Four paths (dip and recovery, a deeper dip, two that never go negative): every share is k/N of the counts."""
    extra = ["0", "0", "2000", "-500", "0", "0", "20000", "0", "0", "8000", "0", "-3000"]
    con = build(minimal_run, tmp_path / "run.duckdb", extra=extra, equity="3000", paths=4)
    counted = con.execute(
        """SELECT m.month, count(*), count(*) FILTER (WHERE cash_breach), count(*) FILTER (WHERE dscr_breach),
                  count(*) FILTER (WHERE over_limit), count(*) FILTER (WHERE r.first_breach_month <= m.month)
           FROM risk_path_month AS m JOIN risk_path AS r USING (path_id) GROUP BY m.month ORDER BY m.month"""
    ).fetchall()
    published = con.execute(
        """SELECT month, paths, paths_cash_breach, paths_dscr_breach, paths_over_limit, paths_breached_by,
                  p_cash_breach, p_breached_by FROM risk_by_month ORDER BY month"""
    ).fetchall()
    assert [p[:6] for p in published] == counted
    for row in published:
        n = row[1]
        assert row[6] == (D(row[2]) / n).quantize(D("0.0001")) and row[7] == (D(row[5]) / n).quantize(D("0.0001"))
    assert len({r[2] for r in counted}) > 1  # the paths differ: the counts are not all 0 or all N
    for r in month_rows(con, 2):
        assert r["overdraft_interest_eur"] == 0 and r["balance_check_eur"] == 0


def test_funded_capex_stays_outside_cfads(minimal_run: Path, tmp_path: Path) -> None:
    """[FIN-2a]: the server bought with the loan leaves CFADS (month 1 CFADS rises by 1 200) but not the cash,
    whose month-1 flow still pays for it (capex_financed)."""
    plain = month_rows(build(minimal_run, tmp_path / "a.duckdb", loan="12000", equity="3000"))
    con = copy_run_db(minimal_run, tmp_path / "b.duckdb")
    con.execute("UPDATE input_assets SET funded_by = 'loan'")
    con.close()
    funded_con = _build_in_place(tmp_path / "b.duckdb", loan="12000")
    funded = month_rows(funded_con)
    assert funded[0]["capex_financed_eur"] == D("1200") and funded[0]["capex_operating_eur"] == 0
    assert funded[0]["cfads_eur"] - plain[0]["cfads_eur"] == D("1200")
    assert [r["cash_closing_eur"] for r in funded] == [r["cash_closing_eur"] for r in plain]
    assert funded[0]["dscr"] > plain[0]["dscr"]


def _build_in_place(db: Path, loan: str) -> duckdb.DuckDBPyConnection:
    """`build` on an already copied database whose input tables the caller changed."""
    con = duckdb.connect(str(db))
    con.execute(f"UPDATE params_general SET loan_amount_eur = {loan}, equity_injection_eur = 3000")
    write_rows(con, "public_month", PUBLIC_COLUMNS, _public_rows(("0", "0", "2000")))
    write_rows(con, "private_month", PRIVATE_COLUMNS, ex6_private_rows())
    runner.run_models(con, finance_models(), model_vars())
    return con


def test_never_negative_cash_gives_the_closed_form_of_v1_1(minimal_run: Path, tmp_path: Path) -> None:
    """With cash ≥ 0 on every path and month the recurrence is the v1.1 closed form: tax per the YTD and loss-pool
    windows of the old finance_tax model (kept in tests/sql/reference), cash = opening + Σ flows.

    The plan crosses a fiscal year (start in December) and earns taxable profit in year 2 after a loss in
    year 1, with a tax lag of 1, so the loss pool, the YTD reset and the payment lag are all exercised."""
    con = build(minimal_run, tmp_path / "run.duckdb", extra=("0", "30000", "30000"), loan="12000", start_month=12)
    con.execute("UPDATE finance_params SET tax_payment_lag_months = 1")
    runner.run_models(con, [m for m in finance_models() if m.name in ("finance_cash", "finance_month")], model_vars())
    assert (
        con.execute("SELECT max(overdraft_interest_eur), min(cash_closing_eur) FROM finance_month").fetchall()[0][0]
        == 0
    )
    reference = (Path(__file__).parent / "reference" / "finance_tax_v1_closed_form.sql").read_text(encoding="utf-8")
    con.execute(
        "CREATE OR REPLACE VIEW finance_pnl_v11 AS SELECT *, CAST(ebit_eur - loan_interest_eur AS DECIMAL(18,6)) "
        "AS ebt_eur FROM finance_pnl"
    )
    closed = con.execute(render.render_text(reference, {}, "reference")).fetchall()
    recurrence = con.execute(
        """SELECT path_id, month, o.fiscal_year, ebt_ytd_eur, loss_pool_start_eur, taxable_income_eur, tax_ytd_eur,
                  tax_eur, tax_paid_eur, tax_payable_eur, loss_carryforward_eur
           FROM finance_cash JOIN finance_operating_cash AS o USING (path_id, month) ORDER BY path_id, month"""
    ).fetchall()
    assert recurrence == closed
    assert any(r[7] > 0 for r in recurrence) and any(r[4] > 0 for r in recurrence)  # tax and a pool both occur
    flows = con.execute(
        """SELECT month, cash_closing_eur, 12000 + 3000 + sum(net_cash_flow_eur) OVER (ORDER BY month),
                  cfads_eur - capex_financed_eur - interest_eur - principal_repaid_eur, net_cash_flow_eur
           FROM finance_month ORDER BY month"""
    ).fetchall()
    for _, closing, rolled, parts, flow in flows:
        assert closing == rolled and parts == flow


def test_python_model_honours_its_header(dip: duckdb.DuckDBPyConnection) -> None:
    """The recurrence carries the same header contract as a SQL model: columns and types as built, unique grain."""
    from d3_engine.models.python import finance_cash

    described = [(r[0], r[1]) for r in dip.execute("DESCRIBE finance_cash").fetchall()]
    assert described == [(c.name, c.type) for c in finance_cash.HEADER.columns]
    dupes = dip.execute(
        "SELECT count(*) FROM (SELECT path_id, month FROM finance_cash GROUP BY ALL HAVING count(*) > 1)"
    )
    assert dupes.fetchall() == [(0,)]
