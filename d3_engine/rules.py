"""Domain rules that span keys or files (DOMAIN IN-6 … IN-12, IN-17, IN-18).

Each rule reads the schema-checked bundle and adds findings; none raises. Rules skip a file
whose schema check failed when they would only repeat its error.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from d3_engine.errors import Findings
from d3_engine.load import Bundle
from d3_engine.offers import gpu_key, normalise_offers

SIM = "simulation.yaml"
GEN = "operator/general.yaml"
PUB = "operator/public_tap.yaml"
PRV = "operator/private_tap.yaml"


def get(data: Any, dotted: str, default: Any = None) -> Any:
    """Value at a dotted key path of nested dicts, or default."""
    node = data
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node


def _loc(bundle: Bundle, name: str, dotted: str) -> str:
    doc = bundle.docs.get(name)
    line = doc.line_of(tuple(dotted.split("."))) if doc else None
    return f"line {line}" if line else ""


def check_simulation(bundle: Bundle) -> None:
    """Percentiles, pipelines and pack list shapes (IN-6)."""
    sim, f = bundle.data("simulation"), bundle.findings
    if not isinstance(sim, dict):
        return
    pcts = get(sim, "stochastic.percentiles")
    if isinstance(pcts, list) and all(isinstance(p, int) and not isinstance(p, bool) for p in pcts):
        ascending = all(a < b for a, b in itertools.pairwise(pcts))
        if not ascending or 50 not in pcts:
            f.error(
                "bad_percentiles",
                SIM,
                _loc(bundle, "simulation", "stochastic.percentiles"),
                f"stochastic.percentiles {pcts} must be strictly ascending integers in 1..99 and contain 50",
                "write e.g. [10, 50, 90]",
            )
    packs = get(sim, "report.credit_packs_eur")
    numeric = isinstance(packs, list) and all(isinstance(p, int | float) for p in packs)
    if numeric and not all(a < b for a, b in itertools.pairwise(packs)):
        f.error(
            "out_of_range",
            SIM,
            _loc(bundle, "simulation", "report.credit_packs_eur"),
            f"report.credit_packs_eur {packs} must be strictly ascending",
            "sort the pack sizes, e.g. [50, 200, 500]",
        )


def check_fx(bundle: Bundle) -> float | None:
    """The EUR/USD rate of market_env.yaml (IN-12), or None with `missing_fx`."""
    value = get(bundle.data("market_env"), "finance.eur_usd_fx_rate.value")
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0:
        return float(value)
    if "market_env" in bundle.docs:
        bundle.findings.error(
            "missing_fx",
            "facts/market_env.yaml",
            "",
            "finance.eur_usd_fx_rate.value (USD per 1 EUR) is missing or not > 0",
            "add finance: {eur_usd_fx_rate: {value: 1.10, unit: ratio}}",
        )
    return None


def check_general(bundle: Bundle) -> None:
    """Insurers, exempt items, brackets, grace < term (IN-7)."""
    gen, f = bundle.data("general"), bundle.findings
    if not isinstance(gen, dict) or not bundle.schema_ok.get("general"):
        return
    items = set((get(gen, "finance.fixed_costs_monthly_eur") or {}).keys())
    for key in ("tax.vat_exempt_fixed_cost_items", "working_capital.ap_exempt_fixed_cost_items"):
        for item in get(gen, key) or []:
            if item not in items:
                f.error(
                    "unknown_reference",
                    GEN,
                    _loc(bundle, "general", key),
                    f"{key} names '{item}', which is not a fixed-cost item",
                    f"use one of: {', '.join(sorted(items))}",
                )
    _check_insurers(bundle, get(gen, "insurances.selected") or [])
    _check_brackets(bundle, get(gen, "tax.corporate_income_brackets"))
    grace, term = get(gen, "loan.grace_period_months"), get(gen, "loan.term_months")
    if isinstance(grace, int) and isinstance(term, int) and grace >= term:
        f.error(
            "inconsistent_thresholds",
            GEN,
            _loc(bundle, "general", "loan.grace_period_months"),
            f"loan.grace_period_months {grace} must be smaller than loan.term_months {term}",
            "shorten the grace period or lengthen the term",
        )


def _check_insurers(bundle: Bundle, selected: list[str]) -> None:
    table = bundle.tables.get("insurances")
    premiums = (
        {}
        if table is None
        else {r.values.get("insurer_id"): r.values.get("example_premium_eur_per_month") for r in table.rows}
    )
    for insurer in selected:
        if insurer not in premiums:
            bundle.findings.error(
                "unknown_reference",
                GEN,
                _loc(bundle, "general", "insurances.selected"),
                f"insurances.selected names '{insurer}', which is not in facts/insurances.csv",
                f"use an insurer_id of facts/insurances.csv: {', '.join(sorted(map(str, premiums)))}",
            )
        elif premiums[insurer] is None:
            bundle.findings.error(
                "unknown_reference",
                GEN,
                _loc(bundle, "general", "insurances.selected"),
                f"insurer '{insurer}' has no example_premium_eur_per_month in facts/insurances.csv",
                "give it a premium or select another insurer",
            )


def _check_brackets(bundle: Bundle, brackets: Any) -> None:
    if brackets is None:
        return
    loc = _loc(bundle, "general", "tax.corporate_income_brackets")
    problem = None
    if not brackets:
        problem = "the list is empty"
    else:
        bounds = [b.get("up_to_eur") for b in brackets]
        if bounds[-1] is not None:
            problem = "the last bracket must have no up_to_eur"
        elif any(v is None for v in bounds[:-1]):
            problem = "every bracket but the last needs up_to_eur"
        elif not all(a < b for a, b in itertools.pairwise(bounds[:-1])):
            problem = "up_to_eur values must be strictly ascending"
    if problem:
        bundle.findings.error(
            "bad_brackets",
            GEN,
            loc,
            f"tax.corporate_income_brackets: {problem}",
            "write e.g. [{up_to_eur: 200000, pct: 19}, {pct: 25.8}]",
        )


def check_public_policy(bundle: Bundle, params: dict[str, Any], rel: str = PUB, where: str = "") -> None:
    """Cross-key rules of IN-8 on one public parameter set."""
    f = bundle.findings
    floor = get(params, "pricing_policy.public_tap.min_floor_eur_per_1k")
    cap = get(params, "pricing_policy.public_tap.max_cap_eur_per_1k")
    pairs = [
        (floor is not None and cap is not None and floor > cap, "min_floor_eur_per_1k", f"floor {floor} > cap {cap}"),
        (
            _gt(get(params, "autoscaling.min_instances_per_model"), get(params, "autoscaling.max_instances_per_model")),
            "autoscaling.min_instances_per_model",
            "min_instances_per_model > max_instances_per_model",
        ),
        (
            _ge(get(params, "autoscaling.scale_down_threshold_pct"), get(params, "autoscaling.scale_up_threshold_pct")),
            "autoscaling.scale_down_threshold_pct",
            "scale_down_threshold_pct must be below scale_up_threshold_pct",
        ),
        (
            _gt(
                get(params, "prepaid_policy.credits.min_topup_eur"), get(params, "prepaid_policy.credits.max_topup_eur")
            ),
            "prepaid_policy.credits.min_topup_eur",
            "min_topup_eur > max_topup_eur",
        ),
    ]
    interval = get(params, "autoscaling.evaluation_interval_s")
    if isinstance(interval, int) and interval > 0 and 86400 % interval:
        pairs.append(
            (True, "autoscaling.evaluation_interval_s", f"evaluation_interval_s {interval} does not divide 86400")
        )
    for broken, key, message in pairs:
        if broken:
            f.error(
                "inconsistent_thresholds",
                rel,
                where if where else _loc(bundle, "public_tap", key),
                message,
                "make the pair consistent (DOMAIN IN-8)",
            )


def _gt(a: Any, b: Any) -> bool:
    return isinstance(a, int | float) and isinstance(b, int | float) and a > b


def _ge(a: Any, b: Any) -> bool:
    return isinstance(a, int | float) and isinstance(b, int | float) and a >= b


def check_weights(bundle: Bundle, name: str, rel: str, key: str, code: str = "allocation_renormalised") -> None:
    """A weight group (IN-17): sum 0 is an error, a sum ≠ 1 a warning."""
    weights = get(bundle.data(name), key)
    if not isinstance(weights, dict) or not weights:
        return
    values = [v for v in weights.values() if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(values) != len(weights):
        return
    total = math.fsum(values)
    if total <= 0:
        bundle.findings.error(
            "zero_weights", rel, _loc(bundle, name, key), f"{key} sums to 0", "give at least one weight > 0"
        )
    elif abs(total - 1) > 1e-9:
        bundle.findings.warning(
            code,
            rel,
            _loc(bundle, name, key),
            f"{key} sums to {total:g}, not 1; the weights are divided by their sum",
            "make the weights sum to 1",
        )


def check_taps(bundle: Bundle, pipelines: list[str]) -> None:
    """Policy rules of both taps (IN-8, IN-9, IN-17) on the default parameter set."""
    pub, prv = bundle.data("public_tap"), bundle.data("private_tap")
    f = bundle.findings
    if isinstance(pub, dict) and bundle.schema_ok.get("public_tap"):
        check_public_policy(bundle, pub)
        check_weights(bundle, "public_tap", PUB, "acquisition.channel_allocation")
        target = get(pub, "autoscaling.target_utilization_pct")
        low, high = get(pub, "autoscaling.scale_down_threshold_pct"), get(pub, "autoscaling.scale_up_threshold_pct")
        if all(isinstance(v, int | float) for v in (target, low, high)) and not low <= target <= high:
            f.warning(
                "target_outside_band",
                PUB,
                _loc(bundle, "public_tap", "autoscaling.target_utilization_pct"),
                f"target_utilization_pct {target} lies outside [{low}, {high}]",
                "choose a target between the scale-down and scale-up thresholds",
            )
        if "public" in pipelines and get(pub, "acquisition.cac_base_eur") == 0:
            f.warning(
                "cac_zero",
                PUB,
                _loc(bundle, "public_tap", "acquisition.cac_base_eur"),
                "acquisition.cac_base_eur is 0: no customers will be acquired",
                "set a positive CAC",
            )
    if isinstance(prv, dict) and bundle.schema_ok.get("private_tap"):
        check_weights(bundle, "private_tap", PRV, "acquisition.channel_allocation")
        check_weights(bundle, "private_tap", PRV, "pricing_policy.private_tap.vendor_weights")
        check_weights(bundle, "private_tap", PRV, "client_gpu_mix")
        gpus = {o.gpu for o in normalise_offers(bundle, Findings())}
        for key in ("client_gpu_mix", "prepaid_policy.private_tap.base_fee_by_gpu_class"):
            for raw in get(prv, key) or {}:
                if gpu_key(str(raw)) not in gpus:
                    f.error(
                        "unknown_reference",
                        PRV,
                        _loc(bundle, "private_tap", key),
                        f"{key} names GPU '{raw}', which has no offer in operator/curated_gpu.csv",
                        f"use one of: {', '.join(sorted(gpus))}",
                    )
        if "private" in pipelines and get(prv, "acquisition.cac_base_eur") == 0:
            f.warning(
                "cac_zero",
                PRV,
                _loc(bundle, "private_tap", "acquisition.cac_base_eur"),
                "acquisition.cac_base_eur is 0: no clients will be acquired",
                "set a positive CAC",
            )


def check_fraction_like_percents(bundle: Bundle) -> None:
    """WARNING percent_looks_like_fraction for operator `*_pct` values in (0, 1)."""
    for name, rel in (("general", GEN), ("public_tap", PUB), ("private_tap", PRV)):
        for path, value in _leaves(bundle.data(name)):
            last = str(path[-1])
            if (last.endswith("_pct") or last == "pct") and isinstance(value, int | float) and 0 < value < 1:
                doc = bundle.docs[name]
                line = doc.line_of(path)
                f_path = ".".join(str(p) for p in path)
                bundle.findings.warning(
                    "percent_looks_like_fraction",
                    rel,
                    f"line {line}" if line else "",
                    f"{f_path} = {value} looks like a fraction; percent values lie in 0..100",
                    f"write {value * 100:g} for {value * 100:g} %",
                )


def _leaves(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    if isinstance(data, dict):
        return [leaf for k, v in data.items() for leaf in _leaves(v, (*path, k))]
    if isinstance(data, list):
        return [leaf for i, v in enumerate(data) for leaf in _leaves(v, (*path, i))]
    return [(path, data)]


def check_fact_ids(bundle: Bundle) -> None:
    """Unique ids in insurances, ads_channels, agency_fees (IN-12)."""
    for name, column in (("insurances", "insurer_id"), ("ads_channels", "channel_id"), ("agency_fees", "agency_id")):
        table = bundle.tables.get(name)
        if table is None:
            continue
        seen: dict[Any, int] = {}
        for row in table.rows:
            key = row.values.get(column)
            if key is None:
                continue
            if key in seen:
                bundle.findings.error(
                    "duplicate_id",
                    table.rel,
                    f"line {row.line}",
                    f"column {column}: '{key}' repeats line {seen[key]}",
                    "give every row its own id",
                )
            seen.setdefault(key, row.line)
