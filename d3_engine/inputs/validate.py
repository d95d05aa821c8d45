"""Every input condition of DOMAIN §1 on an inputs folder, all findings collected (IN-18).

This is the inputs stage: files, schemas, cross-key rules, offers, catalogue and variables. The
grid plan and its parameter sets are checked one stage up (`plan.validate`), and the pricing
findings after the plan is stored (`checks.preflight`); `pipeline.validation` composes the three.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from d3_engine.core.errors import ERROR, Finding, Findings, ValidationFailed
from d3_engine.core.rng import resolve_seed
from d3_engine.inputs.catalogue import check_catalogue, check_offers
from d3_engine.inputs.load import Bundle, check_required, check_sets_reached, load_bundle
from d3_engine.inputs.market import check_market_prices
from d3_engine.inputs.offers import CatalogueModel, Offer
from d3_engine.inputs.overrides import parse_sets
from d3_engine.inputs.resolved import ResolvedInputs, resolve_inputs
from d3_engine.inputs.rules import (
    SIM,
    check_fact_ids,
    check_fraction_like_percents,
    check_fx,
    check_general,
    check_simulation,
    check_taps,
    get,
    loc,
)
from d3_engine.inputs.stresses import Stress, check_stresses
from d3_engine.inputs.variable_keys import Variable
from d3_engine.inputs.variables import load_variables

VALID_PIPELINES = ("public", "private")


@dataclass
class CheckedInputs:
    """What the inputs stage found: the bundle (with its findings) and the typed pieces a plan needs.

    `fx` is None when the fx rate is unusable; the bundle's findings then hold the error. `resolved`
    holds every YAML document with its optional keys resolved ([V12-5]); later stages read only it.
    """

    bundle: Bundle
    pipelines: list[str]
    fail_on_warning: bool
    seed: int
    seed_source: str
    variables: list[Variable]
    offers: list[Offer]
    models: list[CatalogueModel]
    fx: float | None
    resolved: ResolvedInputs
    stresses: list[Stress] = field(default_factory=list)  # [IN-21], input order
    market: dict[str, tuple[Decimal, int, int]] = field(default_factory=dict)  # [OUT-18] model → (median, rows, line)

    @property
    def simulation(self) -> dict[str, Any]:
        """The resolved simulation.yaml."""
        data: dict[str, Any] = self.resolved.docs["simulation"]
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


def check_inputs(
    inputs: Path,
    pipelines: list[str] | None = None,
    fail_on_warning: bool | None = None,
    cli_seed: int | None = None,
    sets: list[str] | None = None,
) -> CheckedInputs:
    """Load and check an inputs folder; every finding is collected in `bundle.findings`, nothing raises.

    `sets` are the `--set FILE.KEY=VALUE` texts of the command line ([IN-20]).
    """
    set_findings = Findings()
    bundle = load_bundle(inputs, parse_sets(list(sets or []), set_findings))
    bundle.findings.items[:0] = set_findings.items
    check_sets_reached(bundle)
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
    resolved = resolve_inputs({name: doc.data for name, doc in bundle.docs.items()})
    stresses = check_stresses(bundle, resolved)
    market = check_market_prices(bundle, models)
    seed, source = _seed(bundle, cli_seed)
    flag = get(bundle.data("simulation"), "run.fail_on_warning", False) if fail_on_warning is None else fail_on_warning
    return CheckedInputs(
        bundle, chosen, bool(flag), seed, source, variables, offers, models, fx, resolved, stresses, market
    )


def settle(findings: list[Finding], fail_on_warning: bool) -> list[Finding]:
    """The warnings that remain, after escalation (IN-5).

    Raises:
        ValidationFailed: with every finding, when any ERROR remains after escalation.
    """
    settled = [f.escalated() if f.severity != ERROR else f for f in findings] if fail_on_warning else list(findings)
    if any(f.severity == ERROR for f in settled):
        raise ValidationFailed(settled)
    return settled
