"""Report sections on the money: P&L, cash flow, balance sheet, loan and lender ratios, VAT ([OUT-10]).

Each part renders from its table when the run has it (the finance models [FIN-1]–[FIN-9] and their
series tables, see `report_tables.series`) and otherwise says plainly that it was not computed in
this run: the report never shows a number the engine did not compute. Monthly statements show the
representative path; the spread across paths is shown for the lines a lender reads first.
"""

from __future__ import annotations

from d3_engine.report.charts import cash_chart, lines_chart
from d3_engine.report.context import RunInfo
from d3_engine.report.format import eur, pct, plural
from d3_engine.report.tables import (
    Chart,
    Column,
    Paragraph,
    ReportTable,
    Row,
    Section,
    Series,
    band_table,
    rep_rows,
    series,
    table_from_rows,
    values,
)

MONTH = [Column("month", "Month", "int"), Column("period", "Period")]
PNL = [
    Column("revenue_public_eur", "Revenue public", "eur"),
    Column("revenue_private_eur", "Revenue private", "eur"),
    Column("revenue_total_eur", "Revenue total", "eur"),
    Column("cogs_public_eur", "COGS public", "eur"),
    Column("cogs_private_eur", "COGS private", "eur"),
    Column("gross_profit_eur", "Gross profit", "eur"),
    Column("payment_fees_eur", "Payment fees", "eur"),
    Column("support_eur", "Support staff", "eur"),
    Column("opex_total_eur", "Opex total", "eur"),
    Column("ebitda_eur", "EBITDA", "eur"),
    Column("depreciation_eur", "Depreciation", "eur"),
    Column("interest_eur", "Interest", "eur"),
    Column("tax_eur", "Tax", "eur"),
    Column("net_income_eur", "Net income", "eur"),
]
CASHFLOW = [
    Column("cash_opening_eur", "Cash opening", "eur"),
    Column("ebitda_eur", "EBITDA", "eur"),
    Column("tax_paid_eur", "Tax paid", "eur"),
    Column("delta_receivables_eur", "Δ receivables", "eur"),
    Column("delta_payables_eur", "Δ payables", "eur"),
    Column("delta_deferred_revenue_eur", "Δ deferred revenue", "eur"),
    Column("delta_vat_payable_eur", "Δ VAT payable", "eur"),
    Column("cash_from_operations_eur", "Cash from operations", "eur"),
    Column("capex_eur", "Capex", "eur"),
    Column("capex_financed_eur", "of which paid by loan or equity", "eur"),
    Column("cfads_eur", "CFADS", "eur"),
    Column("overdraft_interest_eur", "Funding-line interest", "eur"),
    Column("debt_service_eur", "Debt service", "eur"),
    Column("net_cash_flow_eur", "Net cash flow", "eur"),
    Column("cash_closing_eur", "Cash closing", "eur"),
]
BALANCE = [
    Column("cash_eur", "Cash", "eur"),
    Column("receivables_eur", "Receivables", "eur"),
    Column("fixed_assets_net_eur", "Fixed assets", "eur"),
    Column("total_assets_eur", "Total assets", "eur"),
    Column("overdraft_eur", "Funding line drawn", "eur"),
    Column("payables_eur", "Payables", "eur"),
    Column("vat_payable_eur", "VAT payable", "eur"),
    Column("tax_payable_eur", "Tax payable", "eur"),
    Column("deferred_revenue_eur", "Deferred revenue", "eur"),
    Column("loan_balance_eur", "Loan", "eur"),
    Column("total_liabilities_eur", "Total liabilities", "eur"),
    Column("total_equity_eur", "Equity", "eur"),
    Column("balance_check_eur", "Check", "eur"),
]
RATIOS = [
    Column("cfads_eur", "CFADS", "eur"),
    Column("debt_service_eur", "Debt service", "eur"),
    Column("dscr", "DSCR", "ratio"),
    Column("dscr_ltm", "LTM DSCR", "ratio"),
    Column("dscr_ebitda", "DSCR on EBITDA", "ratio"),
    Column("icr", "ICR", "ratio"),
]
VAT = [
    Column("output_vat_eur", "Output VAT", "eur"),
    Column("input_vat_eur", "Input VAT", "eur"),
    Column("vat_remitted_eur", "VAT paid (+) / refunded (−)", "eur"),
]
LOAN = [
    Column("month", "Loan month", "int"),
    Column("period", "Period"),
    Column("phase", "Phase"),
    Column("opening_balance_eur", "Opening", "eur"),
    Column("interest_eur", "Interest", "eur"),
    Column("principal_eur", "Principal", "eur"),
    Column("payment_eur", "Payment", "eur"),
    Column("closing_balance_eur", "Closing", "eur"),
]
FINANCE_SOURCE = "finance_month"


def statement(info: RunInfo, table: str, columns: list[Column]) -> Series | None:
    """A finance series (`pnl_by_month`, `cashflow_by_month`, `balance_sheet_by_month`) or None."""
    return series(info.db, table, FINANCE_SOURCE, [c.name for c in columns], info.percentiles, info.rep_path_id)


def statements_section(info: RunInfo) -> Section:
    """P&L, cash flow and balance sheet: representative path, bands across paths, cash chart."""
    section = Section("statements", "P&L, cash flow and balance sheet")
    pnl = statement(info, "pnl_by_month", PNL)
    if pnl is None:
        return section.missing("P&L, cash flow and balance sheet (finance tables)")
    cash = statement(info, "cashflow_by_month", CASHFLOW)
    balance = statement(info, "balance_sheet_by_month", BALANCE)
    section.add(Paragraph("Amounts are net of VAT. The representative path shows one consistent future in full."))
    section.add(_rep_table(info, "pnl_rep", "P&L by month (representative path)", PNL, pnl))
    key = [c for c in PNL if c.name in ("revenue_total_eur", "ebitda_eur", "net_income_eur")]
    section.add(band_table("pnl_bands", "P&L across paths", pnl, key, info.periods, include_rep=False))
    if cash:
        section.add(_rep_table(info, "cashflow_rep", "Cash flow by month (representative path)", CASHFLOW, cash))
        closing = [CASHFLOW[-1]]
        section.add(band_table("cash_bands", "Closing cash across paths", cash, closing, info.periods))
        section.add(_cash_chart(info, cash))
    if balance:
        section.add(
            _rep_table(info, "balance_rep", "Balance sheet at month end (representative path)", BALANCE, balance)
        )
    return section


def _rep_table(info: RunInfo, name: str, title: str, columns: list[Column], data: Series) -> ReportTable:
    rows = [{**row, "period": info.period(row["month"])} for row in rep_rows(data)]
    return table_from_rows(name, title, MONTH + columns, rows)


def _cash_chart(info: RunInfo, cash: Series) -> Chart:
    months = info.months
    low, mid, high = info.band_labels()
    floor = info.settings["min_cash_floor_eur"]
    png = cash_chart(
        months,
        [info.period(m) for m in months],
        values(cash, low, "cash_closing_eur", months),
        values(cash, mid, "cash_closing_eur", months),
        values(cash, high, "cash_closing_eur", months),
        values(cash, "rep", "cash_closing_eur", months),
        None if floor is None else float(floor),
        f"{low}–{high} across paths",
    )
    return Chart(
        "cash_by_month", "Cash by month", png, f"Band: {low}–{high} of closing cash; line: representative path."
    )


def loan_section(info: RunInfo) -> Section:
    """Loan schedule (full term) and lender ratios with the covenant."""
    section = Section("loan", "Loan schedule and lender ratios")
    general = info.db.rows(f"SELECT * FROM params_general WHERE param_set_id = {info.rep_set}")[0]
    section.add(Paragraph(_loan_sentence(info, general)))
    if info.db.has("loan_schedule"):
        rows = info.db.rows(
            f"""SELECT month, period, phase, opening_balance_eur, interest_eur, principal_eur, payment_eur,
                       closing_balance_eur
                FROM loan_schedule WHERE param_set_id = {info.rep_set} ORDER BY month"""
        )
        section.add(table_from_rows("loan_schedule", "Loan schedule (full term)", LOAN, rows))
        if rows:
            section.add(_loan_chart(info, rows))
    else:
        section.missing("Loan schedule")
    ratios = statement(info, "cashflow_by_month", RATIOS)
    if ratios is None:
        return section.missing("Lender ratios (DSCR, LTM DSCR, ICR)")
    section.add(lender_ratio_table(info))
    ltm = [c for c in RATIOS if c.name == "dscr_ltm"]
    section.add(band_table("dscr_ltm_bands", "LTM DSCR across paths", ratios, ltm, info.periods))
    section.add(_dscr_chart(info, ratios))
    return section


LENDER_RATIOS = [
    *MONTH,
    Column("cfads_eur", "CFADS", "eur"),
    Column("debt_service_eur", "Debt service", "eur"),
    Column("dscr_text", "DSCR"),
    Column("dscr_ltm_text", "LTM DSCR"),
    Column("icr_text", "ICR"),
]


def lender_ratio_text(ratio: object, shortfall: object, window: str = "") -> str:
    """A ratio the lender's way [FIN-9a]: below 0 it is "n.m." with its shortfall in euros beside it."""
    if ratio is None:
        return "–"
    value = float(ratio)  # type: ignore[arg-type]
    text = f"n.m. (short {eur(shortfall)})" if value < 0 else f"{value:.2f}"
    return f"{text} {window}".strip()


def lender_ratio_table(info: RunInfo) -> ReportTable:
    """Lender ratios of the representative path: negative ratios as n.m. with the euros missing; LTM DSCR
    labelled "since start" for t < 12 ([FIN-9a])."""
    rows = info.db.rows(
        f"""SELECT month, cfads_eur, debt_service_eur, dscr, dscr_ltm, icr,
                   debt_service_eur - cfads_eur AS dscr_short,
                   sum(debt_service_eur - cfads_eur) OVER (ORDER BY month ROWS BETWEEN 11 PRECEDING AND CURRENT ROW)
                       AS ltm_short,
                   interest_eur - ebit_eur AS icr_short
            FROM finance_month WHERE path_id = {info.rep_path_id} ORDER BY month"""
    )
    out = [
        {
            **r,
            "period": info.period(int(r["month"])),
            "dscr_text": lender_ratio_text(r["dscr"], r["dscr_short"]),
            "dscr_ltm_text": lender_ratio_text(
                r["dscr_ltm"], r["ltm_short"], "(since start)" if int(r["month"]) < 12 else ""
            ),
            "icr_text": lender_ratio_text(r["icr"], r["icr_short"]),
        }
        for r in rows
    ]
    note = (
        "A ratio below 0 is not meaningful (n.m.): the euros beside it are what the cash flow misses to cover "
        "debt service (DSCR), over the window (LTM DSCR), or what EBIT misses to cover interest (ICR). "
        "Before month 12 the LTM DSCR covers the months since the start. The numbers are in cashflow_by_month.csv."
    )
    return table_from_rows("ratios_rep", "Lender ratios by month (representative path)", LENDER_RATIOS, out, note)


def _loan_sentence(info: RunInfo, general: Row) -> str:
    text = (
        f"Loan of {eur(general['loan_amount_eur'])} at {pct(general['interest_rate_pct'])} a year over "
        f"{plural(int(general['term_months']), 'month')} ({general['repayment_type']}, "
        f"{plural(int(general['grace_period_months']), 'month')} of grace with interest only). "
        "DSCR = cash flow available for debt service (CFADS) / interest and principal of the month; "
        "LTM DSCR uses the last twelve months."
    )
    target = info.settings["min_monthly_dscr"]
    if target is not None:
        start = int(info.settings["dscr_test_from_month"])
        text += f" Covenant: LTM DSCR of at least {float(target):.2f} from month {start}."
    return text


def _loan_chart(info: RunInfo, rows: list[Row]) -> Chart:
    months = [int(r["month"]) for r in rows]
    closing: list[float | None] = [float(r["closing_balance_eur"]) for r in rows]
    png = lines_chart(
        "Loan balance at month end",
        months,
        [str(r["period"]) for r in rows],
        [("closing balance", closing)],
        [],
        "EUR",
        vline=(f"plan horizon (month {info.horizon})", float(info.horizon)),
        money=True,
    )
    return Chart("loan_balance", "Loan balance", png)


def _dscr_chart(info: RunInfo, ratios: Series) -> Chart:
    months = info.months
    lines: list[tuple[str, list[float | None]]] = [
        ("DSCR (monthly CFADS, rep)", values(ratios, "rep", "dscr", months)),
        ("LTM DSCR (rep)", values(ratios, "rep", "dscr_ltm", months)),
        ("LTM DSCR p50", values(ratios, "p50", "dscr_ltm", months)),
    ]
    target = info.settings["min_monthly_dscr"]
    start = int(info.settings["dscr_test_from_month"])
    hlines: list[tuple[str, float, int | None]] = []
    if target is not None:
        hlines.append((f"covenant {float(target):.2f} from month {start}", float(target), start))
    png = lines_chart("DSCR by month", months, [info.period(m) for m in months], lines, hlines, "ratio")
    return Chart("dscr_by_month", "DSCR by month against the covenant", png)


def vat_section(info: RunInfo) -> Section:
    """VAT accrued, paid and owed by month (representative path) [FIN-5]."""
    section = Section("vat", "VAT")
    general = info.db.rows(f"SELECT * FROM params_general WHERE param_set_id = {info.rep_set}")[0]
    period = "quarter" if int(general["vat_period_months"]) == 3 else "month"
    section.add(
        Paragraph(
            f"VAT of {pct(general['vat_pct'])} is due on credits when they are sold and on private invoices; input "
            f"VAT is reclaimed on VAT-bearing costs and capex. Returns are filed per calendar {period} and paid "
            f"{plural(int(general['vat_payment_lag_months']), 'month')} after the period ends."
        )
    )
    flows = statement(info, "cashflow_by_month", VAT)
    owed = statement(info, "balance_sheet_by_month", [Column("vat_payable_eur", "VAT payable", "eur")])
    if flows is None or owed is None:
        return section.missing("VAT by month (finance tables)")
    rows = [{**row, **owed["rep"][row["month"]], "period": info.period(row["month"])} for row in rep_rows(flows)]
    columns = [*MONTH, *VAT, Column("vat_payable_eur", "VAT payable at month end", "eur")]
    section.add(table_from_rows("vat_rep", "VAT by month (representative path)", columns, rows))
    return section
