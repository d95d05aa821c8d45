"""Public Tap artefacts (OUT-4) and their run_summary blocks (OUT-7).

Parameter-level files (vendor choice, prices) show the representative path's parameter set
([FIN-12]); monthly files hold the `p<q>` series of every configured percentile ([GEN-5], [FIN-11])
and the `rep` rows of the representative path; the autoscaler files and the packs are of the
representative path only ([PUB-10], [PUB-12]). Until the finance issue lands, the representative path
is the provisional one of `representative_path_v1` (path 0). Every query has a total ORDER BY.
"""

from __future__ import annotations

from typing import Any

from d3_engine.core.formats import PACKS_INT_COLUMNS, write_csv
from d3_engine.export.artefacts import SeriesArtefact
from d3_engine.export.context import RunContext
from d3_engine.export.series import build_series
from d3_engine.export.series_comments import comment_like, comment_series
from d3_engine.export.writers import export_query, model_columns
from d3_engine.models.python.registry import table_headers

VENDOR_CHOICE_HEADER = [
    "model", "gpu", "provider", "vram_gb", "usd_hr", "eur_hr", "tps", "tps_source", "tps_source_tag",
    "cost_eur_per_1M", "chosen",
]  # fmt: skip
PRICES_HEADER = [
    "model", "gpu", "provider", "tps", "tps_source", "eur_hr", "gpu_cost_eur_per_1M", "cost_eur_per_1M",
    "target_margin_pct", "raw_sell_eur_per_1k", "sell_eur_per_1k", "sell_eur_per_1M", "price_rule", "margin_pct",
    "margin_p90_stress_pct", "admitted", "traffic_share",
]  # fmt: skip
# The files that copy one model's columns take them from its header ([OUT-9]: the per-path tables carry the CSV
# names), so each column is declared once, in the model.
SCENARIOS_HEADER = ["series", *table_headers()["public_horizon"].artefacts["public_tap_scenarios.csv"]]
CUSTOMERS = SeriesArtefact(
    "public_tap_customers_by_month.csv", "public_customers_path", ("month",), ("path_id", "param_set_id")
)
CUSTOMERS_HEADER = CUSTOMERS.columns()
CUSTOMER_COLUMNS = CUSTOMERS.values()
CAPACITY_VALUES = model_columns(
    "public_capacity_path", ("path_id", "param_set_id", "month", "model", "max_instances_per_model")
)
CAPACITY_HEADER = ["series", "month", "model", *CAPACITY_VALUES, "violating_paths_pct"]
EVENTS_HEADER = model_columns("public_scaling_events", ("path_id",))
AUTOSCALING_HEADER = model_columns("public_autoscaling_summary", ("path_id", "row_order"))
PACKS_HEADER = model_columns("public_credit_packs", ("path_id",))

CAPACITY_PASSTHROUGH = ["gpu", "tps", "cap_tokens_per_hour_per_instance", "eur_hr"]
"""Parameter-level capacity columns: a percentile row shows the representative path's value ([OUT-3])."""
CAPACITY_COLUMNS = [c for c in CAPACITY_VALUES if c not in CAPACITY_PASSTHROUGH and c != "capacity_violation"]
"""The per-path capacity quantities taken as percentiles across paths ([GEN-5])."""
CAPACITY_PLAN_PURPOSE = "rows of public_tap_capacity_plan.csv: the capacity series and its violations [PUB-11] [OUT-3]"
CAPACITY_PLAN_EXTRA = {
    "capacity_violation": "the row's instances_needed, rounded half away from zero, exceeds the representative "
    "set's max_instances_per_model [OUT-3] [unit: flag]",
    "violating_paths_pct": "share of all paths whose capacity is violated in this month and model, rounded once "
    "to 4 decimals [OUT-3] [GEN-4] [unit: percent]",
}


def export(ctx: RunContext) -> None:
    """Write the eight public artefacts and the `throughput`, `heuristics`, `capacity_violations` and
    `autoscaling` blocks of run_summary."""
    rep_set = _rep_param_set(ctx)
    _vendor_choice(ctx, rep_set)
    _prices(ctx, rep_set)
    _scenarios(ctx)
    _customers(ctx)
    _capacity(ctx, rep_set)
    _autoscaler_files(ctx)
    _packs(ctx)
    ctx.summary_extra.update(summary_blocks(ctx, rep_set))


def _rep_param_set(ctx: RunContext) -> int:
    return int(ctx.con.execute("SELECT param_set_id FROM representative_path").fetchall()[0][0])


def _vendor_choice(ctx: RunContext, rep_set: int) -> None:
    """public_vendor_choice.csv: every candidate GPU of every model [PUB-1]–[PUB-4]."""
    sql = f"""SELECT model, gpu, provider, vram_gb, usd_hr, eur_hr, tps, tps_source, tps_source_tag,
                     cost_eur_per_1m, chosen
              FROM public_gpu_choice WHERE param_set_id = {rep_set} ORDER BY model, gpu"""
    export_query(ctx.con, sql, ctx.run_dir / "public_vendor_choice.csv", VENDOR_CHOICE_HEADER)


def _prices(ctx: RunContext, rep_set: int) -> None:
    """public_tap_prices_per_model.csv: the price derivation of every curated model [PUB-5]–[PUB-7], [PUB-9]."""
    sql = f"""SELECT p.model, p.gpu, p.provider, p.tps, p.tps_source, p.eur_hr, p.gpu_cost_eur_per_1m,
                     p.cost_eur_per_1m, p.target_margin_pct, p.raw_sell_eur_per_1k, p.sell_eur_per_1k,
                     p.sell_eur_per_1m, p.price_rule, p.margin_pct, s.margin_p90_stress_pct, a.admitted,
                     a.traffic_share
              FROM public_price AS p
              JOIN public_stress AS s USING (param_set_id, model)
              JOIN public_admission AS a USING (param_set_id, model)
              WHERE p.param_set_id = {rep_set}
              ORDER BY p.model"""
    export_query(ctx.con, sql, ctx.run_dir / "public_tap_prices_per_model.csv", PRICES_HEADER)


def _scenarios(ctx: RunContext) -> None:
    """public_tap_scenarios.csv: horizon totals per path, aggregated per column [FIN-11]."""
    columns = SCENARIOS_HEADER[1:]
    build_series(ctx.con, "public_tap_scenarios", "public_horizon", [], columns, ctx.percentiles, ctx.rep_path_id)
    comment_series(ctx.con, "public_tap_scenarios", "public_horizon", "public_tap_scenarios.csv: horizon totals", [])
    sql = f"SELECT {', '.join(SCENARIOS_HEADER)} FROM public_tap_scenarios ORDER BY series_order"
    export_query(ctx.con, sql, ctx.run_dir / "public_tap_scenarios.csv", SCENARIOS_HEADER)


def _customers(ctx: RunContext) -> None:
    """public_tap_customers_by_month.csv [PUB-8]–[PUB-11]."""
    build_series(
        ctx.con,
        "public_tap_customers_by_month",
        "public_customers_path",
        ["month"],
        CUSTOMER_COLUMNS,
        ctx.percentiles,
        ctx.rep_path_id,
    )
    purpose = "public_tap_customers_by_month.csv by month"
    comment_series(ctx.con, "public_tap_customers_by_month", "public_customers_path", purpose, ["month"])
    sql = f"SELECT {', '.join(CUSTOMERS_HEADER)} FROM public_tap_customers_by_month ORDER BY series_order, month"
    export_query(ctx.con, sql, ctx.run_dir / "public_tap_customers_by_month.csv", CUSTOMERS_HEADER)


def capacity_rows_sql(ctx: RunContext, columns: list[str]) -> str:
    """Every path's capacity rows as weighted rows: each served model's row of each path (weight 1) and,
    per parameter set, month and model without traffic, the one row all M paths of the set hold (weight M,
    path_id NULL). The same multiset of values as public_capacity_path over every path (issue 13)."""
    listed = ", ".join(columns)
    horizon = int(ctx.validated.simulation["targets"]["horizon_months"])
    return f"""
        SELECT path_id, month, model, {listed}, CAST(1 AS BIGINT) AS _weight FROM public_served_month
        UNION ALL
        SELECT CAST(NULL AS BIGINT) AS path_id, CAST(t.month AS BIGINT) AS month, i.model, {listed},
               CAST({int(ctx.validated.plan.mc)} AS BIGINT) AS _weight
        FROM public_idle_model AS i CROSS JOIN (SELECT range AS month FROM range(1, {horizon + 1})) AS t"""


def _capacity(ctx: RunContext, rep_set: int) -> None:
    """public_tap_capacity_plan.csv [PUB-11]; capacity_violation and violating_paths_pct per [OUT-3]."""
    con = ctx.con
    con.execute(
        "CREATE OR REPLACE TEMP VIEW public_capacity_weighted AS "
        + capacity_rows_sql(ctx, [*CAPACITY_COLUMNS, "capacity_violation"])
    )
    build_series(
        con,
        "public_tap_capacity_series",
        "public_capacity_weighted",
        ["month", "model"],
        CAPACITY_COLUMNS,
        ctx.percentiles,
        ctx.rep_path_id,
        CAPACITY_PASSTHROUGH,
        weight="_weight",
        rep_source="public_capacity_path",
    )
    purpose = "capacity by month and model (public_tap_capacity_plan before its violation columns)"
    keys = ["month", "model"]
    comment_series(con, "public_tap_capacity_series", "public_capacity_path", purpose, keys, CAPACITY_PASSTHROUGH)
    # A percentile row's instances_needed is exported rounded half away from zero to an integer; its
    # violation flag compares that integer with the representative set's maximum ([OUT-3]).
    # violating_paths_pct = 100 · violating paths / all N paths, the exact quotient rounded once to 4
    # decimals ([GEN-4]), computed in integers: round_half_up(v · 10^6 / N) · 10^-4.
    con.execute(f"""
        CREATE OR REPLACE TABLE public_tap_capacity_plan AS
        WITH n AS (SELECT count(*) AS n_paths FROM public_horizon),
        violating AS (
            SELECT month, model, sum(_weight) FILTER (WHERE capacity_violation) AS v
            FROM public_capacity_weighted GROUP BY month, model
        ),
        rep AS (SELECT max_instances_per_model AS max_rep FROM params_public_tap WHERE param_set_id = {rep_set})
        SELECT s.*,
               round(CAST(s.instances_needed AS DECIMAL(38, 2))) > rep.max_rep AS capacity_violation,
               CAST(CAST((2 * CAST(coalesce(v.v, 0) AS HUGEINT) * 1000000 + n.n_paths) // (2 * n.n_paths)
                         AS DECIMAL(38, 0)) * CAST('0.0001' AS DECIMAL(5, 4)) AS DECIMAL(18, 4))
                   AS violating_paths_pct
        FROM public_tap_capacity_series AS s
        CROSS JOIN n CROSS JOIN rep
        LEFT JOIN violating AS v USING (month, model)
    """)
    con.execute("DROP VIEW public_capacity_weighted")
    comment_like(
        con, "public_tap_capacity_plan", "public_tap_capacity_series", CAPACITY_PLAN_PURPOSE, CAPACITY_PLAN_EXTRA
    )
    sql = f"SELECT {', '.join(CAPACITY_HEADER)} FROM public_tap_capacity_plan ORDER BY series_order, month, model"
    export_query(con, sql, ctx.run_dir / "public_tap_capacity_plan.csv", CAPACITY_HEADER)


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
