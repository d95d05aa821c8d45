"""The "how growth is bounded" note of the demand section ([PUB-8b], [FIN-1a], [OUT-10]).

Over a long horizon, compound budget growth at a constant acquisition cost turns any plan into a fortune, so
the report says for each tap what limits its growth: the budget cap (and the month the representative path
reaches it), the CAC elasticity, the addressable market and where the median path ends against it, and the
month-H growth rate of active customers (computed per path, then the median: [FIN-11], [GEN-5]). Then the
costs that scale with customers: payment fees and support staff. Parameters are those of the
representative path's set ([FIN-12]); a key that is not set is said in words, never shown as a number. Only
tables that run.duckdb keeps by default are read ([V12-8]): the per-path customer tables and per-path KPIs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from d3_engine.core.columns import fetch_columns
from d3_engine.core.formats import percentile_exact_of_integers, percentile_float_of_array
from d3_engine.report.context import RunInfo
from d3_engine.report.format import eur, grouped, pct
from d3_engine.report.tables import Block, Bullets, Paragraph


@dataclass(frozen=True)
class Tap:
    """Where one tap's demand lives in run.duckdb and what its customers are called."""

    label: str
    params: str
    demand: str
    active: str
    who: str
    one: str


TAPS = {
    "public": Tap(
        "Public Tap", "params_public_tap", "public_customers_path", "active_customers", "customers", "customer"
    ),
    "private": Tap(
        "Private Tap", "params_private_tap", "private_customers_by_month", "active_clients", "clients", "client"
    ),
}
INTRO = (
    "How growth is bounded. Each tap's acquisition budget may stop at a monthly cap, a bigger budget may pay a "
    "higher acquisition cost per customer (diminishing returns), and new customers become scarcer as active "
    "customers fill the addressable market, which they never exceed [PUB-8b]. Without these limits a budget "
    "that grows every month buys customers without end; the lines below say which limits this plan sets."
)


def growth_note(info: RunInfo) -> list[Block]:
    """The intro paragraph and one bullet list: each tap's limits, then the costs that scale [FIN-1a]."""
    items: list[str] = []
    for tap in info.pipelines:
        items += _tap_lines(info, TAPS[tap])
    items += _scaling_cost_lines(info)
    return [Paragraph(INTRO), Bullets(items)] if items else []


def _tap_lines(info: RunInfo, tap: Tap) -> list[str]:
    if not info.db.has(tap.params, tap.demand):
        return []
    p = info.db.one(f"SELECT * FROM {tap.params} WHERE param_set_id = {info.rep_set}")
    if p is None:
        return []
    return [
        f"{tap.label} budget: {_budget_text(info, tap, p)}",
        f"{tap.label} acquisition cost: {_cac_text(p, tap)}",
        f"{tap.label} market: {_market_text(info, tap, p)}",
    ]


def _budget_text(info: RunInfo, tap: Tap, p: dict[str, Any]) -> str:
    growth, cap = float(p["budget_growth_pct_mom"]), p["budget_cap_eur"]
    if cap is None:
        factor = (1 + growth / 100) ** (info.horizon - 1)
        return (
            f"not capped; it grows {pct(growth, 1)} a month, ×{grouped(factor, 1)} by month {info.horizon} "
            "(set acquisition.budget_cap_eur to bound it)."
        )
    reached = info.db.one(
        f"""SELECT min(month) AS month FROM {tap.demand}
            WHERE path_id = {info.rep_path_id} AND budget_eur >= CAST('{float(cap)!r}' AS DECIMAL(18,6))"""
    )
    month = reached["month"] if reached else None
    when = (
        f"reached in month {month} ({info.period(int(month))})"
        if month is not None
        else f"not reached within {info.horizon} months"
    )
    return f"capped at {eur(cap, 0)} a month, {when}."


def _cac_text(p: dict[str, Any], tap: Tap) -> str:
    elasticity = p["cac_elasticity"]
    if elasticity is None or float(elasticity) == 0:
        return f"constant: every extra euro buys {tap.who} at the same CAC (acquisition.cac_elasticity not set or 0)."
    base, cap = float(p["budget_month0_eur"]), p["budget_cap_eur"]
    text = f"rises with the budget, CAC × (budget / launch budget)^{grouped(elasticity, 2)}"
    if cap is not None and base > 0:
        factor = max(1.0, float(cap) / base) ** float(elasticity)
        text += f"; at the cap one {tap.one} costs {grouped(factor, 2)}× the base CAC"
    return text + "."


def _market_text(info: RunInfo, tap: Tap, p: dict[str, Any]) -> str:
    # One value per path (1 000 000 at 1M paths): NumPy columns, not Python rows (issue 13).
    found = fetch_columns(
        info.db.con,
        f"""SELECT CAST(d.{tap.active} AS DOUBLE) AS active, CAST(prev.{tap.active} AS DOUBLE) AS previous
            FROM {tap.demand} AS d
            LEFT JOIN {tap.demand} AS prev ON prev.path_id = d.path_id AND prev.month = d.month - 1
            WHERE d.month = {info.horizon} AND d.{tap.active} IS NOT NULL ORDER BY d.path_id""",
    )
    current, before = found["active"].values, found["previous"]
    active = percentile_float_of_array(current, 50)
    known = before.values != 0 if before.nulls is None else (before.values != 0) & ~before.nulls
    with np.errstate(all="ignore"):
        rates = 100 * (current[known] / before.values[known] - 1)
    rate = percentile_float_of_array(rates, 50)
    growth = "" if rate is None else f"; active {tap.who} grow {pct(rate, 2)} a month at month {info.horizon} (median)"
    market = p["addressable_customers"]
    if market is None:
        return (
            f"no addressable market set, so nothing limits the number of {tap.who}; the median path ends with "
            f"{grouped(active, 0)} active {tap.who}{growth} (set acquisition.addressable_customers to bound it)."
        )
    share = 100 * (active or 0.0) / float(market)
    return (
        f"{grouped(market, 0)} addressable {tap.who}; the median path ends with {grouped(active, 0)} active "
        f"({pct(share, 1)} of the market){growth}."
    )


def _scaling_cost_lines(info: RunInfo) -> list[str]:
    if not info.db.has("consolidated_path_kpis", "params_general"):
        return []
    g = info.db.one(f"SELECT * FROM params_general WHERE param_set_id = {info.rep_set}")
    if g is None:
        return []
    fee = g["payment_fee_pct"]
    lines = [
        "Payment fees: none (finance.payment_fee_pct not set or 0)."
        if float(fee) == 0
        else f"Payment fees: {pct(fee, 2)} of credits sold and of private revenue, paid in the month [FIN-1a]."
    ]
    if g["customers_per_fte"] is None:
        lines.append("Support staff: not modelled (finance.support not set); the fixed payroll serves every customer.")
        return lines
    ftes = fetch_columns(  # NULLs dropped, as percentile_exact drops None
        info.db.con,
        "SELECT CAST(support_fte_end AS BIGINT) AS fte FROM consolidated_path_kpis WHERE support_fte_end IS NOT NULL",
    )
    median = percentile_exact_of_integers(ftes["fte"].values, 50)
    lines.append(
        f"Support staff: one FTE per {grouped(g['customers_per_fte'], 0)} public customers and "
        f"{grouped(g['clients_per_fte'], 0)} private clients at {eur(g['cost_per_fte_month_eur'], 0)} a month; "
        f"month {info.horizon} needs {grouped(median, 1)} FTE (median path) [FIN-1a]."
    )
    return lines
