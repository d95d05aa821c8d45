"""Golden fixture minimal_001, Public Tap: the real CLI reproduces EX-2 … EX-5 and EX-9 to the last digit.

One path (R = M = 1, noise sd 0), so every series p10/p50/p90 equals the rep row [EX-1]. The expected
lines are the worked example's figures written with the OUT-3 formats.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from harness import second_minimal_run

from d3_engine.models.python import autoscaler_core as autoscaler

PUBLIC_FILES = (
    "public_tap_autoscaling_summary.csv",
    "public_tap_capacity_plan.csv",
    "public_tap_credit_packs.csv",
    "public_tap_customers_by_month.csv",
    "public_tap_prices_per_model.csv",
    "public_tap_scaling_events.csv",
    "public_tap_scenarios.csv",
    "public_vendor_choice.csv",
)


@pytest.fixture(scope="module")
def run_dir(minimal_run: Path) -> Path:
    """The session's cached `d3 run` of minimal_001 (read only)."""
    return minimal_run


def lines(run_dir: Path, name: str) -> list[str]:
    return (run_dir / name).read_text(encoding="utf-8").splitlines()


def series(run_dir: Path, name: str, label: str) -> list[str]:
    return [line for line in lines(run_dir, name)[1:] if line.split(",", 1)[0] == label]


def test_all_public_artefacts_are_published_and_summed(run_dir: Path) -> None:
    sums = (run_dir / "SHA256SUMS").read_text(encoding="utf-8")
    for name in PUBLIC_FILES:
        digest = hashlib.sha256((run_dir / name).read_bytes()).hexdigest()
        assert f"{digest}  {name}\n" in sums


def test_ex2_ex3_vendor_choice(run_dir: Path) -> None:
    assert lines(run_dir, "public_vendor_choice.csv")[1:] == [
        "Large 30B,GPU-A,Beta,24.000000,0.400000,0.352000,300.000000,measured,T1,0.711111,false",
        "Large 30B,GPU-B,Alpha,48.000000,1.500000,1.320000,1200.000000,measured,T1,0.672917,true",
        "Small 7B,GPU-A,Beta,24.000000,0.400000,0.352000,1000.000000,measured,T1,0.283333,true",
        "Small 7B,GPU-B,Alpha,48.000000,1.500000,1.320000,2500.000000,measured,T1,0.375000,false",
    ]


def test_ex4_prices(run_dir: Path) -> None:
    assert lines(run_dir, "public_tap_prices_per_model.csv")[1:] == [
        "Large 30B,GPU-B,Alpha,1200.000000,measured,1.320000,0.381944,0.672917,60.0000,0.001682,0.001700,1.700000,"
        "target,60.4167,57.0466,true,0.250000",
        "Small 7B,GPU-A,Beta,1000.000000,measured,0.352000,0.122222,0.283333,60.0000,0.000708,0.001000,1.000000,"
        "floor,71.6667,69.8333,true,0.750000",
    ]


def test_ex5_customers_by_month(run_dir: Path) -> None:
    rep = [
        "rep,1,1000.00,50.00,20.000000,20.000000,1000000000.000000,0.001175,1175.00,1175.00,0.00,0.00,1905.76,-730.76",
        "rep,2,1100.00,50.00,22.000000,40.000000,2000000000.000000,0.001175,2350.00,2350.00,0.00,0.00,2005.76,344.24",
        "rep,3,1210.00,50.00,24.200000,60.200000,3010000000.000000,0.001175,3536.75,3536.75,0.00,0.00,2486.92,1049.83",
    ]
    assert series(run_dir, "public_tap_customers_by_month.csv", "rep") == rep
    for label in ("p10", "p50", "p90"):  # one path: every series is the rep path [EX-1]
        assert series(run_dir, "public_tap_customers_by_month.csv", label) == [label + r[3:] for r in rep]


def test_ex5_capacity_plan(run_dir: Path) -> None:
    rep = [
        "rep,1,Large 30B,GPU-B,250000000.000000,347222.222222,416666.666667,1200.000000,3456000.000000,1,1,"
        "720.000000,1.320000,950.40,false,0.0000",
        "rep,1,Small 7B,GPU-A,750000000.000000,1041666.666667,1250000.000000,1000.000000,2880000.000000,1,1,"
        "720.000000,0.352000,253.44,false,0.0000",
        "rep,2,Large 30B,GPU-B,500000000.000000,694444.444444,833333.333333,1200.000000,3456000.000000,1,1,"
        "720.000000,1.320000,950.40,false,0.0000",
        "rep,2,Small 7B,GPU-A,1500000000.000000,2083333.333333,2500000.000000,1000.000000,2880000.000000,1,1,"
        "720.000000,0.352000,253.44,false,0.0000",
        "rep,3,Large 30B,GPU-B,752500000.000000,1045138.888889,1254166.666667,1200.000000,3456000.000000,1,1,"
        "720.000000,1.320000,950.40,false,0.0000",
        "rep,3,Small 7B,GPU-A,2257500000.000000,3135416.666667,3762500.000000,1000.000000,2880000.000000,2,2,"
        "1440.000000,0.352000,506.88,false,0.0000",
    ]
    assert series(run_dir, "public_tap_capacity_plan.csv", "rep") == rep
    assert series(run_dir, "public_tap_capacity_plan.csv", "p50") == ["p50" + r[3:] for r in rep]
    hours = sum(float(r.split(",")[11]) for r in rep)
    assert hours == 5040.0  # instance-hours over the horizon [EX-5]


def test_ex5_scenarios_and_credit_pack(run_dir: Path) -> None:
    assert series(run_dir, "public_tap_scenarios.csv", "rep") == [
        "rep,6010000000.000000,7061.75,6398.44,663.31,3310.00,-2646.69"
    ]
    assert lines(run_dir, "public_tap_credit_packs.csv") == [
        "pack_eur,blended_sell_eur_per_1k,tokens,value_eur,error_pct",
        "50.00,0.001175,42553191,50.00,0.0000",
    ]


def test_ex9_autoscaler_events_and_summary(run_dir: Path) -> None:
    assert lines(run_dir, "public_tap_scaling_events.csv")[1:] == [
        "27180,Small 7B,GPU-A,3,3061710.923677,3600000.000000,1,2,scale_up,85.0475",
        "73680,Small 7B,GPU-A,3,3058994.432573,7200000.000000,2,1,scale_down,42.4860",
    ]
    assert lines(run_dir, "public_tap_autoscaling_summary.csv")[1:] == [
        "Large 30B,GPU-B,3,4320,16.1019,28.5043,0,0,1",
        "Small 7B,GPU-A,3,4320,49.2469,77.4174,0,2,2",
        "ALL,,6,8640,32.6744,71.8969,0,2,2",
    ]


def test_run_summary_public_blocks(run_dir: Path) -> None:
    summary = json.loads((run_dir / "run_summary.json").read_text(encoding="utf-8"))
    assert summary["autoscaling"] == {
        "avg_util_pct": 32.6744,
        "p95_util_pct": 71.8969,
        "scale_events": 2,
        "sla_violations": 0,
    }
    assert summary["capacity_violations"] == {"paths_with_violation": 0, "rep_path_model_months": 0}
    assert summary["heuristics"] == []
    assert [(t["model"], t["gpu"], t["source"], t["source_tag"]) for t in summary["throughput"]] == [
        ("Large 30B", "GPU-B", "measured", "T1"),
        ("Small 7B", "GPU-A", "measured", "T1"),
    ]
    prints = {f["name"]: f for f in summary["model_fingerprints"]}
    source = Path(autoscaler.__file__).read_text(encoding="utf-8").encode()
    assert prints["autoscaler"] == {
        "name": "autoscaler",
        "sha256": hashlib.sha256(source).hexdigest(),
        "version": autoscaler.MODEL_VERSION,
    }
    assert {"public_price", "public_month", "public_model_month", "public_credit_packs"} <= set(prints)


@pytest.mark.e2e
def test_public_artefacts_are_byte_identical_across_runs_and_concurrency(run_dir: Path) -> None:
    second = second_minimal_run()
    assert second.exit_code == 0, second.outcome.stderr
    again = second.run_dir
    for name in PUBLIC_FILES:
        assert (again / name).read_bytes() == (run_dir / name).read_bytes(), name
