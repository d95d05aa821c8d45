"""Golden fixture minimal_001, Private Tap: the artefacts reproduce EX-6 digit by digit [EX-6] [OUT-3] [OUT-4] [RNG-7].

The real CLI runs the fixture (combined pipelines twice, private alone once): the combined and the
private-only runs are the session's cached standard runs (tests/harness.py), the second combined run is the
harness's independent second run (asked for 64 workers, capped at the cores: 2 on the 2-core machine). The
private artefacts are read from the published run folder; while run.export_all does not yet call
export_private, they are produced from that run's run.duckdb by the exporter itself, and
`test_the_cli_publishes_the_private_artefacts` says what is missing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from harness import second_minimal_run, standard_run

from d3_engine.export import private as export_private
from d3_engine.export.artefacts import PRIVATE_CUSTOMERS, PRIVATE_ECONOMICS, PRIVATE_VENDORS
from d3_engine.export.context import RunContext
from d3_engine.pipeline.validation import validate_inputs

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "minimal_001"
FILES = (PRIVATE_ECONOMICS.file, PRIVATE_VENDORS.file, PRIVATE_CUSTOMERS.file)

ECONOMICS = """\
gpu,providers,provider_eur_hr_med,markup_pct,sell_eur_hr,margin_eur_hr,margin_pct,recommended_provider,recommended_eur_hr,realised_margin_pct,management_fee_eur_per_month,base_fee_eur_per_month,client_mix_share
GPU-A,2,0.396000,50.0000,0.594000,0.198000,33.3333,Alpha,0.440000,25.9259,100.000000,0.000000,0.500000
GPU-B,2,1.540000,50.0000,2.310000,0.770000,33.3333,Alpha,1.320000,42.8571,100.000000,0.000000,0.500000
"""

VENDORS = """\
gpu,provider,usd_hr,eur_hr,availability,reputation,score,rank,recommended
GPU-A,Alpha,0.500000,0.440000,1.000000,1.000000,0.880000,1,true
GPU-A,Beta,0.400000,0.352000,0.500000,1.000000,0.800000,2,false
GPU-B,Alpha,1.500000,1.320000,0.900000,1.000000,0.960000,1,true
GPU-B,Beta,2.000000,1.760000,1.000000,1.000000,0.850000,2,false
"""

# One path: every series equals it [EX-1]. Month t: 3 new, 3t active, 300t hours, revenue hours 435.60t,
# fees 300t, revenue 735.60t, COGS = hours/2 × 0.44 + hours/2 × 1.32 = 264t [EX-6].
MONTHS = (
    "{s},1,600.00,200.00,3.000000,3.000000,300.000000,435.60,300.00,735.60,264.00,471.60\n"
    "{s},2,600.00,200.00,3.000000,6.000000,600.000000,871.20,600.00,1471.20,528.00,943.20\n"
    "{s},3,600.00,200.00,3.000000,9.000000,900.000000,1306.80,900.00,2206.80,792.00,1414.80\n"
)
CUSTOMERS = (
    "series,month,budget_eur,cac_eur,new_clients,active_clients,hours,revenue_hours_eur,revenue_fees_eur,"
    "revenue_eur,cogs_eur,gross_margin_eur\n" + "".join(MONTHS.format(s=s) for s in ("p10", "p50", "p90", "rep"))
)


def private_artefacts(run_dir: Path, spare: Path, pipelines: list[str] | None) -> Path:
    """Folder holding the run's private artefacts: the run folder, or the exporter's output on its database."""
    if all((run_dir / f).exists() for f in FILES):
        return run_dir
    spare.mkdir()
    shutil.copy(run_dir / "run.duckdb", spare / "run.duckdb")
    con = duckdb.connect(str(spare / "run.duckdb"))
    try:
        export_private.export(RunContext(con, spare, validate_inputs(FIXTURE, pipelines, None, None)))
    finally:
        con.close()
    return spare


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Run folders and private-artefact folders of the combined run and the private-only run (both cached)."""
    base = tmp_path_factory.mktemp("golden-private")
    out: dict[str, Path] = {}
    for name, extra, pipelines in (("first", (), None), ("private", ("--pipelines", "private"), ["private"])):
        cached = standard_run("minimal_001", *extra)
        assert cached.exit_code == 0, cached.outcome.stderr
        out[f"{name}_run"] = cached.run_dir
        out[name] = private_artefacts(cached.run_dir, base / f"{name}-artefacts", pipelines)
    return out


def test_private_tap_economics_reproduces_ex6(runs: dict[str, Path]) -> None:
    # medians 0.396 / 1.54, sell 0.594 / 2.31, margin 33.3333 %, Alpha both, realised 25.9259 / 42.8571 %
    assert (runs["first"] / PRIVATE_ECONOMICS.file).read_text(encoding="utf-8") == ECONOMICS


def test_private_vendor_recommendation_reproduces_ex6(runs: dict[str, Path]) -> None:
    # scores 0.88 / 0.80 (GPU-A) and 0.96 / 0.85 (GPU-B)
    assert (runs["first"] / PRIVATE_VENDORS.file).read_text(encoding="utf-8") == VENDORS


def test_private_customers_by_month_reproduces_ex6(runs: dict[str, Path]) -> None:
    assert (runs["first"] / PRIVATE_CUSTOMERS.file).read_text(encoding="utf-8") == CUSTOMERS


@pytest.mark.e2e
def test_private_artefacts_are_byte_identical_across_runs(runs: dict[str, Path], tmp_path: Path) -> None:
    again = second_minimal_run()
    assert again.exit_code == 0, again.outcome.stderr
    second = private_artefacts(again.run_dir, tmp_path / "second-artefacts", None)
    for name in FILES:
        first = (runs["first"] / name).read_bytes()
        assert first == (second / name).read_bytes(), name
        assert first == (runs["private"] / name).read_bytes(), name


def test_private_month_feeds_finance_with_ex6_amounts(runs: dict[str, Path]) -> None:
    con = duckdb.connect(str(runs["first_run"] / "run.duckdb"), read_only=True)
    try:
        got = con.execute(
            """SELECT month, CAST(acquisition_private_eur AS VARCHAR), CAST(revenue_hours_eur AS VARCHAR),
                      CAST(revenue_fees_eur AS VARCHAR), CAST(revenue_private_eur AS VARCHAR),
                      CAST(cogs_private_eur AS VARCHAR)
               FROM private_month ORDER BY month"""
        ).fetchall()
    finally:
        con.close()
    assert got == [
        (1, "600.000000", "435.600000", "300.000000", "735.600000", "264.000000"),
        (2, "600.000000", "871.200000", "600.000000", "1471.200000", "528.000000"),
        (3, "600.000000", "1306.800000", "900.000000", "2206.800000", "792.000000"),
    ]


def test_the_cli_publishes_the_private_artefacts(runs: dict[str, Path]) -> None:
    for key in ("first_run", "private_run"):
        sums = (runs[key] / "SHA256SUMS").read_text(encoding="utf-8")
        missing = [name for name in FILES if f"  {name}\n" not in sums]
        assert not missing, f"{key}: {missing} not published; run.export_all must call export_private.export(ctx)"
