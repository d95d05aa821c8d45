"""The whole pipeline on the two optional-key fixtures ([V12-5], issue 10 item 2).

`tests/fixtures/optional_unset` removes every optional key of every input file (so it runs with
`--seed`); `tests/fixtures/optional_set` sets every one of them, to values other than the default
where that is sensible. Both runs go through the real console entry point (harness.run_d3, in this process),
report included, and must exit 0; the figures below show that each default (or each set value) reached the
numbers.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest
from harness import run_d3

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.e2e  # two whole runs


def _run(inputs: str, out: Path, *extra: str) -> Path:
    outcome = run_d3("run", "--inputs", ROOT / "tests" / "fixtures" / inputs, "--out", out, "--quiet", *extra)
    assert outcome.exit_code == 0, outcome.stdout + outcome.stderr
    assert "Traceback" not in outcome.stderr
    run_dir = out / "latest"
    assert (run_dir / "report.md").is_file() and (run_dir / "report.html").is_file()
    return run_dir


@pytest.fixture(scope="module")
def unset_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _run("optional_unset", tmp_path_factory.mktemp("optional_unset"), "--seed", "7")


@pytest.fixture(scope="module")
def set_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _run("optional_set", tmp_path_factory.mktemp("optional_set"))


def _rows(run_dir: Path, name: str, series: str | None = "rep") -> list[dict[str, str]]:
    with (run_dir / name).open(encoding="utf-8", newline="") as handle:
        return [r for r in csv.DictReader(handle) if series is None or r.get("series") == series]


def _resolved(run_dir: Path) -> dict[tuple[str, str], tuple[str | None, str]]:
    with duckdb.connect(str(run_dir / "run.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT file, key_path, value, state FROM input_resolved").fetchall()
    return {(f, k): (v, s) for f, k, v, s in rows}


def test_without_optional_keys_the_needed_seed_is_refused_then_run_with_seed(tmp_path: Path) -> None:
    outcome = run_d3("validate", "--inputs", ROOT / "tests" / "fixtures" / "optional_unset")
    assert outcome.exit_code == 2 and "[missing_seed]" in outcome.stderr  # every seed key is optional [RNG-1]


def test_defaults_are_recorded_once_in_run_duckdb(unset_run: Path) -> None:
    resolved = _resolved(unset_run)
    assert resolved[("general", "tax.vat_period_months")] == ("1", "default")
    assert resolved[("general", "tax.payment_lag_months")] == ("0", "default")
    assert resolved[("general", "working_capital.ap_exempt_fixed_cost_items")] == ("[]", "default")
    assert resolved[("simulation", "targets.dscr_test_from_month")] == ("12", "default")
    assert resolved[("simulation", "targets.min_cash_floor_eur")] == (None, "unset")
    assert resolved[("private_tap", "client_gpu_mix")] == (None, "unset")
    given = sorted(key for (file, key), (_, state) in resolved.items() if state == "set")
    # Only the fx rate, optional for the schema but required by the missing_fx rule [IN-12], is given.
    assert given == ["finance", "finance.eur_usd_fx_rate", "finance.eur_usd_fx_rate.value"]
    summary = json.loads((unset_run / "run_summary.json").read_text(encoding="utf-8"))
    assert (summary["seed"], summary["seed_source"]) == (7, "cli")


def test_vat_is_settled_monthly_by_default_and_quarterly_when_set(unset_run: Path, set_run: Path) -> None:
    monthly = [r["vat_remitted_eur"] for r in _rows(unset_run, "cashflow_by_month.csv")]
    assert monthly[0] == "0.00" and all(v != "0.00" for v in monthly[1:])  # month t's return paid in t+1 [FIN-5]
    quarterly = [r["vat_remitted_eur"] for r in _rows(set_run, "cashflow_by_month.csv")]
    assert quarterly == ["0.00", "0.00", "0.00"]  # Q1 ends in month 3 and is paid in month 4, after H = 3
    assert "Returns are filed per calendar month" in (unset_run / "report.md").read_text(encoding="utf-8")
    assert "Returns are filed per calendar quarter" in (set_run / "report.md").read_text(encoding="utf-8")


def test_ap_exempt_items_default_to_none(unset_run: Path, set_run: Path) -> None:
    # rent 500 + 21 % VAT with 6 AP days: 605 × 6 / 30 = 121.00 payable; exempt when listed [FIN-6]
    assert {r["payables_eur"] for r in _rows(unset_run, "balance_sheet_by_month.csv")} == {"121.00"}
    assert {r["payables_eur"] for r in _rows(set_run, "balance_sheet_by_month.csv")} == {"0.00"}


def test_public_pricing_defaults(unset_run: Path, set_run: Path) -> None:
    unset = _rows(unset_run, "public_tap_prices_per_model.csv", None)
    assert all(r["cost_eur_per_1M"] == r["gpu_cost_eur_per_1M"] for r in unset)  # no overhead, no base cost
    assert {r["traffic_share"] for r in unset} == {"0.500000"}  # no traffic_share column: equal [PUB-9]
    assert {r["price_rule"] for r in unset} == {"target"}  # neither floor nor cap
    chosen = _rows(set_run, "public_tap_prices_per_model.csv", None)
    assert all(float(r["cost_eur_per_1M"]) > float(r["gpu_cost_eur_per_1M"]) for r in chosen)
    assert sorted(r["traffic_share"] for r in chosen) == ["0.250000", "0.750000"]
    assert "floor" in {r["price_rule"] for r in chosen}


def test_public_breakage(unset_run: Path, set_run: Path) -> None:
    for run_dir, factor in ((unset_run, 1.0), (set_run, 0.95)):
        month = _rows(run_dir, "public_tap_customers_by_month.csv")[0]
        # credits_sold = round2(usage / (1 − breakage_pct/100)) [PUB-10]
        assert float(month["credits_sold_eur"]) == pytest.approx(float(month["revenue_eur"]) / factor, abs=0.006)


def test_private_defaults(unset_run: Path, set_run: Path) -> None:
    vendors = _rows(unset_run, "private_vendor_recommendation.csv", None)
    assert {(r["availability"], r["reputation"]) for r in vendors} == {("1.000000", "1.000000")}
    economics = _rows(unset_run, "private_tap_economics.csv", None)
    assert {(r["base_fee_eur_per_month"], r["client_mix_share"]) for r in economics} == {("0.000000", "0.500000")}
    chosen = {r["gpu"]: r for r in _rows(set_run, "private_tap_economics.csv", None)}
    assert (chosen["GPU-A"]["base_fee_eur_per_month"], chosen["GPU-A"]["client_mix_share"]) == ("10.000000", "0.250000")
    assert (chosen["GPU-B"]["base_fee_eur_per_month"], chosen["GPU-B"]["client_mix_share"]) == ("30.000000", "0.750000")


def test_targets_unset_skip_their_checks_and_set_targets_are_tested(unset_run: Path, set_run: Path) -> None:
    unset = {r["check_id"]: r for r in _rows(unset_run, "acceptance.csv", None)}
    assert unset["ACC-A2"]["status"] == "skipped" and unset["ACC-A12"]["status"] == "skipped"
    chosen = {r["check_id"]: r for r in _rows(set_run, "acceptance.csv", None)}
    assert chosen["ACC-A2"]["status"] == "pass"
    assert chosen["ACC-A12"]["status"] == "fail" and "part=dscr" in chosen["ACC-A12"]["detail"]  # tested from month 2
    assert "Covenant: LTM DSCR of at least 0.50 from month 2." in (set_run / "report.md").read_text(encoding="utf-8")


def test_every_optional_key_is_set_in_the_set_fixture(set_run: Path) -> None:
    resolved = _resolved(set_run)
    not_set = sorted(k for k, (_, state) in resolved.items() if state != "set")
    # The last tax bracket has no bound by definition ([FIN-4]); everything else is given.
    assert not_set == [("general", "tax.corporate_income_brackets[1].up_to_eur")]
    summary = json.loads((set_run / "run_summary.json").read_text(encoding="utf-8"))
    assert (summary["seed"], summary["seed_source"]) == (11, "stochastic.random_seed")


def test_growth_limits_and_scaling_costs(unset_run: Path, set_run: Path) -> None:
    # Not set: no fee, no support staff, the 1.1 demand ([PUB-8b], [FIN-1a], [V12-5]).
    for column in ("payment_fees_eur", "support_eur"):
        assert {r[column] for r in _rows(unset_run, "pnl_by_month.csv")} == {"0.00"}
    # Set: 20 customers / 1000 + 3 clients / 50 → one FTE at € 300 in every month; fees on every receipt.
    assert [r["support_eur"] for r in _rows(set_run, "pnl_by_month.csv")] == ["300.00"] * 3
    assert all(float(r["payment_fees_eur"]) > 0 for r in _rows(set_run, "pnl_by_month.csv"))
    budgets = [r["budget_eur"] for r in _rows(set_run, "public_tap_customers_by_month.csv")]
    assert budgets == ["1000.00", "1100.00", "1100.00"]  # capped at 1100 (uncapped 1210 in month 3)
