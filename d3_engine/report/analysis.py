"""Acceptance and sensitivity sections of the report ([OUT-10], [ACC-0], [FIN-13]).

Both render from the run's `acceptance` and `sensitivity` tables when they exist; the tornado ranks
the variables by the swing of horizon net income between their low and high quartile of paths.
"""

from __future__ import annotations

from d3_engine.report.charts import tornado_chart
from d3_engine.report.context import RunInfo
from d3_engine.report.tables import BY_UNIT, Chart, Column, Paragraph, Row, Section, table_from_rows


def acceptance_section(info: RunInfo) -> Section:
    """The twelve acceptance checks of [ACC-0]."""
    section = Section("acceptance", "Acceptance checks")
    if not info.db.has("acceptance"):
        return section.missing("Acceptance checks")
    rows = info.db.rows(
        """SELECT * FROM acceptance ORDER BY CAST(regexp_extract(check_id, '([0-9]+)$', 1) AS INTEGER)"""
    )
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in ("pass", "fail", "skipped")}
    section.add(
        Paragraph(
            f"{counts['pass']} passed, {counts['fail']} failed, {counts['skipped']} skipped. A failed check of "
            "severity error makes the run exit with code 4; a warning is reported and the run still succeeds."
        )
    )
    columns = [
        Column("check_id", "Check"),
        Column("rule", "Rule"),
        Column("effective_severity", "Severity"),
        Column("status", "Status"),
        Column("series", "Series"),
        Column("violations", "Violations", "int"),
        Column("paths_failing", "Paths failing", "int"),
        Column("pass_rate_pct", "Pass rate", "pct"),
        Column("detail", "Detail"),
    ]
    section.add(table_from_rows("acceptance", "Acceptance checks", columns, rows))
    return section


def sensitivity_section(info: RunInfo) -> Section:
    """Sensitivity of the KPIs to each non-fixed variable, with a tornado of net income [FIN-13]."""
    section = Section("sensitivity", "Sensitivity")
    if not info.db.has("sensitivity"):
        return section.missing("Sensitivity (tornado)")
    rows = info.db.rows(
        """SELECT *, CASE WHEN kpi = 'dscr_min' THEN 'ratio' ELSE 'EUR' END AS unit FROM sensitivity
           ORDER BY CASE scope WHEN 'general' THEN 0 WHEN 'public_tap' THEN 1 ELSE 2 END, encode(variable_id),
                    CASE kpi WHEN 'net_income_eur' THEN 0 WHEN 'cash_min_eur' THEN 1 ELSE 2 END"""
    )
    if not rows:
        section.add(Paragraph("No variable is drawn at random or varied on a grid, so there is nothing to rank."))
        return section
    columns = [
        Column("variable_id", "Variable"),
        Column("scope", "Scope"),
        Column("kpi", "KPI"),
        Column("unit", "Unit"),
        Column("n_paths", "Paths", "int"),
        Column("spearman_rho", "Spearman ρ", "ratio"),
        Column("kpi_mean_low", "Mean, low quartile", BY_UNIT),
        Column("kpi_mean_high", "Mean, high quartile", BY_UNIT),
        Column("swing", "Swing", BY_UNIT),
    ]
    section.add(
        Paragraph(
            "For each variable, the KPI's mean over the paths where the variable is at or below its 25th "
            "percentile is compared with its mean over the paths at or above its 75th percentile; the difference "
            "is the swing. A variable drawn once per replicate has the same value on every path of the replicate, "
            "so ties can put more than a quarter of the paths in either group, and the paths of a replicate "
            "count as one draw of the variable."
        )
    )
    section.add(table_from_rows("sensitivity", "Sensitivity of the KPIs", columns, rows))
    chart = _tornado(info, [r for r in rows if r["kpi"] == "net_income_eur"])
    if chart is not None:
        section.add(chart)
    return section


def _tornado(info: RunInfo, rows: list[Row]) -> Chart | None:
    usable = [r for r in rows if r["kpi_mean_low"] is not None and r["kpi_mean_high"] is not None]
    usable.sort(key=lambda r: (-abs(float(r["swing"] or 0)), str(r["variable_id"]).encode()))
    if not usable:
        return None
    centre = None
    if info.db.has("consolidated_kpis"):
        found = info.db.one("SELECT value FROM consolidated_kpis WHERE metric = 'net_income' AND series = 'p50'")
        centre = None if not found or found["value"] is None else float(found["value"])
    png = tornado_chart(
        "Net income over the horizon: low vs high quartile of each variable",
        [str(r["variable_id"]) for r in usable],
        [float(r["kpi_mean_low"]) for r in usable],
        [float(r["kpi_mean_high"]) for r in usable],
        centre,
    )
    return Chart("tornado", "Tornado: net income sensitivity", png)
