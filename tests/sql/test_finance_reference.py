"""An independent reference implementation of [FIN-1]–[FIN-10] in exact Python arithmetic.

It follows DOMAIN's formulas literally, month by month (the recursive loss pool of [FIN-4], the VAT
period sums of [FIN-5], the funding recurrence of [FIN-7a]: overdraft interest → EBT → tax → cash), where the
SQL models use closed forms, window sums and the vectorised numpy recurrence. It reads the same tables as the
models; the loan schedule comes from `d3_engine.models.python.loan` (tested on its own in tests/unit/test_loan.py).
The test below proves the reference against the hand-checked [EX-8]; test_finance_paths then compares the SQL
with it on many paths.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import duckdb
from test_finance_fixture import ex8_con_fixture, rows_as_dicts  # noqa: F401

from d3_engine.models.python.loan import LoanTerms, exact, loan_schedule, round_to

Row = dict[str, Any]
ZERO = Decimal(0)


def r(x: Fraction | Decimal | int, places: int = 6) -> Decimal:
    """Round half away from zero to `places` decimals."""
    out = round_to(Fraction(x), Fraction(1, 10**places))
    return Decimal(out.numerator) / Decimal(out.denominator)


def ratio(num: Decimal, den: Decimal) -> Decimal | None:
    """[GEN-4] ratio: the exact quotient rounded once to 6 decimals; null at a zero denominator."""
    return None if den == 0 else r(Fraction(num) / Fraction(den))


@dataclass
class ParamSet:
    """One parameter set of the finance inputs, as exact decimals."""

    row: Row
    items: list[tuple[str, Decimal, bool, bool]] = field(default_factory=list)
    schedule: dict[int, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        value = self.row[name]
        return exact(value) if isinstance(value, float) else value


def load_param_sets(con: duckdb.DuckDBPyConnection) -> dict[int, ParamSet]:
    """params_general + fixed-cost items + the loan schedule of every parameter set."""
    flags = {
        r["item"]: (r["vat_exempt"], r["ap_exempt"]) for r in rows_as_dicts(con, "SELECT * FROM input_fixed_cost_items")
    }
    sets = {r["param_set_id"]: ParamSet(r) for r in rows_as_dicts(con, "SELECT * FROM params_general")}
    for row in rows_as_dicts(con, "SELECT * FROM params_fixed_costs ORDER BY item"):
        sets[row["param_set_id"]].items.append((row["item"], exact(row["amount_eur"]), *flags[row["item"]]))
    for ps in sets.values():
        terms = LoanTerms(
            ps.loan_amount_eur, ps.term_months, ps.interest_rate_pct, ps.repayment_type, ps.grace_period_months
        )
        ps.schedule = {s.month: s for s in loan_schedule(terms)}
    return sets


def assets_by_month(con: duckdb.DuckDBPyConnection, horizon: int) -> tuple[dict[int, Decimal], dict[int, Decimal]]:
    """[FIN-2] capex and depreciation per plan month (months beyond H dropped)."""
    capex: dict[int, Decimal] = defaultdict(Decimal)
    dep: dict[int, Decimal] = defaultdict(Decimal)
    for a in rows_as_dicts(con, "SELECT * FROM input_assets"):
        amount, life, first = exact(a["amount_eur"]), a["months"], a["start_month_index"]
        per = r(Fraction(amount) / life, 2)
        capex[first] += amount
        for m in range(first, first + life):
            dep[m] += amount - (life - 1) * per if m == first + life - 1 else per
    return ({t: capex[t] for t in range(1, horizon + 1)}, {t: dep[t] for t in range(1, horizon + 1)})


def tax_of(con: duckdb.DuckDBPyConnection, flat_pct: Decimal, taxable: Decimal) -> Decimal:
    """round6(T(taxable)) with the brackets when set, else the flat rate [FIN-4]."""
    brackets = con.execute("SELECT up_to_eur, pct FROM input_tax_brackets ORDER BY bracket").fetchall()
    if not brackets:
        return r(Fraction(flat_pct) / 100 * Fraction(taxable))
    total, lower = Fraction(0), Fraction(0)
    for up_to, pct in brackets:
        upper = Fraction(taxable) if up_to is None else min(Fraction(taxable), Fraction(exact(up_to)))
        total += Fraction(exact(pct)) / 100 * max(Fraction(0), upper - lower)
        lower = Fraction(exact(up_to)) if up_to is not None else lower
    return r(total)


def pnl_month(ps: ParamSet, t: int, pub: Row, prv: Row, insurance: Decimal, assets: tuple[dict, dict]) -> Row:
    """[FIN-1] lines of month t."""
    k = (t - 1) // 12
    factor = (1 + Fraction(ps.cpi_annual_pct) / 100) ** k
    items = {name: (r(Fraction(v) * factor), vat_ex, ap_ex) for name, v, vat_ex, ap_ex in ps.items}
    m = dict(
        revenue_public_eur=pub.get("revenue_public_eur", ZERO),
        revenue_private_eur=prv.get("revenue_private_eur", ZERO),
        cogs_public_eur=pub.get("cogs_public_eur", ZERO),
        cogs_private_eur=prv.get("cogs_private_eur", ZERO),
        acquisition_public_eur=pub.get("acquisition_public_eur", ZERO),
        acquisition_private_eur=prv.get("acquisition_private_eur", ZERO),
        fixed_opex_eur=sum((v for v, _, _ in items.values()), ZERO),
        insurance_eur=insurance,
        bizdev_eur=ps.bizdev_budget_monthly_eur,
        depreciation_eur=assets[1][t],
        capex_eur=assets[0][t],
    )
    m["revenue_total_eur"] = m["revenue_public_eur"] + m["revenue_private_eur"]
    m["gross_profit_eur"] = m["revenue_total_eur"] - m["cogs_public_eur"] - m["cogs_private_eur"]
    base = sum(
        m[c]
        for c in ("acquisition_public_eur", "acquisition_private_eur", "fixed_opex_eur", "insurance_eur", "bizdev_eur")
    )
    m["contingency_eur"] = r(Fraction(ps.contingency_pct) / 100 * Fraction(base))
    scaling_costs(ps, m, pub, prv)
    m["opex_total_eur"] = base + m["contingency_eur"] + m["payment_fees_eur"] + m["support_eur"]
    m["ebitda_eur"] = m["gross_profit_eur"] - m["opex_total_eur"]
    m["ebit_eur"] = m["ebitda_eur"] - m["depreciation_eur"]
    loan = ps.schedule.get(t)
    m["loan_interest_eur"] = loan.interest if loan else ZERO
    m["principal_repaid_eur"] = loan.principal if loan else ZERO
    m["loan_balance_eur"] = loan.closing_balance if loan else ZERO
    vat = Fraction(ps.vat_pct) / 100
    m["vatable"] = sum((v for v, vat_ex, _ in items.values() if not vat_ex), ZERO)
    gross_ap = sum(
        (Fraction(v) * (1 + (0 if vat_ex else vat)) for v, vat_ex, ap_ex in items.values() if not ap_ex), Fraction(0)
    )
    m["payables_eur"] = r(Fraction(ps.ap_days) / 30 * (gross_ap + Fraction(m["bizdev_eur"]) * (1 + vat)))
    m["receivables_eur"] = r(Fraction(prv.get("revenue_fees_eur", ZERO)) * (1 + vat) * Fraction(ps.ar_days) / 30)
    m["output_vat_eur"] = r(vat * Fraction(pub.get("credits_sold_eur", ZERO) + m["revenue_private_eur"]))
    m["input_vat_eur"] = r(vat * Fraction(m["vatable"] + m["bizdev_eur"] + m["capex_eur"]))
    m["deferred_revenue_eur"] = pub.get("credit_balance_eur", ZERO)
    return m


def calendar(ps: ParamSet, t: int) -> tuple[int, int]:
    """(fiscal year, calendar month) of plan month t."""
    year, month0 = divmod(ps.start_year * 12 + ps.start_month - 1 + t - 1, 12)
    return year, month0 + 1


def apply_vat(ps: ParamSet, months: list[Row]) -> None:
    """[FIN-5]: remit the VAT period ending in month t − lag; payable rolls forward."""
    period = ps.vat_period_months or 1
    key = [(calendar(ps, t)[0], (calendar(ps, t)[1] - 1) // period) for t in range(1, len(months) + 1)]
    payable = ZERO
    for t, m in enumerate(months, start=1):
        s = t - ps.vat_payment_lag_months
        remitted = ZERO
        if s >= 1 and calendar(ps, s)[1] % period == 0:
            remitted = sum(
                (
                    months[u - 1]["output_vat_eur"] - months[u - 1]["input_vat_eur"]
                    for u in range(1, s + 1)
                    if key[u - 1] == key[s - 1]
                ),
                ZERO,
            )
        m["vat_remitted_eur"] = remitted
        payable += m["output_vat_eur"] - m["input_vat_eur"] - remitted
        m["vat_payable_eur"] = payable


def funded_capex(con: duckdb.DuckDBPyConnection, ps: ParamSet) -> Decimal:
    """[FIN-2a]: min(Σ loan-funded, loan) + min(Σ equity-funded, equity) of the month-1 assets."""
    funded: dict[str, Decimal] = defaultdict(Decimal)
    for a in rows_as_dicts(con, "SELECT * FROM input_assets WHERE start_month_index = 1"):
        funded[a["funded_by"]] += exact(a["amount_eur"])
    return min(funded["loan"], ps.loan_amount_eur) + min(funded["equity"], ps.equity_injection_eur)


def apply_funding(ps: ParamSet, months: list[Row], con: duckdb.DuckDBPyConnection) -> None:
    """[FIN-4] and [FIN-6]–[FIN-9a] month by month, as DOMAIN writes them: overdraft interest on last month's
    overdraft, interest, EBT, tax year to date with the recursive loss pool, tax paid `lag` months later,
    CFADS without funded capex, cash, balance sheet with the overdraft as a liability, ratios."""
    prev: Row = defaultdict(Decimal)
    closing = ps.loan_amount_eur + ps.equity_injection_eur
    rate = Fraction(exact(ps.funding_line_rate_pct)) / 1200
    financed = funded_capex(con, ps)
    lag = ps.payment_lag_months or 0
    pool_start, pool, year, ytd, tax_ytd_prev = ZERO, ZERO, None, ZERO, ZERO
    fixed_net, retained, payable = ZERO, ZERO, ZERO
    for t, m in enumerate(months, start=1):
        m["overdraft_interest_eur"] = r(Fraction(max(ZERO, -closing)) * rate, 2)
        m["interest_eur"] = m["loan_interest_eur"] + m["overdraft_interest_eur"]
        m["ebt_eur"] = m["ebit_eur"] - m["interest_eur"]
        fiscal = calendar(ps, t)[0]
        if fiscal != year:
            pool_start, year, ytd, tax_ytd_prev = pool, fiscal, ZERO, ZERO
        ytd += m["ebt_eur"]
        tax_ytd = tax_of(con, ps.corporate_income_pct, max(ZERO, ytd - pool_start))
        m["tax_eur"], tax_ytd_prev = tax_ytd - tax_ytd_prev, tax_ytd
        m["ebt_ytd_eur"] = ytd
        pool = pool_start + max(ZERO, -ytd) - min(pool_start, max(ZERO, ytd))
        m["loss_carryforward_eur"] = pool
        m["net_income_eur"] = m["ebt_eur"] - m["tax_eur"]
        m["tax_paid_eur"] = months[t - lag - 1]["tax_eur"] if t - lag >= 1 else ZERO
        payable += m["tax_eur"] - m["tax_paid_eur"]
        m["tax_payable_eur"] = payable
        for x in ("receivables", "payables", "deferred_revenue", "vat_payable"):
            m[f"delta_{x}_eur"] = m[f"{x}_eur"] - prev[f"{x}_eur"]
        m["cash_from_operations_eur"] = (
            m["ebitda_eur"] - m["tax_paid_eur"] - m["delta_receivables_eur"] + m["delta_payables_eur"]
            + m["delta_deferred_revenue_eur"] + m["delta_vat_payable_eur"]
        )  # fmt: skip
        m["capex_financed_eur"] = financed if t == 1 else ZERO
        m["capex_operating_eur"] = m["capex_eur"] - m["capex_financed_eur"]
        m["cfads_eur"] = m["cash_from_operations_eur"] - m["capex_operating_eur"]
        m["debt_service_eur"] = m["interest_eur"] + m["principal_repaid_eur"]
        m["net_cash_flow_eur"] = m["cfads_eur"] - m["capex_financed_eur"] - m["debt_service_eur"]
        m["cash_opening_eur"], closing = closing, closing + m["net_cash_flow_eur"]
        m["cash_closing_eur"] = closing
        m["cash_eur"], m["overdraft_eur"] = max(ZERO, closing), max(ZERO, -closing)
        fixed_net += m["capex_eur"] - m["depreciation_eur"]
        retained += m["net_income_eur"]
        m["fixed_assets_net_eur"], m["retained_earnings_eur"] = fixed_net, retained
        m["total_assets_eur"] = m["cash_eur"] + m["receivables_eur"] + fixed_net
        m["total_liabilities_eur"] = sum(
            m[f"{x}_eur"]
            for x in ("overdraft", "payables", "vat_payable", "tax_payable", "deferred_revenue", "loan_balance")
        )
        m["paid_in_capital_eur"] = ps.equity_injection_eur
        m["total_equity_eur"] = ps.equity_injection_eur + retained
        m["balance_check_eur"] = m["total_assets_eur"] - m["total_liabilities_eur"] - m["total_equity_eur"]
        window = months[max(0, t - 12) : t]
        m["dscr"] = ratio(m["cfads_eur"], m["debt_service_eur"])
        m["dscr_ltm"] = ratio(sum(w["cfads_eur"] for w in window), sum(w["debt_service_eur"] for w in window))
        m["dscr_ebitda"] = ratio(m["ebitda_eur"] - m["tax_eur"], m["debt_service_eur"])
        m["icr"] = ratio(m["ebit_eur"], m["interest_eur"])
        m["interest_paid_eur"] = m["interest_eur"]
        prev = m


def scaling_costs(ps: ParamSet, m: Row, pub: Row, prv: Row) -> None:
    """[FIN-1a]: payment fees per tap (round6 of the rate × receipts) and support FTEs (a float ceil)."""
    p = Fraction(ps.payment_fee_pct) / 100  # resolved: 0 when not set [V12-5]
    m["fees_public"] = r(p * Fraction(pub.get("credits_sold_eur", ZERO)))
    m["fees_private"] = r(p * Fraction(m["revenue_private_eur"]))
    m["payment_fees_eur"] = m["fees_public"] + m["fees_private"]
    fte = 0
    if ps.row["customers_per_fte"] is not None:
        load = pub.get("active_customers", 0.0) / ps.row["customers_per_fte"]
        fte = math.ceil(load + prv.get("active_clients", 0.0) / ps.row["clients_per_fte"] - 1e-9)
    m["support_eur"] = fte * ps.cost_per_fte_month_eur if fte else ZERO


def apply_overhead(m: Row, driver: str, pipelines: list[str], pub: Row, prv: Row) -> None:
    """[FIN-10]: overhead_public = round6(overhead × d_pub / (d_pub + d_prv)), ½ when both are 0."""
    overhead = m["fixed_opex_eur"] + m["insurance_eur"] + m["bizdev_eur"] + m["contingency_eur"] + m["support_eur"]
    if len(pipelines) == 1:
        d_pub, d_prv = (Fraction(1), Fraction(0)) if pipelines == ["public"] else (Fraction(0), Fraction(1))
    elif driver == "revenue":
        d_pub, d_prv = Fraction(m["revenue_public_eur"]), Fraction(m["revenue_private_eur"])
    elif driver == "gpu_hours":
        d_pub, d_prv = (
            Fraction(r(Fraction(exact(pub.get("instance_hours", 0.0))))),
            Fraction(r(Fraction(exact(prv.get("hours", 0.0))))),
        )
    else:
        d_pub, d_prv = Fraction(exact(pub.get("tokens", 0.0))), Fraction(0)
    share = Fraction(1, 2) if d_pub + d_prv == 0 else d_pub / (d_pub + d_prv)
    m["overhead_eur"] = overhead
    m["overhead_public_eur"] = r(Fraction(overhead) * share)
    m["overhead_private_eur"] = overhead - m["overhead_public_eur"]
    for tap in ("public", "private"):
        m[f"contribution_{tap}_eur"] = (
            m[f"revenue_{tap}_eur"]
            - m[f"cogs_{tap}_eur"]
            - m[f"acquisition_{tap}_eur"]
            - m[f"fees_{tap}"]
            - m[f"overhead_{tap}_eur"]
        )


def reference(con: duckdb.DuckDBPyConnection, horizon: int, mc: int, pipelines: list[str]) -> dict[int, list[Row]]:
    """Every path's months (path_id → rows for t = 1..H) by the reference implementation."""
    sets = load_param_sets(con)
    premiums = [
        exact(p) for (p,) in con.execute("SELECT premium_eur_per_month FROM input_insurances_selected").fetchall()
    ]
    assets = assets_by_month(con, horizon)
    driver = con.execute("SELECT overhead_allocation_driver FROM run_settings").fetchall()[0][0]
    taps: dict[str, dict[tuple[int, int], Row]] = {}
    for tap in ("public", "private"):
        rows = rows_as_dicts(con, f"SELECT * FROM {tap}_month") if tap in pipelines else []
        taps[tap] = {(row["path_id"], row["month"]): row for row in rows}
    out: dict[int, list[Row]] = {}
    for ps_id, ps in sorted(sets.items()):
        insurance = sum((r(Fraction(p) * (1 + Fraction(ps.premiums_buffer_pct) / 100)) for p in premiums), ZERO)
        for path_id in range(ps_id * mc, ps_id * mc + mc):
            months = []
            for t in range(1, horizon + 1):
                pub, prv = taps["public"].get((path_id, t), {}), taps["private"].get((path_id, t), {})
                months.append(pnl_month(ps, t, pub, prv, insurance, assets))
                apply_overhead(months[-1], driver, pipelines, pub, prv)
            apply_vat(ps, months)
            apply_funding(ps, months, con)
            out[path_id] = months
    return out


def test_reference_reproduces_ex8(ex8_con: duckdb.DuckDBPyConnection) -> None:
    """The reference itself is right: [EX-8]'s hand-checked lines for t = 1..3."""
    months = reference(ex8_con, horizon=3, mc=1, pipelines=["public", "private"])[0]
    picked = {c: [m[c] for m in months] for c in ("cash_from_operations_eur", "cash_closing_eur", "vat_payable_eur")}
    assert picked == {
        "cash_from_operations_eur": [Decimal("-2395.434"), Decimal("-460.834"), Decimal("356.8235")],
        "cash_closing_eur": [Decimal("11284.566"), Decimal("9666.282"), Decimal("8865.6555")],
        "vat_payable_eur": [Decimal("44.226"), Decimal("697.452"), Decimal("1101.1455")],
    }
    assert [m["dscr_ltm"] for m in months] == [Decimal("-29.961950"), Decimal("-3.175285"), Decimal("-1.519341")]
    assert [m["loss_carryforward_eur"] for m in months] == [Decimal("2599.16"), Decimal("3751.72"), Decimal("3826.72")]
    assert months[0]["overhead_public_eur"] == Decimal("319.794829")
    assert all(m["balance_check_eur"] == 0 for m in months)
