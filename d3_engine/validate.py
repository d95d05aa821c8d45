"""`d3 validate`: every condition of DOMAIN §1 on an inputs folder, all findings together (IN-18).

The result is a `Validated` bundle ready for a run: typed inputs, variables, the resolved seed
and the plan. Any ERROR (or any WARNING under fail_on_warning) raises `ValidationFailed`.
"""

from __future__ import annotations

import copy
import itertools
import math
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
    check_loan_terms,
    check_public_policy,
    check_simulation,
    check_taps,
    get,
    loc,
    num,
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
    """The selected pipelines in canonical order; `--pipelines` wins over run.pipelines (IN-6)."""
    if override is None:
        chosen = get(bundle.data("simulation"), "run.pipelines")
        if not isinstance(chosen, list) or not chosen:
            return list(VALID_PIPELINES)  # the schema reports a bad run.pipelines
        return [p for p in VALID_PIPELINES if p in chosen]
    bad = [p for p in override if p not in VALID_PIPELINES]
    problem = ""
    if not override:
        problem = "it names no pipeline"
    elif bad:
        problem = f"unknown pipeline {', '.join(repr(p) for p in bad)}"
    elif len(set(override)) != len(override):
        problem = "a pipeline is repeated"
    if problem:
        bundle.findings.error(
            "bad_pipelines",
            "--pipelines",
            "",
            f"--pipelines '{','.join(override)}': {problem}",
            "pass --pipelines public, --pipelines private or --pipelines public,private",
        )
    return [p for p in VALID_PIPELINES if p in override]


def _valid_seed(value: Any) -> int | None:
    """A seed the schema accepts (int ≥ 0, not a boolean); anything else is already a type_error."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _seed(bundle: Bundle, cli_seed: int | None) -> tuple[int, str]:
    sim = bundle.data("simulation")
    clean = {
        section: {"random_seed": _valid_seed(get(sim, f"{section}.random_seed"))} for section in ("stochastic", "run")
    }
    pub_seed = _valid_seed(get(bundle.data("public_tap"), "meta.seed"))
    prv_seed = _valid_seed(get(bundle.data("private_tap"), "meta.seed"))
    seed, source = resolve_seed(cli_seed, clean, pub_seed, prv_seed)
    if seed is None or source is None:
        bundle.findings.error(
            "missing_seed",
            SIM,
            loc(bundle, "simulation", "run.random_seed"),
            "no random seed is set: --seed, stochastic.random_seed, run.random_seed and meta.seed of "
            "operator/public_tap.yaml and operator/private_tap.yaml are all empty",
            "set run.random_seed in simulation.yaml (e.g. 424242) or pass --seed N",
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
            loc(bundle, "simulation", "run.max_paths"),
            f"the plan has {plan.grid_size} grid points × {plan.replicates} replicates × "
            f"{plan.mc} MC = {plan.paths} paths, more than run.max_paths {limit}",
            "reduce the grid, replicates or simulations_per_run, or raise run.max_paths",
        )
    return plan


def _check_parameter_sets(bundle: Bundle, variables: list[Variable], plan: Plan | None) -> None:
    """Cross-key rules and the credit-pack range on the default set and every grid point (IN-16).

    A rule broken in several sets is reported once, at the first set that breaks it, so that a
    broken default does not repeat itself for every grid point.
    """
    reported: set[tuple[str, str, str]] = set()
    for label, general, public in _parameter_sets(bundle, variables, plan):
        scratch = Bundle(root=bundle.root, docs=bundle.docs)
        if general is not None:
            check_loan_terms(scratch, general, label)
        if public is not None:
            check_public_policy(scratch, public, label)
            _check_packs(scratch, public, label)
        for finding in scratch.findings.items:
            key = (finding.code, finding.file, finding.location)
            if key not in reported:
                reported.add(key)
                bundle.findings.items.append(finding)


def _check_packs(bundle: Bundle, public: dict[str, Any], label: str) -> None:
    """Every credit pack lies in [min_topup_eur, max_topup_eur] of the public set (PUB-10)."""
    low = get(public, "prepaid_policy.credits.min_topup_eur")
    high = get(public, "prepaid_policy.credits.max_topup_eur")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (low, high)) or low > high:
        return  # an inverted range is reported as inconsistent_thresholds
    packs = get(bundle.data("simulation"), "report.credit_packs_eur")
    for pack in packs if isinstance(packs, list) else []:
        if isinstance(pack, int | float) and not isinstance(pack, bool) and not low <= pack <= high:
            suffix = f" (in {label})" if label else ""
            bundle.findings.error(
                "out_of_range",
                SIM,
                loc(bundle, "simulation", "report.credit_packs_eur"),
                f"report.credit_packs_eur: pack {num(pack)} EUR lies outside the top-up range "
                f"[{num(low)}, {num(high)}] of prepaid_policy.credits in operator/public_tap.yaml{suffix}",
                "choose packs between min_topup_eur and max_topup_eur, or widen that range",
            )
            return


ParamSet = tuple[str, dict[str, Any] | None, dict[str, Any] | None]

# Keys that the cross-key rules and the pack range read; only grid axes on these keys matter here.
RULE_KEYS = {
    ("general", "loan.grace_period_months"),
    ("general", "loan.term_months"),
    ("public_tap", "pricing_policy.public_tap.min_floor_eur_per_1k"),
    ("public_tap", "pricing_policy.public_tap.max_cap_eur_per_1k"),
    ("public_tap", "autoscaling.min_instances_per_model"),
    ("public_tap", "autoscaling.max_instances_per_model"),
    ("public_tap", "autoscaling.scale_down_threshold_pct"),
    ("public_tap", "autoscaling.scale_up_threshold_pct"),
    ("public_tap", "prepaid_policy.credits.min_topup_eur"),
    ("public_tap", "prepaid_policy.credits.max_topup_eur"),
}


def _grid_overlays(plan: Plan) -> list[tuple[str, dict[tuple[str, str], Any]]]:
    """Grid points that can break a cross-key rule, as (label, overlay).

    Every rule compares two keys (a > b is broken), so it is broken at some grid point iff it is
    broken where each axis on a rule key sits at its lowest or highest lattice value. Those
    2^k corner points (k ≤ 10) are checked instead of the whole grid, which may be huge (IN-6).
    """
    axes = plan.grid_vars
    strides = [math.prod(len(v.values) for v in axes[i + 1 :]) for i in range(len(axes))]
    relevant = [i for i, v in enumerate(axes) if (v.scope, v.path) in RULE_KEYS]
    overlays = []
    corners = [sorted({0, len(axes[i].values) - 1}) for i in relevant]
    for combo in itertools.product(*corners):
        g = sum(k * strides[i] for k, i in zip(combo, relevant, strict=True))
        overlay = {(axes[i].scope, axes[i].path): axes[i].values[k] for k, i in zip(combo, relevant, strict=True)}
        overlays.append((f"grid point {g}", overlay))
    return sorted(overlays, key=lambda item: int(item[0].split()[-1])) if relevant else []


def _parameter_sets(bundle: Bundle, variables: list[Variable], plan: Plan | None) -> list[ParamSet]:
    """(label, general params, public params) for the default set and the grid points that matter."""
    docs = {scope: bundle.data(scope) if bundle.schema_ok.get(scope) else None for scope in ("general", "public_tap")}
    used = plan.used if plan is not None else variables
    base = {(v.scope, v.path): v.default for v in used}
    sets: list[tuple[str, dict[tuple[str, str], Any]]] = [("", base)]
    if plan is not None and plan.grid_vars:
        sets += [(label, {**base, **overlay}) for label, overlay in _grid_overlays(plan)]
    out: list[ParamSet] = []
    for label, overlay in sets:
        general, public = (
            _overlaid(docs[scope], {path: x for (s, path), x in overlay.items() if s == scope})
            for scope in ("general", "public_tap")
        )
        out.append((label, general, public))
    return out


def _overlaid(data: Any, overlay: dict[str, Any]) -> dict[str, Any] | None:
    """A deep copy of an operator document with variable values at their paths (None when invalid)."""
    if not isinstance(data, dict):
        return None
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
    _check_parameter_sets(bundle, variables, plan)
    flag = get(bundle.data("simulation"), "run.fail_on_warning", False) if fail_on_warning is None else fail_on_warning
    validated = None
    if plan is not None and fx is not None:
        validated = Validated(bundle, chosen, bool(flag), seed, source, variables, plan, offers, models, fx)
        if "public" in chosen and not bundle.findings.errors:
            from d3_engine.derived_checks import public_findings  # lazy: derived_checks imports this module

            bundle.findings.items.extend(public_findings(validated))
    findings = _escalate(bundle.findings.items, bool(flag))
    if any(f.severity == ERROR for f in findings) or validated is None:
        raise ValidationFailed(findings)
    validated.warnings = [f for f in findings if f.severity != ERROR]
    return validated


def _escalate(findings: list[Finding], fail_on_warning: bool) -> list[Finding]:
    if not fail_on_warning:
        return list(findings)
    return [f.escalated() if f.severity != ERROR else f for f in findings]
