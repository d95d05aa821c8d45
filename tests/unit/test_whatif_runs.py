"""What-if runs end to end on a small copy of the shipped plan: common random numbers across a loan-rate
sweep [RNG-9], stresses that leave the base untouched [IN-21] [V12-7], `d3 compare` of a run with itself
[OUT-16] and the market check's bad input [OUT-18]."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest
from harness import NO_STRESS, SMALL_PLAN, copy_bundle, run_d3, small_shipped_run

from d3_engine.core.errors import ERROR, ValidationFailed
from d3_engine.pipeline.validation import validate_inputs

ROOT = Path(__file__).resolve().parents[2]
SMALL = list(SMALL_PLAN)
SWEEP = "loan_rate,general,loan.interest_rate_pct,numeric,percent,6.5,9.95,3.45,9.95,low_to_high,,,sweep\n"
HEADER = "variable_id,scope,path,type,unit,min,max,step,default,treatment,distribution,dist_params,notes\n"
PATHS = 3 * 2  # R × M of one grid point


def run(inputs: Path, out: Path, *extra: str) -> Path:
    result = run_d3("run", "--inputs", inputs, "--out", out, "--quiet", *SMALL, *extra)
    assert result.exit_code == 0, result.stdout + result.stderr
    return Path(result.events[-1]["run_dir"])


def small_shipped_folder(*extra: str) -> Path:
    """The published folder of the session-cached small run of the shipped inputs (read only)."""
    std = small_shipped_run(*extra)
    assert std.exit_code == 0, std.outcome.stdout + std.outcome.stderr
    return std.run_dir


@pytest.fixture(scope="module")
def sweep_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    inputs = copy_bundle("inputs", tmp_path_factory.mktemp("sweep") / "inputs")
    inputs.write("variables/general.csv", HEADER + SWEEP)
    # Every path of every per-path table: the test compares the tap months and capacity rows of both grid points.
    return run(inputs.root, inputs.root.parent / "out", *NO_STRESS, "--keep-path-tables")


def _by_point(con: duckdb.DuckDBPyConnection, table: str, columns: str) -> dict[int, list[tuple[object, ...]]]:
    rows = con.execute(f"SELECT path_id, {columns} FROM {table} ORDER BY path_id, {columns}").fetchall()
    out: dict[int, list[tuple[object, ...]]] = {}
    for path_id, *values in rows:
        out.setdefault(path_id // PATHS, []).append((path_id % PATHS, *values))
    return out


@pytest.mark.e2e
def test_a_loan_rate_sweep_keeps_demand_revenue_and_capacity_identical_while_interest_changes(sweep_run: Path) -> None:
    con = duckdb.connect(str(sweep_run / "run.duckdb"), read_only=True)
    try:
        same = {
            "public_month": "month, new_customers, active_customers, tokens, revenue_public_eur, instance_hours",
            "private_month": "month, new_clients, active_clients, hours, revenue_private_eur",
            "public_capacity_path": "month, model, instances, instance_hours, gpu_cost_eur",
            "finance_month": "month, revenue_total_eur",
        }
        for table, columns in same.items():
            points = _by_point(con, table, columns)
            assert sorted(points) == [0, 1] and points[0] and points[0] == points[1], table
        interest = _by_point(con, "finance_month", "month, interest_eur")
        assert interest[0] != interest[1]
    finally:
        con.close()
    kpis = (sweep_run / "grid_kpis.csv").read_text(encoding="utf-8").splitlines()
    assert kpis[0] == "grid_index,general.loan_rate,metric,unit,p10,p50,p90"
    assert [line.split(",")[:3] for line in kpis[1:3]] == [["0", "6.5", "funding_gap"], ["0", "6.5", "net_income_h"]]
    assert len(kpis) == 1 + 2 * 6
    breach = {line.split(",")[0]: line.split(",")[4:] for line in kpis[1:] if line.split(",")[2] == "p_breach_any"}
    con = duckdb.connect(str(sweep_run / "run.duckdb"), read_only=True)
    try:  # [ACC-A13] counts the same breaching paths per grid point as grid_kpis.csv's p_breach_any ([FIN-14] once)
        verdict = con.execute("SELECT grid_index, paths_breached, paths FROM breach_verdict ORDER BY grid_index")
        for grid_index, k, n in verdict.fetchall():
            share = f"{(Decimal(k) / Decimal(n)).quantize(Decimal('0.0001'), ROUND_HALF_UP)}"
            assert breach[str(grid_index)] == [share] * 3
    finally:
        con.close()


@pytest.mark.e2e
def test_compare_of_a_run_with_itself_shows_no_differences(sweep_run: Path) -> None:
    result = run_d3("compare", sweep_run, sweep_run, "--json", "--grid-index", "1")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["inputs_differ"] == [] and doc["grid_index"] == 1
    assert [m["metric"] for m in doc["metrics"]][:2] == ["funding_gap", "net_income_h"]
    assert all(m["p50_diff"] in (0, None) and m["p90_diff"] in (0, None) for m in doc["metrics"])
    text = run_d3("compare", sweep_run, sweep_run).stdout
    assert "No input differs." in text


@pytest.mark.e2e
def test_compare_names_a_set_and_refuses_a_folder_that_is_not_a_run(tmp_path: Path, sweep_run: Path) -> None:
    other = run(ROOT / "inputs", tmp_path / "out", *NO_STRESS, "--set", "general.loan.interest_rate_pct=6.5")
    doc = json.loads(run_d3("compare", sweep_run, other, "--json").stdout)
    keys = {(d["table"], d["key"]) for d in doc["inputs_differ"]}
    assert ("input_general", "loan.interest_rate_pct") in keys
    assert doc["cli_overrides"]["b"][-1] == ["general.loan.interest_rate_pct", "6.5"]
    bad = run_d3("compare", sweep_run, tmp_path)
    assert bad.exit_code == 2 and "not a published d3 run" in bad.stderr


@pytest.mark.e2e
def test_a_stress_changes_only_its_scenario_and_never_the_base_artefacts() -> None:
    base = small_shipped_folder(*NO_STRESS)
    stressed = small_shipped_folder()
    sums = {}
    for folder in (base, stressed):
        lines = (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
        sums[folder] = {line.split("  ")[1]: line.split("  ")[0] for line in lines}
    value_files = [f for f in sums[base] if f.endswith(".csv") and "/" not in f and f != "variable_draws.csv"]
    assert len(value_files) >= 15
    assert all(sums[base][f] == sums[stressed][f] for f in value_files)
    assert "stress_tests.csv" in sums[stressed] and "stress_tests.csv" not in sums[base]
    rows = (stressed / "stress_tests.csv").read_text(encoding="utf-8").splitlines()
    assert rows[0] == "scenario,metric,unit,p10,p50,p90"
    assert [r.split(",")[0] for r in rows[1::6]] == [
        "base",
        "private_fee_minus_30",
        "cac_plus_50",
        "churn_double",
        "usage_minus_30",
    ]
    kpis = {line.split(",")[0]: line.split(",") for line in (base / "consolidated_kpis.csv").read_text().splitlines()}
    base_gap = rows[1].split(",")
    assert base_gap[1] == "funding_gap" and base_gap[3:6] == kpis["funding_gap"][2:5]
    fee_gap = rows[7].split(",")
    assert float(fee_gap[4]) > float(base_gap[4])  # a lower fee needs more funding
    same_as_kpis = {"funding_gap", "net_income_h", "cash_min", "p_breach_any", "break_even_month"}
    for row in (r.split(",") for r in rows[1:7]):  # the base rows are consolidated_kpis' figures
        if row[1] in same_as_kpis:
            assert row[3:6] == kpis[row[1].removesuffix("_h")][2:5], row
    report = (stressed / "report.md").read_text(encoding="utf-8")
    start = report.index(". The verdict\n")
    verdict_page = report[start : report.index("\n## ", start)]
    assert all(name in verdict_page for name in ("cac_plus_50", "churn_double", "usage_minus_30"))


def _stress_errors(tmp_path: Path, block: str) -> list[tuple[str, str]]:
    inputs = copy_bundle("inputs", tmp_path / "in")
    text = inputs.read("simulation.yaml")
    inputs.write("simulation.yaml", text[: text.index("stress_tests:")] + block)
    with pytest.raises(ValidationFailed) as failed:
        validate_inputs(inputs.root)
    return [(f.code, f.message) for f in failed.value.findings if f.severity == ERROR]


def test_stress_rules(tmp_path: Path) -> None:
    block = """stress_tests:
  - name: a
    scale: {general.loan.term_months: 2, public_tap.meta.seed: 1, public_tap.acquisition.cac_bse_eur: 2}
  - name: a
    set: {general.loan.interest_rate_pct: 5}
  - name: b
    set: {general.loan.interest_rate_pct: 5}
    scale: {general.loan.interest_rate_pct: 2, public_tap.acquisition.churn_pct_mom: -1}
  - name: c
    scale: {public_tap.acquisition.churn_pct_mom: 40}
"""
    found = _stress_errors(tmp_path, block)
    codes = [code for code, _ in found]
    assert codes.count("stress_key") == 4 and "duplicate_name" in codes and "unknown_key" in codes
    assert any(code == "out_of_range" and "stress c" in message for code, message in found)
    assert any("did you mean 'acquisition.cac_base_eur'" in message for _, message in found)


def test_market_rows_need_a_url_a_date_and_a_known_model(tmp_path: Path) -> None:
    inputs = copy_bundle("inputs", tmp_path / "in")
    inputs.write(
        "facts/market_api_prices.csv",
        "model,provider,input_usd_per_1M,output_usd_per_1M,blended_usd_per_1M,source_url,retrieved\n"
        "GPT-OSS 20B,X,0.1,0.5,,,2025-08-05\n"
        "GPT-OSS 20B,X,0.1,0.5,,https://example.org/p,\n"
        "Unknown 7B,X,,,0.2,https://example.org/p,2025-08-05\n",
    )
    with pytest.raises(ValidationFailed) as failed:
        validate_inputs(inputs.root)
    got = [(f.code, f.location) for f in failed.value.findings if f.severity == ERROR]
    assert ("missing_column", "line 2") in got and ("missing_column", "line 3") in got
    assert ("unknown_reference", "line 4") in got


def test_the_shipped_prices_are_far_from_the_market() -> None:
    validated = validate_inputs(ROOT / "inputs")
    far = [w for w in validated.warnings if w.code == "price_far_from_market"]
    assert [w.message.split("'")[1] for w in far] == ["GPT-OSS 20B", "Mistral 7B v0.3"]
    assert "0.1818 EUR per 1M" in far[0].message
