"""The report's first page: the lender's answer ([OUT-14], [ACC-A13], [FIN-14]).

In reading order: the verdict line with the breach count in words; the funding need next to what is financed;
sources and uses at month 1; EBITDA break-even; the month-by-month breach probability as a chart; the
stress-test table when the run has one ([OUT-13]); the three drivers with the largest |swing| on cash_min_eur
([FIN-13]). Every number comes from a model of the DAG (breach_verdict, consolidated_kpis, risk_by_month,
finance_params, sensitivity, stress_tests); nothing is computed here but words.
"""

from __future__ import annotations

from typing import Any

from d3_engine.export.consolidated_summary import CARRIES, NOT_TESTED, breach_sentence, verdict
from d3_engine.report.charts import lines_chart
from d3_engine.report.context import RunInfo
from d3_engine.report.format import eur
from d3_engine.report.tables import (
    BY_UNIT,
    Bullets,
    Chart,
    Column,
    Paragraph,
    ReportTable,
    Row,
    Section,
    table_from_rows,
)


def verdict_section(info: RunInfo) -> Section:
    """ "The verdict": one page that answers whether the plan carries its loan."""
    section = Section("verdict", "The verdict")
    if not info.db.has("breach_verdict", "consolidated_kpis", "risk_by_month"):
        return section.missing("The lender's verdict (risk models)")
    answer = verdict(info.db.con)
    section.add(Paragraph(verdict_line(info, answer)))
    kpi = _kpis(info)
    section.add(_funding_table(info, kpi), _sources_and_uses(info, kpi))
    section.add(Paragraph(_break_even_sentence(info, kpi)))
    section.add(_breach_chart(info))
    if info.db.has("stress_tests") and info.db.one("SELECT 1 FROM stress_tests WHERE scenario_index > 0"):
        section.add(_stress_table(info))
    drivers = top_drivers(info)
    if drivers:
        section.add(Paragraph("What moves the lowest cash most (sensitivity, low vs high quartile):"), Bullets(drivers))
    return section


def verdict_line(info: RunInfo, answer: dict[str, Any]) -> str:
    """The first line of the report: the verdict and the breach count in words."""
    sentence = breach_sentence(answer["paths_breached"], answer["paths"])
    if answer["verdict"] == NOT_TESTED:
        return (
            f"Verdict: not tested. The plan {sentence}, but it does not reach the whole loan term or the covenant "
            f"test (horizon {info.horizon} months, or no DSCR covenant set, or no loan)."
        )
    limit = float(info.settings["max_breach_probability_pct"])
    head = "carries its loan" if answer["verdict"] == CARRIES else "does NOT carry its loan"
    return f"Verdict: the plan {head}. It {sentence}; the target allows at most {limit:g} % of paths."


def _kpis(info: RunInfo) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for row in info.db.rows("SELECT metric, series, value FROM consolidated_kpis"):
        out.setdefault(str(row["metric"]), {})[str(row["series"])] = row["value"]
    return out


def _financed(info: RunInfo) -> Row:
    found = info.db.one(
        f"""SELECT loan_amount_eur, equity_injection_eur, capex_financed_eur FROM finance_params
            WHERE param_set_id = {info.rep_set}"""
    )
    return found or {"loan_amount_eur": 0, "equity_injection_eur": 0, "capex_financed_eur": 0}


def _funding_table(info: RunInfo, kpi: dict[str, dict[str, Any]]) -> ReportTable:
    money = _financed(info)
    low, mid, high = info.band_labels()
    rows = [
        {"item": "Financed: loan", "amount_eur": money["loan_amount_eur"]},
        {"item": "Financed: equity", "amount_eur": money["equity_injection_eur"]},
        {"item": "Financed: total", "amount_eur": money["loan_amount_eur"] + money["equity_injection_eur"]},
        {"item": f"Funding gap (peak overdraft), {mid}", "amount_eur": kpi["funding_gap"].get(mid)},
        {"item": f"Funding gap (peak overdraft), {high}", "amount_eur": kpi["funding_gap"].get(high)},
        {"item": "Extra funding for 9 in 10 paths (p90 of the gap)", "amount_eur": kpi["extra_funding_p90"]["p50"]},
    ]
    columns = [Column("item", "What"), Column("amount_eur", "EUR", "eur")]
    note = f"The gap is the deepest overdraft of a path; {low}–{high} is its spread across paths."
    return table_from_rows("funding_need", "Funding need next to what is financed", columns, rows, note)


def _sources_and_uses(info: RunInfo, kpi: dict[str, dict[str, Any]]) -> ReportTable:
    money = _financed(info)
    total = money["loan_amount_eur"] + money["equity_injection_eur"]
    rows = [
        {"side": "Sources", "item": "Loan", "amount_eur": money["loan_amount_eur"]},
        {"side": "Sources", "item": "Equity", "amount_eur": money["equity_injection_eur"]},
        {"side": "Uses", "item": "Capex paid by the loan or the equity", "amount_eur": money["capex_financed_eur"]},
        {"side": "Uses", "item": "Opening cash for operations", "amount_eur": total - money["capex_financed_eur"]},
        {
            "side": "Still needed",
            "item": "Extra funding (p90 of the gap)",
            "amount_eur": kpi["extra_funding_p90"]["p50"],
        },
    ]
    columns = [Column("side", "Side"), Column("item", "Item"), Column("amount_eur", "EUR", "eur")]
    return table_from_rows("sources_and_uses", "Sources and uses at month 1", columns, rows)


def _break_even_sentence(info: RunInfo, kpi: dict[str, dict[str, Any]]) -> str:
    median = kpi["break_even_month"].get("p50")
    never = kpi["share_never_break_even"].get("p50")
    when = (
        f"after month {info.horizon} (not within the horizon)"
        if median is None
        else f"in month {int(median)} ({info.period(int(median))})"
    )
    share = "–" if never is None else f"{float(never) * 100:.1f} %"
    return (
        f"EBITDA break-even (EBITDA ≥ 0 from that month to the end of the horizon) comes, on the median path, {when}; "
        f"{share} of the paths never break even within {info.horizon} months."
    )


def _breach_chart(info: RunInfo) -> Chart:
    rows = info.db.rows(
        """SELECT month, sum(paths_breached_by) AS by_t, sum(paths_cash_breach) AS cash, sum(paths_dscr_breach) AS dscr,
                  sum(paths) AS n FROM risk_by_month GROUP BY month ORDER BY month"""
    )
    months = [int(r["month"]) for r in rows]

    def share(key: str) -> list[float | None]:
        return [100.0 * float(r[key]) / float(r["n"]) for r in rows]

    png = lines_chart(
        "Share of paths in breach by month",
        months,
        [info.period(m) for m in months],
        [
            ("breached by this month (cash or DSCR)", share("by_t")),
            ("cash below floor this month", share("cash")),
            ("LTM DSCR below covenant this month", share("dscr")),
        ],
        [],
        "% of paths",
    )
    return Chart(
        "breach_probability",
        "Breach probability by month",
        png,
        f"All {info.horizon} months; counts over all paths of risk_by_month.csv.",
    )


def _stress_table(info: RunInfo) -> ReportTable:
    """Each stress of [IN-21] next to the base, on the same random numbers ([OUT-13]); grid point 0."""
    rows = info.db.rows(
        """SELECT s.scenario AS stress, s.metric, s.unit, b.p50 AS base_p50, s.p50, b.p90 AS base_p90, s.p90
           FROM stress_tests AS s JOIN stress_tests AS b
             ON b.scenario_index = 0 AND b.grid_index = s.grid_index AND b.metric = s.metric
           WHERE s.scenario_index > 0 AND s.grid_index = 0
           ORDER BY s.scenario_index, s.metric_order"""
    )
    columns = [
        Column("stress", "Stress", "text"),
        Column("metric", "Metric", "text"),
        Column("unit", "Unit", "text"),
        Column("base_p50", "Base p50", BY_UNIT),
        Column("p50", "Stress p50", BY_UNIT),
        Column("base_p90", "Base p90", BY_UNIT),
        Column("p90", "Stress p90", BY_UNIT),
    ]
    title = "Stress tests next to the base (same random numbers, one change at a time; grid point 0)"
    return table_from_rows("stress_tests", title, columns, rows, STRESS_NOTE)


STRESS_NOTE = (
    "p50 and p90 are the median and the 90th percentile across paths. For funding_gap and break_even_month the "
    "p90 is the bad end (9 paths in 10 need no more, break even no later); for net_income_h, cash_min and "
    "dscr_ltm_test_min it is the good end (1 path in 10 does better), so compare the p50s there."
)


def top_drivers(info: RunInfo) -> list[str]:
    """The three variables with the largest |swing| on cash_min_eur (ties in [GEN-6] order), net income beside."""
    if not info.db.has("sensitivity"):
        return []
    rows = info.db.rows(
        """SELECT c.variable_id, c.scope, c.swing AS cash_swing, n.swing AS income_swing
           FROM sensitivity AS c
           LEFT JOIN sensitivity AS n
               ON n.scope = c.scope AND n.variable_id = c.variable_id AND n.kpi = 'net_income_eur'
           WHERE c.kpi = 'cash_min_eur' AND c.swing IS NOT NULL
           ORDER BY abs(c.swing) DESC,
                    CASE c.scope WHEN 'general' THEN 0 WHEN 'public_tap' THEN 1 ELSE 2 END, encode(c.variable_id)
           LIMIT 3"""
    )
    return [
        f"{r['variable_id']} ({r['scope']}): lowest cash moves by {eur(r['cash_swing'])} from its low to its high "
        f"quartile; net income by {eur(r['income_swing'])}."
        for r in rows
    ]
