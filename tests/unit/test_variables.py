"""Unit tests for d3_engine.inputs.variables: lattices and the variable rules of IN-13 … IN-16.

Each case appends rows to a copy of tests/fixtures/grid_001 and validates it; the findings are
read from `ValidationFailed`.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from d3_engine.core.errors import ERROR, ValidationFailed
from d3_engine.core.formats import draw_value_text
from d3_engine.core.rng import Lattice
from d3_engine.pipeline.validation import validate_inputs
from d3_engine.plan.scenarios import variable_values
from d3_engine.plan.validate import Validated

D = Decimal
FIXTURE = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "grid_001"
Check = Callable[..., Validated]


@pytest.fixture
def variant(tmp_path: Path) -> Check:
    """variant(scope, *rows, drop=(), pipelines=None) → Validated (raises ValidationFailed)."""

    def make(scope: str, *rows: str, drop: tuple[str, ...] = (), pipelines: list[str] | None = None) -> Validated:
        target = tmp_path / f"grid-{len(list(tmp_path.iterdir()))}"
        shutil.copytree(FIXTURE, target)
        path = target / "variables" / f"{scope}.csv"
        kept = [line for line in path.read_text(encoding="utf-8").splitlines() if not drop or not line.startswith(drop)]
        path.write_text("".join(f"{line}\n" for line in [*kept, *rows]), encoding="utf-8")
        return validate_inputs(target, pipelines)

    return make


def errors_of(check: Check, *args: object, **kwargs: object) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as failed:
        check(*args, **kwargs)
    return [(f.code, f.message) for f in failed.value.findings if f.severity == ERROR]


# --------------------------------------------------------------------------------------------------
# Lattices [IN-13]
# --------------------------------------------------------------------------------------------------


def test_lattice_values_are_exact_and_hit_both_endpoints(variant: Check) -> None:
    validated = variant("general")
    (loan_rate,) = [v for v in validated.variables if v.variable_id == "loan_rate"]
    values = loan_rate.values
    assert isinstance(values, Lattice) and len(values) == 201  # 5..15 step 0.05
    assert values[0] == D(5) and values[-1] == D(15) and values[99] == D("9.95")
    assert [draw_value_text(values[k]) for k in (0, 99, 100, 200)] == ["5", "9.95", "10", "15"]
    (weight,) = [v for v in validated.variables if v.variable_id == "vendor_weight_availability"]
    assert [draw_value_text(x) for x in weight.values] == [draw_value_text(D(k) / 10) for k in range(11)]
    assert weight.values[-1] == D(1)


def test_a_huge_lattice_is_not_materialised(variant: Check) -> None:
    """10¹² + 1 lattice values: validation and the draws read only what they need."""
    start = time.perf_counter()
    validated = variant(
        "public_tap",
        "fine_sd,public_tap,acquisition.cac_sd_pct,numeric,percent,0,100,0.0000000001,20,random,,,",
    )
    (fine,) = [v for v in validated.plan.used if v.variable_id == "fine_sd"]
    assert len(fine.values) == 10**12 + 1
    drawn = variable_values(validated.plan, validated.seed).by_variable[("public_tap", "fine_sd")]
    assert len(drawn) == 24 and all(D(0) <= x <= D(100) and x in fine.values for x in drawn)  # type: ignore[operator]
    assert time.perf_counter() - start < 10


def test_integer_units_need_an_integer_lattice(variant: Check) -> None:
    found = errors_of(
        variant,
        "public_tap",
        "autoscale_max_instances,public_tap,autoscaling.max_instances_per_model,numeric,count,1,1000,0.5,100,fixed,,,",
        drop=("autoscale_max_instances",),
    )
    assert [c for c, _ in found] == ["lattice"] and "integer lattice" in found[0][1]


# --------------------------------------------------------------------------------------------------
# Units, paths and scopes [IN-13] [IN-14] [IN-15]
# --------------------------------------------------------------------------------------------------


def test_discrete_variable_must_target_an_enum_key(variant: Check) -> None:
    found = errors_of(
        variant,
        "general",
        "cont_choice,general,finance.contingency_pct,discrete,enum,,,,5,random,,,values=5|10",
        drop=("contingency_pct",),
    )
    assert found == [
        (
            "unit_range",
            "unit: variable cont_choice: unit enum differs from the unit of finance.contingency_pct (percent)",
        )
    ]


def test_path_outside_the_roots_lists_them(variant: Check) -> None:
    found = errors_of(variant, "general", "start,general,calendar.start_year,numeric,count,2020,2030,1,2025,fixed,,,")
    assert [c for c, _ in found] == ["variable_path"]
    assert "finance., insurances., tax., loan., working_capital., inflation., reserves." in found[0][1]


def test_unselected_pipeline_variables_are_still_validated(variant: Check) -> None:
    """[IN-16]: validated but not used: a broken public variable fails a private-only run too."""
    row = "bad,public_tap,acquisition.no_such_key,numeric,percent,0,10,1,5,fixed,,,"
    assert [c for c, _ in errors_of(variant, "public_tap", row, pipelines=["private"])] == ["variable_path"]
    validated = variant("public_tap", pipelines=["private"])
    assert all(v.scope != "public_tap" for v in validated.plan.used)
    assert any(v.scope == "public_tap" for v in validated.variables)


# --------------------------------------------------------------------------------------------------
# Rules no clamp repairs [IN-16]
# --------------------------------------------------------------------------------------------------


def test_evaluation_interval_lattice_must_divide_a_day(variant: Check) -> None:
    """50, 100, 150, 200 divide 86400; 250 is the first lattice value that does not."""
    row = "interval,public_tap,autoscaling.evaluation_interval_s,numeric,seconds,50,3600,50,100,random,,,"
    found = errors_of(variant, "public_tap", row)
    assert found == [("lattice", "min/max/step: variable interval: lattice value 250 does not divide 86400")]


def test_fixed_variable_is_not_checked_on_its_whole_lattice(variant: Check) -> None:
    row = "interval,public_tap,autoscaling.evaluation_interval_s,numeric,seconds,50,3600,50,100,fixed,,,"
    validated = variant("public_tap", row)
    assert any(v.variable_id == "interval" for v in validated.plan.used)


def test_vat_period_lattice_must_be_one_or_three(variant: Check) -> None:
    bad = "vat_period,general,tax.vat_period_months,numeric,months,1,3,1,3,low_to_high,,,"
    assert errors_of(variant, "general", bad) == [
        ("lattice", "min/max/step: variable vat_period: lattice value 2 is not 1 or 3")
    ]
    good = variant("general", "vat_period,general,tax.vat_period_months,numeric,months,1,3,2,3,low_to_high,,,")
    assert good.plan.grid_size == 12
    assert [v.variable_id for v in good.plan.grid_vars] == ["vat_period", "target_margin_pct", "vendor_weight_cost"]
