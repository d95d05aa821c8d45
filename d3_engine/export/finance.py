"""Finance artefacts: P&L, cash flow, balance sheet by month and the loan schedule ([OUT-4], [OUT-12], [FIN-11]).

The three monthly files copy the series models of the same names (`models/python/series.py`: `p<q>` rows per
[GEN-5] over the per-path table `finance_month`, then the representative path's `rep` rows); each column is
aggregated on its own, so identities hold on `rep` rows but not on percentile rows. Ratios were rounded to 6
decimals per path in `finance_month` before they are aggregated ([GEN-4]). A file's columns are its model
header's `-- artefact:` list. `loan_schedule.csv` shows the representative path's parameter
set ([FIN-12]); a loan of amount 0 has no schedule rows, so the file holds only its header.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from d3_engine.export.artefacts import LOAN_SCHEDULE, MONTHLY_FINANCE

if TYPE_CHECKING:
    from d3_engine.export.context import RunContext

MONTHLY = {artefact.table: artefact for artefact in MONTHLY_FINANCE}
"""The series model (kept in run.duckdb for the report) of each monthly file."""
MONTHLY_FILES: dict[str, list[str]] = {name: artefact.columns() for name, artefact in MONTHLY.items()}
"""Each monthly file's header: its model header's `-- artefact:` list."""


def export_monthly(ctx: RunContext, name: str) -> int:
    """Write `<name>.csv` from the series model `name`; returns the row count."""
    return MONTHLY[name].export(ctx.con, ctx.run_dir)


def export_loan_schedule(ctx: RunContext) -> int:
    """loan_schedule.csv: months 1..term of the representative path's parameter set ([FIN-3], [FIN-12])."""
    where = "param_set_id = (SELECT param_set_id FROM representative_path)"
    return LOAN_SCHEDULE.export(ctx.con, ctx.run_dir, "month", where=where)


def export(ctx: RunContext) -> None:
    """Write pnl_by_month.csv, cashflow_by_month.csv, balance_sheet_by_month.csv and loan_schedule.csv."""
    for name in MONTHLY:
        export_monthly(ctx, name)
    export_loan_schedule(ctx)
