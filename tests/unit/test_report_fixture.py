"""Databases the report tests render from [OUT-10], and the proof that they hold DOMAIN's figures.

`minimal_run_dir()` is the session's cached `d3 run` of the golden fixture minimal_001 (tests/harness.py).
`finance_copy()` copies its run.duckdb and adds the tables the finance, acceptance and KPI stages will
write, filled with the worked example's figures ([EX-7] loan, [EX-8] months 1–3 and horizon KPIs,
[EX-10] acceptance): the report's finance sections can then be proven on DOMAIN's numbers before those
stages exist. Only the columns the report reads are written; names and types follow [OUT-4]/[OUT-9]
and the finance teammate's contract (`finance_month`, `finance_path_kpis`, `loan_schedule`).
"""

from __future__ import annotations

import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
from harness import drop_published, standard_run

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = ROOT / "tests" / "fixtures" / "minimal_001"
D = Decimal

# [EX-8], t = 1, 2, 3 (EUR, exact; ratios as rounded per path to 6 decimals, [GEN-4]).
EX8: dict[str, tuple[str, str, str]] = {
    "revenue_public_eur": ("1175.00", "2350.00", "3536.75"),
    "revenue_private_eur": ("735.60", "1471.20", "2206.80"),
    "revenue_total_eur": ("1910.60", "3821.20", "5743.55"),
    "cogs_public_eur": ("1905.76", "2005.76", "2486.92"),
    "cogs_private_eur": ("264.00", "528.00", "792.00"),
    "gross_profit_eur": ("-259.16", "1287.44", "2464.63"),
    "payment_fees_eur": ("0", "0", "0"),  # [FIN-1a]: minimal_001 sets no payment fee
    "support_eur": ("0", "0", "0"),  # nor support staff
    "opex_total_eur": ("2120.00", "2220.00", "2330.00"),
    "ebitda_eur": ("-2379.16", "-932.56", "134.63"),
    "depreciation_eur": ("100", "100", "100"),
    "ebit_eur": ("-2479.16", "-1032.56", "34.63"),
    "interest_eur": ("120.00", "120.00", "109.63"),
    "tax_eur": ("0", "0", "0"),
    "net_income_eur": ("-2599.16", "-1152.56", "-75.00"),
    "cash_opening_eur": ("15000.00", "11284.566", "9666.282"),
    "tax_paid_eur": ("0", "0", "0"),
    "delta_receivables_eur": ("181.50", "181.50", "181.50"),
    "delta_payables_eur": ("121.00", "0", "0"),
    "delta_deferred_revenue_eur": ("0", "0", "0"),
    "delta_vat_payable_eur": ("44.226", "653.226", "403.6935"),
    "cash_from_operations_eur": ("-2395.434", "-460.834", "356.8235"),
    "capex_eur": ("1200", "0", "0"),
    "capex_operating_eur": ("1200", "0", "0"),
    "capex_financed_eur": ("0", "0", "0"),
    "overdraft_interest_eur": ("0", "0", "0"),
    "cfads_eur": ("-3595.434", "-460.834", "356.8235"),
    "interest_paid_eur": ("120.00", "120.00", "109.63"),
    "principal_repaid_eur": ("0", "1037.45", "1047.82"),
    "debt_service_eur": ("120.00", "1157.45", "1157.45"),
    "net_cash_flow_eur": ("-3715.434", "-1618.284", "-800.6265"),
    "cash_closing_eur": ("11284.566", "9666.282", "8865.6555"),
    "output_vat_eur": ("401.226", "802.452", "1206.1455"),
    "input_vat_eur": ("357.00", "105.00", "105.00"),
    "vat_remitted_eur": ("0", "44.226", "697.452"),
    "cash_eur": ("11284.566", "9666.282", "8865.6555"),
    "receivables_eur": ("181.50", "363.00", "544.50"),
    "fixed_assets_net_eur": ("1100", "1000", "900"),
    "total_assets_eur": ("12566.066", "11029.282", "10310.1555"),
    "overdraft_eur": ("0", "0", "0"),
    "payables_eur": ("121.00", "121.00", "121.00"),
    "vat_payable_eur": ("44.226", "697.452", "1101.1455"),
    "tax_payable_eur": ("0", "0", "0"),
    "deferred_revenue_eur": ("0", "0", "0"),
    "loan_balance_eur": ("12000.00", "10962.55", "9914.73"),
    "total_liabilities_eur": ("12165.226", "11781.002", "11136.8755"),
    "total_equity_eur": ("400.84", "-751.72", "-826.72"),
    "balance_check_eur": ("0", "0", "0"),
    "dscr": ("-29.961950", "-0.398146", "0.308284"),
    "dscr_ltm": ("-29.961950", "-3.175285", "-1.519341"),
    "dscr_ebitda": ("-19.826333", "-0.805702", "0.116316"),
    "icr": ("-20.659667", "-8.604667", "0.315881"),
}
# [EX-8] horizon KPIs (one path: every series equals rep), [OUT-5] metric names and units.
EX8_KPIS: list[tuple[str, str, str]] = [
    ("revenue_public", "EUR", "7061.75"),
    ("revenue_private", "EUR", "4413.60"),
    ("revenue_total", "EUR", "11475.35"),
    ("cogs_total", "EUR", "7982.44"),
    ("ebitda", "EUR", "-3177.09"),
    ("net_income", "EUR", "-3826.72"),
    ("gross_margin_pct", "percent", "30.4384"),
    ("public_gross_margin_pct", "percent", "9.3930"),
    ("cash_min", "EUR", "8865.66"),
    ("funding_gap", "EUR", "0.00"),
    ("dscr_min", "ratio", "-29.961950"),
    ("reserve_cover_months_end", "months", "1.580635"),
]
# [EX-10]: (check, severity, status, detail).
EX10: list[tuple[str, str, str, str]] = [
    ("ACC-A1", "warning", "pass", ""),
    ("ACC-A2", "warning", "skipped", "skipped: target null"),
    ("ACC-A3", "warning", "pass", ""),
    ("ACC-A4", "error", "pass", ""),
    ("ACC-A5", "warning", "pass", ""),
    ("ACC-A6", "warning", "fail", "violations=1; first: model=Large 30B"),
    ("ACC-A7", "warning", "pass", ""),
    ("ACC-A8", "warning", "pass", ""),
    ("ACC-A9", "warning", "pass", ""),
    ("ACC-A10", "error", "pass", ""),
    ("ACC-A11", "error", "pass", ""),
    ("ACC-A12", "warning", "pass", ""),
]


def minimal_run_dir() -> Path:
    """The golden fixture's published run folder, from the session's cache of standard runs (read only)."""
    cached = standard_run("minimal_001")
    assert cached.exit_code in (0, 4), cached.outcome.stderr
    return cached.run_dir


def copy_run(target: Path) -> Path:
    """A private copy of the golden run folder (run.duckdb and artefacts) at `target`."""
    shutil.copytree(minimal_run_dir(), target)
    return target


def ex7_schedule() -> list[tuple[int, str, Decimal, Decimal, Decimal, Decimal, Decimal]]:
    """[EX-7] by hand: 12 000 at r = 0.01, 1 grace month, annuity P = 1157.45 over 11 months ([FIN-3])."""
    cent = Decimal("0.01")
    balance, payment_p, rows = Decimal("12000.00"), Decimal("1157.45"), []
    for s in range(1, 13):
        interest = (balance * Decimal("0.01")).quantize(cent, ROUND_HALF_UP)
        principal = Decimal(0) if s == 1 else (balance if s == 12 else min(payment_p - interest, balance))
        phase = "grace" if s == 1 else "repayment"
        rows.append((s, phase, balance, interest, principal, interest + principal, balance - principal))
        balance -= principal
    return rows


SERIES_TABLES = ("pnl_by_month", "cashflow_by_month", "balance_sheet_by_month")
"""The finance exporter's series tables: dropped here so the report computes them from finance_month."""
LATER_TABLES = (
    *SERIES_TABLES,
    *("finance_month", "finance_path_kpis", "loan_schedule", "acceptance", "consolidated_kpis", "sensitivity"),
    *("risk_path_month", "risk_path", "risk_by_month", "breach_verdict", "annual_path", "annual_summary"),
)
"""Tables of the stages after the taps (finance, checks, KPIs, sensitivity)."""


def drop_later_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The run as it is before the finance, acceptance and sensitivity stages exist."""
    for table in LATER_TABLES:
        drop_published(con, table)  # finance_month is a view over finance_month_stored


def taps_only_copy(target: Path) -> Path:
    """A copy of the golden run without any table of the later stages."""
    copy_run(target)
    con = duckdb.connect(str(target / "run.duckdb"))
    try:
        drop_later_tables(con)
    finally:
        con.close()
    return target


def create(con: duckdb.DuckDBPyConnection, table: str, columns: str) -> None:
    """CREATE OR REPLACE `table` with the given column list."""
    con.execute(f'CREATE OR REPLACE TABLE "{table}" ({columns})')


MONEY = "DECIMAL(18,6)"
LOAN_COLUMNS = (
    f"param_set_id BIGINT, grid_index BIGINT, replicate_index BIGINT, month BIGINT, period VARCHAR, phase VARCHAR, "
    f"opening_balance_eur {MONEY}, interest_eur {MONEY}, principal_eur {MONEY}, payment_eur {MONEY}, "
    f"closing_balance_eur {MONEY}"
)
ACCEPTANCE_COLUMNS = (
    "check_id VARCHAR, severity VARCHAR, effective_severity VARCHAR, status VARCHAR, series VARCHAR, "
    "violations BIGINT, paths_evaluated BIGINT, paths_failing BIGINT, pass_rate_pct DECIMAL(9,4), detail VARCHAR, "
    "rule VARCHAR"
)
SENSITIVITY_COLUMNS = (
    "variable_id VARCHAR, scope VARCHAR, path VARCHAR, treatment VARCHAR, kpi VARCHAR, n_paths BIGINT, "
    f"spearman_rho DOUBLE, kpi_mean_low {MONEY}, kpi_mean_high {MONEY}, swing {MONEY}"
)


def add_finance_tables(con: duckdb.DuckDBPyConnection) -> None:
    """finance_month, finance_path_kpis, loan_schedule, acceptance, consolidated_kpis, sensitivity (empty)."""
    drop_later_tables(con)
    money = ", ".join(f'"{c}" {MONEY}' for c in EX8)
    create(con, "finance_month", f"path_id BIGINT, param_set_id BIGINT, month BIGINT, period VARCHAR, {money}")
    marks = ", ".join(f"CAST(? AS {MONEY})" for _ in EX8)
    for t in (1, 2, 3):
        values = [t, f"2026-0{t}", *(v[t - 1] for v in EX8.values())]
        con.execute(f"INSERT INTO finance_month VALUES (0, 0, ?, ?, {marks})", values)
    create(con, "finance_path_kpis", f"path_id BIGINT, net_income_h_eur {MONEY}, cash_min_eur {MONEY}, "
           f"funding_gap_eur {MONEY}, "
           "first_negative_cash_month BIGINT")  # fmt: skip
    con.execute("INSERT INTO finance_path_kpis VALUES (0, -3826.72, 8865.6555, 0, NULL)")
    create(con, "loan_schedule", LOAN_COLUMNS)
    for s, phase, *money_values in ex7_schedule():
        con.execute(
            "INSERT INTO loan_schedule VALUES (0, 0, 0, ?, ?, ?, ?, ?, ?, ?, ?)",
            [s, f"2026-{s:02d}", phase, *(str(m) for m in money_values)],
        )
    create(con, "acceptance", ACCEPTANCE_COLUMNS)
    for check, severity, status, detail in EX10:
        violations = None if status == "skipped" else (1 if status == "fail" else 0)
        con.execute(
            "INSERT INTO acceptance VALUES (?, ?, ?, ?, '', ?, NULL, NULL, NULL, ?, ?)",
            [check, severity, severity, status, violations, detail, f"rule of {check}"],
        )
    create(
        con,
        "consolidated_kpis",
        "metric VARCHAR, metric_order BIGINT, unit VARCHAR, series VARCHAR, series_order BIGINT, value DECIMAL(38,20)",
    )
    for order, (metric, unit, value) in enumerate(EX8_KPIS, start=1):
        for series, series_order in (("p10", 10), ("p50", 50), ("p90", 90), ("rep", 1000)):
            con.execute(
                "INSERT INTO consolidated_kpis VALUES (?, ?, ?, ?, ?, ?)",
                [metric, order, unit, series, series_order, value],
            )
    create(con, "sensitivity", SENSITIVITY_COLUMNS)


SENSITIVITY_ROWS = [
    ("churn_pct_mom_public", "public_tap", "acquisition.churn_pct_mom", "random", "-4100.00", "-3500.00"),
    ("tokens_per_conv_mean", "public_tap", "acquisition.tokens_per_conversion_mean", "random", "-3900.00", "-3700.00"),
]
"""Hand-made sensitivity rows (the golden fixture has no random variable): net income means of the low and
high quartile per variable; churn swings 600, tokens 200, so churn heads the tornado ([FIN-13])."""


def add_sensitivity_rows(con: duckdb.DuckDBPyConnection) -> None:
    """Fill the (empty) sensitivity table with SENSITIVITY_ROWS for the net income KPI."""
    for variable, scope, path, treatment, low, high in SENSITIVITY_ROWS:
        con.execute(
            "INSERT INTO sensitivity VALUES (?, ?, ?, ?, 'net_income_eur', 1250, 0.5, ?, ?, ?)",
            [variable, scope, path, treatment, low, high, str(D(high) - D(low))],
        )


def finance_copy(target: Path) -> Path:
    """A copy of the golden run whose run.duckdb also holds the [EX-7]/[EX-8]/[EX-10] tables."""
    copy_run(target)
    con = duckdb.connect(str(target / "run.duckdb"))
    try:
        add_finance_tables(con)
    finally:
        con.close()
    return target


def test_ex7_schedule_by_hand_matches_domain() -> None:
    """[EX-7] rows s = 1, 2, 3, 12; principal sums to the amount (ACC-A10)."""
    rows = {r[0]: r[1:] for r in ex7_schedule()}
    assert rows[1] == ("grace", D("12000.00"), D("120.00"), D("0"), D("120.00"), D("12000.00"))
    assert rows[2] == ("repayment", D("12000.00"), D("120.00"), D("1037.45"), D("1157.45"), D("10962.55"))
    assert rows[3] == ("repayment", D("10962.55"), D("109.63"), D("1047.82"), D("1157.45"), D("9914.73"))
    assert rows[12] == ("repayment", D("1145.99"), D("11.46"), D("1145.99"), D("1157.45"), D("0.00"))
    assert sum(r[3] for r in rows.values()) == D("12000.00")


def test_ex8_months_keep_their_identities() -> None:
    """The [EX-8] figures copied here are consistent: cash roll-forward, CFADS, balance sheet ([FIN-7], [FIN-8])."""
    for t in range(3):
        v = {k: D(x[t]) for k, x in EX8.items()}
        assert v["cash_opening_eur"] + v["net_cash_flow_eur"] == v["cash_closing_eur"]
        assert v["cash_from_operations_eur"] - v["capex_eur"] == v["cfads_eur"]
        assert v["cfads_eur"] - v["debt_service_eur"] == v["net_cash_flow_eur"]
        assets = v["cash_eur"] + v["receivables_eur"] + v["fixed_assets_net_eur"]
        assert assets == v["total_assets_eur"]
        assert assets - v["total_liabilities_eur"] - v["total_equity_eur"] == v["balance_check_eur"] == 0
