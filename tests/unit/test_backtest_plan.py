"""Bands, PIT and coverage of `d3 backtest` on a tiny run whose every path is known [OUT-17] [GEN-4] [GEN-5].

`tiny_run` writes a published-looking run folder by hand: two grid points of five paths and two
months, a stress scenario that must be ignored ([V12-7]), and float customer counts that enter as DEC.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from d3_engine.core.errors import RuntimeFailure, UsageError
from d3_engine.export.backtest.actuals import METRIC_BY_NAME, Actual
from d3_engine.export.backtest.plan_values import Band, open_run, plan_bands
from d3_engine.export.publish import MARKER
from d3_engine.pipeline.backtest import backtest

RUN_ID = "0123456789abcdef"
D = Decimal
# revenue_total per grid point, month and path k = 0..4 (month 2 falls with k: the order must not matter)
REVENUE = {(0, 1): [100, 200, 300, 400, 500], (0, 2): [20, 10, 0, -10, -20], (1, 1): [1000, 2000, 3000, 4000, 5000]}
CUSTOMERS = [0.1 + 0.2, 0.5, 1.0, 1.5, 2.0]  # 0.1 + 0.2 = 0.30000000000000004 in binary; DEC gives 0.300000


def _finance_rows() -> list[tuple[object, ...]]:
    rows = []
    for grid in (0, 1):
        for month, period in ((1, "2026-01"), (2, "2026-02")):
            values = REVENUE.get((grid, month), [7, 7, 7, 7, 7])
            for k, v in enumerate(values):
                path = grid * 5 + k
                rows.append((path, grid, month, period, 0, v, v, 0, v - 50, v - 60, 1000 + v))
                rows.append((path, grid, month, period, 1, 10**6, 10**6, 0, 0, 0, 0))  # a stress: never read
    return rows


def tiny_run(parent: Path, pipelines: tuple[str, ...] = ("public", "private")) -> Path:
    """A run folder `<parent>/<RUN_ID>` with marker, run_summary.json and a hand-made run.duckdb."""
    folder = parent / RUN_ID
    folder.mkdir(parents=True)
    (folder / MARKER).write_text("d3 run folder\n", encoding="utf-8")
    summary = {"run_id": RUN_ID, "pipelines": list(pipelines)}
    (folder / "run_summary.json").write_text(json.dumps(summary), encoding="utf-8")
    con = duckdb.connect(str(folder / "run.duckdb"))
    money = ", ".join(
        f"{c} DECIMAL(18,6)"
        for c in ("revenue_total_eur", "revenue_public_eur", "revenue_private_eur", "ebitda_eur", "net_income_eur")
    )
    con.execute(
        "CREATE TABLE finance_month (path_id BIGINT, param_set_id BIGINT, month BIGINT, period VARCHAR, "
        f"scenario BIGINT, {money}, cash_closing_eur DECIMAL(18,6))"
    )
    con.executemany("INSERT INTO finance_month VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", _finance_rows())
    con.execute("CREATE TABLE params_general (param_set_id BIGINT, grid_index BIGINT)")
    con.execute("INSERT INTO params_general VALUES (0, 0), (1, 1)")
    con.execute("CREATE TABLE public_customers_path (path_id BIGINT, month BIGINT, active_customers DOUBLE)")
    con.execute("CREATE TABLE private_customers_by_month (path_id BIGINT, month BIGINT, active_clients DOUBLE)")
    for table in ("public_customers_path", "private_customers_by_month"):
        rows = [(g * 5 + k, m, c) for g in (0, 1) for m in (1, 2) for k, c in enumerate(CUSTOMERS)]
        con.executemany(f"INSERT INTO {table} VALUES (?, ?, ?)", rows)
    con.close()
    return folder


def _actual(metric: str, month: int, value: str) -> Actual:
    return Actual(metric, month, f"2026-0{month}", D(value), 2)


def test_bands_are_the_exact_gen5_percentiles_of_the_grid_point(tmp_path: Path) -> None:
    run = tiny_run(tmp_path)
    bands, _, paths = plan_bands(run, [METRIC_BY_NAME["revenue_total"]], 0, [])
    assert paths == 5
    # n = 5: p10 → i = 0, r = 40 → 100 + 0.4·100; p50 → x_2; p90 → i = 3, r = 60 → 400 + 0.6·100
    assert bands[("revenue_total", 1)] == Band(D(140), D(300), D(460))
    assert bands[("revenue_total", 2)] == Band(D(-16), D(0), D(16))
    assert plan_bands(run, [METRIC_BY_NAME["revenue_total"]], 1, [])[0][("revenue_total", 1)].p50 == D(3000)


def test_pit_counts_paths_at_or_below_the_actual_exactly(tmp_path: Path) -> None:
    run = tiny_run(tmp_path)
    actuals = [
        _actual("revenue_total", 1, "300"),  # 100, 200, 300 ≤ 300
        _actual("revenue_total", 2, "-10.0000001"),  # only −20: −10 is above by 10^-7
        _actual("active_customers_public", 1, "0.3"),  # DEC(0.1 + 0.2) = 0.300000 ≤ 0.3
        _actual("active_clients_private", 2, "99999999999999999999"),  # beyond every path: all
    ]
    metrics = [METRIC_BY_NAME[n] for n in ("revenue_total", "active_customers_public", "active_clients_private")]
    bands, counts, _ = plan_bands(run, metrics, 0, actuals)
    assert counts == {
        ("revenue_total", 1): (3, 5),
        ("revenue_total", 2): (1, 5),
        ("active_customers_public", 1): (1, 5),
        ("active_clients_private", 2): (5, 5),
    }
    assert bands[("active_customers_public", 1)].p10 == D("0.38")  # 0.3 + 0.4·(0.5 − 0.3), from DEC values


def test_backtest_of_the_tiny_run(tmp_path: Path) -> None:
    run = tiny_run(tmp_path / "out")
    actuals = tmp_path / "a.csv"
    actuals.write_text("period,metric,value\n2026-01,revenue_total,300\n2026-02,revenue_total,20\n", encoding="utf-8")
    result = backtest(run, actuals)
    assert result.folder.parent == tmp_path / "out" / "backtests"  # default --out: the run's parent folder
    assert (result.folder / "backtest.csv").read_text(encoding="utf-8") == (
        "metric,period,month,actual,p10,p50,p90,in_band,pit\n"
        "revenue_total,2026-01,1,300.000000,140.000000,300.000000,460.000000,true,0.6000\n"
        "revenue_total,2026-02,2,20.000000,-16.000000,0.000000,16.000000,false,1.0000\n"
    )
    # a − f = 0, 20: MAE 10, RMSE √200, WAPE 100·20/320, sMAPE 100·(0 + 2·20/20)/2, bias (0 − 20)/2, 1 of 2 in band
    assert (result.folder / "backtest_summary.csv").read_text(encoding="utf-8") == (
        "metric,months,mae,rmse,wape_pct,smape_pct,bias,coverage_pct\n"
        "revenue_total,2,10.000000,14.142136,6.2500,100.0000,-10.000000,50.0000\n"
    )


def test_grid_index_picks_its_paths_and_must_exist(tmp_path: Path) -> None:
    run = tiny_run(tmp_path)
    actuals = tmp_path / "a.csv"
    actuals.write_text("period,metric,value\n2026-01,revenue_total,3000\n", encoding="utf-8")
    result = backtest(run, actuals, tmp_path / "o", grid_index=1)
    assert "revenue_total,2026-01,1,3000.000000,1400.000000,3000.000000,4600.000000,true,0.6000" in (
        result.folder / "backtest.csv"
    ).read_text(encoding="utf-8")
    assert "grid point 1 of 2" in (result.folder / "backtest.md").read_text(encoding="utf-8")
    with pytest.raises(UsageError, match="--grid-index 2 does not exist"):
        backtest(run, actuals, tmp_path / "o", grid_index=2)


def test_a_run_without_the_private_tables_is_fine_when_private_did_not_run(tmp_path: Path) -> None:
    run = tiny_run(tmp_path, pipelines=("public",))
    con = duckdb.connect(str(run / "run.duckdb"))
    con.execute("DROP TABLE private_customers_by_month")
    con.close()
    assert open_run(run).frame.pipelines == ("public",)


@pytest.mark.parametrize("damage", ["marker", "duckdb", "summary", "name", "table"])
def test_not_a_published_run(tmp_path: Path, damage: str) -> None:
    run = tiny_run(tmp_path)
    if damage == "marker":
        (run / MARKER).unlink()
    elif damage == "duckdb":
        (run / "run.duckdb").unlink()
    elif damage == "summary":
        (run / "run_summary.json").write_text("{", encoding="utf-8")
    elif damage == "name":
        run = run.rename(tmp_path / f".staging-{RUN_ID}-1")
    else:
        con = duckdb.connect(str(run / "run.duckdb"))
        con.execute("DROP TABLE public_customers_path")
        con.close()
    with pytest.raises(UsageError, match=r"is not a published run.*To fix this"):
        open_run(run)


def test_a_folder_not_made_by_d3_is_never_replaced(tmp_path: Path) -> None:
    run = tiny_run(tmp_path)
    actuals = tmp_path / "a.csv"
    actuals.write_text("period,metric,value\n2026-01,ebitda,1\n", encoding="utf-8")
    first = backtest(run, actuals).folder
    (first / ".d3-run").unlink()  # now it looks like a user's folder
    (first / "mine.txt").write_text("keep", encoding="utf-8")
    with pytest.raises(RuntimeFailure, match="not created by d3"):
        backtest(run, actuals)
    assert (first / "mine.txt").read_text(encoding="utf-8") == "keep"
    assert [p.name for p in first.parent.iterdir()] == [first.name]  # no staging left behind


def test_a_failure_while_writing_publishes_nothing_and_keeps_the_earlier_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = tiny_run(tmp_path)
    actuals = tmp_path / "a.csv"
    actuals.write_text("period,metric,value\n2026-01,ebitda,1\n", encoding="utf-8")
    first = backtest(run, actuals).folder
    before = {p.name: p.read_bytes() for p in first.rglob("*") if p.is_file()}

    def broken(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("d3_engine.pipeline.backtest.write_backtest_report", broken)
    with pytest.raises(RuntimeFailure, match="No space left on device"):
        backtest(run, actuals)
    assert {p.name: p.read_bytes() for p in first.rglob("*") if p.is_file()} == before
    assert [p.name for p in first.parent.iterdir()] == [first.name]
