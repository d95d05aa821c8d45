"""Annual statements: one column per plan year, the representative path in full and the spread of the lines a
lender reads first ([OUT-14], [OUT-12] annual_summary).

A plan year y covers months 12(y−1)+1 … min(12y, H); a short last year is shown as it is and its column label
says so. Flows are sums over the year, balances those of its last month, dscr_annual = Σ cfads / Σ debt service.
"""

from __future__ import annotations

from typing import Any

from d3_engine.report.context import RunInfo
from d3_engine.report.tables import BY_UNIT, Column, Paragraph, ReportTable, Section

LINES: tuple[tuple[str, str, str], ...] = (
    ("revenue_total_eur", "Revenue", "EUR"),
    ("gross_profit_eur", "Gross profit", "EUR"),
    ("ebitda_eur", "EBITDA", "EUR"),
    ("net_income_eur", "Net income", "EUR"),
    ("cfads_eur", "CFADS (cash available for debt service)", "EUR"),
    ("debt_service_eur", "Debt service (loan and funding-line interest + loan principal)", "EUR"),
    ("dscr_annual", "DSCR of the year", "ratio"),
    ("cash_closing_eur", "Cash at year end (negative = overdraft)", "EUR"),
    ("overdraft_eur", "Funding line drawn at year end", "EUR"),
    ("loan_balance_eur", "Loan outstanding at year end", "EUR"),
)
SPREAD = ("ebitda_eur", "net_income_eur", "cash_closing_eur", "dscr_annual")


def annual_section(info: RunInfo) -> Section:
    """Annual statements after the verdict page."""
    section = Section("annual", "Annual statements")
    if not info.db.has("annual_summary"):
        return section.missing("Annual statements (annual_summary)")
    rows = info.db.rows("SELECT * FROM annual_summary ORDER BY series_order, year")
    by_series: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_series.setdefault(str(row["series"]), []).append(row)
    section.add(
        Paragraph(
            "One column per plan year (12 months from the plan start; a short last year is shown as it is). "
            "Flows are summed over the year, balances are those of its last month. Debt service counts the "
            "interest on the funding line (the overdraft) besides the loan's interest and principal, so it grows "
            "while the plan draws on the line. A negative DSCR means the year's cash flow does not cover its "
            "debt service at all."
        )
    )
    section.add(_year_table("annual_rep", "Annual statements (representative path)", by_series.get("rep", []), LINES))
    spread = tuple(line for line in LINES if line[0] in SPREAD)
    for label in ("p10", "p50", "p90"):
        title = f"Key lines by year, {label} across paths"
        section.add(_year_table(f"annual_{label}", title, by_series.get(label, []), spread))
    return section


def _year_table(
    name: str, title: str, years: list[dict[str, Any]], lines: tuple[tuple[str, str, str], ...]
) -> ReportTable:
    columns = [Column("line", "Line"), Column("unit", "Unit")]
    for row in years:
        label = f"Year {row['year']}"
        if int(row["months"]) < 12:
            label += f" ({row['months']} months)"
        columns.append(Column(f"year_{row['year']}", f"{label}: {row['period_start']} – {row['period_end']}", BY_UNIT))
    table_rows = [[text, unit, *[row[key] for row in years]] for key, text, unit in lines]
    return ReportTable(name, title, columns, table_rows)
