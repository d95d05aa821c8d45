"""Public pricing models, given rows → expected rows: FX, throughput, unit cost, g*, price, admission, stress.

Expected values are hand-computed from DOMAIN §9 (EX-2 … EX-4, minimal_001) or from the rule text;
edge cases: cap binding, floor binding, no floor, heuristic throughput, a model that fits one GPU,
tie-breakers, a price exactly on the increment, a model that is not admitted [PUB-1]–[PUB-7], [PUB-9].
"""

from __future__ import annotations

import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from test_public_harness import MINIMAL, build, rerun, rows, validated

from d3_engine.models.graph import discover_models
from d3_engine.models.render import model_variables
from d3_engine.models.runner import run_models

if TYPE_CHECKING:
    import duckdb

PRICING = ("public_price", "public_admission", "public_stress")


def r6(x: float) -> str:
    """Half away from zero to 6 decimals, as exported ([OUT-3])."""
    return str(Decimal(repr(x)).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP))


def r4(x: float) -> str:
    return str(Decimal(repr(x)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def by_model(con: duckdb.DuckDBPyConnection, table: str, where: str = "") -> dict[str, dict[str, Any]]:
    return {r["model"]: r for r in rows(con, f"SELECT * FROM {table} {where} ORDER BY model")}


def run_only(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Run one model on the tables as they are (its inputs are given rows)."""
    run_models(con, [discover_models()[name]], model_variables(validated(), replicates=1, mc=1))


# ------------------------------------------------------------------------------------ EX-2, EX-3


def test_ex2_public_vendor_is_the_cheapest_provider_in_eur() -> None:
    con = build(PRICING)
    got = rows(con, "SELECT gpu, provider, usd_hr, eur_hr FROM public_vendor ORDER BY gpu")
    assert [(g["gpu"], g["provider"], r6(g["eur_hr"])) for g in got] == [
        ("GPU-A", "Beta", "0.352000"),
        ("GPU-B", "Alpha", "1.320000"),
    ]
    # the float expression is DOMAIN's, left to right: usd_hr / fx × (1 + fx_buffer_pct/100)
    assert got[0]["eur_hr"] == 0.4 / 1.25 * (1 + 10 / 100)
    offers = rows(con, "SELECT gpu, provider, eur_hr FROM public_offer_eur ORDER BY gpu, provider")
    assert [r6(o["eur_hr"]) for o in offers] == ["0.440000", "0.352000", "1.320000", "1.760000"]


def test_ex3_throughput_measured_minimum_per_gpu_and_single_stream_ignored() -> None:
    con = build(PRICING)
    got = rows(con, "SELECT model, gpu, tps, tps_source, tps_source_tag FROM public_throughput ORDER BY model, gpu")
    assert [(r["model"], r["gpu"], r["tps"], r["tps_source"], r["tps_source_tag"]) for r in got] == [
        ("Large 30B", "GPU-A", 300.0, "measured", "T1"),
        ("Large 30B", "GPU-B", 1200.0, "measured", "T1"),  # the 90 tokens/s single_stream row is ignored
        ("Small 7B", "GPU-A", 1000.0, "measured", "T1"),  # min of 1000 and 1100
        ("Small 7B", "GPU-B", 2500.0, "measured", "T1"),  # 5000 tokens/s over 2 GPUs
    ]


def test_ex3_unit_cost_at_target_utilisation_and_gpu_choice() -> None:
    con = build(PRICING)
    got = rows(
        con,
        """SELECT c.model, c.gpu, u.cap_tph, u.gpu_cost_eur_per_1m, u.cost_eur_per_1m, c.chosen, c.provider
           FROM public_gpu_choice AS c JOIN public_unit_cost AS u USING (param_set_id, model, gpu)
           ORDER BY c.model, c.gpu""",
    )
    table = [
        (r["model"], r["gpu"], r["cap_tph"], r6(r["gpu_cost_eur_per_1m"]), r6(r["cost_eur_per_1m"]), r["chosen"])
        for r in got
    ]
    assert table == [
        ("Large 30B", "GPU-A", 864000.0, "0.407407", "0.711111", False),
        ("Large 30B", "GPU-B", 3456000.0, "0.381944", "0.672917", True),
        ("Small 7B", "GPU-A", 2880000.0, "0.122222", "0.283333", True),
        ("Small 7B", "GPU-B", 7200000.0, "0.183333", "0.375000", False),
    ]
    chosen = {r["model"]: r["provider"] for r in got if r["chosen"]}
    assert chosen == {"Large 30B": "Alpha", "Small 7B": "Beta"}


# ------------------------------------------------------------------------------------------ EX-4


def test_ex4_prices_floor_and_target_rules() -> None:
    con = build(PRICING)
    got = by_model(con, "public_price")
    small, large = got["Small 7B"], got["Large 30B"]
    assert (r6(small["raw_sell_eur_per_1k"] * 1000), small["sell_eur_per_1k"], small["price_rule"]) == (
        "0.708333",
        0.001,
        "floor",
    )
    assert (small["sell_eur_per_1m"], r4(small["margin_pct"])) == (1.0, "71.6667")
    assert (r6(large["raw_sell_eur_per_1k"] * 1000), large["sell_eur_per_1k"], large["price_rule"]) == (
        "1.682292",
        0.0017,
        "target",
    )
    assert (large["sell_eur_per_1m"], r4(large["margin_pct"])) == (1.7, "60.4167")
    assert small["target_margin_pct"] == 60.0  # the fixed variable overrides the YAML 50 [EX-1]
    assert not small["capped_below_target"] and not large["capped_below_target"]


def test_ex4_p90_stress() -> None:
    con = build(PRICING)
    got = by_model(con, "public_stress")
    assert (r6(got["Small 7B"]["eur_hr_stress"]), r6(got["Small 7B"]["cost_stress_eur_per_1m"])) == (
        "0.387200",
        "0.301667",
    )
    assert r4(got["Small 7B"]["margin_p90_stress_pct"]) == "69.8333"
    assert (r6(got["Large 30B"]["eur_hr_stress"]), r6(got["Large 30B"]["cost_stress_eur_per_1m"])) == (
        "1.452000",
        "0.730208",
    )
    assert r4(got["Large 30B"]["margin_p90_stress_pct"]) == "57.0466"


def test_both_models_admitted_with_their_shares() -> None:
    con = build(PRICING)
    got = by_model(con, "public_admission")
    assert {m: (r["admitted"], r["traffic_share"]) for m, r in got.items()} == {
        "Large 30B": (True, 0.25),
        "Small 7B": (True, 0.75),
    }


# ---------------------------------------------------------------------------------- edge cases


def test_cap_binding_below_target_price() -> None:
    con = build(PRICING)
    con.execute("UPDATE params_public_tap SET max_cap_eur_per_1k = 0.0012")
    rerun(con, PRICING)
    large = by_model(con, "public_price")["Large 30B"]
    assert (large["sell_eur_per_1k"], large["price_rule"], large["capped_below_target"]) == (0.0012, "cap", True)
    # margin = (1 − 0.000672917/0.0012) × 100, below the 60 % target
    assert r4(large["margin_pct"]) == "43.9236"
    assert by_model(con, "public_price")["Small 7B"]["price_rule"] == "floor"


def test_cap_below_cost_makes_the_model_private_only_and_renormalises_shares() -> None:
    con = build(PRICING)
    con.execute("UPDATE params_public_tap SET max_cap_eur_per_1k = 0.0005, min_floor_eur_per_1k = NULL")
    rerun(con, PRICING)
    price = by_model(con, "public_price")
    assert (price["Small 7B"]["sell_eur_per_1k"], price["Small 7B"]["price_rule"]) == (0.0005, "cap")
    assert r4(price["Small 7B"]["margin_pct"]) == "43.3333"  # (1 − 0.000283333/0.0005) × 100
    assert r4(price["Large 30B"]["margin_pct"]) == "-34.5833"  # (1 − 0.000672917/0.0005) × 100
    admission = by_model(con, "public_admission")
    assert (admission["Large 30B"]["admitted"], admission["Large 30B"]["traffic_share"]) == (False, 0.0)
    assert (admission["Small 7B"]["admitted"], admission["Small 7B"]["traffic_share"]) == (True, 1.0)


def test_without_floor_the_rounded_target_price_stands() -> None:
    con = build(PRICING)
    con.execute("UPDATE params_public_tap SET min_floor_eur_per_1k = NULL")
    rerun(con, PRICING)
    small = by_model(con, "public_price")["Small 7B"]
    assert (small["sell_eur_per_1k"], small["price_rule"]) == (0.0008, "target")  # ceil(7.0833) × 0.0001
    assert r4(small["margin_pct"]) == "64.5833"


def test_price_exactly_on_the_increment_is_not_bumped() -> None:
    con = build(PRICING)
    con.execute("UPDATE params_public_tap SET min_floor_eur_per_1k = NULL")
    # given unit-cost rows: cost 0.32 €/1M → raw = 0.00032 / 0.4 = 0.0008 (a float hair off the increment)
    con.execute("UPDATE public_unit_cost SET cost_eur_per_1k = 0.00032 WHERE model = 'Small 7B' AND gpu = 'GPU-A'")
    run_only(con, "public_price")
    small = by_model(con, "public_price")["Small 7B"]
    assert (small["sell_eur_per_1k"], small["price_rule"]) == (0.0008, "target")
    assert abs(small["margin_pct"] - 60.0) < 1e-9


def test_gpu_choice_tie_breaks_on_eur_hr_then_gpu_key() -> None:
    con = build(PRICING)
    # given unit-cost rows: equal cost everywhere; GPU-B cheaper per hour for Small, equal for Large
    con.execute("UPDATE public_unit_cost SET cost_eur_per_1m = 1.0")
    con.execute("UPDATE public_unit_cost SET eur_hr = 0.25 WHERE model = 'Small 7B' AND gpu = 'GPU-B'")
    con.execute("UPDATE public_unit_cost SET eur_hr = 0.5 WHERE NOT (model = 'Small 7B' AND gpu = 'GPU-B')")
    run_only(con, "public_gpu_choice")
    got = rows(con, "SELECT model, gpu, choice_rank FROM public_gpu_choice WHERE chosen ORDER BY model")
    assert [(r["model"], r["gpu"]) for r in got] == [("Large 30B", "GPU-A"), ("Small 7B", "GPU-B")]


def test_model_that_fits_one_gpu_has_one_candidate() -> None:
    con = build(PRICING)
    con.execute("UPDATE input_models SET vram_gb_required = 40 WHERE model = 'Large 30B'")
    rerun(con, PRICING)
    got = rows(con, "SELECT gpu, chosen FROM public_gpu_choice WHERE model = 'Large 30B'")
    assert got == [{"gpu": "GPU-B", "chosen": True}]


def test_heuristic_throughput_from_baseline_when_no_measured_row() -> None:
    con = build(PRICING)
    con.execute("INSERT INTO input_gpu_baselines VALUES ('GPU-A', 2000.0, 8.0), ('GPU-B', 4000.0, 8.0)")
    con.execute("DELETE FROM input_throughput_measured WHERE model_id = 'org/large-30b' AND gpu = 'GPU-A'")
    con.execute("UPDATE params_public_tap SET allow_tps_heuristic = true")
    rerun(con, PRICING)
    got = {(r["model"], r["gpu"]): r for r in rows(con, "SELECT * FROM public_throughput")}
    heuristic = got[("Large 30B", "GPU-A")]
    assert heuristic["tps"] == 2000.0 * 8.0 / 30.0  # tokens_per_s × ref_params_b / params_b
    assert (heuristic["tps_source"], heuristic["tps_source_tag"]) == ("heuristic", None)
    assert (heuristic["baseline_tps"], heuristic["ref_params_b"], heuristic["params_b"]) == (2000.0, 8.0, 30.0)
    # a pair with a measured row never uses the heuristic
    assert (got[("Large 30B", "GPU-B")]["tps"], got[("Large 30B", "GPU-B")]["tps_source"]) == (1200.0, "measured")


def test_heuristic_without_params_b_uses_the_baseline_and_is_off_when_not_allowed() -> None:
    con = build(PRICING)
    con.execute("INSERT INTO input_gpu_baselines VALUES ('GPU-A', 2000.0, 8.0)")
    con.execute("DELETE FROM input_throughput_measured WHERE model_id = 'org/large-30b' AND gpu = 'GPU-A'")
    con.execute("UPDATE input_models SET params_b = NULL WHERE model = 'Large 30B'")
    con.execute("UPDATE params_public_tap SET allow_tps_heuristic = true")
    rerun(con, PRICING)
    tps = rows(con, "SELECT tps FROM public_throughput WHERE model = 'Large 30B' AND gpu = 'GPU-A'")
    assert tps == [{"tps": 2000.0}]
    con.execute("UPDATE params_public_tap SET allow_tps_heuristic = false")
    rerun(con, PRICING)
    assert rows(con, "SELECT tps FROM public_throughput WHERE model = 'Large 30B' AND gpu = 'GPU-A'") == []


def test_missing_traffic_share_column_splits_equally(tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    shutil.copytree(MINIMAL, inputs)
    catalogue = inputs / "operator" / "curated_public_tap_models.csv"
    lines = catalogue.read_text(encoding="utf-8").splitlines()
    assert lines[0].endswith(",traffic_share")
    catalogue.write_text("\n".join(line.rsplit(",", 1)[0] for line in lines) + "\n", encoding="utf-8")
    con = build(PRICING, inputs)
    assert rows(con, "SELECT DISTINCT traffic_share FROM input_models") == [{"traffic_share": 1.0}]  # resolved [PUB-9]
    got = by_model(con, "public_admission")
    assert [got[m]["traffic_share"] for m in ("Large 30B", "Small 7B")] == [0.5, 0.5]
