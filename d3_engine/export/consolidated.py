"""Consolidated artefacts: consolidated_kpis.csv, sensitivity.csv, consolidated_summary.json/.md ([OUT-5],
[OUT-6], [OUT-12], [FIN-11], [FIN-13], [FIN-14]) and the `representative_path` block of run_summary ([OUT-7]).

Every value is computed by a model of the DAG: `consolidated_kpis` holds one row per (metric, series) —
the configured percentiles across paths ([GEN-5]) and the representative path ([FIN-12]) — and this module
only copies its rows, ordered, into the CSV (one column per series) and the summary. Precision follows the
row's unit ([OUT-3]), except the shares of [FIN-14] (4 decimals) and break_even_month (an integer) ([V12-3]).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from d3_engine.core.formats import Places, places_for_unit, write_csv
from d3_engine.export.artefacts import SENSITIVITY
from d3_engine.export.consolidated_summary import write_summary
from d3_engine.export.writers import SCOPE_ORDER
from d3_engine.models.python.sensitivity import KPIS

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
    ("support_fte_end", "count"),
    ("reserve_cover_months_end", "months"),
    ("autoscaling_avg_util_pct", "percent"),
    ("autoscaling_p95_util_pct", "percent"),
    ("autoscaling_sla_violations", "count"),
    ("autoscaling_scale_events", "count"),
    ("p_breach_any", "ratio"),
    ("p_cash_breach_any", "ratio"),
    ("p_dscr_breach_any", "ratio"),
    ("share_never_break_even", "ratio"),
    ("break_even_month", "months"),
    ("extra_funding_p90", "EUR"),
)
"""consolidated_kpis.csv rows in [OUT-5] then [OUT-12] order, with their unit (the model's metric_order)."""

AUTOSCALING = {
    "autoscaling_avg_util_pct": "avg_util_pct",
    "autoscaling_p95_util_pct": "p95_util_pct",
    "autoscaling_sla_violations": "sla_violations",
    "autoscaling_scale_events": "scale_events",
}
"""Metrics taken from the `ALL` row of the autoscaler summary ([PUB-12]): `rep` only."""

Series = dict[str, dict[str, Any]]
"""metric → {series label (`p<q>`, `rep`) → value}."""


def series_labels(percentiles: list[int]) -> list[str]:
    """`p<q>` for each configured percentile (ascending), then `rep` ([GEN-6])."""
    return [f"p{q}" for q in sorted(percentiles)] + ["rep"]


def metric_places(metric: str, unit: str) -> Places:
    """Precision of a consolidated_kpis value ([OUT-3], [V12-3]): shares 4, break_even_month integer, else by unit."""
    if metric.startswith(("p_", "share_")):
        return 4
    if metric == "break_even_month":
        return None
    return places_for_unit(unit)


def kpi_series(ctx: RunContext) -> Series:
    """Every metric of the `consolidated_kpis` model (CSV rows and summary-only ones) as series objects."""
    out: Series = {}
    rows = ctx.con.execute("SELECT metric, series, value FROM consolidated_kpis ORDER BY metric, series_order")
    for metric, label, value in rows.fetchall():
        out.setdefault(metric, {})[label] = value
    return out


def autoscaling_rep(series: Series) -> dict[str, Any]:
    """The `ALL` row of the autoscaler summary (representative path), keyed like [OUT-6] `autoscaling`."""
    out: dict[str, Any] = {}
    for metric, key in AUTOSCALING.items():
        value = series.get(metric, {}).get("rep")
        out[key] = int(value) if value is not None and key in ("sla_violations", "scale_events") else value
    return out


def write_kpis(ctx: RunContext, labels: list[str]) -> None:
    """consolidated_kpis.csv: the model's CSV rows pivoted to one column per series, in metric order."""
    cells = ", ".join(f"max(value) FILTER (WHERE series = '{label}') AS \"{label}\"" for label in labels)
    sql = f"""SELECT metric, unit, {cells} FROM consolidated_kpis WHERE metric_order IS NOT NULL
              GROUP BY metric, unit, metric_order ORDER BY metric_order"""
    rows = ctx.con.execute(sql).fetchall()

    def places(row: Any) -> Places:
        return metric_places(str(row[0]), str(row[1]))

    header = ["metric", "unit", *labels]
    write_csv(ctx.run_dir / "consolidated_kpis.csv", header, rows, column_places=dict.fromkeys(labels, places))


def write_sensitivity(ctx: RunContext) -> None:
    """sensitivity.csv: the `sensitivity` model's rows, by scope, variable_id (bytes), KPI ([FIN-13], [OUT-4])."""
    kpi_order = "CASE kpi " + " ".join(f"WHEN '{name}' THEN {i}" for i, (name, _) in enumerate(KPIS)) + " END"
    order = f"{SCOPE_ORDER}, encode(variable_id), {kpi_order}"
    SENSITIVITY.export(ctx.con, ctx.run_dir, order)


def representative_block(ctx: RunContext) -> dict[str, Any]:
    """`representative_path` of run_summary and consolidated_summary ([OUT-6], [OUT-7], [FIN-12])."""
    row = ctx.con.execute(
        """SELECT r.path_id, r.grid_index, r.replicate_index, r.mc_index, k.net_income_eur
            FROM representative_path AS r JOIN consolidated_path_kpis AS k USING (path_id)"""
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
    series = kpi_series(ctx)
    autoscaling = autoscaling_rep(series)
    write_kpis(ctx, labels)
    write_sensitivity(ctx)
    rep = representative_block(ctx)
    ctx.summary_extra["representative_path"] = rep
    write_summary(ctx, series, autoscaling, rep, labels)
