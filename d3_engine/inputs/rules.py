"""Domain rules that span keys or files (DOMAIN IN-6 … IN-12, IN-17, IN-18).

Each rule reads the schema-checked bundle and adds findings; none raises. Rules skip a file
whose schema check failed when they would only repeat its error.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from d3_engine.inputs.load import Bundle
from d3_engine.inputs.offers import GPU_FILE, gpu_key, reported
from d3_engine.inputs.schemas import did_you_mean, num
from d3_engine.inputs.variable_keys import leaf_value

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


def loc(bundle: Bundle, name: str, dotted: str) -> str:
    """`line N` of a dotted key of a YAML document (its nearest present parent), or ''."""
    return loc_path(bundle, name, tuple(dotted.split(".")))


def loc_path(bundle: Bundle, name: str, path: tuple[str | int, ...]) -> str:
    """`line N` of a key path (list items by index) of a YAML document, or ''."""
    doc = bundle.docs.get(name)
    return doc.where(path) if doc else ""


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
                loc(bundle, "simulation", "stochastic.percentiles"),
                f"stochastic.percentiles {pcts} must be strictly ascending integers in 1..99 and contain 50",
                "write e.g. [10, 50, 90]",
            )
    packs = get(sim, "report.credit_packs_eur")
    numeric = isinstance(packs, list) and all(isinstance(p, int | float) for p in packs)
    if numeric and not all(a < b for a, b in itertools.pairwise(packs)):
        f.error(
            "out_of_range",
            SIM,
            loc(bundle, "simulation", "report.credit_packs_eur"),
            f"report.credit_packs_eur {packs} must be strictly ascending",
            "sort the pack sizes, e.g. [50, 200, 500]",
        )


def check_fx(bundle: Bundle) -> float | None:
    """The EUR/USD rate of market_env.yaml (IN-12), or None with `missing_fx`."""
    found, value = leaf_value(bundle.data("market_env"), "finance.eur_usd_fx_rate.value")
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0:
        return float(value)
    if "market_env" in bundle.docs:
        problem = "is missing" if not found or value is None else f"is {value!r}, not a number > 0"
        bundle.findings.error(
            "missing_fx",
            "facts/market_env.yaml",
            loc(bundle, "market_env", "finance.eur_usd_fx_rate.value"),
            f"finance.eur_usd_fx_rate.value (USD per 1 EUR) {problem}",
            "set it, e.g. finance: {eur_usd_fx_rate: {value: 1.10, unit: ratio}}",
        )
    return None


def check_general(bundle: Bundle) -> None:
    """Insurers, exempt items and brackets (IN-7); grace < term is checked per parameter set."""
    gen, f = bundle.data("general"), bundle.findings
    if not isinstance(gen, dict) or not bundle.schema_ok.get("general"):
        return
    items = set((get(gen, "finance.fixed_costs_monthly_eur") or {}).keys())
    for key in ("tax.vat_exempt_fixed_cost_items", "working_capital.ap_exempt_fixed_cost_items"):
        for index, item in enumerate(get(gen, key) or []):
            if item not in items:
                f.error(
                    "unknown_reference",
                    GEN,
                    loc_path(bundle, "general", (*key.split("."), index)),
                    f"{key} names '{item}', which is not an item of finance.fixed_costs_monthly_eur"
                    f"{did_you_mean(str(item), sorted(items))}",
                    f"use one of: {', '.join(sorted(items, key=str.encode))}",
                )
    _check_insurers(bundle, get(gen, "insurances.selected") or [])
    _check_brackets(bundle, get(gen, "tax.corporate_income_brackets"))
    _check_funded_assets(bundle, get(gen, "depreciation_schedule.assets") or [])


def _check_funded_assets(bundle: Bundle, assets: list[Any]) -> None:
    """[FIN-2a]: an asset funded by the loan or the equity is bought in month 1, when that money arrives."""
    for index, asset in enumerate(assets):
        if not isinstance(asset, dict) or asset.get("funded_by") not in ("loan", "equity"):
            continue
        start = asset.get("start_month_index")
        if start != 1:
            bundle.findings.error(
                "out_of_range",
                GEN,
                loc_path(bundle, "general", ("depreciation_schedule", "assets", index, "funded_by")),
                f"depreciation_schedule.assets[{index}] ({asset.get('name')}) is funded_by {asset['funded_by']} "
                f"but bought in month {start}; the {asset['funded_by']} money arrives in month 1 only",
                "set start_month_index: 1, or funded_by: operations for an asset bought later",
            )


def check_funding_sources(bundle: Bundle, general: dict[str, Any]) -> None:
    """WARNING `funding_exceeds_source` when the assets funded by the loan (or the equity) cost more than that
    source ([FIN-2a]); the excess is operating capex. Called on the default parameter set."""
    assets = [a for a in get(general, "depreciation_schedule.assets") or [] if isinstance(a, dict)]
    sources = (("loan", "loan.amount_eur"), ("equity", "finance.equity_injection_eur"))
    for source, key in sources:
        funded = sum(float(a.get("amount_eur") or 0) for a in assets if a.get("funded_by") == source)
        available = get(general, key)
        if funded and isinstance(available, int | float) and funded > float(available):
            first = next(i for i, a in enumerate(assets) if a.get("funded_by") == source)
            bundle.findings.warning(
                "funding_exceeds_source",
                GEN,
                loc_path(bundle, "general", ("depreciation_schedule", "assets", first, "funded_by")),
                f"assets funded_by {source} cost {num(funded)} EUR, more than {key} {num(available)}; "
                f"the {num(funded - float(available))} EUR above it count as operating capex",
                f"raise {key}, or fund part of the assets from operations",
            )


def _check_insurers(bundle: Bundle, selected: list[str]) -> None:
    """Each selected insurer exists in facts/insurances.csv with a premium (IN-7)."""
    table = bundle.tables.get("insurances")
    if table is None:
        return  # missing or unreadable: that finding is already reported, do not repeat it per insurer
    rows = {r.values.get("insurer_id"): r for r in table.rows if r.values.get("insurer_id") is not None}
    for index, insurer in enumerate(selected):
        where = loc_path(bundle, "general", ("insurances", "selected", index))
        row = rows.get(insurer)
        if row is None and len(rows) < len(table.rows):
            continue  # a row without insurer_id is already reported; it may be the one meant
        if row is None:
            known = ", ".join(sorted(map(str, rows), key=str.encode)) or "(none)"
            bundle.findings.error(
                "unknown_reference",
                GEN,
                where,
                f"insurances.selected names '{insurer}', which is not an insurer_id of {table.rel}"
                f"{did_you_mean(str(insurer), [str(k) for k in rows])}",
                f"use an insurer_id of {table.rel}: {known}",
            )
        elif row.values.get("example_premium_eur_per_month") is None and not reported(
            row, "example_premium_eur_per_month"
        ):
            bundle.findings.error(
                "unknown_reference",
                GEN,
                where,
                f"insurances.selected names '{insurer}', which has no example_premium_eur_per_month "
                f"in {table.rel} (line {row.line})",
                "give it a premium or select another insurer",
            )


def _check_brackets(bundle: Bundle, brackets: Any) -> None:
    """IN-7: `[{up_to_eur, pct}, …, {pct}]`, bounds strictly ascending, absent exactly on the last."""
    if brackets is None:
        return
    problem = "the list is empty; leave the key out (or null) to use corporate_income_pct" if not brackets else None
    bounds = [b.get("up_to_eur") if isinstance(b, dict) else None for b in brackets]
    for i, bound in enumerate(bounds):
        if problem:
            break
        if i == len(bounds) - 1 and bound is not None:
            problem = f"the last bracket [{i}] has up_to_eur {num(bound)}; the last bracket must have none"
        elif i < len(bounds) - 1 and bound is None:
            problem = f"bracket [{i}] has no up_to_eur; every bracket but the last needs one"
        elif i > 0 and bound is not None and bounds[i - 1] is not None and bound <= bounds[i - 1]:
            problem = (
                f"bracket [{i}] up_to_eur {num(bound)} is not above {num(bounds[i - 1])} of bracket [{i - 1}]; "
                "up_to_eur values must be strictly ascending"
            )
    if problem:
        bundle.findings.error(
            "bad_brackets",
            GEN,
            loc(bundle, "general", "tax.corporate_income_brackets"),
            f"tax.corporate_income_brackets: {problem}",
            "write e.g. [{up_to_eur: 200000, pct: 19}, {pct: 25.8}]",
        )


def check_public_policy(bundle: Bundle, params: dict[str, Any], label: str = "") -> None:
    """Cross-key rules of IN-8 on one public parameter set (`label` names a grid point)."""
    suffix = f" (in {label})" if label else ""
    for key, message, hint in _broken_public_rules(params):
        bundle.findings.error("inconsistent_thresholds", PUB, loc(bundle, "public_tap", key), message + suffix, hint)


def _broken_public_rules(params: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(key, message, hint) of every IN-8 pair rule the parameters break."""
    g = {k: get(params, k) for k in _PAIR_KEYS}
    pairs = [
        ("pricing_policy.public_tap.min_floor_eur_per_1k", "pricing_policy.public_tap.max_cap_eur_per_1k", _gt,
         "is above", "make the price floor at most the cap, or remove one of them"),
        ("autoscaling.min_instances_per_model", "autoscaling.max_instances_per_model", _gt,
         "is above", "raise max_instances_per_model or lower min_instances_per_model"),
        ("autoscaling.scale_down_threshold_pct", "autoscaling.scale_up_threshold_pct", _ge,
         "is not below", "choose a scale-down threshold below the scale-up threshold"),
        ("prepaid_policy.credits.min_topup_eur", "prepaid_policy.credits.max_topup_eur", _gt,
         "is above", "make min_topup_eur at most max_topup_eur"),
    ]  # fmt: skip
    broken = [
        (a, f"{a} {num(g[a])} {verb} {b.rsplit('.', 1)[-1]} {num(g[b])}", hint)
        for a, b, test, verb, hint in pairs
        if test(g[a], g[b])
    ]
    interval = get(params, "autoscaling.evaluation_interval_s")
    if isinstance(interval, int | float) and not isinstance(interval, bool) and interval > 0 and 86400 % interval:
        broken.append(
            (
                "autoscaling.evaluation_interval_s",
                f"autoscaling.evaluation_interval_s {num(interval)} does not divide 86400 (the seconds of a day)",
                "use a divisor of 86400 such as 30, 60, 300 or 900",
            )
        )
    return broken


_PAIR_KEYS = (
    "pricing_policy.public_tap.min_floor_eur_per_1k",
    "pricing_policy.public_tap.max_cap_eur_per_1k",
    "autoscaling.min_instances_per_model",
    "autoscaling.max_instances_per_model",
    "autoscaling.scale_down_threshold_pct",
    "autoscaling.scale_up_threshold_pct",
    "prepaid_policy.credits.min_topup_eur",
    "prepaid_policy.credits.max_topup_eur",
)


def check_loan_terms(bundle: Bundle, params: dict[str, Any], label: str = "") -> None:
    """grace_period_months < term_months (IN-7) on one general parameter set."""
    grace, term = get(params, "loan.grace_period_months"), get(params, "loan.term_months")
    if _ge(grace, term):
        suffix = f" (in {label})" if label else ""
        bundle.findings.error(
            "inconsistent_thresholds",
            GEN,
            loc(bundle, "general", "loan.grace_period_months"),
            f"loan.grace_period_months {num(grace)} must be smaller than loan.term_months {num(term)}{suffix}",
            "shorten the grace period or lengthen the term",
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
            "zero_weights", rel, loc(bundle, name, key), f"{key} sums to 0", "give at least one weight > 0"
        )
    elif abs(total - 1) > 1e-9:
        bundle.findings.warning(
            code,
            rel,
            loc(bundle, name, key),
            f"{key} sums to {total:g}, not 1; the weights are divided by their sum",
            "make the weights sum to 1",
        )


def check_taps(bundle: Bundle, pipelines: list[str]) -> None:
    """Policy rules of both taps (IN-8, IN-9, IN-17) on the default parameter set."""
    pub, prv = bundle.data("public_tap"), bundle.data("private_tap")
    f = bundle.findings
    if isinstance(pub, dict) and bundle.schema_ok.get("public_tap"):
        check_weights(bundle, "public_tap", PUB, "acquisition.channel_allocation")
        target = get(pub, "autoscaling.target_utilization_pct")
        low, high = get(pub, "autoscaling.scale_down_threshold_pct"), get(pub, "autoscaling.scale_up_threshold_pct")
        if all(isinstance(v, int | float) for v in (target, low, high)) and not low <= target <= high:
            f.warning(
                "target_outside_band",
                PUB,
                loc(bundle, "public_tap", "autoscaling.target_utilization_pct"),
                f"target_utilization_pct {target} lies outside [{low}, {high}]",
                "choose a target between the scale-down and scale-up thresholds",
            )
        if "public" in pipelines and get(pub, "acquisition.cac_base_eur") == 0:
            f.warning(
                "cac_zero",
                PUB,
                loc(bundle, "public_tap", "acquisition.cac_base_eur"),
                "acquisition.cac_base_eur is 0: no customers will be acquired",
                "set a positive CAC",
            )
    if isinstance(prv, dict) and bundle.schema_ok.get("private_tap"):
        check_weights(bundle, "private_tap", PRV, "acquisition.channel_allocation")
        check_weights(bundle, "private_tap", PRV, "pricing_policy.private_tap.vendor_weights")
        check_weights(bundle, "private_tap", PRV, "client_gpu_mix")
        _check_gpu_keys(bundle, prv)
        if "private" in pipelines and get(prv, "acquisition.cac_base_eur") == 0:
            f.warning(
                "cac_zero",
                PRV,
                loc(bundle, "private_tap", "acquisition.cac_base_eur"),
                "acquisition.cac_base_eur is 0: no clients will be acquired",
                "set a positive CAC",
            )


def _check_gpu_keys(bundle: Bundle, prv: dict[str, Any]) -> None:
    """client_gpu_mix and base_fee_by_gpu_class keys are curated GPUs (IN-9)."""
    table = bundle.tables.get("curated_gpu")
    # Every GPU named in the file counts, even on a row with another error, so that one bad
    # row or a missing file does not turn into a second finding here.
    gpus = {gpu_key(str(r.values["gpu_model"])) for r in table.rows if r.values.get("gpu_model")} if table else set()
    if not gpus:
        return
    for key in ("client_gpu_mix", "prepaid_policy.private_tap.base_fee_by_gpu_class"):
        for raw in get(prv, key) or {}:
            if gpu_key(str(raw)) not in gpus:
                bundle.findings.error(
                    "unknown_reference",
                    PRV,
                    loc_path(bundle, "private_tap", (*key.split("."), raw)),
                    f"{key} names GPU '{raw}', which is not a GPU of {table.rel if table else GPU_FILE}"
                    f"{did_you_mean(gpu_key(str(raw)), sorted(gpus))}",
                    f"use one of: {', '.join(sorted(gpus, key=str.encode))}",
                )


def check_fraction_like_percents(bundle: Bundle) -> None:
    """WARNING percent_looks_like_fraction for operator `*_pct` values in (0, 1)."""
    for name, rel in (("general", GEN), ("public_tap", PUB), ("private_tap", PRV)):
        if not isinstance(bundle.data(name), dict):
            continue  # absent or not a mapping: already reported
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
