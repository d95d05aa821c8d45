"""Consolidated artefacts: consolidated_kpis.csv, sensitivity.csv, consolidated_summary.json/.md ([OUT-5],
[OUT-6], [FIN-11], [FIN-13]) and the `representative_path` block of run_summary ([OUT-7]).

Horizon KPIs are computed per path first (`consolidated_path_kpis`), then aggregated: `p<q>` = the [GEN-5]
quantile across all paths of that metric (nulls excluded; exact decimal for DECIMAL metrics, float64 for
float ones), `rep` = the representative path's value ([FIN-12]). The autoscaling rows exist only for the
representative path, so only their `rep` cell is filled. Both tables (`consolidated_kpis`, `sensitivity`)
stay in run.duckdb with the CSV columns; the CSVs are written from them. `consolidated_kpis` holds every value
as DECIMAL(38,20): a DECIMAL metric exactly, a float metric as the exact decimal of its shortest text, so
that the CSV rounds each value once ([OUT-3]).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from d3_engine.core.db import create_table
from d3_engine.core.formats import places_for_unit, to_decimal, write_csv
from d3_engine.export.consolidated_summary import write_summary
from d3_engine.export.sensitivity import HEADER as SENSITIVITY_HEADER
from d3_engine.export.sensitivity import build_sensitivity
from d3_engine.export.series import series_sql
from d3_engine.export.writers import export_query
from d3_engine.models.render import render_text

if TYPE_CHECKING:
    from d3_engine.export.context import RunContext

METRICS: tuple[tuple[str, str], ...] = (
    ("revenue_public", "EUR"),
    ("revenue_private", "EUR"),
    ("revenue_total", "EUR"),
    ("cogs_total", "EUR"),
    ("gross_profit", "EUR"),
    ("opex_total", "EUR"),
    ("ebitda", "EUR"),
    ("net_income", "EUR"),
    ("overhead_public", "EUR"),
    ("overhead_private", "EUR"),
    ("contribution_public", "EUR"),
    ("contribution_private", "EUR"),
    ("gross_margin_pct", "percent"),
    ("public_gross_margin_pct", "percent"),
    ("cash_min", "EUR"),
    ("cash_end", "EUR"),
    ("funding_gap", "EUR"),
    ("dscr_min", "ratio"),
    ("icr_min", "ratio"),
    ("dscr_ltm_end", "ratio"),
    ("public_tokens", "tokens"),
    ("public_active_customers_end", "count"),
    ("blended_sell_eur_per_1k", "EUR_per_1k"),
    ("public_gpu_instance_hours", "hours"),
    ("private_hours", "hours"),
    ("private_active_clients_end", "count"),
    ("reserve_cover_months_end", "months"),
    ("autoscaling_avg_util_pct", "percent"),
    ("autoscaling_p95_util_pct", "percent"),
    ("autoscaling_sla_violations", "count"),
    ("autoscaling_scale_events", "count"),
)
"""consolidated_kpis.csv rows in [OUT-5] order, with their unit."""

AUTOSCALING = {
    "autoscaling_avg_util_pct": "avg_util_pct",
    "autoscaling_p95_util_pct": "p95_util_pct",
    "autoscaling_sla_violations": "sla_violations",
    "autoscaling_scale_events": "scale_events",
}
"""Metrics taken from the `ALL` row of the autoscaler summary ([PUB-12]): `rep` only."""

PATH_SOURCE = "consolidated_path_kpis"
SUMMARY_ONLY = ("cogs_public_eur", "cogs_private_eur")
"""Per-path columns aggregated for consolidated_summary.json but not rows of consolidated_kpis.csv."""

KPI_VALUE_TYPE = "DECIMAL(38,20)"

Series = dict[str, dict[str, Any]]
"""metric (or column) → {series label (`p<q>`, `rep`) → value}."""


def series_labels(percentiles: list[int]) -> list[str]:
    """`p<q>` for each configured percentile (ascending), then `rep` ([GEN-6])."""
    return [f"p{q}" for q in sorted(percentiles)] + ["rep"]


def kpi_column(metric: str, unit: str) -> str:
    """The column of consolidated_path_kpis that holds a metric: money columns end in `_eur` ([V12-2])."""
    return f"{metric}_eur" if unit == "EUR" else metric


def path_series(ctx: RunContext, columns: list[str], source: str = PATH_SOURCE) -> Series:
    """The [GEN-5] series of each per-path column of `source`, plus the rep path's value."""
    sql = render_text(series_sql(source, [], columns, ctx.percentiles, ctx.rep_path_id), {}, "consolidated_kpis")
    cursor = ctx.con.execute(sql)
    names = [d[0] for d in cursor.description or []]
    out: Series = {c: {} for c in columns}
    for row in cursor.fetchall():
        record = dict(zip(names, row, strict=True))
        for column in columns:
            out[column][record["series"]] = record[column]
    return out


def autoscaling_rep(ctx: RunContext) -> dict[str, Any]:
    """The `ALL` row of the autoscaler summary (representative path), or nulls when nothing was simulated."""
    empty: dict[str, Any] = dict.fromkeys(AUTOSCALING.values())
    if not ctx.runs("public"):
        return empty
    rows = ctx.con.execute(
        "SELECT avg_util_pct, p95_util_pct, sla_violations, scale_events FROM public_autoscaling_summary "
        "WHERE model = 'ALL' ORDER BY path_id"
    ).fetchall()
    return dict(zip(AUTOSCALING.values(), rows[0], strict=True)) if rows else empty


def kpi_rows(series: Series, autoscaling: dict[str, Any], labels: list[str]) -> list[list[Any]]:
    """consolidated_kpis rows `[metric, unit, p<q>…, rep]` in [OUT-5] order."""
    rows = []
    for metric, unit in METRICS:
        if metric in AUTOSCALING:
            values: list[Any] = [None] * (len(labels) - 1) + [autoscaling[AUTOSCALING[metric]]]
        else:
            values = [series[kpi_column(metric, unit)].get(label) for label in labels]
        rows.append([metric, unit, *(to_decimal(v) for v in values)])
    return rows


def write_kpis(ctx: RunContext, rows: list[list[Any]], labels: list[str]) -> None:
    """Create the `consolidated_kpis` table from the rows and write consolidated_kpis.csv from it."""
    header = ["metric", "unit", *labels]
    types = {"metric": "VARCHAR", "unit": "VARCHAR", **dict.fromkeys(labels, KPI_VALUE_TYPE)}
    columns = {
        name: [format(r[i], "f") if isinstance(r[i], Decimal) else r[i] for r in rows] for i, name in enumerate(header)
    }
    create_table(ctx.con, "consolidated_kpis", types, columns)
    order = " ".join(f"WHEN '{m}' THEN {i}" for i, (m, _) in enumerate(METRICS))
    cells = ", ".join(f'"{c}"' for c in header)
    sql = f"SELECT {cells} FROM consolidated_kpis ORDER BY CASE metric {order} END"
    path = ctx.run_dir / "consolidated_kpis.csv"
    rows_out = ctx.con.execute(sql).fetchall()
    write_csv(path, header, rows_out, column_places=dict.fromkeys(labels, _by_unit))


def _by_unit(row: Any) -> int:
    """Precision of a consolidated_kpis value cell: from the row's unit (EUR 2, percent 4, else 6, [OUT-3])."""
    return places_for_unit(str(row[1]))


def write_sensitivity(ctx: RunContext) -> None:
    """Create the `sensitivity` table and write sensitivity.csv from it ([FIN-13], [OUT-4])."""
    build_sensitivity(ctx.con, ctx.validated.plan)
    scope_order = "CASE scope WHEN 'general' THEN 0 WHEN 'public_tap' THEN 1 ELSE 2 END"
    kpi_order = "CASE kpi WHEN 'net_income_eur' THEN 0 WHEN 'cash_min_eur' THEN 1 ELSE 2 END"
    sql = f"""SELECT {", ".join(SENSITIVITY_HEADER)} FROM sensitivity
              ORDER BY {scope_order}, encode(variable_id), {kpi_order}"""
    export_query(ctx.con, sql, ctx.run_dir / "sensitivity.csv", SENSITIVITY_HEADER)


def representative_block(ctx: RunContext) -> dict[str, Any]:
    """`representative_path` of run_summary and consolidated_summary ([OUT-6], [OUT-7], [FIN-12])."""
    row = ctx.con.execute(
        f"""SELECT r.path_id, r.grid_index, r.replicate_index, r.mc_index, k.net_income_eur
            FROM representative_path AS r JOIN {PATH_SOURCE} AS k USING (path_id)"""
    ).fetchall()[0]
    keys = ("path_id", "grid_index", "replicate_index", "mc_index", "net_income_eur")
    block = dict(zip(keys, row, strict=True))
    for key in keys[:4]:
        block[key] = int(block[key])
    return block


def export(ctx: RunContext) -> None:
    """Write consolidated_kpis.csv, sensitivity.csv, consolidated_summary.json/.md; add `representative_path`
    to run_summary."""
    labels = series_labels(ctx.percentiles)
    columns = [kpi_column(m, u) for m, u in METRICS if m not in AUTOSCALING] + list(SUMMARY_ONLY)
    series = path_series(ctx, columns)
    autoscaling = autoscaling_rep(ctx)
    write_kpis(ctx, kpi_rows(series, autoscaling, labels), labels)
    write_sensitivity(ctx)
    rep = representative_block(ctx)
    ctx.summary_extra["representative_path"] = rep
    write_summary(ctx, series, autoscaling, rep, labels)
