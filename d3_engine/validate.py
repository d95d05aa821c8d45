"""`d3 validate`: every condition of DOMAIN §1 on an inputs folder, all findings together (IN-18).

The result is a `Validated` bundle ready for a run: typed inputs, variables, the resolved seed
and the plan. Any ERROR (or any WARNING under fail_on_warning) raises `ValidationFailed`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from d3_engine.catalogue_rules import check_catalogue, check_offers
from d3_engine.errors import ERROR, Finding, ValidationFailed
from d3_engine.load import Bundle, check_required, load_bundle
from d3_engine.offers import CatalogueModel, Offer
from d3_engine.rng import resolve_seed
from d3_engine.rules import (
    SIM,
    check_fact_ids,
    check_fraction_like_percents,
    check_fx,
    check_general,
    check_public_policy,
    check_simulation,
    check_taps,
    get,
)
from d3_engine.scenarios import Plan, build_plan
from d3_engine.variables import Variable, load_variables

VALID_PIPELINES = ("public", "private")


@dataclass
class Validated:
    """A validated inputs bundle and what the run needs from it."""

    bundle: Bundle
    pipelines: list[str]
    fail_on_warning: bool
    seed: int
    seed_source: str
    variables: list[Variable]
    plan: Plan
    offers: list[Offer]
    models: list[CatalogueModel]
    fx: float
    warnings: list[Finding] = field(default_factory=list)

    @property
    def simulation(self) -> dict[str, Any]:
        data: dict[str, Any] = self.bundle.data("simulation")
        return data


def _pipelines(bundle: Bundle, override: list[str] | None) -> list[str]:
    chosen = override if override is not None else get(bundle.data("simulation"), "run.pipelines")
    if not isinstance(chosen, list) or not chosen:
        return list(VALID_PIPELINES) if override is None else []
    if override is not None:
        bad = [p for p in override if p not in VALID_PIPELINES]
        if bad or len(set(override)) != len(override):
            bundle.findings.error(
                "bad_pipelines",
                "--pipelines",
                "",
                f"'{','.join(override)}' is not a valid selection",
                "use public, private or public,private",
            )
            return [p for p in VALID_PIPELINES if p in override]
    return [p for p in VALID_PIPELINES if p in chosen]


def _seed(bundle: Bundle, cli_seed: int | None) -> tuple[int, str]:
    pub_seed = get(bundle.data("public_tap"), "meta.seed")
    prv_seed = get(bundle.data("private_tap"), "meta.seed")
    seed, source = resolve_seed(cli_seed, bundle.data("simulation"), pub_seed, prv_seed)
    if seed is None or source is None:
        bundle.findings.error(
            "missing_seed",
            SIM,
            "",
            "no random seed is set anywhere",
            "set run.random_seed in simulation.yaml or pass --seed N",
        )
        return 0, ""
    return seed, source


def _plan(bundle: Bundle, variables: list[Variable], pipelines: list[str]) -> Plan | None:
    sim = bundle.data("simulation")
    if not bundle.schema_ok.get("simulation"):
        return None
    plan = build_plan(
        variables,
        pipelines,
        int(get(sim, "run.random_runs_per_simulation")),
        int(get(sim, "stochastic.simulations_per_run")),
        int(get(sim, "targets.horizon_months")),
    )
    limit = int(get(sim, "run.max_paths"))
    if plan.paths > limit:
        bundle.findings.error(
            "too_many_paths",
            SIM,
            "",
            f"the plan has {plan.grid_size} grid points × {plan.replicates} replicates × "
            f"{plan.mc} MC = {plan.paths} paths, more than run.max_paths {limit}",
            "reduce the grid, replicates or simulations_per_run, or raise run.max_paths",
        )
    return plan


def _check_parameter_sets(bundle: Bundle, plan: Plan, pipelines: list[str]) -> None:
    """Cross-key rules and the credit-pack range on the default set and every grid point (IN-16)."""
    pub = bundle.data("public_tap")
    if "public" not in pipelines or not isinstance(pub, dict) or not bundle.schema_ok.get("public_tap"):
        return
    packs = get(bundle.data("simulation"), "report.credit_packs_eur") or []
    for label, overlay in _public_sets(plan):
        params = _overlaid(pub, overlay)
        where = "" if label == "default" else label
        check_public_policy(bundle, params, where=where)
        low = get(params, "prepaid_policy.credits.min_topup_eur")
        high = get(params, "prepaid_policy.credits.max_topup_eur")
        for pack in packs:
            if (
                isinstance(pack, int | float)
                and isinstance(low, int | float)
                and isinstance(high, int | float)
                and not low <= pack <= high
            ):
                bundle.findings.error(
                    "out_of_range",
                    SIM,
                    label,
                    f"credit pack {pack:g} EUR lies outside [min_topup_eur {low:g}, max_topup_eur {high:g}]",
                    "choose packs within the top-up range",
                )


def _public_sets(plan: Plan) -> list[tuple[str, dict[str, Any]]]:
    public_vars = [v for v in plan.used if v.scope == "public_tap"]
    base = {v.path: v.default for v in public_vars}
    sets = [("default", base)]
    axes = [(i, v) for i, v in enumerate(plan.grid_vars) if v.scope == "public_tap"]
    if axes:
        for g, point in enumerate(plan.grid_points):
            sets.append((f"grid point {g}", {**base, **{v.path: point[i] for i, v in axes}}))
    return sets


def _overlaid(data: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    import copy

    out = copy.deepcopy(data)
    for path, value in overlay.items():
        node = out
        *parents, last = path.split(".")
        for part in parents:
            node = node[part]
        node[last] = value if isinstance(value, str) else float(value)
    return out


def validate_inputs(
    inputs: Path, pipelines: list[str] | None = None, fail_on_warning: bool | None = None, cli_seed: int | None = None
) -> Validated:
    """Validate an inputs folder completely.

    Raises:
        ValidationFailed: with every finding, when any ERROR remains after escalation.
    """
    bundle = load_bundle(inputs)
    chosen = _pipelines(bundle, pipelines)
    check_required(bundle, chosen or list(VALID_PIPELINES))
    check_simulation(bundle)
    fx = check_fx(bundle)
    check_general(bundle)
    check_fact_ids(bundle)
    offers = check_offers(bundle)
    check_taps(bundle, chosen)
    check_fraction_like_percents(bundle)
    models = check_catalogue(bundle, offers, "public" in chosen)
    variables = load_variables(bundle, bundle.findings)
    seed, source = _seed(bundle, cli_seed)
    plan = _plan(bundle, variables, chosen)
    if plan is not None:
        _check_parameter_sets(bundle, plan, chosen)
    flag = get(bundle.data("simulation"), "run.fail_on_warning", False) if fail_on_warning is None else fail_on_warning
    findings = _escalate(bundle.findings.items, bool(flag))
    if any(f.severity == ERROR for f in findings) or plan is None or fx is None:
        raise ValidationFailed(findings)
    return Validated(
        bundle,
        chosen,
        bool(flag),
        seed,
        source,
        variables,
        plan,
        offers,
        models,
        fx,
        [f for f in findings if f.severity != ERROR],
    )


def _escalate(findings: list[Finding], fail_on_warning: bool) -> list[Finding]:
    if not fail_on_warning:
        return list(findings)
    return [f.escalated() if f.severity != ERROR else f for f in findings]
