"""The worked example [EX-7]/[EX-8] line by line through the finance models, and their table contracts.

Taps are the [EX-5]/[EX-6] months written by test_finance_fixture; parameters are those of the golden
fixture minimal_001 (rent 500, insurance 20, equity 3000, loan 12 000 at 12 % with 1 grace month, one
server 1200 over 12 months, VAT 21 % monthly with lag 1, AR 15 days on fees, AP 6 days on rent).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb
import pytest
from test_finance_fixture import ex8_con_fixture, finance_models, rows_as_dicts  # noqa: F401

from d3_engine.export import finance as export_finance
from d3_engine.export.context import RunContext

D = Decimal

# [EX-8], months 1..3 (EUR; ratios to 6 decimals as exported).
EX8: dict[str, tuple[str, str, str]] = {
    "revenue_public_eur": ("1175.00", "2350.00", "3536.75"),
    "revenue_private_eur": ("735.60", "1471.20", "2206.80"),
    "revenue_total_eur": ("1910.60", "3821.20", "5743.55"),
    "cogs_public_eur": ("1905.76", "2005.76", "2486.92"),
    "cogs_private_eur": ("264.00", "528.00", "792.00"),
    "gross_profit_eur": ("-259.16", "1287.44", "2464.63"),
    "acquisition_public_eur": ("1000", "1100", "1210"),
    "acquisition_private_eur": ("600", "600", "600"),
    "fixed_opex_eur": ("500", "500", "500"),
    "insurance_eur": ("20", "20", "20"),
    "opex_total_eur": ("2120.00", "2220.00", "2330.00"),
    "ebitda_eur": ("-2379.16", "-932.56", "134.63"),
    "ebit_eur": ("-2479.16", "-1032.56", "34.63"),
    "interest_eur": ("120.00", "120.00", "109.63"),
    "ebt_eur": ("-2599.16", "-1152.56", "-75.00"),
    "tax_eur": ("0", "0", "0"),
    "net_income_eur": ("-2599.16", "-1152.56", "-75.00"),
    "ebt_ytd_eur": ("-2599.16", "-3751.72", "-3826.72"),
    "loss_carryforward_eur": ("2599.16", "3751.72", "3826.72"),
    "receivables_eur": ("181.50", "363.00", "544.50"),
    "delta_receivables_eur": ("181.50", "181.50", "181.50"),
    "payables_eur": ("121.00", "121.00", "121.00"),
    "delta_payables_eur": ("121.00", "0", "0"),
    "output_vat_eur": ("401.226", "802.452", "1206.1455"),
    "input_vat_eur": ("357.00", "105.00", "105.00"),
    "vat_remitted_eur": ("0", "44.226", "697.452"),
    "vat_payable_eur": ("44.226", "697.452", "1101.1455"),
    "delta_vat_payable_eur": ("44.226", "653.226", "403.6935"),
    "tax_paid_eur": ("0", "0", "0"),
    "tax_payable_eur": ("0", "0", "0"),
    "cash_from_operations_eur": ("-2395.434", "-460.834", "356.8235"),
    "capex_eur": ("1200", "0", "0"),
    "cfads_eur": ("-3595.434", "-460.834", "356.8235"),
    "principal_repaid_eur": ("0", "1037.45", "1047.82"),
    "debt_service_eur": ("120.00", "1157.45", "1157.45"),
    "net_cash_flow_eur": ("-3715.434", "-1618.284", "-800.6265"),
    "cash_opening_eur": ("15000.00", "11284.566", "9666.282"),
    "cash_closing_eur": ("11284.566", "9666.282", "8865.6555"),
    "fixed_assets_net_eur": ("1100", "1000", "900"),
    "total_assets_eur": ("12566.066", "11029.282", "10310.1555"),
    "total_liabilities_eur": ("12165.226", "11781.002", "11136.8755"),
    "deferred_revenue_eur": ("0", "0", "0"),
    "loan_balance_eur": ("12000.00", "10962.55", "9914.73"),
    "paid_in_capital_eur": ("3000", "3000", "3000"),
    "total_equity_eur": ("400.84", "-751.72", "-826.72"),
    "balance_check_eur": ("0", "0", "0"),
    "dscr": ("-29.961950", "-0.398146", "0.308284"),
    "dscr_ltm": ("-29.961950", "-3.175285", "-1.519341"),
    "dscr_ebitda": ("-19.826333", "-0.805702", "0.116316"),
    "icr": ("-20.659667", "-8.604667", "0.315881"),
}


def _months(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return rows_as_dicts(con, "SELECT * FROM finance_month WHERE path_id = 0 ORDER BY month")


@pytest.mark.parametrize("column", sorted(EX8))
def test_ex8_line(ex8_con: duckdb.DuckDBPyConnection, column: str) -> None:
    """Every [EX-8] line for t = 1..3, exact in DECIMAL (no tolerance)."""
    got = [row[column] for row in _months(ex8_con)]
    assert got == [D(v) for v in EX8[column]]


def test_ex8_periods_and_fiscal_year(ex8_con: duckdb.DuckDBPyConnection) -> None:
    """Plan month t is start + (t − 1); all three months are in fiscal year 2026 [GEN-2] [FIN-4]."""
    got = [(r["month"], r["period"], r["fiscal_year"]) for r in _months(ex8_con)]
    assert got == [(1, "2026-01", 2026), (2, "2026-02", 2026), (3, "2026-03", 2026)]


def test_ex8_overhead_split_by_revenue(ex8_con: duckdb.DuckDBPyConnection) -> None:
    """[FIN-10]: month 1 share 1175/1910.6 → 319.794829 public, 200.205171 private of 520."""
    row = rows_as_dicts(ex8_con, "SELECT * FROM segment_month WHERE path_id = 0 AND month = 1")[0]
    assert (row["overhead_eur"], row["overhead_public_eur"], row["overhead_private_eur"]) == (
        D("520"),
        D("319.794829"),
        D("200.205171"),
    )
    assert row["driver"] == "revenue"


def test_ex8_horizon_kpis(ex8_con: duckdb.DuckDBPyConnection) -> None:
    """[EX-8] horizon KPIs of the one path (before export rounding)."""
    kpis = rows_as_dicts(ex8_con, "SELECT * FROM finance_path_kpis")[0]
    expected = {
        "revenue_total_eur": "11475.35",
        "cogs_total_eur": "7982.44",
        "ebitda_eur": "-3177.09",
        "net_income_h_eur": "-3826.72",
        "cash_min_eur": "8865.6555",
        "cash_end_eur": "8865.6555",
        "funding_gap_eur": "0",
        "dscr_min": "-29.961950",
        "icr_min": "-20.659667",
        "dscr_ltm_end": "-1.519341",
        "overhead_public_eur": "959.794061",
        "overhead_private_eur": "600.205939",
        "contribution_public_eur": "-3606.484061",
        "contribution_private_eur": "429.394061",
        "last_month_costs_eur": "5608.92",  # reserve cover 8865.6555 / 5608.92 = 1.580635 [OUT-5]
    }
    assert {k: kpis[k] for k in expected} == {k: D(v) for k, v in expected.items()}
    assert kpis["dscr_ltm_test_min"] is None  # H = 3 < dscr_test_from_month 12
    assert kpis["first_negative_cash_month"] is None


def test_ex7_loan_schedule_table(ex8_con: duckdb.DuckDBPyConnection) -> None:
    """[EX-7] rows s = 1, 2, 3, 12 of the loan_schedule table; 12 months whatever the horizon."""
    rows = rows_as_dicts(ex8_con, "SELECT * FROM loan_schedule ORDER BY month")
    assert len(rows) == 12
    picked = {
        r["month"]: (
            r["phase"],
            r["opening_balance_eur"],
            r["interest_eur"],
            r["principal_eur"],
            r["payment_eur"],
            r["closing_balance_eur"],
        )
        for r in rows
        if r["month"] in (1, 2, 3, 12)
    }
    assert picked == {
        1: ("grace", D("12000"), D("120"), D("0"), D("120"), D("12000")),
        2: ("repayment", D("12000"), D("120"), D("1037.45"), D("1157.45"), D("10962.55")),
        3: ("repayment", D("10962.55"), D("109.63"), D("1047.82"), D("1157.45"), D("9914.73")),
        12: ("repayment", D("1145.99"), D("11.46"), D("1145.99"), D("1157.45"), D("0")),
    }
    assert rows[11]["period"] == "2026-12"


def test_ex8_exported_rep_rows_verbatim(ex8_con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """The two `rep` rows [EX-8] gives verbatim, and the loan schedule file of [EX-7]."""
    ctx = RunContext(ex8_con, tmp_path, SimpleNamespace(simulation={"stochastic": {"percentiles": [10, 50, 90]}}))
    export_finance.export(ctx)
    cashflow = (tmp_path / "cashflow_by_month.csv").read_text(encoding="utf-8").splitlines()
    balance = (tmp_path / "balance_sheet_by_month.csv").read_text(encoding="utf-8").splitlines()
    assert (
        "rep,3,2026-03,9666.28,134.63,0.00,181.50,0.00,0.00,403.69,356.82,0.00,0.00,0.00,356.82,0.00,109.63,1047.82,"
        "1157.45,-800.63,8865.66,1206.15,105.00,697.45,0.308284,-1.519341,0.116316,0.315881"
    ) in cashflow
    assert (
        "rep,1,2026-01,11284.57,181.50,1100.00,12566.07,0.00,121.00,44.23,0.00,0.00,12000.00,12165.23,3000.00,"
        "-2599.16,400.84,0.00"
    ) in balance
    loan_lines = (tmp_path / "loan_schedule.csv").read_text(encoding="utf-8").splitlines()
    assert loan_lines[2] == "2,2026-02,repayment,12000.00,120.00,1037.45,1157.45,10962.55"
    assert len(loan_lines) == 13
    pnl = (tmp_path / "pnl_by_month.csv").read_text(encoding="utf-8").splitlines()
    assert [line.split(",")[0] for line in pnl[1:]] == ["p10"] * 3 + ["p50"] * 3 + ["p90"] * 3 + ["rep"] * 3
    assert pnl[-1].endswith(",-75.00,0.00,-75.00,3826.72")


PYTHON_MODEL_COLUMNS = {
    "loan_schedule": [
        ("param_set_id", "BIGINT"),
        ("grid_index", "BIGINT"),
        ("replicate_index", "BIGINT"),
        ("month", "BIGINT"),
        ("period", "VARCHAR"),
        ("phase", "VARCHAR"),
        ("opening_balance_eur", "DECIMAL(18,6)"),
        ("interest_eur", "DECIMAL(18,6)"),
        ("principal_eur", "DECIMAL(18,6)"),
        ("payment_eur", "DECIMAL(18,6)"),
        ("closing_balance_eur", "DECIMAL(18,6)"),
    ],
    "fixed_cost_indexed": [
        ("param_set_id", "BIGINT"),
        ("grid_index", "BIGINT"),
        ("replicate_index", "BIGINT"),
        ("plan_year", "BIGINT"),
        ("item", "VARCHAR"),
        ("amount_eur", "DECIMAL(18,6)"),
    ],
}


def test_finance_tables_match_their_headers(ex8_con: duckdb.DuckDBPyConnection) -> None:
    """ARCHITECTURE §3: each finance table has its header's columns and types, and a unique grain."""
    for model in finance_models():
        described = [(r[0], r[1]) for r in ex8_con.execute(f'DESCRIBE "{model.name}"').fetchall()]
        header = model.header if model.header is not None else model.python_tables[0]
        if model.name in PYTHON_MODEL_COLUMNS:
            assert described == PYTHON_MODEL_COLUMNS[model.name]
        assert described == [(c.name, c.type) for c in header.columns], model.name
        grain = ", ".join(header.grain)
        dupes = ex8_con.execute(
            f"SELECT count(*) FROM (SELECT {grain} FROM {model.name} GROUP BY ALL HAVING count(*) > 1)"
        )
        assert dupes.fetchall()[0][0] == 0, model.name
