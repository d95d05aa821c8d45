"""Property tests of the Public Tap models (hypothesis, few examples, one small DuckDB per module).

- More acquisition budget never gives fewer customers, tokens or instances, in any month [PUB-8] [PUB-11].
- GPU costs scale linearly with provider prices, and g* does not change [PUB-1] [PUB-3] [PUB-4] [PUB-11].
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from d3_engine.checks.preflight import default_set_db, run_model_closure
from d3_engine.models.render import model_variables
from d3_engine.pipeline.validation import validate_inputs
from d3_engine.plan.validate import Validated

if TYPE_CHECKING:
    import duckdb

MINIMAL = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "minimal_001"
SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def bundle() -> Validated:
    return validate_inputs(MINIMAL)


@pytest.fixture(scope="module")
def db(bundle: Validated) -> duckdb.DuckDBPyConnection:
    con = default_set_db(bundle, ("public_model_month",), with_noise=True)
    con.execute("CREATE TEMP TABLE base_p AS SELECT * FROM params_public_tap")
    con.execute("CREATE TEMP TABLE base_n AS SELECT * FROM draw_public_noise")
    con.execute("CREATE TEMP TABLE base_o AS SELECT * FROM input_offers")
    return con


def sets(con: duckdb.DuckDBPyConnection, changes: list[dict[str, Any]]) -> None:
    """Parameter set k (= path k) is the default set with changes[k]; every path has the same draws."""
    con.execute("DELETE FROM params_public_tap")
    con.execute("DELETE FROM draw_public_noise")
    for k, change in enumerate(changes):
        values = [f"CAST('{v!r}' AS DOUBLE) AS {c}" if v is not None else f"NULL AS {c}" for c, v in change.items()]
        replaced = ", ".join([f"{k} AS param_set_id", f"{k} AS replicate_index", *values])
        con.execute(f"INSERT INTO params_public_tap SELECT * REPLACE ({replaced}) FROM base_p")
        con.execute(
            f"INSERT INTO draw_public_noise SELECT * REPLACE ({k} AS path_id, {k} AS replicate_index) FROM base_n"
        )


def column(con: duckdb.DuckDBPyConnection, sql: str) -> list[Any]:
    return [r[0] for r in con.execute(sql).fetchall()]


@SETTINGS
@given(
    budgets=st.lists(st.floats(0, 20000, allow_nan=False), min_size=2, max_size=5),
    growth=st.floats(0, 50),
    cac=st.floats(1, 500),
    churn=st.floats(0, 100),
    noise=st.booleans(),
)
def test_more_budget_never_fewer_customers(
    db: duckdb.DuckDBPyConnection,
    bundle: Validated,
    budgets: list[float],
    growth: float,
    cac: float,
    churn: float,
    noise: bool,
) -> None:
    budgets = sorted(budgets)
    common = {"budget_growth_pct_mom": growth, "cac_base_eur": cac, "churn_pct_mom": churn}
    if noise:
        common |= {"cac_sd_pct": 20.0, "tokens_sd_pct": 25.0}
        db.execute("UPDATE base_n SET z_cac = 0.3 * month - 0.5, z_tokens = 0.2 - 0.4 * month")
    sets(db, [{"budget_month0_eur": b, **common} for b in budgets])
    run_model_closure(db, ("public_model_month",), model_variables(bundle, replicates=len(budgets), mc=1))
    for month in (1, 2, 3):
        demand = db.execute(
            f"SELECT new_customers, active_customers, tokens FROM public_demand WHERE month = {month} ORDER BY path_id"
        ).fetchall()
        for lower, higher in itertools.pairwise(demand):
            assert all(h >= lo for lo, h in zip(lower, higher, strict=True)), (month, lower, higher)
        instances = column(
            db, f"SELECT sum(instances) FROM public_model_month WHERE month = {month} GROUP BY path_id ORDER BY path_id"
        )
        assert instances == sorted(instances)


@SETTINGS
@given(
    prices=st.lists(st.floats(0.05, 20), min_size=4, max_size=4),
    factor=st.floats(0.1, 10),
)
def test_gpu_cost_scales_with_provider_prices_and_g_star_stays(
    db: duckdb.DuckDBPyConnection, bundle: Validated, prices: list[float], factor: float
) -> None:
    # no cap: every model stays admitted at any price, so the demand mix and the capacity plan stay too
    sets(db, [{"max_cap_eur_per_1k": None}])

    def priced(scale: float) -> tuple[dict[tuple[str, str], tuple[float, float]], set[tuple[str, str]], list[Any]]:
        db.execute("DELETE FROM input_offers")
        db.execute("INSERT INTO input_offers SELECT * FROM base_o")
        for (gpu, provider), usd in zip(
            [("GPU-A", "Alpha"), ("GPU-A", "Beta"), ("GPU-B", "Alpha"), ("GPU-B", "Beta")], prices, strict=True
        ):
            db.execute(
                "UPDATE input_offers SET usd_hr = ? WHERE gpu = ? AND provider = ?", [usd * scale, gpu, provider]
            )
        run_model_closure(db, ("public_model_month",), model_variables(bundle, replicates=1, mc=1))
        cost = {
            (m, g): (gpu_1m, full_1m)
            for m, g, gpu_1m, full_1m in db.execute(
                "SELECT model, gpu, gpu_cost_eur_per_1m, cost_eur_per_1m FROM public_unit_cost"
            ).fetchall()
        }
        chosen = {(m, g) for m, g in db.execute("SELECT model, gpu FROM public_gpu_choice WHERE chosen").fetchall()}
        month_cost = column(db, "SELECT gpu_cost_eur FROM public_model_month ORDER BY model, month")
        return cost, chosen, month_cost

    cost_1, chosen_1, month_1 = priced(1.0)
    for model in ("Small 7B", "Large 30B"):  # an exact float tie may legitimately break either way
        first, second = sorted(full for (m, _), (_, full) in cost_1.items() if m == model)[:2]
        assume(second - first > 1e-9 * second)
    cost_f, chosen_f, month_f = priced(factor)
    assert chosen_f == chosen_1
    base = 0.10  # base_eur_per_1M of minimal_001
    for key, (gpu_1m, full_1m) in cost_1.items():
        assert cost_f[key][0] == pytest.approx(factor * gpu_1m, rel=1e-12)
        assert cost_f[key][1] - base == pytest.approx(factor * (full_1m - base), rel=1e-12)
    for one, scaled in zip(month_1, month_f, strict=True):  # DEC() rounds each to 6 decimals
        assert abs(float(scaled) - factor * float(one)) <= 1e-6 * (1 + factor)
