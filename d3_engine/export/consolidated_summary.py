"""consolidated_summary.json and consolidated_summary.md ([OUT-6]).

Every money or volume value is an object `{p<q>…, rep}` (the configured percentiles across paths, [GEN-5],
then the representative path, [FIN-12]); `formats.dumps_json` gives each number the precision of the
nearest enclosing key with a suffix (`_eur` 2, `_pct` 4, else 6, [OUT-3]). Parameter-level facts (admitted
models, vendors and prices per GPU) are those of the representative path's parameter set. The Markdown file
renders the same content. `verdict` is the lender's answer of [ACC-A13]. A tap that did not run keeps its keys:
its amounts are 0 ([OUT-5]), its model lists and maps are empty and its price is null.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from d3_engine import ENGINE_VERSION
from d3_engine.core.formats import dumps_json, format_number
from d3_engine.export.publish import compute_run_id
from d3_engine.models.render import render_text

if TYPE_CHECKING:
    from d3_engine.export.context import RunContext

Series = dict[str, dict[str, Any]]
SCOPES = (
    ("public", "params_public_channels", "acquisition_public_eur"),
    ("private", "params_private_channels", "acquisition_private_eur"),
)


def _object(series: Series, column: str, labels: list[str]) -> dict[str, Any]:
    return {label: series[column].get(label) for label in labels}


def _rep_set(ctx: RunContext) -> int:
    return int(ctx.con.execute("SELECT param_set_id FROM representative_path").fetchall()[0][0])


def _models(ctx: RunContext, rep_set: int) -> tuple[list[str], list[str]]:
    """Admitted and private-only models of the representative parameter set, in byte order ([PUB-6])."""
    if not ctx.runs("public"):
        return [], []
    rows = ctx.con.execute(
        f"SELECT model, admitted FROM public_admission WHERE param_set_id = {rep_set} ORDER BY encode(model)"
    ).fetchall()
    return [m for m, ok in rows if ok], [m for m, ok in rows if not ok]


def _private_by_gpu(ctx: RunContext, rep_set: int) -> tuple[dict[str, str], dict[str, Any]]:
    """Recommended vendor and sell price per GPU class of the representative parameter set ([PRV-3], [PRV-4])."""
    if not ctx.runs("private"):
        return {}, {}
    rows = ctx.con.execute(
        f"""SELECT gpu, recommended_provider, sell_eur_hr FROM private_economics
            WHERE param_set_id = {rep_set} ORDER BY encode(gpu)"""
    ).fetchall()
    return {g: p for g, p, _ in rows}, {g: s for g, _, s in rows}


def channel_spend(ctx: RunContext, labels: list[str]) -> dict[str, dict[str, dict[str, Any]]]:
    """Horizon acquisition spend per channel label: round6(Σ_t acquisition_t × share) per path, then its series.

    The share (renormalised, [IN-17]) enters DECIMAL as the exact decimal of its shortest text ([GEN-4]).
    """
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for tap, table, column in SCOPES:
        out[tap] = {}
        if not ctx.runs(tap):
            continue
        sql = f"""WITH spend AS (
                SELECT c.label, a.path_id,
                    CAST(CAST(a.acq AS DECIMAL(38,6)) * {{{{ dec('c.share', 38, 18) }}}}
                         AS DECIMAL(18,6)) AS eur
                FROM (SELECT path_id, any_value(param_set_id) AS param_set_id, sum({column}) AS acq
                      FROM finance_month GROUP BY path_id) AS a
                JOIN {table} AS c USING (param_set_id)
            ),
            q AS ({{{{ pctl('spend', ['label'], 'eur', {ctx.percentiles!r}) }}}})
            SELECT label, 'p' || p AS series, value FROM q
            UNION ALL
            SELECT label, 'rep' AS series, eur FROM spend WHERE path_id = {ctx.rep_path_id}"""
        for label, series, value in ctx.con.execute(render_text(sql, {}, "channel_spend")).fetchall():
            out[tap].setdefault(label, dict.fromkeys(labels))[series] = value
    return out


NOT_TESTED, CARRIES, DOES_NOT_CARRY = "not tested", "carries its loan", "does not carry its loan"


def verdict(con: Any) -> dict[str, Any]:
    """The lender's verdict of [ACC-A13] from the `breach_verdict` model: text, pooled k of N.

    "not tested" when the covenant or the whole loan term is not within the horizon (or there is no loan);
    otherwise "carries its loan" iff every grid point passes ACC-A13.
    """
    rows = con.execute("SELECT paths, paths_breached, passes, tested FROM breach_verdict ORDER BY grid_index")
    found = rows.fetchall()
    text = NOT_TESTED if not all(r[3] for r in found) else CARRIES if all(r[2] for r in found) else DOES_NOT_CARRY
    return {"verdict": text, "paths": sum(int(r[0]) for r in found), "paths_breached": sum(int(r[1]) for r in found)}


def breach_sentence(paths_breached: int, paths: int) -> str:
    """ "breaches a covenant or runs out of cash on 4 812 of 5 000 paths (96.2 %)" ([ACC-A13])."""
    share = Decimal(100 * paths_breached) / Decimal(paths) if paths else Decimal(0)
    one = format_number(share, 1)
    return f"breaches a covenant or runs out of cash on {_grouped(paths_breached)} of {_grouped(paths)} paths ({one} %)"


def _grouped(n: int) -> str:
    """Thousands separated by a space, as in the report's prose (4 812)."""
    return f"{n:,}".replace(",", " ")


def _acceptance(ctx: RunContext) -> dict[str, Any]:
    block = ctx.summary_extra.get("acceptance", {"passed": True, "checks": []})
    failed = [c for c in block["checks"] if c["status"] == "fail"]
    return {
        "passed": block["passed"],
        "failed_error": [c["id"] for c in failed if c["effective_severity"] == "error"],
        "failed_warning": [c["id"] for c in failed if c["effective_severity"] == "warning"],
    }


def _money_blocks(ctx: RunContext, series: Series, labels: list[str]) -> dict[str, Any]:
    """public, private, total and segments: series objects plus the representative set's parameters."""
    rep_set = _rep_set(ctx)
    admitted, private_only = _models(ctx, rep_set)
    vendors, prices = _private_by_gpu(ctx, rep_set)
    driver = ctx.con.execute("SELECT overhead_allocation_driver FROM run_settings").fetchall()[0][0]

    def obj(metric: str) -> dict[str, Any]:
        return _object(series, metric, labels)

    def tap(kind: str) -> dict[str, Any]:
        return {"overhead_eur": obj(f"overhead_{kind}"), "contribution_eur": obj(f"contribution_{kind}")}

    return {
        "public": {
            "admitted_models": admitted,
            "private_only_models": private_only,
            "revenue_eur": obj("revenue_public"),
            "cogs_eur": obj("cogs_public"),
            "tokens": obj("public_tokens"),
            "blended_sell_eur_per_1k": obj("blended_sell_eur_per_1k"),
        },
        "private": {
            "revenue_eur": obj("revenue_private"),
            "cogs_eur": obj("cogs_private"),
            "hours": obj("private_hours"),
            "vendor_by_gpu": vendors,
            "sell_eur_hr_by_gpu": prices,
        },
        "total": {
            "revenue_eur": obj("revenue_total"),
            "ebitda_eur": obj("ebitda"),
            "net_income_eur": obj("net_income"),
            "cash_min_eur": obj("cash_min"),
            "funding_gap_eur": obj("funding_gap"),
            "dscr_min": obj("dscr_min"),
        },
        "segments": {"driver": driver, "public": tap("public"), "private": tap("private")},
    }


def build_summary(
    ctx: RunContext, series: Series, autoscaling: dict[str, Any], rep: dict[str, Any], labels: list[str]
) -> dict[str, Any]:
    """The [OUT-6] mapping."""
    v = ctx.validated
    plan = v.plan
    return {
        "engine_version": ENGINE_VERSION,
        "run_id": compute_run_id(ENGINE_VERSION, v.seed, v.pipelines, v.fail_on_warning, v.bundle.files),
        "seed": v.seed,
        "seed_source": v.seed_source,
        "horizon_months": plan.horizon,
        "pipelines": list(v.pipelines),
        "percentiles": ctx.percentiles,
        "paths": {"grid": plan.grid_size, "replicates": plan.replicates, "mc": plan.mc, "total": plan.paths},
        "representative_path": rep,
        **_money_blocks(ctx, series, labels),
        "autoscaling": autoscaling,
        "acceptance": _acceptance(ctx),
        "acquisition_spend_by_channel_eur": channel_spend(ctx, labels),
        "verdict": verdict(ctx.con)["verdict"],
    }


def _places(key: str, inherited: int) -> int:
    return 2 if key.endswith("_eur") else 4 if key.endswith("_pct") else inherited


def _cell(value: Any, places: int) -> str:
    if value is None:
        return "–"
    if isinstance(value, (int, Decimal, float)) and not isinstance(value, bool):
        return format_number(value, None if isinstance(value, int) else places)
    return str(value)


def _series_rows(node: Mapping[str, Any], labels: list[str], prefix: str, places: int) -> list[str]:
    """Markdown table rows of every series object under `node` (depth first, keys sorted like the JSON)."""
    rows = []
    for key in sorted(node):
        value, here = node[key], _places(key, places)
        if isinstance(value, Mapping) and set(value) == set(labels):
            rows.append(f"| {prefix}{key} | " + " | ".join(_cell(value[lb], here) for lb in labels) + " |")
        elif isinstance(value, Mapping):
            rows += _series_rows(value, labels, f"{prefix}{key}.", here)
    return rows


def render_markdown(summary: dict[str, Any], labels: list[str]) -> str:
    """consolidated_summary.md: the same content as the JSON, as lists and one table of series."""
    rep, paths, acc = summary["representative_path"], summary["paths"], summary["acceptance"]
    lines = [
        f"# d3 consolidated summary {summary['run_id']}",
        "",
        f"- engine version: {summary['engine_version']}",
        f"- seed: {summary['seed']} (from {summary['seed_source']})",
        f"- pipelines: {', '.join(summary['pipelines'])}; horizon: {summary['horizon_months']} months",
        f"- percentiles: {', '.join(str(p) for p in summary['percentiles'])}",
        f"- paths: {paths['grid']} grid point(s) × {paths['replicates']} replicate(s) × {paths['mc']} MC = "
        f"{paths['total']}",
        f"- representative path: {rep['path_id']} (grid {rep['grid_index']}, replicate {rep['replicate_index']}, "
        f"MC {rep['mc_index']}), net income {_cell(rep['net_income_eur'], 2)} EUR",
        f"- admitted models: {', '.join(summary['public']['admitted_models']) or 'none'}",
        f"- private-only models: {', '.join(summary['public']['private_only_models']) or 'none'}",
        f"- overhead allocation driver: {summary['segments']['driver']}",
        f"- verdict: {summary['verdict']}",
        "",
        "## Figures across paths",
        "",
        "| figure | " + " | ".join(labels) + " |",
        "|---|" + "---|" * len(labels),
    ]
    series_part = {k: summary[k] for k in ("public", "private", "total", "segments")}
    series_part["acquisition_spend_by_channel_eur"] = summary["acquisition_spend_by_channel_eur"]
    lines += _series_rows(series_part, labels, "", 6)
    lines += [
        "",
        "## Private Tap by GPU (representative parameter set)",
        "",
        "| gpu | vendor | sell EUR/h |",
        "|---|---|---|",
    ]
    for gpu, vendor in summary["private"]["vendor_by_gpu"].items():
        lines.append(f"| {gpu} | {vendor} | {_cell(summary['private']['sell_eur_hr_by_gpu'][gpu], 6)} |")
    auto = summary["autoscaling"]
    lines += ["", "## Autoscaling (representative path, all models)", ""]
    lines += [f"- {key}: {_cell(auto[key], _places(key, 6))}" for key in sorted(auto)]
    lines += ["", "## Acceptance", "", f"- passed: {str(acc['passed']).lower()}"]
    lines += [f"- failed (error): {', '.join(acc['failed_error']) or 'none'}"]
    lines += [f"- failed (warning): {', '.join(acc['failed_warning']) or 'none'}"]
    return "\n".join(lines) + "\n"


def write_summary(
    ctx: RunContext, series: Series, autoscaling: dict[str, Any], rep: dict[str, Any], labels: list[str]
) -> dict[str, Any]:
    """Write consolidated_summary.json and .md; returns the mapping."""
    summary = build_summary(ctx, series, autoscaling, rep, labels)
    (ctx.run_dir / "consolidated_summary.json").write_text(dumps_json(summary), encoding="utf-8")
    (ctx.run_dir / "consolidated_summary.md").write_text(render_markdown(summary, labels), encoding="utf-8")
    return summary
