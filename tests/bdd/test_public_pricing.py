"""Steps of specs/features/public_pricing.feature [PUB-1]…[PUB-7] [EX-2]…[EX-4].

Each scenario edits a copy of the golden fixture (the `minimal` fixture of tests/conftest.py),
validates it and prices its default parameter set with the engine's own SQL models
(`derived_checks.default_set_db`), then reads the model tables and the derived findings.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from d3_engine.checks.preflight import default_set_db, public_findings
from d3_engine.pipeline.validation import validate_inputs

PUB = "operator/public_tap.yaml"
PRICING = ("public_price", "public_admission", "public_stress")

scenarios("public_pricing.feature")


def fixed(value: float, places: int) -> str:
    """A float as exported ([OUT-3]): its shortest text rounded half away from zero."""
    return str(Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def one(world: dict[str, Any], sql: str, params: list[Any]) -> dict[str, Any]:
    cur = world["con"].execute(sql, params)
    names = [d[0] for d in cur.description]
    found = cur.fetchall()
    assert len(found) == 1, found
    return dict(zip(names, found[0], strict=True))


@pytest.fixture
def world() -> dict[str, Any]:
    return {}


@given("the golden fixture minimal_001 for the Public Tap")
def golden(minimal: Any, world: dict[str, Any]) -> None:
    world["inputs"] = minimal


@given(parsers.parse("the target utilisation is {pct:d} %"))
def target_utilisation(world: dict[str, Any], pct: int) -> None:
    world["inputs"].set_key(PUB, "autoscaling.target_utilization_pct", pct)


@given(parsers.parse("the price cap is {cap:g} EUR per 1k tokens"))
def price_cap(world: dict[str, Any], cap: float) -> None:
    world["inputs"].set_key(PUB, "pricing_policy.public_tap.max_cap_eur_per_1k", cap)


@given("there is no price floor")
def no_floor(world: dict[str, Any]) -> None:
    world["inputs"].del_key(PUB, "pricing_policy.public_tap.min_floor_eur_per_1k")


@given(
    parsers.parse(
        "the heuristic is allowed with baselines of {a:d} tokens/s on GPU-A and {b:d} on GPU-B for {ref:d}B parameters"
    )
)
def heuristic(world: dict[str, Any], a: int, b: int, ref: int) -> None:
    world["inputs"].set_key(PUB, "allow_tps_heuristic", True)
    world["inputs"].write(
        "facts/gpu_baselines.yaml", f"ref_params_b: {ref}\ntokens_per_s: {{GPU-A: {a}, GPU-B: {b}}}\n"
    )


@given(parsers.parse('"{hf_id}" has no measured throughput'))
def no_measurement(world: dict[str, Any], hf_id: str) -> None:
    lines = world["inputs"].read("facts/tps_model_gpu.csv").splitlines()
    world["inputs"].write("facts/tps_model_gpu.csv", "\n".join(x for x in lines if not x.startswith(hf_id)) + "\n")


@when("the Public Tap is priced")
def priced(world: dict[str, Any]) -> None:
    world["validated"] = validate_inputs(Path(str(world["inputs"])))
    world["con"] = default_set_db(world["validated"], PRICING)


@then(parsers.parse('the public vendor of "{gpu}" is "{provider}" at {eur_hr} EUR per GPU-hour'))
def vendor(world: dict[str, Any], gpu: str, provider: str, eur_hr: str) -> None:
    row = one(world, "SELECT provider, eur_hr FROM public_vendor WHERE gpu = ?", [gpu])
    assert (row["provider"], fixed(row["eur_hr"], 6)) == (provider, eur_hr)


@then(parsers.parse('"{model}" is served from "{gpu}" at a cost of {cost} EUR per 1M tokens'))
def served(world: dict[str, Any], model: str, gpu: str, cost: str) -> None:
    row = one(world, "SELECT gpu, cost_eur_per_1m FROM public_price WHERE model = ?", [model])
    assert (row["gpu"], fixed(row["cost_eur_per_1m"], 6)) == (gpu, cost)


@then(parsers.parse('"{model}" sells at {sell} EUR per 1k tokens by rule "{rule}" with margin {margin} %'))
def sells(world: dict[str, Any], model: str, sell: str, rule: str, margin: str) -> None:
    row = one(world, "SELECT sell_eur_per_1k, price_rule, margin_pct FROM public_price WHERE model = ?", [model])
    assert (fixed(row["sell_eur_per_1k"], 6), row["price_rule"], fixed(row["margin_pct"], 4)) == (sell, rule, margin)


@then(parsers.parse('the p90 stress margin of "{model}" is {margin} %'))
def stress(world: dict[str, Any], model: str, margin: str) -> None:
    row = one(world, "SELECT margin_p90_stress_pct FROM public_stress WHERE model = ?", [model])
    assert fixed(row["margin_p90_stress_pct"], 4) == margin


@then(parsers.parse('the GPU cost of "{model}" is {cost} EUR per 1M tokens, twice the {base} at 80 %'))
def gpu_cost(world: dict[str, Any], model: str, cost: str, base: str) -> None:
    row = one(world, "SELECT gpu_cost_eur_per_1m FROM public_price WHERE model = ?", [model])
    assert fixed(row["gpu_cost_eur_per_1m"], 6) == cost
    assert abs(Decimal(cost) - 2 * Decimal(base)) <= Decimal("0.000001")  # both shown rounded to 6 decimals


@then(parsers.parse('"{model}" is not admitted'))
def not_admitted(world: dict[str, Any], model: str) -> None:
    row = one(world, "SELECT admitted, traffic_share FROM public_admission WHERE model = ?", [model])
    assert (row["admitted"], row["traffic_share"]) == (False, 0.0)


@then(parsers.parse('"{model}" takes all public traffic'))
def all_traffic(world: dict[str, Any], model: str) -> None:
    row = one(world, "SELECT admitted, traffic_share FROM public_admission WHERE model = ?", [model])
    assert (row["admitted"], row["traffic_share"]) == (True, 1.0)


@then(parsers.parse('"{model}" is served from "{gpu}" with heuristic throughput {tps} tokens/s'))
def heuristic_choice(world: dict[str, Any], model: str, gpu: str, tps: str) -> None:
    row = one(world, "SELECT gpu, tps, tps_source FROM public_price WHERE model = ?", [model])
    assert (row["gpu"], fixed(row["tps"], 6), row["tps_source"]) == (gpu, tps, "heuristic")


@then(parsers.parse('validation warns "{code}" for "{model}"'))
def warns(world: dict[str, Any], code: str, model: str) -> None:
    found = [f for f in public_findings(world["validated"]) if f.code == code]
    assert [f.message.split("'")[1] for f in found] == [model]
    assert all(f.severity == "WARNING" for f in found)


@then("validation reports nothing for the Public Tap")
def nothing(world: dict[str, Any]) -> None:
    assert public_findings(world["validated"]) == []
