"""Finance artefacts: exact [OUT-4] headers, columns present in finance_month, and the loan schedule file."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import duckdb

from d3_engine.export import finance as export_finance
from d3_engine.export.artefacts import LOAN_SCHEDULE
from d3_engine.export.context import RunContext
from d3_engine.models.graph import discover_models

# [OUT-4], verbatim, with the [FIN-1a] lines payment_fees_eur and support_eur before contingency_eur.
OUT4 = {
    "pnl_by_month": "series,month,period,revenue_public_eur,revenue_private_eur,revenue_total_eur,cogs_public_eur,"
    "cogs_private_eur,gross_profit_eur,acquisition_public_eur,acquisition_private_eur,fixed_opex_eur,insurance_eur,"
    "bizdev_eur,payment_fees_eur,support_eur,contingency_eur,opex_total_eur,ebitda_eur,depreciation_eur,ebit_eur,interest_eur,ebt_eur,tax_eur,"
    "net_income_eur,loss_carryforward_eur",
    "cashflow_by_month": "series,month,period,cash_opening_eur,ebitda_eur,tax_paid_eur,delta_receivables_eur,"
    "delta_payables_eur,delta_deferred_revenue_eur,delta_vat_payable_eur,cash_from_operations_eur,capex_eur,"
    "capex_operating_eur,capex_financed_eur,cfads_eur,overdraft_interest_eur,interest_paid_eur,principal_repaid_eur,debt_service_eur,net_cash_flow_eur,cash_closing_eur,output_vat_eur,"
    "input_vat_eur,vat_remitted_eur,dscr,dscr_ltm,dscr_ebitda,icr",
    "balance_sheet_by_month": "series,month,period,cash_eur,receivables_eur,fixed_assets_net_eur,total_assets_eur,"
    "overdraft_eur,payables_eur,vat_payable_eur,tax_payable_eur,deferred_revenue_eur,loan_balance_eur,total_liabilities_eur,"
    "paid_in_capital_eur,retained_earnings_eur,total_equity_eur,balance_check_eur",
    "loan_schedule": "month,period,phase,opening_balance_eur,interest_eur,principal_eur,payment_eur,"
    "closing_balance_eur",
}


def test_headers_are_those_of_out4() -> None:
    got = {name: ",".join(header) for name, header in export_finance.MONTHLY_FILES.items()}
    got["loan_schedule"] = ",".join(LOAN_SCHEDULE.columns())
    assert got == OUT4


def test_finance_month_has_every_exported_column() -> None:
    """[OUT-9]: the per-path table carries the CSV column names (without `series`)."""
    header = discover_models()["finance_month"].header
    assert header is not None
    declared = {c.name for c in header.columns}
    for columns in export_finance.MONTHLY_FILES.values():
        assert set(columns) - {"series"} <= declared


def test_loan_schedule_of_the_representative_parameter_set(tmp_path: Path) -> None:
    """loan_schedule.csv shows the rep path's parameter set only; cents at export [OUT-3]."""
    con = duckdb.connect()
    con.execute("CREATE TABLE representative_path AS SELECT 5 AS path_id, 2 AS param_set_id")
    con.execute("""CREATE TABLE loan_schedule AS SELECT * FROM (VALUES
        (1, 1, '2026-01', 'grace', 100.0, 1.0, 0.0, 1.0, 100.0),
        (2, 1, '2026-01', 'interest_only', 200.0, 2.0, 0.0, 2.0, 200.0),
        (2, 2, '2026-02', 'repayment', 200.0, 2.005, 200.0, 202.005, 0.0))
        AS t(param_set_id, month, period, phase, opening_balance_eur, interest_eur, principal_eur, payment_eur,
              closing_balance_eur)""")
    ctx = RunContext(con, tmp_path, SimpleNamespace())  # type: ignore[arg-type]
    assert export_finance.export_loan_schedule(ctx) == 2
    assert (tmp_path / "loan_schedule.csv").read_text(encoding="utf-8").splitlines() == [
        OUT4["loan_schedule"],
        "1,2026-01,interest_only,200.00,2.00,0.00,2.00,200.00",
        "2,2026-02,repayment,200.00,2.01,200.00,202.01,0.00",
    ]


def test_no_loan_gives_a_header_only_file(tmp_path: Path) -> None:
    """Amount 0 → no schedule rows [FIN-3]: the file keeps its header."""
    con = duckdb.connect()
    con.execute("CREATE TABLE representative_path AS SELECT 0 AS path_id, 0 AS param_set_id")
    con.execute("""CREATE TABLE loan_schedule (param_set_id BIGINT, month BIGINT, period VARCHAR, phase VARCHAR,
        opening_balance_eur DECIMAL(18,6), interest_eur DECIMAL(18,6), principal_eur DECIMAL(18,6),
        payment_eur DECIMAL(18,6), closing_balance_eur DECIMAL(18,6))""")
    ctx = RunContext(con, tmp_path, SimpleNamespace())  # type: ignore[arg-type]
    assert export_finance.export_loan_schedule(ctx) == 0
    assert (tmp_path / "loan_schedule.csv").read_text(encoding="utf-8") == OUT4["loan_schedule"] + "\n"
