"""d3_engine.export.private: headers, row order, rep parameter set, series rows [OUT-3] [OUT-4] [FIN-12].

The models are built by the real CLI on the golden fixture minimal_001 (one path); each test works
on its own writable copy of run.duckdb and calls the exporter directly, so it does not depend on
how run.export_all is wired.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from d3_engine.export import private as export_private
from d3_engine.export.context import RunContext
from d3_engine.models.python.registry import all_models
from d3_engine.models.runner import build_model
from d3_engine.pipeline.validation import validate_inputs

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "minimal_001"


@pytest.fixture(scope="module")
def built_db(minimal_run: Path) -> Path:
    """run.duckdb of one CLI run on minimal_001 (the session's cached run; tests copy it before writing)."""
    return minimal_run / "run.duckdb"


@pytest.fixture
def ctx(built_db: Path, tmp_path: Path) -> Iterator[RunContext]:
    """A RunContext on a writable copy of the database, writing into tmp_path."""
    shutil.copy(built_db, tmp_path / "run.duckdb")
    con = duckdb.connect(str(tmp_path / "run.duckdb"))
    try:
        yield RunContext(con, tmp_path, validate_inputs(FIXTURE, None, None, None))
    finally:
        con.close()


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_headers_are_exactly_those_of_out_4(ctx: RunContext) -> None:
    export_private.export(ctx)
    assert lines(ctx.run_dir / "private_tap_economics.csv")[0] == (
        "gpu,providers,provider_eur_hr_med,markup_pct,sell_eur_hr,margin_eur_hr,margin_pct,recommended_provider,"
        "recommended_eur_hr,realised_margin_pct,management_fee_eur_per_month,base_fee_eur_per_month,client_mix_share"
    )
    assert lines(ctx.run_dir / "private_vendor_recommendation.csv")[0] == (
        "gpu,provider,usd_hr,eur_hr,availability,reputation,score,rank,recommended"
    )
    assert lines(ctx.run_dir / "private_tap_customers_by_month.csv")[0] == (
        "series,month,budget_eur,cac_eur,new_clients,active_clients,hours,revenue_hours_eur,revenue_fees_eur,"
        "revenue_eur,cogs_eur,gross_margin_eur"
    )


def test_vendor_rows_are_ordered_by_gpu_then_rank(ctx: RunContext) -> None:
    export_private.export(ctx)
    got = [
        line.split(",")[:2] + line.split(",")[7:]
        for line in lines(ctx.run_dir / "private_vendor_recommendation.csv")[1:]
    ]
    assert got == [
        ["GPU-A", "Alpha", "1", "true"],
        ["GPU-A", "Beta", "2", "false"],
        ["GPU-B", "Alpha", "1", "true"],
        ["GPU-B", "Beta", "2", "false"],
    ]


def test_parameter_level_files_show_the_representative_parameter_set(ctx: RunContext) -> None:
    # A second parameter set with a 100 % markup and reversed ranks; the rep path is moved onto it.
    con = ctx.con
    con.execute("""INSERT INTO private_economics SELECT * REPLACE (1 AS param_set_id, 100.0 AS markup_pct)
                   FROM private_economics WHERE param_set_id = 0""")
    con.execute("""INSERT INTO private_vendor_recommendation SELECT * REPLACE (1 AS param_set_id, 3 - rank AS rank)
                   FROM private_vendor_recommendation WHERE param_set_id = 0""")
    con.execute("UPDATE representative_path SET param_set_id = 1")
    export_private.export(ctx)
    economics = lines(ctx.run_dir / "private_tap_economics.csv")[1:]
    assert [row.split(",")[3] for row in economics] == ["100.0000", "100.0000"]
    vendors = lines(ctx.run_dir / "private_vendor_recommendation.csv")[1:]
    assert [row.split(",")[1] for row in vendors] == ["Beta", "Alpha", "Beta", "Alpha"]


def test_monthly_file_has_percentile_rows_then_rep(ctx: RunContext) -> None:
    # Path 1 doubles path 0's budget: p10 = 600 + 0.1·600 = 660, p50 = 900, p90 = 1140; rep = path 0.
    ctx.con.execute("""INSERT INTO private_customers_by_month
                       SELECT * REPLACE (1 AS path_id, budget_eur * 2 AS budget_eur) FROM private_customers_by_month""")
    build_model(ctx.con, all_models()["private_tap_customers_by_month"], {})  # the series model reads every path
    export_private.export(ctx)
    rows = [line.split(",") for line in lines(ctx.run_dir / "private_tap_customers_by_month.csv")[1:]]
    assert [(r[0], r[1]) for r in rows] == [(s, str(m)) for s in ("p10", "p50", "p90", "rep") for m in (1, 2, 3)]
    assert [r[2] for r in rows if r[1] == "1"] == ["660.00", "900.00", "1140.00", "600.00"]


def test_nothing_is_written_when_private_does_not_run(built_db: Path, tmp_path: Path) -> None:
    shutil.copy(built_db, tmp_path / "run.duckdb")
    con = duckdb.connect(str(tmp_path / "run.duckdb"))
    try:
        export_private.export(RunContext(con, tmp_path, validate_inputs(FIXTURE, ["public"], None, None)))
    finally:
        con.close()
    assert sorted(p.name for p in tmp_path.glob("*.csv")) == []
