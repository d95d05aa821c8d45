"""The lender's artefacts of v1.2: risk_by_month.csv and annual_summary.csv ([OUT-12], [FIN-14]).

Both tables are models of the DAG (`risk_by_month`, `annual_summary`); this module only copies their rows in
the stated order. `grid_index` leads risk_by_month.csv only when the run has more than one grid point. Every
`paths_*` column, year and months are *int*; every `p_*` share has 4 decimals ([V12-3]).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from d3_engine.core.formats import INT_COLUMNS, write_csv

if TYPE_CHECKING:
    from d3_engine.export.context import RunContext

RISK_HEADER = [
    "month",
    "period",
    "paths",
    "paths_cash_breach",
    "p_cash_breach",
    "paths_dscr_breach",
    "p_dscr_breach",
    "paths_over_limit",
    "p_over_limit",
    "paths_breached_by",
    "p_breached_by",
]
ANNUAL_HEADER = [
    "series",
    "series_order",
    "year",
    "period_start",
    "period_end",
    "months",
    "revenue_total_eur",
    "gross_profit_eur",
    "ebitda_eur",
    "net_income_eur",
    "cfads_eur",
    "debt_service_eur",
    "dscr_annual",
    "cash_closing_eur",
    "overdraft_eur",
    "loan_balance_eur",
]
RISK_INT = INT_COLUMNS | {c for c in RISK_HEADER if c == "paths" or c.startswith("paths_")}
ANNUAL_INT = INT_COLUMNS | {"series_order", "year", "months"}


def export(ctx: RunContext) -> None:
    """Write risk_by_month.csv and annual_summary.csv from their models."""
    header = (["grid_index"] if ctx.validated.plan.grid_size > 1 else []) + RISK_HEADER
    rows = ctx.con.execute(f"SELECT {', '.join(header)} FROM risk_by_month ORDER BY grid_index, month").fetchall()
    shares = {c: 4 for c in header if c.startswith("p_")}
    write_csv(ctx.run_dir / "risk_by_month.csv", header, rows, int_columns=frozenset(RISK_INT), column_places=shares)
    annual = ctx.con.execute(f"SELECT {', '.join(ANNUAL_HEADER)} FROM annual_summary ORDER BY series_order, year")
    write_csv(ctx.run_dir / "annual_summary.csv", ANNUAL_HEADER, annual.fetchall(), int_columns=frozenset(ANNUAL_INT))
