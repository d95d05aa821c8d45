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
from d3_engine.models.python.registry import table_headers

if TYPE_CHECKING:
    from d3_engine.export.context import RunContext

SERIES_KEYS = ["series", "month", "period"]

SOURCE = "finance_month"


def monthly_header(name: str) -> list[str]:
    """The header of `<name>.csv`: the series keys, then the columns finance_month's header lists for the file
    (`-- artefact: <name>.csv: …`, in file order): each column is declared once, in the model [OUT-4] [OUT-9]."""
    header = table_headers()[SOURCE]
    return [*SERIES_KEYS, *header.artefacts[f"{name}.csv"]]


MONTHLY_FILES: dict[str, list[str]] = {
    name: monthly_header(name) for name in ("pnl_by_month", "cashflow_by_month", "balance_sheet_by_month")
}
"""Series table (kept in run.duckdb for the report) and CSV header of each monthly file."""


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
