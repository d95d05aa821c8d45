"""Unit tests for d3_engine.plan.scenarios: the plan (grid × R × M) and the values of every parameter set.

DOMAIN [RNG-2] … [RNG-4], [RNG-8], [IN-13], [IN-16]. Fixture: tests/fixtures/grid_001 (grid axes
target_margin_pct 50|55|60 and vendor_weight_cost 0.5|0.7, R = 4, M = 3, H = 6; README.md there).
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from d3_engine.core.rng import Lattice
from d3_engine.pipeline.validation import validate_inputs
from d3_engine.plan.scenarios import (
    GridPoints,
    ParamValues,
    Plan,
    build_plan,
    overlay_column,
    used_scopes,
    variable_values,
)
from d3_engine.plan.validate import Validated

D = Decimal
FIXTURE = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "grid_001"
SEED = 424242


@pytest.fixture(scope="module")
def validated() -> Validated:
    return validate_inputs(FIXTURE)


@pytest.fixture(scope="module")
def values(validated: Validated) -> ParamValues:
    return variable_values(validated.plan, validated.seed)


def by_id(values: ParamValues, variable_id: str) -> list[Decimal | str]:
    (key,) = [k for k in values.by_variable if k[1] == variable_id]
    return values.by_variable[key]


# --------------------------------------------------------------------------------------------------
# GridPoints [RNG-3]
# --------------------------------------------------------------------------------------------------


def test_grid_points_last_axis_varies_fastest() -> None:
    grid = GridPoints([("a", "b", "c"), (D(1), D(2))])
    assert len(grid) == 6
    assert list(grid) == [("a", 1), ("a", 2), ("b", 1), ("b", 2), ("c", 1), ("c", 2)]
    assert grid[3] == ("b", D(2)) and grid[-1] == ("c", D(2))
    assert grid[1:3] == [("a", D(2)), ("b", D(1))]
    assert grid.axis_index(0).tolist() == [0, 0, 1, 1, 2, 2]
    assert grid.axis_index(1).tolist() == [0, 1, 0, 1, 0, 1]
    with pytest.raises(IndexError):
        grid[6]


def test_no_axis_gives_one_grid_point() -> None:
    grid = GridPoints([])
    assert len(grid) == 1 and list(grid) == [()]


def test_huge_grid_is_sized_without_being_built() -> None:
    """10¹⁸ points: sizing and indexing are arithmetic, so too_many_paths can be reported at once [IN-6]."""
    axis = Lattice(D(0), D(1000000), D(1))
    start = time.perf_counter()
    grid = GridPoints([axis, axis, axis])
    assert len(grid) == 1000001**3
    assert grid[len(grid) - 1] == (D(1000000),) * 3
    assert grid[1000002] == (D(0), D(1), D(1))
    assert time.perf_counter() - start < 1.0


# --------------------------------------------------------------------------------------------------
# The plan of grid_001
# --------------------------------------------------------------------------------------------------


def test_fixture_plan(validated: Validated) -> None:
    plan = validated.plan
    assert (plan.grid_size, plan.replicates, plan.mc, plan.horizon, plan.paths) == (6, 4, 3, 6, 72)
    assert plan.param_sets == 24
    # Axes: scope_id first (public_tap 1 before private_tap 2), the last axis varies fastest [RNG-3].
    assert [(v.scope, v.variable_id) for v in plan.grid_vars] == [
        ("public_tap", "target_margin_pct"),
        ("private_tap", "vendor_weight_cost"),
    ]
    assert list(plan.grid_points) == [
        (D(50), D("0.5")),
        (D(50), D("0.7")),
        (D(55), D("0.5")),
        (D(55), D("0.7")),
        (D(60), D("0.5")),
        (D(60), D("0.7")),
    ]
    assert [v.variable_id for v in plan.random_vars] == [
        "repayment_type",
        "churn_pct_mom_public",
        "tokens_per_conv_mean",
        "hours_per_client",
    ]
    assert len(plan.used) == 25


def test_used_variables_are_in_scope_then_byte_order(validated: Validated) -> None:
    keys = [(v.scope, v.variable_id) for v in validated.plan.used]
    order = {"general": 0, "public_tap": 1, "private_tap": 2}
    assert keys == sorted(keys, key=lambda k: (order[k[0]], k[1].encode()))


def test_unselected_pipeline_variables_leave_the_plan(validated: Validated) -> None:
    """[IN-16]: a tap that does not run contributes no grid axis, no random variable, no transcript row."""
    plan = build_plan(validated.variables, ["private"], 4, 3, 6)
    assert {v.scope for v in plan.used} == {"general", "private_tap"}
    assert [v.variable_id for v in plan.grid_vars] == ["vendor_weight_cost"]
    assert (plan.grid_size, plan.paths) == (2, 24)
    assert used_scopes(["public"]) == ["general", "public_tap"]
    assert used_scopes(["public", "private"]) == ["general", "public_tap", "private_tap"]


# --------------------------------------------------------------------------------------------------
# Values per parameter set (param_set_id = grid_index·R + replicate_index)
# --------------------------------------------------------------------------------------------------


def test_fixed_variable_is_its_default_everywhere(values: ParamValues) -> None:
    assert by_id(values, "loan_rate") == [D("9.95")] * 24
    assert by_id(values, "management_fee") == [D(199)] * 24


def test_grid_variables_follow_the_grid_point_of_each_set(values: ParamValues) -> None:
    assert by_id(values, "target_margin_pct") == [D(50)] * 8 + [D(55)] * 8 + [D(60)] * 8
    assert by_id(values, "vendor_weight_cost") == ([D("0.5")] * 4 + [D("0.7")] * 4) * 3


def test_lognormal_variable_matches_the_rng8_vector(values: ParamValues) -> None:
    """[RNG-8]: replicates 0, 1, 2 at grid point 0 snap to 41000, 45000, 27000 (BR = R = 4 here)."""
    assert by_id(values, "tokens_per_conv_mean")[:3] == [D(41000), D(45000), D(27000)]


def test_random_variable_is_the_same_at_every_grid_point(values: ParamValues) -> None:
    """[RNG-9] common random numbers: every grid point draws replicate r from grid position 0 of the key."""
    tokens = by_id(values, "tokens_per_conv_mean")
    assert len(tokens) == 24 and len(set(tokens[:4])) > 1
    assert all(tokens[g * 4 : g * 4 + 4] == tokens[:4] for g in range(6))


def test_discrete_draw_follows_its_key_independently_computed(values: ParamValues) -> None:
    """repayment_type: integers(0, 3, BR) on key (1, 0, h32(id), 0, 0) at every grid point [RNG-2] [RNG-4] [RNG-9]."""
    h32 = int.from_bytes(hashlib.sha256(b"repayment_type").digest()[:4], "big")
    options = ["annuity", "linear", "bullet"]
    seq = np.random.SeedSequence(entropy=SEED, spawn_key=(1, 0, h32, 0, 0))
    expected = [options[i] for i in np.random.Generator(np.random.PCG64(seq)).integers(0, 3, 4)] * 6
    got = by_id(values, "repayment_type")
    assert got == expected
    assert got[:4] == ["bullet", "annuity", "annuity", "bullet"]


def test_discrete_draws_cover_every_value(validated: Validated) -> None:
    plan = build_plan(validated.variables, validated.pipelines, 90, 1, 1)
    counts = Counter(by_id(variable_values(plan, SEED), "repayment_type"))
    assert set(counts) == {"annuity", "linear", "bullet"}
    assert min(counts.values()) > 90 * 6 / 3 * 0.7  # roughly uniform over 540 draws


def test_values_do_not_depend_on_other_pipelines(validated: Validated, values: ParamValues) -> None:
    """Dropping the public tap changes G but not the draws of a random variable at a given grid_index."""
    plan = build_plan(validated.variables, ["private"], 4, 3, 6)
    private_only = variable_values(plan, SEED)
    assert by_id(private_only, "hours_per_client") == by_id(values, "hours_per_client")[:8]


# --------------------------------------------------------------------------------------------------
# overlay_column
# --------------------------------------------------------------------------------------------------


def test_overlay_column_types() -> None:
    ints = overlay_column(100, [D(3), D(120), D(3)], 3, integer=True)
    assert ints.dtype == np.int64 and ints.tolist() == [3, 120, 3]
    assert overlay_column(12, None, 2, integer=True).tolist() == [12, 12]
    floats = overlay_column(55, [D("9.95"), D("0.5")], 2)
    assert floats.dtype == np.float64 and floats.tolist() == [9.95, 0.5]
    assert overlay_column(3.0, None, 2).tolist() == [3.0, 3.0]
    text = overlay_column("annuity", ["bullet", "linear"], 2)
    assert text.dtype == object and text.tolist() == ["bullet", "linear"]
    assert overlay_column(None, None, 2).tolist() == [None, None]
    assert overlay_column(True, None, 1).tolist() == [True]


def test_plan_counts_are_exact_integers() -> None:
    axis = Lattice(D(0), D(99), D(1))
    plan = Plan([], [], [], GridPoints([axis] * 5), 1000, 1000, 1)
    assert plan.paths == 100**5 * 10**6
