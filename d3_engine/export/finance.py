"""Finance artefacts: P&L, cash flow, balance sheet by month and the loan schedule ([OUT-4], [OUT-12], [FIN-11]).

The three monthly files are series over the per-path table `finance_month` (`p<q>` rows per [GEN-5],
then the representative path's `rep` rows); each column is aggregated on its own, so identities hold on
`rep` rows but not on percentile rows. Ratios were rounded to 6 decimals per path in `finance_month`
before they are aggregated ([GEN-4]). `loan_schedule.csv` shows the representative path's parameter
set ([FIN-12]); a loan of amount 0 has no schedule rows, so the file holds only its header.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from d3_engine.export.artefacts import LOAN_SCHEDULE
from d3_engine.export.series import build_series
from d3_engine.export.series_comments import comment_series
from d3_engine.export.writers import export_query

if TYPE_CHECKING:
    from d3_engine.export.context import RunContext

SERIES_KEYS = ["series", "month", "period"]

PNL_HEADER = [
    *SERIES_KEYS,
    "revenue_public_eur",
    "revenue_private_eur",
    "revenue_total_eur",
    "cogs_public_eur",
    "cogs_private_eur",
    "gross_profit_eur",
    "acquisition_public_eur",
    "acquisition_private_eur",
    "fixed_opex_eur",
    "insurance_eur",
    "bizdev_eur",
    "payment_fees_eur",
    "support_eur",
    "contingency_eur",
    "opex_total_eur",
    "ebitda_eur",
    "depreciation_eur",
    "ebit_eur",
    "interest_eur",
    "ebt_eur",
    "tax_eur",
    "net_income_eur",
    "loss_carryforward_eur",
]

CASHFLOW_HEADER = [
    *SERIES_KEYS,
    "cash_opening_eur",
    "ebitda_eur",
    "tax_paid_eur",
    "delta_receivables_eur",
    "delta_payables_eur",
    "delta_deferred_revenue_eur",
    "delta_vat_payable_eur",
    "cash_from_operations_eur",
    "capex_eur",
    "capex_operating_eur",
    "capex_financed_eur",
    "cfads_eur",
    "overdraft_interest_eur",
    "interest_paid_eur",
    "principal_repaid_eur",
    "debt_service_eur",
    "net_cash_flow_eur",
    "cash_closing_eur",
    "output_vat_eur",
    "input_vat_eur",
    "vat_remitted_eur",
    "dscr",
    "dscr_ltm",
    "dscr_ebitda",
    "icr",
]

BALANCE_HEADER = [
    *SERIES_KEYS,
    "cash_eur",
    "receivables_eur",
    "fixed_assets_net_eur",
    "total_assets_eur",
    "overdraft_eur",
    "payables_eur",
    "vat_payable_eur",
    "tax_payable_eur",
    "deferred_revenue_eur",
    "loan_balance_eur",
    "total_liabilities_eur",
    "paid_in_capital_eur",
    "retained_earnings_eur",
    "total_equity_eur",
    "balance_check_eur",
]

MONTHLY_FILES: dict[str, list[str]] = {
    "pnl_by_month": PNL_HEADER,
    "cashflow_by_month": CASHFLOW_HEADER,
    "balance_sheet_by_month": BALANCE_HEADER,
}
"""Series table (kept in run.duckdb for the report) and CSV header of each monthly file."""

SOURCE = "finance_month"


def export_monthly(ctx: RunContext, name: str, header: list[str]) -> int:
    """Build the series table `name` from `finance_month` and write `<name>.csv`; returns the row count."""
    values = [c for c in header if c not in SERIES_KEYS]
    build_series(ctx.con, name, SOURCE, ["month"], values, ctx.percentiles, ctx.rep_path_id, passthrough=["period"])
    comment_series(ctx.con, name, SOURCE, f"{name}.csv by month", ["month"], ["period"])
    sql = f'SELECT {", ".join(header)} FROM "{name}" ORDER BY series_order, month'
    return export_query(ctx.con, sql, ctx.run_dir / f"{name}.csv", header)


def export_loan_schedule(ctx: RunContext) -> int:
    """loan_schedule.csv: months 1..term of the representative path's parameter set ([FIN-3], [FIN-12])."""
    where = "param_set_id = (SELECT param_set_id FROM representative_path)"
    return LOAN_SCHEDULE.export(ctx.con, ctx.run_dir, "month", where=where)


def export(ctx: RunContext) -> None:
    """Write pnl_by_month.csv, cashflow_by_month.csv, balance_sheet_by_month.csv and loan_schedule.csv."""
    for name, header in MONTHLY_FILES.items():
        export_monthly(ctx, name, header)
    export_loan_schedule(ctx)
