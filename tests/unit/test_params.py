"""Unit tests for d3_engine.plan.params: the tables every model reads after the overlay (IN-16, IN-17).

Built from tests/fixtures/grid_001 (24 parameter sets: 6 grid points × 4 replicates) into an
in-memory DuckDB; variants append variables to a copy of the fixture.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest

from d3_engine.core.db import connect
from d3_engine.pipeline.validation import validate_inputs
from d3_engine.plan.params import clamp, renormalise_vendor_weights, write_params
from d3_engine.plan.scenarios import variable_values
from d3_engine.plan.validate import Validated

FIXTURE = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "grid_001"
# Grid points share their replicates' draws [RNG-9]: tests that need every lattice value drawn use more replicates.
MORE_REPLICATES = "simulation.run.random_runs_per_simulation=24"
Build = Callable[..., duckdb.DuckDBPyConnection]


def _tables(validated: Validated) -> duckdb.DuckDBPyConnection:
    con = connect(None)
    docs = {"general": validated.bundle.data("general")}
    for pipeline, scope in (("public", "public_tap"), ("private", "private_tap")):
        if pipeline in validated.pipelines:
            docs[scope] = validated.bundle.data(scope)
    gpus = sorted({o.gpu for o in validated.offers}, key=str.encode)
    write_params(con, variable_values(validated.plan, validated.seed), docs, gpus)
    return con


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    return _tables(validate_inputs(FIXTURE))


@pytest.fixture
def build(tmp_path: Path) -> Build:
    """build(public=[rows], private=[rows], general=[rows], pipelines=None) → tables of a fixture variant."""

    def make(
        pipelines: list[str] | None = None, drop: tuple[str, ...] = (), sets: list[str] | None = None, **rows: list[str]
    ) -> duckdb.DuckDBPyConnection:
        target = tmp_path / f"grid-{len(list(tmp_path.iterdir()))}"
        shutil.copytree(FIXTURE, target)
        for scope, lines in rows.items():
            path = target / "variables" / ("general.csv" if scope == "general" else f"{scope}_tap.csv")
            kept = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith(drop or "\0")]
            path.write_text("".join(f"{line}\n" for line in kept + lines), encoding="utf-8")
        return _tables(validate_inputs(target, pipelines, sets=sets))

    return make


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return con.execute(sql).fetchall()


# --------------------------------------------------------------------------------------------------
# Wide tables params_<scope>
# --------------------------------------------------------------------------------------------------


def test_one_row_per_parameter_set(con: duckdb.DuckDBPyConnection) -> None:
    for table in ("params_general", "params_public_tap", "params_private_tap"):
        got = rows(
            con, f"SELECT count(*), count(DISTINCT param_set_id), max(grid_index), max(replicate_index) FROM {table}"
        )
        assert got == [(24, 24, 5, 3)]
    ids = rows(con, "SELECT param_set_id, grid_index, replicate_index FROM params_general ORDER BY param_set_id")
    assert all(ps == g * 4 + r for ps, g, r in ids)


def test_grid_variable_changes_the_parameter_table(con: duckdb.DuckDBPyConnection) -> None:
    """[IN-16]: the grid axis target_margin_pct overlays pricing_policy.public_tap.target_margin_pct (YAML 55)."""
    got = rows(
        con,
        "SELECT grid_index, list(DISTINCT target_margin_pct) FROM params_public_tap GROUP BY 1 ORDER BY 1",
    )
    assert got == [(0, [50.0]), (1, [50.0]), (2, [55.0]), (3, [55.0]), (4, [60.0]), (5, [60.0])]


def test_vendor_weight_variable_lands_in_weight_columns_renormalised(con: duckdb.DuckDBPyConnection) -> None:
    """[IN-17]: 0.5/0.3/0.2 sums to 1.0 and stays as written; 0.7/0.3/0.2 sums to 1.2 and is divided."""
    got = rows(
        con,
        "SELECT DISTINCT grid_index % 2, weight_cost, weight_availability, weight_reputation FROM params_private_tap",
    )
    assert sorted(got) == [(0, 0.5, 0.3, 0.2), (1, 0.7 / 1.2, 0.3 / 1.2, 0.2 / 1.2)]
    assert (0.7 / 1.2, 0.3 / 1.2, 0.2 / 1.2) == (0.5833333333333334, 0.25, 0.16666666666666669)


def test_random_variable_overlays_its_key_per_set(con: duckdb.DuckDBPyConnection) -> None:
    got = rows(
        con,
        "SELECT p.param_set_id, p.tokens_per_conversion_mean, v.value_num FROM params_public_tap p "
        "JOIN params v USING (param_set_id) WHERE v.variable_id = 'tokens_per_conv_mean' ORDER BY 1",
    )
    assert [r[1] for r in got[:3]] == [41000.0, 45000.0, 27000.0]  # [RNG-8]
    assert all(a == b for _, a, b in got)
    repayment = rows(con, "SELECT repayment_type FROM params_general ORDER BY param_set_id LIMIT 4")
    assert repayment == [("bullet",), ("annuity",), ("annuity",), ("bullet",)]


def test_integer_keys_stay_integers(con: duckdb.DuckDBPyConnection) -> None:
    types = dict(
        rows(con, "SELECT column_name, data_type FROM information_schema.columns WHERE table_name LIKE 'params_%'")
    )
    for column in ("max_instances_per_model", "min_instances_per_model", "evaluation_interval_s", "expiry_months"):
        assert types[column] == "BIGINT"
    assert types["term_months"] == types["grace_period_months"] == types["vat_period_months"] == "BIGINT"
    value = rows(
        con, "SELECT max_instances_per_model, vat_period_months FROM params_public_tap, params_general LIMIT 1"
    )
    assert value == [(100, 3)] and all(type(v) is int for v in value[0])


def test_integer_variable_stays_integer_and_clamps(build: Build) -> None:
    """A random min_instances (0..200) above max_instances 100 raises max to it; both stay BIGINT [IN-16]."""
    con = build(
        drop=("autoscale_min_instances",),
        public=["min_inst,public_tap,autoscaling.min_instances_per_model,numeric,count,0,200,1,0,random,,,"],
    )
    got = rows(con, "SELECT min_instances_per_model, max_instances_per_model FROM params_public_tap")
    assert all(isinstance(lo, int) and isinstance(hi, int) and hi == max(100, lo) for lo, hi in got)
    assert any(lo > 100 for lo, _ in got) and any(lo < 100 for lo, _ in got)


def test_random_floor_above_cap_is_clamped(build: Build) -> None:
    """[IN-16] floor := min(floor, cap): draws of 3.5 … 5 become the cap 3.00; the transcript keeps the draw."""
    con = build(
        public=[
            "floor_draw,public_tap,pricing_policy.public_tap.min_floor_eur_per_1k,numeric,EUR_per_1k,0,5,0.5,0,random,,,"
        ],
        sets=[MORE_REPLICATES],
    )
    got = rows(
        con,
        "SELECT p.min_floor_eur_per_1k, p.max_cap_eur_per_1k, v.value_num, v.value_text FROM params_public_tap p "
        "JOIN params v USING (param_set_id) WHERE v.variable_id = 'floor_draw'",
    )
    assert len(got) == 6 * 24
    assert all(floor == min(drawn, 3.0) and cap == 3.0 for floor, cap, drawn, _ in got)
    assert any(drawn > 3 for _, _, drawn, _ in got)
    assert any(Decimal(text) > 3 and text in ("3.5", "4", "4.5", "5") for *_, text in got)


# --------------------------------------------------------------------------------------------------
# Clamps and renormalisation on columns
# --------------------------------------------------------------------------------------------------


def test_clamp_public_rules() -> None:
    c = {
        "min_floor_eur_per_1k": np.array([0.5, 4.0, 3.0]),
        "max_cap_eur_per_1k": np.array([3.0, 3.0, 3.0]),
        "min_instances_per_model": np.array([0, 7, 120], dtype=np.int64),
        "max_instances_per_model": np.array([100, 5, 100], dtype=np.int64),
        "scale_down_threshold_pct": np.array([50.0, 90.0, 85.0]),
        "scale_up_threshold_pct": np.array([85.0, 85.0, 85.0]),
        "min_topup_eur": np.array([5.0, 2000.0, 1000.0]),
        "max_topup_eur": np.array([1000.0, 1000.0, 1000.0]),
    }
    clamp("public_tap", c)
    assert c["min_floor_eur_per_1k"].tolist() == [0.5, 3.0, 3.0]
    assert c["max_instances_per_model"].tolist() == [100, 7, 120]
    assert c["max_instances_per_model"].dtype == np.int64
    assert c["scale_down_threshold_pct"].tolist() == [50.0, 85.0 - 1e-9, 85.0 - 1e-9]
    assert c["min_topup_eur"].tolist() == [5.0, 1000.0, 1000.0]


def test_clamp_leaves_an_unset_floor_or_cap_alone() -> None:
    unset = np.array([None, None], dtype=object)
    c = {
        "min_floor_eur_per_1k": np.array([9.0, 1.0]),
        "max_cap_eur_per_1k": unset,
        "min_instances_per_model": np.array([0, 0]),
        "max_instances_per_model": np.array([1, 1]),
        "scale_down_threshold_pct": np.array([1.0, 1.0]),
        "scale_up_threshold_pct": np.array([2.0, 2.0]),
        "min_topup_eur": np.array([1.0, 1.0]),
        "max_topup_eur": np.array([2.0, 2.0]),
    }
    clamp("public_tap", c)
    assert c["min_floor_eur_per_1k"].tolist() == [9.0, 1.0]


def test_clamp_grace_below_term() -> None:
    c = {"grace_period_months": np.array([3, 60, 80]), "term_months": np.array([60, 60, 24])}
    clamp("general", c)
    assert c["grace_period_months"].tolist() == [3, 59, 23]


def test_vendor_weights_renormalise_and_fall_back() -> None:
    c = {
        "weight_cost": np.array([0.1, 0.7, 0.0, 0.5]),
        "weight_availability": np.array([0.2, 0.3, 0.0, 0.3]),
        "weight_reputation": np.array([0.7, 0.2, 0.0, 0.2 + 5e-10]),
    }
    renormalise_vendor_weights(c)
    # 0.1 + 0.2 + 0.7 = 1.0000000000000002: within 1e-9 of 1, used as written (no division by 1 ± ulp).
    assert (c["weight_cost"][0], c["weight_availability"][0], c["weight_reputation"][0]) == (0.1, 0.2, 0.7)
    assert (c["weight_cost"][1], c["weight_availability"][1]) == (0.7 / 1.2, 0.3 / 1.2)
    assert (c["weight_cost"][2], c["weight_availability"][2], c["weight_reputation"][2]) == (1.0, 0.0, 0.0)
    assert c["weight_reputation"][3] == 0.2 + 5e-10


def test_drawn_weight_groups_renormalise_silently_with_zero_sum_fallback(build: Build) -> None:
    """[IN-17]: channel shares of a drawn set are divided by their sum; a zero sum splits equally."""
    con = build(
        drop=("vendor_weight_availability",),
        public=[
            "ch_google,public_tap,acquisition.channel_allocation.google_ads,numeric,fraction,0,1,0.5,0.5,random,,,",
            "ch_linkedin,public_tap,acquisition.channel_allocation.linkedin_ads,numeric,fraction,0,1,0.5,0,fixed,,,",
            "ch_events,public_tap,acquisition.channel_allocation.events,numeric,fraction,0,1,0.5,0,fixed,,,",
        ],
        private=[
            "w_avail,private_tap,pricing_policy.private_tap.vendor_weights.availability,numeric,fraction,0,0.5,0.5,0.5,random,,,"
        ],
        sets=[MORE_REPLICATES],
    )
    got = rows(
        con,
        "SELECT v.value_text, list(c.share ORDER BY c.label) FROM params v JOIN params_public_channels c "
        "USING (param_set_id) WHERE v.variable_id = 'ch_google' GROUP BY v.param_set_id, v.value_text",
    )
    shares = {text: share for text, share in got}
    # labels in byte order: events, google_ads, linkedin_ads
    assert shares == {"0": [1 / 3, 1 / 3, 1 / 3], "0.5": [0.0, 1.0, 0.0], "1": [0.0, 1.0, 0.0]}
    weights = rows(
        con,
        "SELECT DISTINCT v.value_text, weight_cost, weight_availability, weight_reputation FROM params v "
        "JOIN params_private_tap p USING (param_set_id) WHERE v.variable_id = 'w_avail' ORDER BY 1, 2",
    )
    # vendor_weight_cost is a grid axis (0.5|0.7); w_avail 0 with cost 0.5, reputation 0.2 sums 0.7.
    assert (("0.5", 0.5 / 1.2, 0.5 / 1.2, 0.2 / 1.2)) in weights
    assert (("0", 0.5 / 0.7, 0.0, 0.2 / 0.7)) in weights


def test_vendor_zero_sum_falls_back_to_cost(build: Build) -> None:
    """[IN-17]: cost and reputation fixed at 0, availability drawn from 0|0.5: a zero sum → cost 1, others 0."""
    con = build(
        drop=("vendor_weight_",),
        private=[
            "w_cost,private_tap,pricing_policy.private_tap.vendor_weights.cost,numeric,fraction,0,1,0.1,0,fixed,,,",
            "w_rep,private_tap,pricing_policy.private_tap.vendor_weights.reputation,numeric,fraction,0,1,0.1,0,fixed,,,",
            "w_avail,private_tap,pricing_policy.private_tap.vendor_weights.availability,numeric,fraction,0,0.5,0.5,0.5,random,,,",
        ],
    )
    got = rows(
        con,
        "SELECT DISTINCT v.value_text, weight_cost, weight_availability, weight_reputation FROM params v "
        "JOIN params_private_tap p USING (param_set_id) WHERE v.variable_id = 'w_avail' ORDER BY 1",
    )
    assert got == [("0", 1.0, 0.0, 0.0), ("0.5", 0.0, 1.0, 0.0)]


# --------------------------------------------------------------------------------------------------
# Map tables and the long params table
# --------------------------------------------------------------------------------------------------


def test_map_tables_in_byte_order(con: duckdb.DuckDBPyConnection) -> None:
    assert rows(con, "SELECT label, share FROM params_public_channels WHERE param_set_id = 0") == [
        ("events", 0.2),
        ("google_ads", 0.5),
        ("linkedin_ads", 0.3),
    ]
    mix = rows(con, "SELECT gpu, share FROM params_client_gpu_mix WHERE param_set_id = 23")
    assert mix == [(g, 0.2) for g in ("A10", "L4", "L40S", "RTX 3090", "RTX 4090")]  # PRV-6 equal split
    fixed = rows(con, "SELECT item, amount_eur FROM params_fixed_costs WHERE param_set_id = 7")
    assert fixed == [
        ("admin", 75.0),
        ("business", 1000.0),
        ("misc_buffer", 300.0),
        ("office", 400.0),
        ("personal", 2500.0),
    ]
    assert rows(con, "SELECT count(*) FROM params_fixed_costs") == [(24 * 5,)]


def test_map_entry_variable_overlays_its_item(build: Build) -> None:
    con = build(
        general=[
            "office_cost,general,finance.fixed_costs_monthly_eur.office,numeric,EUR_per_month,0,800,400,400,low_to_high,,,"
        ]
    )
    got = rows(
        con,
        "SELECT grid_index, amount_eur FROM params_fixed_costs WHERE item = 'office' AND replicate_index = 0 "
        "ORDER BY 1",
    )
    # office is axis 0 (general, scope 0): 0 | 400 | 800, each over the 6 points of the other two axes.
    assert [a for _, a in got] == [0.0] * 6 + [400.0] * 6 + [800.0] * 6


def test_long_params_table(con: duckdb.DuckDBPyConnection) -> None:
    assert rows(con, "SELECT count(*), count(DISTINCT (scope, variable_id)) FROM params") == [(24 * 25, 25)]
    got = dict(
        ((variable, ps), (text, num))
        for ps, variable, text, num in rows(con, "SELECT param_set_id, variable_id, value_text, value_num FROM params")
    )
    assert got[("loan_rate", 0)] == ("9.95", 9.95)
    assert got[("target_margin_pct", 23)] == ("60", 60.0)
    assert got[("vendor_weight_cost", 0)] == ("0.5", 0.5)
    assert got[("tokens_per_conv_mean", 0)] == ("41000", 41000.0)
    assert got[("repayment_type", 0)] == ("bullet", None)
    assert got[("autoscale_peak_factor", 5)] == ("1.2", 1.2)
    treatments = dict(rows(con, "SELECT DISTINCT variable_id, treatment FROM params"))
    assert treatments["hours_per_client"] == "random" and treatments["target_margin_pct"] == "low_to_high"


def test_unselected_scope_has_no_tables(build: Build) -> None:
    con = build(pipelines=["private"])
    tables = {r[0] for r in rows(con, "SELECT table_name FROM information_schema.tables")}
    assert "params_public_tap" not in tables and "params_public_channels" not in tables
    assert {"params_general", "params_private_tap", "params"} <= tables
    assert rows(con, "SELECT count(*) FROM params WHERE scope = 'public_tap'") == [(0,)]
    assert rows(con, "SELECT count(DISTINCT param_set_id) FROM params") == [(8,)]


# --------------------------------------------------------------------------------------------------
# variable_levels: the order [FIN-13] ranks a discrete variable by
# --------------------------------------------------------------------------------------------------


def test_variable_levels_hold_values_in_their_stated_order(con: duckdb.DuckDBPyConnection) -> None:
    """grid_001's repayment_type has values=annuity|linear|bullet: levels 0, 1, 2 in that order (not text order),
    and every value a parameter set holds has its level."""
    got = rows(
        con, "SELECT scope, variable_id, value_text, level FROM variable_levels ORDER BY scope, variable_id, level"
    )
    assert got == [
        ("general", "repayment_type", "annuity", 0),
        ("general", "repayment_type", "linear", 1),
        ("general", "repayment_type", "bullet", 2),
    ]
    unmatched = rows(
        con,
        """SELECT count(*) FROM params AS p JOIN (SELECT DISTINCT scope, variable_id FROM variable_levels) USING
           (scope, variable_id) ANTI JOIN variable_levels AS l USING (scope, variable_id, value_text)""",
    )
    assert unmatched == [(0,)]


def test_no_discrete_variable_gives_an_empty_typed_levels_table(build: Build) -> None:
    con = build(general=[], drop=("repayment_type",))
    assert rows(con, "SELECT count(*) FROM variable_levels") == [(0,)]
    assert [r[1] for r in rows(con, "DESCRIBE variable_levels")] == ["VARCHAR", "VARCHAR", "VARCHAR", "BIGINT"]
