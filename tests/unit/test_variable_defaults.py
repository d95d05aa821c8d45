"""One source for every value ([IN-19], [V12-4]): empty defaults take the YAML value, a set default that
differs from it warns `variable_shadows_operator` naming the CSV line and the YAML file and line."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from d3_engine.core.errors import ERROR, WARNING, ValidationFailed
from d3_engine.pipeline.validation import validate_inputs

ROOT = Path(__file__).resolve().parents[2]
GRID = ROOT / "tests" / "fixtures" / "grid_001"
MINIMAL = ROOT / "tests" / "fixtures" / "minimal_001"


def _copy(src: Path, tmp_path: Path) -> Path:
    target = tmp_path / "in"
    shutil.copytree(src, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def test_yaml_edit_shadowed_by_a_fixed_row_warns_and_names_both_places(tmp_path: Path) -> None:
    inputs = _copy(GRID, tmp_path)
    general = inputs / "operator" / "general.yaml"
    _edit(general, "interest_rate_pct: 9.95", "interest_rate_pct: 6.5")
    validated = validate_inputs(inputs)
    shadows = [w for w in validated.warnings if w.code == "variable_shadows_operator"]
    assert len(shadows) == 1
    (warning,) = shadows
    csv = inputs / "variables" / "general.csv"
    assert warning.severity == WARNING
    assert (warning.file, warning.location) == ("variables/general.csv", f"line {_line_of(csv, 'loan_rate,')}")
    yaml_line = _line_of(general, "interest_rate_pct:")
    assert warning.message == (
        f"loan_rate fixes loan.interest_rate_pct = 9.95, so 6.5 in operator/general.yaml:{yaml_line} is not used"
    )
    assert "leave it empty to use the YAML value" in warning.hint
    (loan_rate,) = [v for v in validated.variables if v.variable_id == "loan_rate"]
    assert loan_rate.default == Decimal("9.95") and loan_rate.default_from == "csv"


def test_equal_values_in_other_notation_do_not_warn(tmp_path: Path) -> None:
    inputs = _copy(GRID, tmp_path)
    _edit(inputs / "operator" / "general.yaml", "interest_rate_pct: 9.95", "interest_rate_pct: 9.950")
    validated = validate_inputs(inputs)
    assert not [w for w in validated.warnings if w.code == "variable_shadows_operator"]


def test_an_empty_default_uses_the_yaml_value(tmp_path: Path) -> None:
    inputs = _copy(GRID, tmp_path)
    _edit(inputs / "operator" / "general.yaml", "interest_rate_pct: 9.95", "interest_rate_pct: 6.5")
    _edit(inputs / "variables" / "general.csv", "5,15,0.05,9.95,fixed", "5,15,0.05,,fixed")
    validated = validate_inputs(inputs)
    assert not [w for w in validated.warnings if w.code == "variable_shadows_operator"]
    (loan_rate,) = [v for v in validated.variables if v.variable_id == "loan_rate"]
    assert loan_rate.default == Decimal("6.5") and loan_rate.default_from == "operator"


def test_an_empty_random_default_centres_the_draws_on_the_yaml_value(tmp_path: Path) -> None:
    inputs = _copy(GRID, tmp_path)
    _edit(
        inputs / "operator" / "public_tap.yaml",
        "tokens_per_conversion_mean: 50000",
        "tokens_per_conversion_mean: 80000",
    )
    _edit(inputs / "variables" / "public_tap.csv", "1000,50000,random", "1000,,random")
    validated = validate_inputs(inputs)
    (tokens,) = [v for v in validated.variables if v.variable_id == "tokens_per_conv_mean"]
    assert tokens.spec.default == Decimal(80000)


def test_a_random_row_with_a_differing_default_warns(tmp_path: Path) -> None:
    inputs = _copy(GRID, tmp_path)
    _edit(
        inputs / "operator" / "public_tap.yaml",
        "tokens_per_conversion_mean: 50000",
        "tokens_per_conversion_mean: 80000",
    )
    validated = validate_inputs(inputs)
    (warning,) = [w for w in validated.warnings if w.code == "variable_shadows_operator"]
    assert warning.message.startswith(
        "tokens_per_conv_mean centres its draws of acquisition.tokens_per_conversion_mean"
    )


def test_an_empty_default_off_the_lattice_is_a_lattice_error_naming_the_yaml(tmp_path: Path) -> None:
    inputs = _copy(GRID, tmp_path)
    _edit(inputs / "operator" / "general.yaml", "interest_rate_pct: 9.95", "interest_rate_pct: 6.51")
    _edit(inputs / "variables" / "general.csv", "5,15,0.05,9.95,fixed", "5,15,0.05,,fixed")
    with pytest.raises(ValidationFailed) as failed:
        validate_inputs(inputs)
    (error,) = [f for f in failed.value.findings if f.severity == ERROR]
    assert error.code == "lattice" and error.file == "variables/general.csv"
    assert "6.51 in operator/general.yaml:" in error.message


def test_minimal_001_has_no_warning_and_takes_its_margin_from_the_yaml() -> None:
    validated = validate_inputs(MINIMAL)
    assert validated.warnings == []
    (margin,) = validated.variables
    assert margin.default == Decimal(60) and margin.default_from == "operator"


def test_shipped_variables_hold_only_random_drivers_with_empty_defaults() -> None:
    validated = validate_inputs(ROOT / "inputs")
    assert {v.variable_id for v in validated.variables} == {
        "cac_public",
        "churn_pct_mom_public",
        "tokens_per_conv_mean",
        "cac_private",
        "churn_pct_mom_private",
        "hours_per_client",
    }
    assert all(v.treatment == "random" and v.default_from == "operator" for v in validated.variables)
    assert not [w for w in validated.warnings if w.code == "variable_shadows_operator"]
