"""`--set FILE.KEY=VALUE` ([IN-20], [V12-4]): every error case, values that reach the plan, and the run id."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from d3_engine import ENGINE_VERSION
from d3_engine.core.errors import ERROR, Finding, ValidationFailed
from d3_engine.export.publish import compute_run_id
from d3_engine.export.run_summary import cli_overrides
from d3_engine.inputs.rules import get
from d3_engine.pipeline.validation import validate_inputs

ROOT = Path(__file__).resolve().parents[2]
GRID = ROOT / "tests" / "fixtures" / "grid_001"
SHIPPED = ROOT / "inputs"


def errors(inputs: Path, *sets: str) -> list[Finding]:
    with pytest.raises(ValidationFailed) as failed:
        validate_inputs(inputs, sets=list(sets))
    return [f for f in failed.value.findings if f.severity == ERROR]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("general.loan.interest_rate_pct", "has no '='"),
        ("general=6.5", "names no key after the file"),
        ("general.=6.5", "names no key after the file"),
        ("=6.5", "names no key after the file"),
        ("genral.loan.interest_rate_pct=6.5", "'genral' is not a file --set can change (did you mean 'general'?)"),
        ("facts.market_env.x=1", "'facts' is not a file --set can change"),
    ],
)
def test_set_syntax_errors_name_the_set(text: str, message: str) -> None:
    (error,) = errors(SHIPPED, text)
    assert (error.code, error.location) == ("set_syntax", "--set[1]")
    assert message in error.message and error.hint


def test_the_same_key_twice_is_set_syntax_at_the_second() -> None:
    (error,) = errors(SHIPPED, "general.loan.interest_rate_pct=6.5", "general.loan.interest_rate_pct=7")
    assert (error.code, error.location) == ("set_syntax", "--set[2]")
    assert "already set by --set[1]" in error.message


def test_unknown_key_has_did_you_mean() -> None:
    (error,) = errors(SHIPPED, "simulation.targets.horizon_months=36", "general.loan.intrest_rate_pct=6.5")
    assert (error.code, error.file, error.location) == ("unknown_key", "operator/general.yaml", "--set[2]")
    assert "did you mean 'loan.interest_rate_pct'?" in error.message


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("general.loan.interest_rate_pct=abc", "type_error"),
        ("general.loan.interest_rate_pct=[1, 2]", "type_error"),
        ("general.loan.interest_rate_pct=150", "out_of_range"),
        ("general.loan.repayment_type=balloon", "bad_enum"),
        ("general.loan.interest_rate_pct=null", "type_error"),
        ("simulation.targets.horizon_months=6.5", "type_error"),
    ],
)
def test_a_value_of_the_wrong_type_is_refused_by_the_schema_at_the_set(text: str, code: str) -> None:
    found = errors(SHIPPED, text)
    assert [(e.code, e.location) for e in found][:1] == [(code, "--set[1]")]


def test_a_cross_key_rule_broken_by_a_set_names_the_set() -> None:
    (error,) = errors(SHIPPED, "general.loan.grace_period_months=60")
    assert (error.code, error.location) == ("inconsistent_thresholds", "--set[1]")


def test_a_set_on_a_grid_axis_or_a_random_row_with_a_default_is_set_targets_variable() -> None:
    found = errors(
        GRID,
        "public_tap.pricing_policy.public_tap.target_margin_pct=50",
        "public_tap.acquisition.tokens_per_conversion_mean=60000",
    )
    assert [(e.code, e.location) for e in found] == [
        ("set_targets_variable", "--set[1]"),
        ("set_targets_variable", "--set[2]"),
    ]
    assert "grid axis target_margin_pct" in found[0].message
    assert "leave the default of tokens_per_conv_mean empty" in found[1].hint


def test_a_set_replaces_a_fixed_variable_without_a_shadowing_warning() -> None:
    validated = validate_inputs(GRID, sets=["general.loan.interest_rate_pct=6.5"])
    (loan_rate,) = [v for v in validated.variables if v.variable_id == "loan_rate"]
    assert (loan_rate.default, loan_rate.default_from) == (Decimal("6.5"), "--set[1]")
    assert not [w for w in validated.warnings if w.code == "variable_shadows_operator"]


def test_a_set_off_the_fixed_variables_lattice_is_a_lattice_error_at_the_set() -> None:
    (error,) = errors(GRID, "general.loan.interest_rate_pct=6.51")
    assert (error.code, error.file, error.location) == ("lattice", "operator/general.yaml", "--set[1]")


def test_a_set_moves_the_centre_of_a_random_row_with_an_empty_default() -> None:
    validated = validate_inputs(SHIPPED, sets=["public_tap.acquisition.cac_base_eur=80"])
    (cac,) = [v for v in validated.variables if v.variable_id == "cac_public"]
    assert cac.spec.default == Decimal(80) and cac.default_from == "--set[1]"


def test_values_lists_null_and_new_keys_reach_the_documents() -> None:
    validated = validate_inputs(
        SHIPPED,
        sets=[
            "simulation.targets.horizon_months=36",
            "simulation.stochastic.percentiles=[5, 50, 95]",
            "simulation.targets.min_monthly_dscr=null",
            "general.finance.fixed_costs_monthly_eur.rent=900",
        ],
    )
    sim, gen = validated.simulation, validated.bundle.data("general")
    assert get(sim, "targets.horizon_months") == 36 and validated.plan.horizon == 36
    assert get(sim, "stochastic.percentiles") == [5, 50, 95]
    assert get(sim, "targets.min_monthly_dscr") is None
    assert get(gen, "finance.fixed_costs_monthly_eur.rent") == 900
    assert cli_overrides(validated.bundle.sets)[1] == ["simulation.stochastic.percentiles", "[5, 50, 95]"]


def test_cli_overrides_enter_the_run_id_only_when_used() -> None:
    plain = validate_inputs(SHIPPED)
    with_set = validate_inputs(SHIPPED, sets=["general.loan.interest_rate_pct=6.5"])
    args = (ENGINE_VERSION, plain.seed, plain.pipelines, plain.fail_on_warning, plain.bundle.files)
    assert compute_run_id(*args) == compute_run_id(*args, cli_overrides(plain.bundle.sets))
    assert compute_run_id(*args) != compute_run_id(*args, cli_overrides(with_set.bundle.sets))
    assert cli_overrides(with_set.bundle.sets) == [["general.loan.interest_rate_pct", "6.5"]]
