"""Public Tap artefacts (OUT-4) and their run_summary blocks (OUT-7).

Every file copies a model's table (`export/artefacts.py`), ordered: parameter-level files (vendor choice,
prices) show the representative path's parameter set ([FIN-12]); the scenario, customer and capacity files copy
the series models (`models/python/series.py`, `capacity_plan.py`: the `p<q>` rows of every configured
percentile, [GEN-5] [FIN-11], and the `rep` rows of the representative path); the autoscaler files and the
packs are of the representative path only ([PUB-10], [PUB-12]). Every query has a total ORDER BY.
"""

from __future__ import annotations

from typing import Any

from d3_engine.core.formats import PACKS_INT_COLUMNS, write_csv
from d3_engine.export.artefacts import CAPACITY_PLAN, PUBLIC_CUSTOMERS, PUBLIC_PRICES, PUBLIC_SCENARIOS, VENDOR_CHOICE
from d3_engine.export.context import RunContext
from d3_engine.export.writers import export_query, model_columns

EVENTS_HEADER = model_columns("public_scaling_events", ("path_id",))
AUTOSCALING_HEADER = model_columns("public_autoscaling_summary", ("path_id", "row_order"))
PACKS_HEADER = model_columns("public_credit_packs", ("path_id",))


def export(ctx: RunContext) -> None:
    """Write the eight public artefacts and the `throughput`, `heuristics`, `capacity_violations` and
    `autoscaling` blocks of run_summary."""
    rep_set = _rep_param_set(ctx)
    where = f"param_set_id = {rep_set}"
    VENDOR_CHOICE.export(ctx.con, ctx.run_dir, "model, gpu", where=where)  # every candidate GPU [PUB-1]–[PUB-4]
    PUBLIC_PRICES.export(ctx.con, ctx.run_dir, "model", where=where)  # [PUB-5]–[PUB-7], [PUB-9]
    PUBLIC_SCENARIOS.export(ctx.con, ctx.run_dir)  # horizon totals [FIN-11]
    PUBLIC_CUSTOMERS.export(ctx.con, ctx.run_dir)  # [PUB-8]–[PUB-11]
    CAPACITY_PLAN.export(ctx.con, ctx.run_dir)  # [PUB-11], violations per [OUT-3]
    _autoscaler_files(ctx)
    _packs(ctx)
    ctx.summary_extra.update(summary_blocks(ctx, rep_set))


def _rep_param_set(ctx: RunContext) -> int:
    return int(ctx.con.execute("SELECT param_set_id FROM representative_path").fetchall()[0][0])


def _autoscaler_files(ctx: RunContext) -> None:
    """public_tap_scaling_events.csv and public_tap_autoscaling_summary.csv [PUB-12]."""
    events = f"SELECT {', '.join(EVENTS_HEADER)} FROM public_scaling_events ORDER BY model, month, timestamp_s, reason"
    export_query(ctx.con, events, ctx.run_dir / "public_tap_scaling_events.csv", EVENTS_HEADER)
    summary = f"SELECT {', '.join(AUTOSCALING_HEADER)} FROM public_autoscaling_summary ORDER BY row_order"
    export_query(ctx.con, summary, ctx.run_dir / "public_tap_autoscaling_summary.csv", AUTOSCALING_HEADER)


def _packs(ctx: RunContext) -> None:
    """public_tap_credit_packs.csv of the representative path [PUB-10]; `tokens` is an int column."""
    rows = ctx.con.execute(
        f"""SELECT {", ".join(PACKS_HEADER)} FROM public_credit_packs
            WHERE path_id = {ctx.rep_path_id} ORDER BY pack_eur"""
    ).fetchall()
    write_csv(ctx.run_dir / "public_tap_credit_packs.csv", PACKS_HEADER, rows, int_columns=PACKS_INT_COLUMNS)


def summary_blocks(ctx: RunContext, rep_set: int) -> dict[str, Any]:
    """The OUT-7 blocks `throughput`, `heuristics`, `capacity_violations` and `autoscaling`."""
    con = ctx.con
    chosen = con.execute(
        f"""SELECT c.model, c.gpu, c.tps, c.tps_source, c.tps_source_tag, t.baseline_tps, t.ref_params_b, t.params_b
            FROM public_gpu_choice AS c
            JOIN public_throughput AS t USING (param_set_id, model, gpu)
            WHERE c.param_set_id = {rep_set} AND c.chosen ORDER BY c.model"""
    ).fetchall()
    throughput = [
        {"model": m, "gpu": g, "tps": tps, "source": src, "source_tag": tag} for m, g, tps, src, tag, *_ in chosen
    ]
    heuristics = [
        {"model": m, "gpu": g, "tps": tps, "baseline": base, "ref_params_b": ref, "params_b": params}
        for m, g, tps, src, _, base, ref, params in chosen
        if src == "heuristic"
    ]
    # A model without traffic needs no instance, so its rows never violate; the served rows are every path's.
    violations = con.execute(
        f"""SELECT (SELECT count(*) FROM public_capacity_path WHERE path_id = {ctx.rep_path_id} AND capacity_violation),
                   (SELECT count(DISTINCT path_id) FROM (
                        SELECT path_id FROM public_served_month WHERE capacity_violation
                        UNION ALL
                        SELECT path_id FROM public_horizon WHERE param_set_id IN
                            (SELECT param_set_id FROM public_idle_model WHERE capacity_violation)))"""
    ).fetchall()[0]
    scaling = con.execute(
        """SELECT avg_util_pct, p95_util_pct, sla_violations, scale_events
           FROM public_autoscaling_summary WHERE model = 'ALL' AND gpu = '' ORDER BY row_order DESC LIMIT 1"""
    ).fetchall()
    avg, p95, sla, events = scaling[0] if scaling else (None, None, 0, 0)
    return {
        "throughput": throughput,
        "heuristics": heuristics,
        "capacity_violations": {
            "rep_path_model_months": int(violations[0]),
            "paths_with_violation": int(violations[1]),
        },
        "autoscaling": {
            "avg_util_pct": avg,
            "p95_util_pct": p95,
            "sla_violations": int(sla),
            "scale_events": int(events),
        },
    }
