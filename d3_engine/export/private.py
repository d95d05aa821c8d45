"""Private Tap artefacts (DOMAIN OUT-4): economics per GPU class, vendor ranking, clients by month.

The numbers come from the `sql/models/40_private` models; this module only selects and orders
them, with the models' columns (`export/artefacts.py`). Parameter-level files show the representative
path's parameter set ([FIN-12], [OUT-3]); the monthly file copies the series model
`private_tap_customers_by_month`: one `p<q>` row per configured percentile and a `rep` row per month ([FIN-11]).
"""

from __future__ import annotations

from d3_engine.export.artefacts import PRIVATE_CUSTOMERS, PRIVATE_ECONOMICS, PRIVATE_VENDORS
from d3_engine.export.context import RunContext


def rep_param_set(ctx: RunContext) -> int:
    """Parameter set of the representative path ([FIN-12])."""
    return int(ctx.con.execute("SELECT param_set_id FROM representative_path").fetchall()[0][0])


def export_economics(ctx: RunContext, param_set: int) -> int:
    """private_tap_economics.csv: one row per GPU class in GPU byte order ([PRV-2]–[PRV-4], [PRV-6])."""
    return PRIVATE_ECONOMICS.export(ctx.con, ctx.run_dir, "gpu", where=f"param_set_id = {param_set}")


def export_vendors(ctx: RunContext, param_set: int) -> int:
    """private_vendor_recommendation.csv: one row per offer, by GPU then rank ([PRV-4])."""
    return PRIVATE_VENDORS.export(ctx.con, ctx.run_dir, "gpu, rank", where=f"param_set_id = {param_set}")


def export_customers(ctx: RunContext) -> int:
    """private_tap_customers_by_month.csv: series (`p<q>` ascending, then `rep`) × month ([PRV-5], [PRV-7])."""
    return PRIVATE_CUSTOMERS.export(ctx.con, ctx.run_dir)


def export(ctx: RunContext) -> None:
    """Write the three Private Tap artefacts; nothing when the private pipeline did not run ([OUT-3])."""
    if not ctx.runs("private"):
        return
    param_set = rep_param_set(ctx)
    export_economics(ctx, param_set)
    export_vendors(ctx, param_set)
    export_customers(ctx)
