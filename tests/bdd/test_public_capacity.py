"""Steps of specs/features/public_capacity.feature [PUB-8]…[PUB-12] [EX-5] [EX-9].

Each scenario edits a copy of the golden fixture (the `minimal` fixture of tests/conftest.py),
validates it and plans its one path with the engine's SQL models (`derived_checks.default_set_db`
with the path's draws); the autoscaler scenario runs the Python engine model on that path.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from d3_engine.checks.preflight import default_set_db
from d3_engine.models.python import autoscaler as autoscaler_model
from d3_engine.pipeline.validation import validate_inputs

PUB = "operator/public_tap.yaml"
PLANNED = ("public_month", "public_capacity_path")

scenarios("public_capacity.feature")


def fixed(value: Any, places: int) -> str:
    """A number as exported ([OUT-3]): rounded half away from zero (floats through their shortest text)."""
    text = repr(value) if isinstance(value, float) else str(value)
    return str(Decimal(text).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def query(world: dict[str, Any], sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cur = world["con"].execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


@pytest.fixture
def world() -> dict[str, Any]:
    return {}


@given("the golden fixture minimal_001 for the Public Tap")
def golden(minimal: Any, world: dict[str, Any]) -> None:
    world["inputs"] = minimal


@given(parsers.parse("the public acquisition budget is {budget:d} EUR"))
def budget(world: dict[str, Any], budget: int) -> None:
    world["inputs"].set_key(PUB, "acquisition.budget_month0_eur", budget)


@given(parsers.parse("the customer acquisition cost is {cac:d} EUR"))
def cac(world: dict[str, Any], cac: int) -> None:
    world["inputs"].set_key(PUB, "acquisition.cac_base_eur", cac)


@given(parsers.parse("every model keeps at least {n:d} instance"))
def min_instances(world: dict[str, Any], n: int) -> None:
    world["inputs"].set_key(PUB, "autoscaling.min_instances_per_model", n)


@given(parsers.parse("every model may use at most {n:d} instance"))
def max_instances(world: dict[str, Any], n: int) -> None:
    world["inputs"].set_key(PUB, "autoscaling.max_instances_per_model", n)


@when("the Public Tap demand and capacity are planned")
def planned(world: dict[str, Any]) -> None:
    world["con"] = default_set_db(validate_inputs(Path(str(world["inputs"]))), PLANNED, with_noise=True)


@when("the autoscaler runs on the representative path")
def autoscaled(world: dict[str, Any]) -> None:
    world["con"].execute("CREATE TABLE representative_path AS SELECT 0::BIGINT AS path_id, 0::BIGINT AS param_set_id")
    autoscaler_model.run_autoscaler(world["con"])


@then(parsers.parse("month {month:d} has {active} active customers and {tokens:d} tokens"))
def month_totals(world: dict[str, Any], month: int, active: str, tokens: int) -> None:
    row = query(world, "SELECT active_customers, tokens FROM public_month WHERE month = ?", [month])[0]
    assert (fixed(row["active_customers"], 6), round(row["tokens"])) == (fixed(float(active), 6), tokens)


@then(parsers.parse('in month {month:d} "{a}" needs {na:d} instances and "{b}" needs {nb:d}'))
def needs(world: dict[str, Any], month: int, a: str, na: int, b: str, nb: int) -> None:
    got = {
        r["model"]: r["instances"]
        for r in query(world, "SELECT model, instances FROM public_capacity_path WHERE month = ?", [month])
    }
    assert got == {a: na, b: nb}


@then(parsers.parse('in month {month:d} "{model}" needs {needed:d} instances but gets {got:d}, a capacity violation'))
def violation(world: dict[str, Any], month: int, model: str, needed: int, got: int) -> None:
    row = query(
        world,
        """SELECT instances_needed, instances, capacity_violation FROM public_capacity_path
           WHERE month = ? AND model = ?""",
        [month, model],
    )[0]
    assert (row["instances_needed"], row["instances"], row["capacity_violation"]) == (needed, got, True)


def monthly(world: dict[str, Any], column: str) -> list[str]:
    return [fixed(r[column], 2) for r in query(world, f"SELECT {column} FROM public_month ORDER BY month")]


@then(parsers.parse("the months' usage revenue is {values} EUR"))
def usage_revenue(world: dict[str, Any], values: str) -> None:
    assert monthly(world, "usage_revenue_eur") == values.split(", ")


@then(parsers.parse("the months' GPU cost is {values} EUR"))
def gpu_cost(world: dict[str, Any], values: str) -> None:
    assert monthly(world, "gpu_cost_eur") == values.split(", ")


@then(parsers.parse("the months' public COGS is {values} EUR"))
def cogs(world: dict[str, Any], values: str) -> None:
    assert monthly(world, "cogs_public_eur") == values.split(", ")


@then("no tokens are served")
def no_tokens(world: dict[str, Any]) -> None:
    rows = query(world, "SELECT tokens, usage_revenue_eur, blended_sell_eur_per_1k FROM public_month ORDER BY month")
    assert [(r["tokens"], fixed(r["usage_revenue_eur"], 2), r["blended_sell_eur_per_1k"]) for r in rows] == [
        (0.0, "0.00", None)
    ] * 3


@then("the scaling events are")
def events(world: dict[str, Any], datatable: list[list[str]]) -> None:
    header, *expected = datatable
    places = {"demand_tokens_per_hour": 6, "util_pct": 4}
    rows = query(world, f"SELECT {', '.join(header)} FROM public_scaling_events ORDER BY model, month, timestamp_s")
    got = [[fixed(r[c], places[c]) if c in places else str(r[c]) for c in header] for r in rows]
    assert got == expected


@then(parsers.parse("the pooled utilisation is {avg} % on average and {p95} % at p95 with {sla:d} SLA violations"))
def pooled(world: dict[str, Any], avg: str, p95: str, sla: int) -> None:
    row = query(world, "SELECT * FROM public_autoscaling_summary WHERE model = 'ALL'")[0]
    assert (fixed(row["avg_util_pct"], 4), fixed(row["p95_util_pct"], 4), row["sla_violations"]) == (avg, p95, sla)
