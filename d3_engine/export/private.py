"""Private Tap artefacts (DOMAIN OUT-4): economics per GPU class, vendor ranking, clients by month.

The numbers come from the `sql/models/40_private` models; this module only selects and orders
them. Parameter-level files show the representative path's parameter set ([FIN-12], [OUT-3]);
the monthly file has one `p<q>` row per configured percentile and a `rep` row per month ([FIN-11]).
"""

from __future__ import annotations

from d3_engine.export.context import RunContext
from d3_engine.export.series import build_series
from d3_engine.export.series_comments import comment_series
from d3_engine.export.writers import export_query

ECONOMICS_FILE = "private_tap_economics.csv"
VENDORS_FILE = "private_vendor_recommendation.csv"
CUSTOMERS_FILE = "private_tap_customers_by_month.csv"

ECONOMICS_HEADER = [
    "gpu",
    "providers",
    "provider_eur_hr_med",
    "markup_pct",
    "sell_eur_hr",
    "margin_eur_hr",
    "margin_pct",
    "recommended_provider",
    "recommended_eur_hr",
    "realised_margin_pct",
    "management_fee_eur_per_month",
    "base_fee_eur_per_month",
    "client_mix_share",
]
VENDORS_HEADER = ["gpu", "provider", "usd_hr", "eur_hr", "availability", "reputation", "score", "rank", "recommended"]
CUSTOMERS_HEADER = [
    "series",
    "month",
    "budget_eur",
    "cac_eur",
    "new_clients",
    "active_clients",
    "hours",
    "revenue_hours_eur",
    "revenue_fees_eur",
    "revenue_eur",
    "cogs_eur",
    "gross_margin_eur",
]
CUSTOMERS_SOURCE = "private_customers_by_month"
"""Per-path model whose columns carry the artefact's names ([OUT-9])."""
CUSTOMERS_SERIES = "private_tap_customers_by_month"
"""Table of the series rows, kept in run.duckdb beside the per-path rows."""


def rep_param_set(ctx: RunContext) -> int:
    """Parameter set of the representative path ([FIN-12])."""
    return int(ctx.con.execute("SELECT param_set_id FROM representative_path").fetchall()[0][0])


def export_economics(ctx: RunContext, param_set: int) -> int:
    """private_tap_economics.csv: one row per GPU class in GPU byte order ([PRV-2]–[PRV-4], [PRV-6])."""
    sql = f"""SELECT {", ".join(ECONOMICS_HEADER)} FROM private_economics
              WHERE param_set_id = {param_set} ORDER BY gpu"""
    return export_query(ctx.con, sql, ctx.run_dir / ECONOMICS_FILE, ECONOMICS_HEADER)


def export_vendors(ctx: RunContext, param_set: int) -> int:
    """private_vendor_recommendation.csv: one row per offer, by GPU then rank ([PRV-4])."""
    sql = f"""SELECT {", ".join(VENDORS_HEADER)} FROM private_vendor_recommendation
              WHERE param_set_id = {param_set} ORDER BY gpu, rank"""
    return export_query(ctx.con, sql, ctx.run_dir / VENDORS_FILE, VENDORS_HEADER)


def export_customers(ctx: RunContext) -> int:
    """private_tap_customers_by_month.csv: series (`p<q>` ascending, then `rep`) × month ([PRV-5], [PRV-7])."""
    columns = CUSTOMERS_HEADER[2:]
    build_series(ctx.con, CUSTOMERS_SERIES, CUSTOMERS_SOURCE, ["month"], columns, ctx.percentiles, ctx.rep_path_id)
    comment_series(ctx.con, CUSTOMERS_SERIES, CUSTOMERS_SOURCE, f"{CUSTOMERS_FILE} by month", ["month"])
    sql = f"""SELECT {", ".join(CUSTOMERS_HEADER)} FROM {CUSTOMERS_SERIES}
              ORDER BY series_order, month"""
    return export_query(ctx.con, sql, ctx.run_dir / CUSTOMERS_FILE, CUSTOMERS_HEADER)


def export(ctx: RunContext) -> None:
    """Write the three Private Tap artefacts; nothing when the private pipeline did not run ([OUT-3])."""
    if not ctx.runs("private"):
        return
    param_set = rep_param_set(ctx)
    export_economics(ctx, param_set)
    export_vendors(ctx, param_set)
    export_customers(ctx)
