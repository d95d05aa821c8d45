"""Report section on demand scenarios: customers, clients, revenue and capacity by month ([OUT-10]).

Monthly tables show the representative path (`rep`), and the spread across paths of the quantity that
drives everything else (active customers, active clients) as `p<q>` columns ([FIN-11]). The capacity
table and the instances chart are of the representative path ([PUB-11]); models without traffic are
left out of both (they have no instances unless a warm minimum is configured, which the table shows).
"""

from __future__ import annotations

from d3_engine.report.charts import lines_chart, revenue_chart
from d3_engine.report.context import RunInfo
from d3_engine.report.growth import growth_note
from d3_engine.report.tables import (
    Chart,
    Column,
    Paragraph,
    ReportTable,
    Section,
    Series,
    band_table,
    rep_rows,
    series,
    table_from_rows,
    values,
)

PUBLIC_MONTH = [
    Column("month", "Month", "int"),
    Column("period", "Period"),
    Column("budget_eur", "Acquisition budget", "eur"),
    Column("cac_eur", "CAC", "eur"),
    Column("new_customers", "New customers", "count"),
    Column("active_customers", "Active customers", "count"),
    Column("tokens", "Tokens", "tokens"),
    Column("revenue_eur", "Revenue", "eur"),
    Column("cogs_eur", "COGS", "eur"),
    Column("gross_margin_eur", "Gross margin", "eur"),
    Column("credit_balance_eur", "Credit balance", "eur"),
]
PRIVATE_MONTH = [
    Column("month", "Month", "int"),
    Column("period", "Period"),
    Column("budget_eur", "Acquisition budget", "eur"),
    Column("new_clients", "New clients", "count"),
    Column("active_clients", "Active clients", "count"),
    Column("hours", "GPU hours", "hours"),
    Column("revenue_hours_eur", "Hours revenue", "eur"),
    Column("revenue_fees_eur", "Fee revenue", "eur"),
    Column("revenue_eur", "Revenue", "eur"),
    Column("cogs_eur", "COGS", "eur"),
    Column("gross_margin_eur", "Gross margin", "eur"),
]
SCENARIO_COLUMNS = [
    Column("series", "Series"),
    Column("tokens", "Tokens", "tokens"),
    Column("revenue_eur", "Revenue", "eur"),
    Column("cogs_eur", "COGS", "eur"),
    Column("gross_margin_eur", "Gross margin", "eur"),
    Column("acquisition_eur", "Acquisition", "eur"),
    Column("contribution_before_overhead_eur", "Contribution before overhead", "eur"),
]
CAPACITY_COLUMNS = [
    Column("month", "Month", "int"),
    Column("period", "Period"),
    Column("model", "Model"),
    Column("gpu", "GPU"),
    Column("tokens", "Tokens", "tokens"),
    Column("peak_tokens_per_hour", "Peak tokens/h", "tokens"),
    Column("instances_needed", "Instances needed", "int"),
    Column("instances", "Instances", "int"),
    Column("max_instances", "Max instances", "int"),
    Column("gpu_cost_eur", "GPU cost", "eur"),
    Column("capacity_violation", "Over max", "bool"),
]


def demand_section(info: RunInfo) -> Section:
    """Demand scenarios of both taps, revenue by month and the capacity plan."""
    section = Section("demand", "Demand scenarios")
    section.add(
        Paragraph(
            "Each month the acquisition budget buys new customers at the month's acquisition cost; a share of "
            "active customers churns. Public customers use tokens, private clients rent GPU hours. The tables "
            "show the representative path month by month and how far the number of active customers spreads "
            "across all simulated paths."
        )
    )
    section.add(*growth_note(info))
    public = _public_demand(info, section)
    private = _private_demand(info, section)
    chart = _revenue_chart(info, public, private)
    if chart is not None:
        section.add(chart)
    if info.public:
        _capacity(info, section)
        _autoscaling(info, section)
    return section


def _public_demand(info: RunInfo, section: Section) -> Series | None:
    if not info.public:
        section.missing("Public Tap demand (the public pipeline did not run)")
        return None
    cols = [c.name for c in PUBLIC_MONTH[2:]]
    data = series(
        info.db, "public_tap_customers_by_month", "public_customers_path", cols, info.percentiles, info.rep_path_id
    )
    horizon = series(
        info.db,
        "public_tap_scenarios",
        "public_horizon",
        [c.name for c in SCENARIO_COLUMNS[1:]],
        info.percentiles,
        info.rep_path_id,
        monthly=False,
    )
    if horizon:
        rows = [{"series": label, **by_key[0]} for label, by_key in horizon.items()]
        title = "Public Tap over the horizon, per series"
        section.add(table_from_rows("public_scenarios", title, SCENARIO_COLUMNS, rows))
    if data:
        section.add(
            _rep_table(info, "public_demand_rep", "Public Tap by month (representative path)", PUBLIC_MONTH, data)
        )
        column = Column("active_customers", "Active customers", "count")
        section.add(
            band_table("public_active_customers", "Public active customers across paths", data, [column], info.periods)
        )
    return data


def _private_demand(info: RunInfo, section: Section) -> Series | None:
    if not info.private:
        section.missing("Private Tap demand (the private pipeline did not run)")
        return None
    cols = [c.name for c in PRIVATE_MONTH[2:]]
    data = series(
        info.db,
        "private_tap_customers_by_month",
        "private_customers_by_month",
        cols,
        info.percentiles,
        info.rep_path_id,
    )
    if data:
        title = "Private Tap by month (representative path)"
        section.add(_rep_table(info, "private_demand_rep", title, PRIVATE_MONTH, data))
        column = Column("active_clients", "Active clients", "count")
        section.add(
            band_table("private_active_clients", "Private active clients across paths", data, [column], info.periods)
        )
    return data


def _rep_table(info: RunInfo, name: str, title: str, columns: list[Column], data: Series) -> ReportTable:
    rows = [{**row, "period": info.period(row["month"])} for row in rep_rows(data)]
    return table_from_rows(name, title, columns, rows)


def _revenue_chart(info: RunInfo, public: Series | None, private: Series | None) -> Chart | None:
    """revenue_by_month: the taps' rep revenue; with the finance tables, the p10–p90 band of the total."""
    if public is None and private is None:
        return None
    months = info.months
    pub = values(public, "rep", "revenue_eur", months) if public else [None] * len(months)
    prv = values(private, "rep", "revenue_eur", months) if private else [None] * len(months)
    band = None
    total = series(info.db, "pnl_by_month", "finance_month", ["revenue_total_eur"], info.percentiles, info.rep_path_id)
    if total:
        low, mid, high = info.band_labels()
        band = tuple(values(total, s, "revenue_total_eur", months) for s in (low, mid, high))
    labels = [info.period(m) for m in months]
    png = revenue_chart(months, labels, pub, prv, band)  # type: ignore[arg-type]
    caption = "Bars: representative path by tap." + (" Band: total revenue p10–p90 across paths." if band else "")
    return Chart("revenue_by_month", "Revenue by month", png, caption)


AUTOSCALING_COLUMNS = [
    Column("model", "Model"),
    Column("gpu", "GPU"),
    Column("months_simulated", "Months", "int"),
    Column("steps", "Steps", "int"),
    Column("avg_util_pct", "Average utilisation", "pct"),
    Column("p95_util_pct", "p95 utilisation", "pct"),
    Column("sla_violations", "SLA violations", "int"),
    Column("scale_events", "Scale events", "int"),
    Column("max_replicas", "Max replicas", "int"),
]


def _autoscaling(info: RunInfo, section: Section) -> None:
    """The autoscaler's day simulation on the representative path [PUB-12] (never feeds the P&L)."""
    if not info.db.has("public_autoscaling_summary"):
        section.missing("Autoscaler simulation")
        return
    rows = info.db.rows(
        f"SELECT * FROM public_autoscaling_summary WHERE path_id = {info.rep_path_id} ORDER BY row_order"
    )
    title = "Autoscaler simulation of one representative day per month (representative path)"
    note = "The row ALL pools every simulated model. The simulation checks the capacity plan; it never feeds the P&L."
    section.add(table_from_rows("public_autoscaling", title, AUTOSCALING_COLUMNS, rows, note))


def _capacity(info: RunInfo, section: Section) -> None:
    if not info.db.has("public_capacity_path"):
        section.missing("Public capacity plan")
        return
    rows = info.db.rows(
        f"""SELECT c.month, c.model, c.gpu, c.tokens, c.peak_tokens_per_hour, c.instances_needed, c.instances,
                   c.max_instances_per_model AS max_instances, c.gpu_cost_eur, c.capacity_violation
            FROM public_capacity_path AS c
            WHERE c.path_id = {info.rep_path_id}
              AND c.model IN (SELECT model FROM public_capacity_path WHERE path_id = {info.rep_path_id}
                              GROUP BY model HAVING max(instances) > 0 OR max(tokens) > 0)
            ORDER BY c.month, encode(c.model)"""
    )
    rows = [{**r, "period": info.period(r["month"])} for r in rows]
    title = "Public capacity plan (representative path, models with traffic)"
    section.add(table_from_rows("public_capacity_rep", title, CAPACITY_COLUMNS, rows))
    models = sorted({str(r["model"]) for r in rows}, key=str.encode)
    if not models:
        return
    months = info.months
    lines: list[tuple[str, list[float | None]]] = []
    for model in models:
        by_month = {int(r["month"]): float(r["instances"]) for r in rows if r["model"] == model}
        lines.append((model, [by_month.get(m) for m in months]))
    maximum = float(rows[0]["max_instances"])
    png = lines_chart(
        "GPU instances by model vs maximum",
        months,
        [info.period(m) for m in months],
        lines,
        [(f"max instances per model ({int(maximum)})", maximum, None)],
        "instances",
        symlog=maximum > 10 * max(float(r["instances"]) for r in rows),
    )
    section.add(Chart("instances_by_model", "GPU instances by model vs maximum", png))
