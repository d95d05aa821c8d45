"""The lender's artefacts of v1.2: risk_by_month.csv and annual_summary.csv ([OUT-12], [FIN-14]).

Both tables are models of the DAG (`risk_by_month`, `annual_summary`); this module only copies their rows in
the stated order. `grid_index` leads risk_by_month.csv only when the run has more than one grid point. Every
`paths_*` column, year and months are *int*; every `p_*` share has 4 decimals ([V12-3]).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from d3_engine.core.formats import INT_COLUMNS
from d3_engine.export.artefacts import ANNUAL_SUMMARY, RISK_BY_MONTH

if TYPE_CHECKING:
    from d3_engine.export.context import RunContext

ANNUAL_INT = INT_COLUMNS | {"series_order", "year", "months"}


def _risk_int(header: list[str]) -> frozenset[str]:
    return frozenset(INT_COLUMNS | {c for c in header if c == "paths" or c.startswith("paths_")})


def export(ctx: RunContext) -> None:
    """Write risk_by_month.csv and annual_summary.csv from their models (headers: the models' columns)."""
    grid = ctx.validated.plan.grid_size > 1
    header = RISK_BY_MONTH.columns(with_optional=grid)
    RISK_BY_MONTH.export(
        ctx.con,
        ctx.run_dir,
        "grid_index, month",
        with_optional=grid,
        int_columns=_risk_int(header),
        column_places={c: 4 for c in header if c.startswith("p_")},
    )
    ANNUAL_SUMMARY.export(ctx.con, ctx.run_dir, "series_order, year", int_columns=frozenset(ANNUAL_INT))
