"""Derived validation that needs the public price derivation, on the default parameter set (IN-18).

`d3 validate` (and the validation stage of `d3 run`) must report findings that only exist once the
Public Tap is priced: a g* on heuristic throughput (WARNING `tps_heuristic`), a price the cap holds
below its target (WARNING `price_capped_below_target`), a model that is not admitted (WARNING
`model_private_only`) and no admitted model at all (ERROR `no_admitted_model`) — [PUB-2], [PUB-5],
[PUB-6]. Rather than restating the pricing rules in Python, this module fills a throwaway in-memory
database (`core/db.scratch_database`) with the input tables those models read and ONE parameter set
(every used variable at its default) and runs the same `sql/models/30_public` pricing models as a
run does, so validation and run cannot disagree.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Any

from d3_engine.core.db import connect, scratch_database, without_comments
from d3_engine.core.errors import Finding, Findings
from d3_engine.core.formats import float_to_decimal
from d3_engine.inputs.market import MARKET_FILE
from d3_engine.models.graph import Model, order_models
from d3_engine.models.python.registry import all_models
from d3_engine.models.render import model_variables
from d3_engine.models.runner import ModelRun, build_model, render
from d3_engine.plan.draws import write_noise
from d3_engine.plan.params import write_params, write_settings
from d3_engine.plan.scenarios import ParamValues, Plan, build_plan
from d3_engine.plan.store import write_inputs
from d3_engine.plan.validate import Validated

if TYPE_CHECKING:
    import duckdb

MODELS_FILE = "operator/curated_public_tap_models.csv"
PUBLIC_FILE = "operator/public_tap.yaml"
PRICING_MODELS = ("public_price", "public_admission")
"""The models whose rows the derived checks read; their upstream models run too."""
INPUT_TABLE = re.compile(r"\binput_\w+")
FINDINGS_INPUTS = ("input_models",)
"""Input tables `public_findings`' query reads itself."""


def default_values(plan: Plan, pipelines: list[str]) -> ParamValues:
    """A 1 × 1 plan (one grid point, one replicate, one MC path) with every used variable at its default.

    The variables are re-planned as `fixed`, so the plan has no grid axis and no random draw.
    """
    fixed = [dataclasses.replace(v, treatment="fixed") for v in plan.used]
    single = build_plan(fixed, pipelines, 1, 1, plan.horizon)
    return ParamValues(single, {(v.scope, v.variable_id): [v.default] for v in single.used})


def closure(targets: tuple[str, ...] | list[str]) -> list[Model]:
    """The named models (SQL or Python) and every model they depend on, in DAG order."""
    available = all_models()
    needed: set[str] = set()
    todo = list(targets)
    while todo:
        name = todo.pop()
        if name not in needed:
            needed.add(name)
            todo.extend(available[name].deps)
    return order_models({n: available[n] for n in needed})


def run_model_closure(
    con: duckdb.DuckDBPyConnection, targets: tuple[str, ...] | list[str], variables: dict[str, Any]
) -> list[ModelRun]:
    """Run the named models (SQL or Python) and every model they depend on, in DAG order, each checked against
    its header. Nothing is recorded: the database is thrown away, so no COMMENT and no `engine_models`."""
    return [build_model(con, model, variables) for model in closure(targets)]


def inputs_read(models: list[Model], variables: dict[str, Any]) -> set[str] | None:
    """The `input_*` tables the rendered SQL of `models` names (macros included), or None (every one) when a
    Python model is among them."""
    if any(model.python is not None for model in models):
        return None
    return {name for model in models for name in INPUT_TABLE.findall(render(model, variables))}


def fill_default_set(
    con: duckdb.DuckDBPyConnection,
    validated: Validated,
    targets: tuple[str, ...] = PRICING_MODELS,
    with_noise: bool = False,
    lean_inputs: tuple[str, ...] | None = None,
) -> None:
    """Write the input tables, the default parameter set and the `targets` models (and every model they read) into
    `con`. `lean_inputs`: only the input tables those models read (`inputs_read`) and these; None: every one.

    With `with_noise` the set also gets its one path's draws (`draw_public_noise`, keyed like a run's
    path 0 of a 1 × 1 × 1 plan), so per-path models can be targeted too (tests use this).
    """
    models = closure(targets)
    variables = model_variables(validated, replicates=1, mc=1)
    read = inputs_read(models, variables) if lean_inputs is not None else None
    with without_comments():  # a throwaway database: its tables need no COMMENT
        write_inputs(con, validated, None if read is None else {*read, *(lean_inputs or ())})
        write_settings(con, validated.simulation, validated.fx)
        values = default_values(validated.plan, validated.pipelines)
        docs = {scope: validated.doc(scope) for scope in ("general", "public_tap")}
        gpu_keys = sorted({o.gpu for o in validated.offers}, key=str.encode)
        write_params(con, values, docs, gpu_keys)
        if with_noise:
            write_noise(con, validated.seed, values.plan, ["public"], 1, 1)
        for model in models:
            build_model(con, model, variables)


def fill_pricing_set(con: duckdb.DuckDBPyConnection, validated: Validated) -> None:
    """What `public_findings` reads: the pricing models on the default set, with only the input tables they read
    and `input_models` (the findings' own query joins it)."""
    fill_default_set(con, validated, PRICING_MODELS, lean_inputs=FINDINGS_INPUTS)


def default_set_db(
    validated: Validated, targets: tuple[str, ...] = PRICING_MODELS, with_noise: bool = False
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB of its own with every input table, the default parameter set and the `targets` models
    built (`fill_default_set`); the caller closes it."""
    con = connect(None)
    fill_default_set(con, validated, targets, with_noise)
    return con


def public_findings(validated: Validated) -> list[Finding]:
    """The derived public findings of the default parameter set, models in byte order ([GEN-6]).

    Call only when the Public Tap runs and the inputs are otherwise free of errors (the pricing
    models assume valid offers, a catalogue and a throughput for every model).
    """
    with scratch_database() as con:
        fill_pricing_set(con, validated)
        rows = con.execute(
            """SELECT p.model, m.source_line, p.gpu, p.provider, p.tps, p.tps_source, t.baseline_tps,
                      t.ref_params_b, t.params_b, p.price_rule, p.capped_below_target, p.raw_sell_eur_per_1k,
                      p.sell_eur_per_1k, p.margin_pct, p.target_margin_pct, a.admitted
               FROM public_price AS p
               JOIN public_admission AS a USING (param_set_id, model)
               JOIN public_throughput AS t USING (param_set_id, model, gpu)
               JOIN input_models AS m USING (model)
               ORDER BY p.model"""
        ).fetchall()
    findings = Findings()
    for row in rows:
        _model_findings(findings, row)
    market_findings(findings, validated, [(row[0], row[12]) for row in rows if row[-1]])
    if not any(row[-1] for row in rows):
        findings.error(
            "no_admitted_model",
            MODELS_FILE,
            "",
            "no public model has a positive margin in the default parameter set, so the Public Tap has nothing to sell",
            "raise max_cap_eur_per_1k, or add cheaper GPU offers or measured throughput for the models",
        )
    return findings.items


def market_findings(findings: Findings, validated: Validated, prices: list[tuple[str, float]]) -> None:
    """WARNING `price_far_from_market` ([OUT-18]): an admitted model's sell price above 3× or below 1/3 of the
    market, market = median blended USD per 1M / eur_usd_fx_rate (no buffer), on the default parameter set."""
    fx = float_to_decimal(validated.fx)
    for model, sell_per_1k in prices:
        entry = validated.market.get(model)
        if entry is None or sell_per_1k is None:
            continue
        median_usd, count, line = entry
        market = median_usd / fx
        ours = float_to_decimal(sell_per_1k) * 1000
        if market > 0 and not market / 3 <= ours <= 3 * market:
            ratio = ours / market
            findings.warning(
                "price_far_from_market",
                MARKET_FILE,
                f"line {line}",
                f"model '{model}': our price {ours:.2f} EUR per 1M tokens is {ratio:.1f}× the market "
                f"{market:.4f} EUR per 1M (median of {count} list price(s), {median_usd} USD / {fx})",
                "check the price policy (target margin, floor, cap, non-GPU costs) against what providers charge",
            )


def _model_findings(findings: Findings, row: tuple[Any, ...]) -> None:
    """tps_heuristic, price_capped_below_target and model_private_only for one model's price row."""
    model, line, gpu, provider, tps, source, baseline, ref, params, _, capped, raw, sell, margin, target, admitted = row
    where = f"line {line}"
    if source == "heuristic":
        basis = f"{baseline:g} × {ref:g} / {params:g}" if params is not None else f"{baseline:g} (params_b not set)"
        findings.warning(
            "tps_heuristic",
            MODELS_FILE,
            where,
            f"model '{model}' is served from {gpu} ({provider}) with heuristic throughput "
            f"{tps:.6f} tokens/s = baseline {basis}",
            "add a measured aggregate row for this model and GPU to facts/tps_model_gpu.csv",
        )
    if capped:
        findings.warning(
            "price_capped_below_target",
            PUBLIC_FILE,
            "pricing_policy.public_tap.max_cap_eur_per_1k",
            f"model '{model}': the cap {sell:.6f} EUR/1k holds the price below the target price {raw:.6f} EUR/1k, "
            f"margin {margin:.4f} % < target {target:.4f} %",
            "raise max_cap_eur_per_1k, accept the lower margin, or serve the model from a cheaper GPU",
        )
    if not admitted:
        findings.warning(
            "model_private_only",
            MODELS_FILE,
            where,
            f"model '{model}' has margin {margin:.4f} % ≤ 0 at {sell:.6f} EUR/1k; it is private_only and gets no "
            "public demand",
            "raise max_cap_eur_per_1k or choose a cheaper GPU for this model",
        )
