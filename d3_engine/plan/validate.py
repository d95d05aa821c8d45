"""The plan stage of validation: the grid plan and the rules every parameter set must meet (IN-6, IN-16).

`Validated` is the record a run is built from: the checked inputs plus the plan.
"""

from __future__ import annotations

import copy
import itertools
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from d3_engine.core.errors import Finding
from d3_engine.inputs.load import Bundle
from d3_engine.inputs.offers import CatalogueModel, Offer
from d3_engine.inputs.resolved import ResolvedInputs
from d3_engine.inputs.rules import SIM, check_funding_sources, check_loan_terms, check_public_policy, get, loc, num
from d3_engine.inputs.stresses import Stress
from d3_engine.inputs.validate import CheckedInputs
from d3_engine.inputs.variable_keys import Variable
from d3_engine.plan.scenarios import Plan, build_plan


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
    resolved: ResolvedInputs
    warnings: list[Finding] = field(default_factory=list)
    stresses: list[Stress] = field(default_factory=list)  # [IN-21]: scenario s = stresses[s − 1]
    market: dict[str, tuple[Decimal, int, int]] = field(default_factory=dict)  # [OUT-18]

    @property
    def simulation(self) -> dict[str, Any]:
        """The resolved simulation.yaml ([V12-5])."""
        return self.doc("simulation")

    def doc(self, scope: str) -> dict[str, Any]:
        """The resolved document of a YAML input (simulation, general, public_tap, private_tap, …)."""
        data = self.resolved.doc(scope)
        if data is None:
            raise KeyError(f"no resolved document {scope!r}: the file is absent")
        return data

    def scope_docs(self) -> dict[str, dict[str, Any]]:
        """The resolved operator documents of the scopes this run computes (general and the taps that run)."""
        taps = (("public", "public_tap"), ("private", "private_tap"))
        scopes = ["general", *(scope for pipe, scope in taps if pipe in self.pipelines)]
        return {scope: self.doc(scope) for scope in scopes}


def plan_inputs(checked: CheckedInputs) -> Validated | None:
    """Build and check the plan of checked inputs; None when the inputs cannot carry a plan.

    Findings go to `checked.bundle.findings`.
    """
    bundle = checked.bundle
    plan = _plan(bundle, checked.resolved, checked.variables, checked.pipelines, len(checked.stresses))
    _check_parameter_sets(bundle, checked.resolved, checked.variables, plan)
    if plan is None or checked.fx is None:
        return None
    return Validated(
        bundle,
        checked.pipelines,
        checked.fail_on_warning,
        checked.seed,
        checked.seed_source,
        checked.variables,
        plan,
        checked.offers,
        checked.models,
        checked.fx,
        checked.resolved,
        stresses=checked.stresses,
        market=checked.market,
    )


def _plan(
    bundle: Bundle, resolved: ResolvedInputs, variables: list[Variable], pipelines: list[str], stresses: int = 0
) -> Plan | None:
    sim = resolved.doc("simulation")
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
    if plan.paths * (1 + stresses) > limit:
        scenarios = f" × (1 + {stresses} stress tests)" if stresses else ""
        bundle.findings.error(
            "too_many_paths",
            SIM,
            loc(bundle, "simulation", "run.max_paths"),
            f"the plan has {plan.grid_size} grid points × {plan.replicates} replicates × "
            f"{plan.mc} MC{scenarios} = {plan.paths * (1 + stresses)} paths, more than run.max_paths {limit}",
            "reduce the grid, replicates, simulations_per_run or stress_tests, or raise run.max_paths",
        )
    return plan


def _check_parameter_sets(
    bundle: Bundle, resolved: ResolvedInputs, variables: list[Variable], plan: Plan | None
) -> None:
    """Cross-key rules and the credit-pack range on the default set and every grid point (IN-16).

    A rule broken in several sets is reported once, at the first set that breaks it, so that a
    broken default does not repeat itself for every grid point.
    """
    reported: set[tuple[str, str, str]] = set()
    for label, general, public in _parameter_sets(bundle, resolved, variables, plan):
        scratch = Bundle(root=bundle.root, docs=bundle.docs)
        if general is not None:
            check_loan_terms(scratch, general, label)
            if not label:  # the default parameter set only [FIN-2a]
                check_funding_sources(scratch, general)
        if public is not None:
            check_public_policy(scratch, public, label)
            _check_packs(scratch, resolved.doc("simulation"), public, label)
        for finding in scratch.findings.items:
            key = (finding.code, finding.file, finding.location)
            if key not in reported:
                reported.add(key)
                bundle.findings.items.append(finding)


def _check_packs(bundle: Bundle, simulation: Any, public: dict[str, Any], label: str) -> None:
    """Every credit pack lies in [min_topup_eur, max_topup_eur] of the public set (PUB-10)."""
    low = get(public, "prepaid_policy.credits.min_topup_eur")
    high = get(public, "prepaid_policy.credits.max_topup_eur")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (low, high)) or low > high:
        return  # an inverted range is reported as inconsistent_thresholds
    packs = get(simulation, "report.credit_packs_eur")
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


def _parameter_sets(
    bundle: Bundle, resolved: ResolvedInputs, variables: list[Variable], plan: Plan | None
) -> list[ParamSet]:
    """(label, general params, public params) for the default set and the grid points that matter."""
    docs = {scope: resolved.doc(scope) if bundle.schema_ok.get(scope) else None for scope in ("general", "public_tap")}
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
