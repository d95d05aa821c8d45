"""The report's finance, lender, VAT, acceptance, KPI and sensitivity parts on the worked example [OUT-10].

The golden run gets the [EX-7] loan, the [EX-8] months and KPIs and the [EX-10] check results
(test_report_fixture); the report must show exactly those figures, draw the cash, loan, DSCR and
tornado charts, and name what breaks first.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from test_report_fixture import add_sensitivity_rows, finance_copy
from test_report_golden import section

from d3_engine.report.context import load_run_info
from d3_engine.report.render import render_report
from d3_engine.report.summary import what_breaks_first
from d3_engine.report.tables import Db


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = finance_copy(tmp_path_factory.mktemp("report-finance") / "run")
    con = duckdb.connect(str(folder / "run.duckdb"))
    try:
        add_sensitivity_rows(con)
    finally:
        con.close()
    render_report(folder)
    return folder


@pytest.fixture(scope="module")
def md(run_dir: Path) -> str:
    return (run_dir / "report.md").read_text(encoding="utf-8")


def csv_lines(run_dir: Path, name: str) -> list[str]:
    return (run_dir / "report_tables" / f"{name}.csv").read_text(encoding="utf-8").splitlines()


def test_pnl_cash_flow_and_balance_sheet_of_ex8(md: str, run_dir: Path) -> None:
    text = section(md, "P&L, cash flow and balance sheet")
    assert (
        "| 1 | 2026-01 | € 1,175.00 | € 735.60 | € 1,910.60 | € 1,905.76 | € 264.00 | -€ 259.16 | € 0.00 | € 0.00 "
        "| € 2,120.00 | -€ 2,379.16 | € 100.00 | € 120.00 | € 0.00 | -€ 2,599.16 |" in text  # fees, support [FIN-1a]
    )
    assert (
        "| 3 | 2026-03 | € 9,666.28 | € 134.63 | € 0.00 | € 181.50 | € 0.00 | € 0.00 | € 403.69 | € 356.82 | € 0.00 "
        "| € 0.00 | € 356.82 | € 0.00 | € 1,157.45 | -€ 800.63 | € 8,865.66 |" in text
    )
    assert (
        "| 1 | 2026-01 | € 11,284.57 | € 181.50 | € 1,100.00 | € 12,566.07 | € 0.00 | € 121.00 | € 44.23 | € 0.00 "
        "| € 0.00 "
        "| € 12,000.00 | € 12,165.23 | € 400.84 | € 0.00 |" in text
    )
    # one path: every percentile equals the representative path [EX-1]; CSV keeps [OUT-3] (8865.6555 → 8865.66)
    assert csv_lines(run_dir, "cash_bands")[3] == "3,2026-03,8865.66,8865.66,8865.66,8865.66"
    assert csv_lines(run_dir, "pnl_rep")[1].endswith(",-2379.16,100.00,120.00,0.00,-2599.16")


def test_loan_schedule_and_lender_ratios(md: str, run_dir: Path) -> None:
    """[EX-7] full term; [EX-8] DSCR −29.961950 / −0.398146 / 0.308284, LTM −1.519341 in month 3."""
    text = section(md, "Loan schedule and lender ratios")
    assert "Loan of € 12,000.00 at 12.00 % a year over 12 months (annuity, 1 month of grace" in text
    assert "| 2 | 2026-02 | repayment | € 12,000.00 | € 120.00 | € 1,037.45 | € 1,157.45 | € 10,962.55 |" in text
    assert "| 12 | 2026-12 | repayment | € 1,145.99 | € 11.46 | € 1,145.99 | € 1,157.45 | € 0.00 |" in text
    lines = csv_lines(run_dir, "loan_schedule")
    assert len(lines) == 13 and lines[2] == "2,2026-02,repayment,12000.00,120.00,1037.45,1157.45,10962.55"
    # [FIN-9a]: a negative ratio is "n.m." with its shortfall in euros; LTM DSCR "since start" before month 12.
    # Month 3: LTM window = months 1–3, Σ debt service 2434.90 − Σ CFADS (−3699.4445) = 6134.34 short.
    assert "| 3 | 2026-03 | € 356.82 | € 1,157.45 | 0.31 | n.m. (short € 6,134.34) (since start) | 0.32 |" in text
    # Month 1: DSCR short 120 − (−3595.434) = 3715.43; ICR short 120 − (−2479.16) = 2599.16.
    assert csv_lines(run_dir, "ratios_rep")[1] == (
        '1,2026-01,-3595.43,120.00,"n.m. (short € 3,715.43)","n.m. (short € 3,715.43) (since start)",'
        '"n.m. (short € 2,599.16)"'
    )


def test_vat_by_month(md: str) -> None:
    """[EX-8] month 3: output 1206.1455, input 105, remitted 697.452, payable 1101.1455."""
    text = section(md, "VAT")
    assert "| 3 | 2026-03 | € 1,206.15 | € 105.00 | € 697.45 | € 1,101.15 |" in text
    assert "Returns are filed per calendar month and paid 1 month after the period ends." in text


def test_summary_key_figures_and_what_breaks_first(md: str, run_dir: Path) -> None:
    """[EX-8] horizon: net income −3826.72, cash_min 8865.66, no funding gap; [EX-10]: only ACC-A6 fails."""
    text = section(md, "Executive summary")
    assert "Net income over the horizon is -€ 3,826.72; cash bottoms out at € 8,865.66" in text
    assert "keep cash at or above zero is € 0.00." in text
    assert "| gross_margin_pct | percent | 30.44 % | 30.44 % | 30.44 % | 30.44 % |" in text
    assert "| reserve_cover_months_end | months | 1.5806 | 1.5806 | 1.5806 | 1.5806 |" in text
    assert "- Check ACC-A6 fails (warning): violations=1; first: model=Large 30B" in text
    kpis = csv_lines(run_dir, "key_figures")
    assert kpis[0] == "metric,unit,p10,p50,p90,rep"
    assert "revenue_total,EUR,11475.35,11475.35,11475.35,11475.35" in kpis  # unit decides precision [OUT-3]
    assert "gross_margin_pct,percent,30.4384,30.4384,30.4384,30.4384" in kpis
    assert "dscr_min,ratio,-29.961950,-29.961950,-29.961950,-29.961950" in kpis


def test_acceptance_section(md: str) -> None:
    text = section(md, "Acceptance checks")
    assert "10 passed, 1 failed, 1 skipped." in text
    assert "| ACC-A2 | rule of ACC-A2 | warning | skipped |  | – | – | – | skipped: target null |" in text
    assert text.index("| ACC-A9 ") < text.index("| ACC-A10 ")  # numeric order [GEN-6]


def test_sensitivity_table_and_tornado_order(md: str, run_dir: Path) -> None:
    """[FIN-13]: rows in scope, variable order; the tornado puts the widest swing (churn, 600) first."""
    text = section(md, "Sensitivity")
    assert (
        "| churn_pct_mom_public | public_tap | net_income_eur | EUR | 1,250 | 0.50 | -€ 4,100.00 | -€ 3,500.00 " in text
    )
    assert text.index("churn_pct_mom_public") < text.index("tokens_per_conv_mean")
    assert "![Tornado: net income sensitivity](charts/tornado.png)" in text
    assert csv_lines(run_dir, "sensitivity")[1].endswith(",-4100.00,-3500.00,600.00")


def test_all_eight_charts_are_drawn(run_dir: Path) -> None:
    """[OUT-10] chart list, each 1200×700."""
    names = sorted(p.stem for p in (run_dir / "charts").iterdir())
    assert names == sorted(
        ["revenue_by_month", "cash_by_month", "public_price_vs_cost", "private_gpu_economics", "instances_by_model",
         "loan_balance", "dscr_by_month", "tornado"]
    )  # fmt: skip
    for path in (run_dir / "charts").iterdir():
        head = path.read_bytes()[:24]
        assert int.from_bytes(head[16:20], "big") == 1200 and int.from_bytes(head[20:24], "big") == 700


def test_dated_limits_are_named_in_month_order(tmp_path: Path) -> None:
    """Negative cash in month 2 and a covenant breach in month 3 are listed by month after day-one issues."""
    folder = finance_copy(tmp_path / "run")
    con = duckdb.connect(str(folder / "run.duckdb"))
    try:
        con.execute("UPDATE finance_month SET cash_closing_eur = -150.25 WHERE month = 2")
        con.execute("UPDATE run_settings SET min_monthly_dscr = 1.2, dscr_test_from_month = 3")
        items = what_breaks_first(load_run_info(Db(con)))
    finally:
        con.close()
    assert items == [
        "Month 2 (2026-02): cash turns negative (-€ 150.25).",
        "Month 3 (2026-03): LTM DSCR -1.52 is below the covenant 1.20.",
        "Check ACC-A6 fails (warning): violations=1; first: model=Large 30B",
    ]
