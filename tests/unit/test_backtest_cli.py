"""`d3 backtest` end to end on the golden run of minimal_001 [OUT-17] [CLI-2] [EX-1].

minimal_001 has one path, so p10 = p50 = p90 = the path's value and the PIT is 0 or 1; its figures
are those of the worked example (revenue_total 1 910.60, 3 821.20, 5 743.55 EUR; 20, 40, 60.2 public
customers; 3, 6, 9 private clients).
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ACTUALS = """\
# made up for this test
period,metric,value
2026-01,revenue_total,1910.60
2026-02,revenue_total,3800
2026-03,revenue_total,5743.55
2026-03,active_customers_public,60.2
2026-02,active_clients_private,6.5
"""


@pytest.fixture
def actuals(tmp_path: Path) -> Path:
    path = tmp_path / "actuals.csv"
    path.write_text(ACTUALS, encoding="utf-8")
    return path


def _sha12(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def _run_id(published_run: Path) -> str:
    return (published_run / "latest").resolve().name


def test_backtest_prints_the_summary_and_writes_the_folder(
    d3: Callable[..., Any], published_run: Path, actuals: Path, tmp_path: Path
) -> None:
    out = tmp_path / "o"
    outcome = d3("backtest", "--run", published_run / "latest", "--actuals", actuals, "--out", out)
    assert outcome.exit_code == 0, outcome.stderr
    run_id = _run_id(published_run)
    folder = out / "backtests" / f"{run_id}-{_sha12(actuals)}"
    assert outcome.stdout.startswith(f"Plan versus actual: run {run_id}\n\n| metric | months | MAE |")
    assert "| revenue_total | 3 | 7.07 | 12.24 | 0.19 % | 0.19 % | 7.07 | 66.7 % |" in outcome.stdout
    assert f"wrote {folder}" in outcome.stderr and "Traceback" not in outcome.stderr
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == [
        ".d3-run",
        "backtest.csv",
        "backtest.md",
        "backtest_summary.csv",
        "charts/backtest_active_clients_private.png",
        "charts/backtest_active_customers_public.png",
        "charts/backtest_revenue_total.png",
    ]
    assert (folder / "backtest.csv").read_text(encoding="utf-8") == (
        "metric,period,month,actual,p10,p50,p90,in_band,pit\n"
        "revenue_total,2026-01,1,1910.600000,1910.600000,1910.600000,1910.600000,true,1.0000\n"
        "revenue_total,2026-02,2,3800.000000,3821.200000,3821.200000,3821.200000,false,0.0000\n"
        "revenue_total,2026-03,3,5743.550000,5743.550000,5743.550000,5743.550000,true,1.0000\n"
        "active_customers_public,2026-03,3,60.200000,60.200000,60.200000,60.200000,true,1.0000\n"
        "active_clients_private,2026-02,2,6.500000,6.000000,6.000000,6.000000,false,1.0000\n"
    )
    # revenue: a − f = 0, −21.2, 0 → MAE 21.2/3, RMSE 21.2/√3, WAPE 100·21.2/11454.15, sMAPE 100·(42.4/7621.2)/3
    assert (folder / "backtest_summary.csv").read_text(encoding="utf-8") == (
        "metric,months,mae,rmse,wape_pct,smape_pct,bias,coverage_pct\n"
        "revenue_total,3,7.066667,12.239826,0.1851,0.1854,7.066667,66.6667\n"
        "active_customers_public,1,0.000000,0.000000,0.0000,0.0000,0.000000,100.0000\n"
        "active_clients_private,1,0.500000,0.500000,7.6923,8.0000,-0.500000,0.0000\n"
    )
    md = (folder / "backtest.md").read_text(encoding="utf-8")
    assert md.startswith(f"# Plan versus actual: run {run_id}\n")
    assert "![Revenue, total (EUR): actual against the plan's p10–p90 band](charts/backtest_revenue_total.png)" in md
    assert str(tmp_path) not in md and str(published_run) not in md  # names the run by run_id only
    assert (folder / "charts" / "backtest_revenue_total.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_run_and_actuals_give_the_same_bytes(
    d3: Callable[..., Any], published_run: Path, actuals: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "copy" / "other-name.csv"
    elsewhere.parent.mkdir()
    shutil.copyfile(actuals, elsewhere)
    digests = []
    for out, source in ((tmp_path / "a", actuals), (tmp_path / "b", elsewhere), (tmp_path / "b", actuals)):
        outcome = d3("backtest", "--run", published_run / "latest", "--actuals", source, "--out", out)
        assert outcome.exit_code == 0, outcome.stderr
        (folder,) = (out / "backtests").iterdir()  # a rerun replaces its folder, leaves nothing aside
        digests.append(_digest(folder))
    assert digests[0] == digests[1] == digests[2]
    assert len(digests[0]) == 7


def test_invalid_actuals_exit_2_with_file_and_line_and_write_nothing(
    d3: Callable[..., Any], published_run: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("period,metric,value\n2026-01,revenue_totl,1\n2027-01,ebitda,1\n", encoding="utf-8")
    out = tmp_path / "o"
    outcome = d3("backtest", "--run", published_run / "latest", "--actuals", bad, "--out", out)
    assert outcome.exit_code == 2
    assert f"ERROR [bad_enum] {bad}:line 2: unknown metric 'revenue_totl'" in outcome.stderr
    assert f"ERROR [out_of_range] {bad}:line 3: period 2027-01 is outside the plan" in outcome.stderr
    assert outcome.stderr.count("— To fix this, ") == 2 and "Traceback" not in outcome.stderr
    assert outcome.stdout == ""
    assert not out.exists()


def test_not_a_published_run_exits_2(d3: Callable[..., Any], actuals: Path, tmp_path: Path) -> None:
    outcome = d3("backtest", "--run", tmp_path, "--actuals", actuals)
    assert outcome.exit_code == 2
    assert "is not a published run" in outcome.stderr and "To fix this" in outcome.stderr
    assert not (tmp_path.parent / "backtests").exists()


def test_a_grid_index_the_run_lacks_exits_2(d3: Callable[..., Any], published_run: Path, actuals: Path) -> None:
    outcome = d3("backtest", "--run", published_run / "latest", "--actuals", actuals, "--grid-index", "1")
    assert outcome.exit_code == 2 and "--grid-index 1 does not exist" in outcome.stderr


def test_the_shipped_example_is_labelled_and_covers_the_first_six_months_of_the_shipped_plan() -> None:
    root = Path(__file__).resolve().parents[2]
    lines = (root / "examples" / "actuals_example.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# MADE UP FOR THE EXAMPLE")
    calendar = yaml.safe_load((root / "inputs" / "operator" / "general.yaml").read_text(encoding="utf-8"))["calendar"]
    first = calendar["start_year"] * 12 + calendar["start_month"] - 1
    plan = [f"{(first + t) // 12:04d}-{(first + t) % 12 + 1:02d}" for t in range(6)]
    assert sorted({line.split(",")[0] for line in lines if line[:1].isdigit()}) == plan
