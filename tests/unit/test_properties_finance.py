"""Property tests of the consolidated finance on random valid plans derived from minimal_001 (hypothesis).

Each example changes the golden fixture (horizon, R × M ≤ 6 paths with outcome noise, loan, VAT period and
lags, tax lag, calendar start, CPI, contingency, working-capital days, the overhead driver) and runs `d3 run`.
On every path and month of the result (3 examples: each is a full run):
- balance_check = 0 exactly and cash rolls forward: cash_opening_1 = loan + equity, cash_closing = cash_opening
  + net_cash_flow, cash_opening_t = cash_closing_{t−1} [FIN-7] [FIN-8] [ACC-A10];
- the full loan schedule of every parameter set repays exactly its amount [FIN-3];
- switching consolidation.overhead_allocation_driver changes only the segment split, never a consolidated
  figure, and the split always adds up to the overhead [FIN-10].
"""

from __future__ import annotations

import shutil
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from harness import run_d3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from d3_engine.models import graph, runner

MINIMAL = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "minimal_001"
DRIVERS = ["revenue", "gpu_hours", "tokens"]
SEGMENT_COLUMNS = {"overhead_public_eur", "overhead_private_eur", "contribution_public_eur", "contribution_private_eur"}


@st.composite
def plans(draw: st.DrawFn) -> dict[str, Any]:
    term = draw(st.integers(1, 24))
    return {
        "horizon": draw(st.integers(1, 15)),
        "replicates": draw(st.integers(1, 2)),
        "mc": draw(st.integers(1, 3)),
        "noise": draw(st.sampled_from([0, 25])),
        "loan": {
            "amount_eur": draw(st.sampled_from([0, 12000, 50000.55])),
            "term_months": term,
            "interest_rate_pct": draw(st.sampled_from([0, 9.95, 12])),
            "repayment_type": draw(st.sampled_from(["annuity", "linear", "bullet"])),
            "grace_period_months": draw(st.integers(0, term - 1)),
        },
        "vat_period_months": draw(st.sampled_from([1, 3])),
        "vat_payment_lag_months": draw(st.integers(0, 2)),
        "payment_lag_months": draw(st.integers(0, 2)),
        "start_month": draw(st.integers(1, 12)),
        "cpi_annual_pct": draw(st.sampled_from([0, 2.5])),
        "contingency_pct": draw(st.sampled_from([0, 5])),
        "ar_days": draw(st.sampled_from([0, 15, 45])),
        "ap_days": draw(st.sampled_from([0, 6, 30])),
        "driver": draw(st.sampled_from(DRIVERS)),
    }


def write_inputs(root: Path, plan: dict[str, Any]) -> None:
    shutil.copytree(MINIMAL, root)
    sim = yaml.safe_load((root / "simulation.yaml").read_text(encoding="utf-8"))
    sim["targets"]["horizon_months"] = plan["horizon"]
    sim["run"]["random_runs_per_simulation"] = plan["replicates"]
    sim["stochastic"]["simulations_per_run"] = plan["mc"]
    sim["consolidation"]["overhead_allocation_driver"] = plan["driver"]
    (root / "simulation.yaml").write_text(yaml.safe_dump(sim), encoding="utf-8")
    general = yaml.safe_load((root / "operator/general.yaml").read_text(encoding="utf-8"))
    general["loan"] = plan["loan"]
    general["calendar"]["start_month"] = plan["start_month"]
    general["inflation"]["cpi_annual_pct"] = plan["cpi_annual_pct"]
    general["finance"]["contingency_pct"] = plan["contingency_pct"]
    general["tax"].update(vat_period_months=plan["vat_period_months"], payment_lag_months=plan["payment_lag_months"])
    general["working_capital"].update(
        ar_days=plan["ar_days"], ap_days=plan["ap_days"], vat_payment_lag_months=plan["vat_payment_lag_months"]
    )
    (root / "operator/general.yaml").write_text(yaml.safe_dump(general), encoding="utf-8")
    for rel, key in (("operator/public_tap.yaml", "tokens_sd_pct"), ("operator/private_tap.yaml", "hours_sd_pct")):
        doc = yaml.safe_load((root / rel).read_text(encoding="utf-8"))
        doc["acquisition"][key] = plan["noise"]
        doc["acquisition"]["cac_sd_pct"] = plan["noise"]
        (root / rel).write_text(yaml.safe_dump(doc), encoding="utf-8")


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    return con.execute(sql).fetchall()[0][0]


def assert_books_close(con: duckdb.DuckDBPyConnection, plan: dict[str, Any]) -> None:
    paths = plan["replicates"] * plan["mc"]
    assert scalar(con, "SELECT count(*) FROM finance_month") == paths * plan["horizon"]
    assert scalar(con, "SELECT count(*) FROM finance_month WHERE balance_check_eur IS DISTINCT FROM 0") == 0
    assert (
        scalar(con, "SELECT count(*) FROM finance_month WHERE cash_closing_eur <> cash_opening_eur + net_cash_flow_eur")
        == 0
    )
    amount = Decimal(str(plan["loan"]["amount_eur"]))
    openings = {r[0] for r in con.execute("SELECT cash_opening_eur FROM finance_month WHERE month = 1").fetchall()}
    assert openings == {amount + 3000}
    rolled = """SELECT count(*) FROM (
                    SELECT cash_opening_eur,
                        lag(cash_closing_eur) OVER (PARTITION BY path_id ORDER BY month) AS previous
                    FROM finance_month)
                WHERE previous IS NOT NULL AND previous <> cash_opening_eur"""
    assert scalar(con, rolled) == 0
    repaid = sorted(con.execute("SELECT param_set_id, sum(principal_eur) FROM loan_schedule GROUP BY ALL").fetchall())
    assert repaid == ([] if amount == 0 else [(s, amount) for s in range(plan["replicates"])])


def consolidated(con: duckdb.DuckDBPyConnection) -> tuple[list[Any], list[Any]]:
    """(every non-segment column, overhead_public + overhead_private) of consolidated_path_kpis by path."""
    cursor = con.execute("SELECT * FROM consolidated_path_kpis ORDER BY path_id")
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    keep = [i for i, n in enumerate(names) if n not in SEGMENT_COLUMNS]
    split = [r[names.index("overhead_public_eur")] + r[names.index("overhead_private_eur")] for r in rows]
    return [[r[i] for i in keep] for r in rows], split


def rerun_with_driver(con: duckdb.DuckDBPyConnection, plan: dict[str, Any], driver: str) -> None:
    """Re-run the models downstream of the driver on the same database with another driver."""
    con.execute(f"UPDATE run_settings SET overhead_allocation_driver = '{driver}'")
    found = graph.discover_models()
    names = ["segment_month", "finance_path_kpis", "consolidated_path_kpis"]
    variables = {
        "horizon_months": plan["horizon"],
        "replicates": plan["replicates"],
        "mc": plan["mc"],
        "fx": 1.25,
        "pipelines": ["public", "private"],
        "percentiles": [10, 50, 90],
    }
    runner.run_models(con, [found[n] for n in names], variables)


@pytest.mark.e2e
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=plans())
def test_books_close_and_the_driver_only_moves_the_segment_split(plan: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_inputs(root / "inputs", plan)
        # Every path of the tap months: the segment models run again on the run's own tables below.
        run = run_d3("run", "--inputs", root / "inputs", "--out", root / "out", "--quiet", "--keep-path-tables")
        assert run.exit_code == 0, run.stdout + run.stderr
        run_dir = (root / "out" / "latest").resolve()
        shutil.copyfile(run_dir / "run.duckdb", root / "run.duckdb")
        con = duckdb.connect(str(root / "run.duckdb"))
        try:
            assert_books_close(con, plan)
            overhead = """SELECT path_id, sum(fixed_opex_eur + insurance_eur + bizdev_eur + contingency_eur)
                          FROM finance_month GROUP BY path_id ORDER BY path_id"""
            total_overhead = [r[1] for r in con.execute(overhead).fetchall()]
            before, split = consolidated(con)
            assert split == total_overhead
            for driver in (d for d in DRIVERS if d != plan["driver"]):
                rerun_with_driver(con, plan, driver)
                after, split = consolidated(con)
                assert after == before, driver
                assert split == total_overhead, driver
        finally:
            con.close()
