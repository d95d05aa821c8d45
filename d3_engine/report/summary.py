"""Executive summary of the report: the story, key figures and what breaks first ([OUT-10], [OUT-5]).

The summary tells the plan's story from the tables the run has: what the taps sell at, what they earn
over the horizon, where cash bottoms out, and *what breaks first*, the earliest month in which a
limit is crossed on the representative path (negative cash, the cash floor, the DSCR covenant, a
capacity ceiling), after the problems that exist from day one (models that cannot be priced, margins
below target, losses under the p90 stress). Failed acceptance checks close the list.
"""

from __future__ import annotations

from d3_engine.core.formats import float_to_decimal
from d3_engine.report.context import RunInfo
from d3_engine.report.format import eur, pct
from d3_engine.report.tables import (
    BY_UNIT,
    Bullets,
    Column,
    Paragraph,
    ReportTable,
    Row,
    Section,
    table_from_rows,
)


def summary_section(info: RunInfo) -> Section:
    """Executive summary: the story, key figures and what breaks first."""
    section = Section("summary", "Executive summary")
    section.add(Paragraph(" ".join(_story(info))))
    if info.db.has("consolidated_kpis"):
        section.add(_kpi_table(info))
    else:
        section.missing("Key figures across paths (consolidated KPIs)")
    section.add(Paragraph("What breaks first:"), Bullets(what_breaks_first(info)))
    return section


def _story(info: RunInfo) -> list[str]:
    db, out = info.db, []
    if info.public:
        prices = db.one(
            f"""SELECT count(*) FILTER (WHERE a.admitted) AS admitted, count(*) AS models,
                       min(p.sell_eur_per_1m) FILTER (WHERE a.admitted) AS lo,
                       max(p.sell_eur_per_1m) FILTER (WHERE a.admitted) AS hi
                FROM public_price AS p JOIN public_admission AS a USING (param_set_id, model)
                WHERE p.param_set_id = {info.rep_set}"""
        )
        if prices and prices["admitted"]:
            out.append(
                f"The Public Tap prices {prices['admitted']} of {prices['models']} models at "
                f"{eur(prices['lo'])} to {eur(prices['hi'])} per million tokens."
            )
        rev = db.one(f"SELECT revenue_eur, cogs_eur FROM public_horizon WHERE path_id = {info.rep_path_id}")
        if rev:
            out.append(
                f"On the representative path it earns {eur(rev['revenue_eur'])} over {info.horizon} months against "
                f"{eur(rev['cogs_eur'])} of serving cost."
            )
    if info.private:
        rev = db.one(
            f"""SELECT sum(revenue_private_eur) AS revenue, sum(cogs_private_eur) AS cogs FROM private_month
                WHERE path_id = {info.rep_path_id}"""
        )
        if rev and rev["revenue"] is not None:
            out.append(
                f"The Private Tap earns {eur(rev['revenue'])} against {eur(rev['cogs'])} of GPU rent over the horizon."
            )
    kpis = _rep_kpis(info)
    if kpis is None:
        out.append(f"Cash, loan cover and the full P&L: {'not computed in this run'}.")
    else:
        out.append(
            f"Net income over the horizon is {eur(kpis['net_income_h_eur'])}; cash bottoms out at "
            f"{eur(kpis['cash_min_eur'])} and the extra funding needed to keep cash at or above zero is "
            f"{eur(kpis['funding_gap_eur'])}."
        )
    return out


def _rep_kpis(info: RunInfo) -> Row | None:
    if not info.db.has("finance_path_kpis"):
        return None
    return info.db.one(f"SELECT * FROM finance_path_kpis WHERE path_id = {info.rep_path_id}")


def _kpi_table(info: RunInfo) -> ReportTable:
    """consolidated_kpis as in its CSV: one row per metric (metric order), one column per series."""
    labels = [
        str(r["series"])
        for r in info.db.rows("SELECT DISTINCT series, series_order FROM consolidated_kpis ORDER BY series_order")
    ]
    cells = ", ".join(f"max(value) FILTER (WHERE series = '{label}') AS \"{label}\"" for label in labels)
    rows = info.db.rows(
        f"""SELECT metric, unit, {cells} FROM consolidated_kpis WHERE metric_order IS NOT NULL
            GROUP BY metric, unit, metric_order ORDER BY metric_order"""
    )
    columns = [Column("metric", "Metric"), Column("unit", "Unit")]
    columns += [Column(c, c, BY_UNIT) for c in labels]
    return table_from_rows("key_figures", "Key figures over the horizon", columns, rows)


def what_breaks_first(info: RunInfo) -> list[str]:
    """Day-one problems first, then limits crossed by month on the representative path, then failed checks."""
    day_one = _day_one(info)
    dated = sorted(_dated(info))
    items = day_one + [f"Month {m} ({info.period(m)}): {text}" for m, text in dated]
    if info.db.has("acceptance"):
        failed = info.db.rows(
            """SELECT check_id, effective_severity, detail FROM acceptance WHERE status = 'fail'
               ORDER BY CAST(regexp_extract(check_id, '([0-9]+)$', 1) AS INTEGER)"""
        )
        items += [f"Check {r['check_id']} fails ({r['effective_severity']}): {r['detail']}" for r in failed]
    return items or ["Nothing breaks within the horizon on the representative path."]


def _day_one(info: RunInfo) -> list[str]:
    db, out = info.db, []
    if info.public:
        rows = db.rows(
            f"""SELECT p.model, a.admitted, s.margin_p90_stress_pct AS stress FROM public_price AS p
                JOIN public_admission AS a USING (param_set_id, model)
                JOIN public_stress AS s USING (param_set_id, model)
                WHERE p.param_set_id = {info.rep_set} ORDER BY encode(p.model)"""
        )
        closed = [str(r["model"]) for r in rows if not r["admitted"]]
        if closed:
            out.append(f"From the start: {len(closed)} model(s) cannot be priced at a profit: {', '.join(closed)}.")
        out += [
            f"From the start: under the p90 provider-price stress {r['model']} loses money ({pct(r['stress'])})."
            for r in rows
            if r["admitted"] and r["stress"] is not None and r["stress"] < 0
        ]
    if info.private:
        threshold = info.settings["private_margin_threshold_pct"]
        rows = db.rows(
            f"""SELECT gpu, least(margin_pct, realised_margin_pct) AS m FROM private_economics
                WHERE param_set_id = {info.rep_set} AND client_mix_share > 0 ORDER BY encode(gpu)"""
        )
        out += [
            f"From the start: the private hourly margin on {r['gpu']} is {pct(r['m'])}, below the "
            f"{pct(threshold)} target."
            for r in rows
            if threshold is not None and r["m"] < threshold
        ]
    return out


def _dated(info: RunInfo) -> list[tuple[int, str]]:
    db, rep, out = info.db, info.rep_path_id, []
    if db.has("public_capacity_path"):
        row = db.one(
            f"""SELECT month, model FROM public_capacity_path WHERE path_id = {rep} AND capacity_violation
                ORDER BY month, encode(model) LIMIT 1"""
        )
        if row:
            out.append((int(row["month"]), f"{row['model']} needs more GPU instances than the configured maximum."))
    if db.has("finance_month"):
        out += _finance_limits(info)
    return out


def _finance_limits(info: RunInfo) -> list[tuple[int, str]]:
    db, rep, out = info.db, info.rep_path_id, []
    neg = db.one(
        f"""SELECT month, cash_closing_eur AS c FROM finance_month WHERE path_id = {rep} AND cash_closing_eur < 0
            ORDER BY month LIMIT 1"""
    )
    if neg:
        out.append((int(neg["month"]), f"cash turns negative ({eur(neg['c'])})."))
    floor = info.settings["min_cash_floor_eur"]
    if floor is not None and floor != 0:
        low = db.one(
            f"""SELECT month, cash_closing_eur AS c FROM finance_month WHERE path_id = {rep}
                AND cash_closing_eur < CAST('{float_to_decimal(float(floor))}' AS DECIMAL(38, 6))
                ORDER BY month LIMIT 1"""
        )
        if low:
            out.append((int(low["month"]), f"cash falls below the floor of {eur(floor)} ({eur(low['c'])})."))
    target = info.settings["min_monthly_dscr"]
    if target is not None:
        start = int(info.settings["dscr_test_from_month"])
        breach = db.one(
            f"""SELECT month, dscr_ltm FROM finance_month WHERE path_id = {rep} AND month >= {start}
                AND dscr_ltm < CAST('{float_to_decimal(float(target))}' AS DECIMAL(38, 10)) ORDER BY month LIMIT 1"""
        )
        if breach:
            out.append(
                (
                    int(breach["month"]),
                    f"LTM DSCR {float(breach['dscr_ltm']):.2f} is below the covenant {float(target):.2f}.",
                )
            )
    return out
