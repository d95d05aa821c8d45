"""Golden fixture minimal_001, consolidation and acceptance: [EX-8] horizon KPIs, [EX-10], [OUT-5]…[OUT-8].

One path (R = M = 1, noise sd 0), so p10 = p50 = p90 = rep in every row [EX-1]. The expected lines are the
worked example's figures written with the [OUT-3] formats: consolidated_kpis.csv rounds by unit (EUR 2,
percent 4, else 6), so overhead_public 959.794061 is written 959.79.

`tests/golden/minimal_001/SHA256SUMS` holds the [OUT-8] lines of the value artefacts only: every top-level
CSV and consolidated_summary.json/.md. run_summary.* (model fingerprints and dependency versions change with
any engine edit), report files and charts (their teammate's golden tests own them) and run.duckdb are left
out. To regenerate after an intended change: `D3_GOLDEN_WRITE=1 .venv/bin/pytest <this file>`, then review
the diff of the SUMS file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from harness import StandardRun, run_d3

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = ROOT / "tests" / "fixtures" / "minimal_001"
GOLDEN_SUMS = Path(__file__).resolve().parent / "minimal_001" / "SHA256SUMS"


def run_cli(out: Path, *extra: str) -> tuple[int, Path]:
    """A new `d3 run` on minimal_001 (the real CLI, in-process); returns (exit code, published run folder)."""
    outcome = run_d3("run", "--inputs", MINIMAL, "--out", out, "--quiet", *extra)
    assert "Traceback" not in outcome.stderr, outcome.stderr
    return outcome.exit_code, out / "latest"


@pytest.fixture(scope="module")
def run(minimal_std: StandardRun) -> tuple[int, Path]:
    """The session's cached `d3 run` of minimal_001 (read only)."""
    assert "Traceback" not in minimal_std.outcome.stderr, minimal_std.outcome.stderr
    return minimal_std.exit_code, minimal_std.out / "latest"


@pytest.fixture(scope="module")
def run_dir(run: tuple[int, Path]) -> Path:
    return run[1]


def lines(run_dir: Path, name: str) -> list[str]:
    return (run_dir / name).read_text(encoding="utf-8").splitlines()


def same(value: str) -> str:
    """One value in every series column p10, p50, p90, rep."""
    return ",".join([value] * 4)


KPIS = [
    ("revenue_public", "EUR", "7061.75"),
    ("revenue_private", "EUR", "4413.60"),
    ("revenue_total", "EUR", "11475.35"),
    ("cogs_total", "EUR", "7982.44"),
    ("gross_profit", "EUR", "3492.91"),
    ("opex_total", "EUR", "6670.00"),
    ("ebitda", "EUR", "-3177.09"),
    ("net_income", "EUR", "-3826.72"),
    ("overhead_public", "EUR", "959.79"),
    ("overhead_private", "EUR", "600.21"),
    ("contribution_public", "EUR", "-3606.48"),
    ("contribution_private", "EUR", "429.39"),
    ("gross_margin_pct", "percent", "30.4384"),
    ("public_gross_margin_pct", "percent", "9.3930"),
    ("cash_min", "EUR", "8865.66"),
    ("cash_end", "EUR", "8865.66"),
    ("funding_gap", "EUR", "0.00"),
    ("dscr_min", "ratio", "-29.961950"),
    ("icr_min", "ratio", "-20.659667"),
    ("dscr_ltm_end", "ratio", "-1.519341"),
    ("public_tokens", "tokens", "6010000000.000000"),
    ("public_active_customers_end", "count", "60.200000"),
    ("blended_sell_eur_per_1k", "EUR_per_1k", "0.001175"),
    ("public_gpu_instance_hours", "hours", "5040.000000"),
    ("private_hours", "hours", "1800.000000"),
    ("private_active_clients_end", "count", "9.000000"),
    ("support_fte_end", "count", "0.000000"),  # [FIN-1a]: minimal_001 sets no finance.support
    ("reserve_cover_months_end", "months", "1.580635"),
]
"""[EX-8] horizon KPIs; [EX-5] tokens 1e9 + 2e9 + 3.01e9, 5040 instance-hours; [EX-6] hours 300 + 600 + 900."""


def test_consolidated_kpis_csv_is_the_worked_example(run_dir: Path) -> None:
    """[EX-8] and [EX-9]: the autoscaling rows (the `ALL` row) are filled only in rep."""
    expected = ["metric,unit,p10,p50,p90,rep"]
    expected += [f"{m},{u},{same(v)}" for m, u, v in KPIS]
    expected += [
        "autoscaling_avg_util_pct,percent,,,,32.6744",
        "autoscaling_p95_util_pct,percent,,,,71.8969",
        "autoscaling_sla_violations,count,,,,0.000000",
        "autoscaling_scale_events,count,,,,2.000000",
    ]
    # [OUT-12]/[V12-0]: one path, cash never negative, EBITDA ≥ 0 only from month 3 on; shares 4 decimals,
    # break_even_month an integer [V12-3]
    expected += [
        "p_breach_any,ratio,0.0000,0.0000,0.0000,0.0000",
        "p_cash_breach_any,ratio,0.0000,0.0000,0.0000,0.0000",
        "p_dscr_breach_any,ratio,0.0000,0.0000,0.0000,0.0000",
        "share_never_break_even,ratio,0.0000,0.0000,0.0000,0.0000",
        "break_even_month,months,3,3,3,3",
        "extra_funding_p90,EUR,0.00,0.00,0.00,0.00",
    ]
    assert lines(run_dir, "consolidated_kpis.csv") == expected


def test_ratios_are_exact_quotients(run_dir: Path) -> None:
    """gross_margin_pct = 3492.91/11475.35·100 = 30.43838…; public (7061.75 − 6398.44)/7061.75·100 = 9.39292…;
    reserve cover 8865.6555/(2330 + 2486.92 + 792) = 1.5806352… [OUT-5] [GEN-4]."""
    import duckdb

    con = duckdb.connect(str(run_dir / "run.duckdb"), read_only=True)
    got = con.execute(
        "SELECT gross_margin_pct, public_gross_margin_pct, reserve_cover_months_end, overhead_public_eur "
        "FROM consolidated_path_kpis"
    ).fetchall()
    con.close()
    assert [str(v) for v in got[0]] == ["30.4384", "9.3930", "1.580635", "959.794061"]


def test_acceptance_is_ex10(run: tuple[int, Path]) -> None:
    """[EX-10]: A2 skipped (target null), A6 fails for Large 30B only (warning), A12 passes (cash 8865.66 ≥ 0,
    no DSCR test month ≤ H = 3); exit 0."""
    code, run_dir = run
    assert code == 0
    assert lines(run_dir, "acceptance.csv") == [
        "check_id,severity,effective_severity,status,series,violations,paths_evaluated,paths_failing,"
        "pass_rate_pct,detail",
        "ACC-A1,warning,warning,pass,p50,0,1,0,100.0000,",
        "ACC-A2,warning,warning,skipped,p50,0,,,,skipped: target null",
        "ACC-A3,warning,warning,pass,p50,0,1,0,100.0000,",
        "ACC-A4,error,error,pass,,0,1,0,100.0000,",
        "ACC-A5,warning,warning,pass,rep,0,1,0,100.0000,",
        "ACC-A6,warning,warning,fail,rep,1,,,,violations=1; first: model=Large 30B",
        "ACC-A7,warning,warning,pass,rep,0,,,,",
        "ACC-A8,warning,warning,pass,,0,1,0,100.0000,",
        "ACC-A9,warning,warning,pass,,0,1,0,100.0000,",
        "ACC-A10,error,error,pass,,0,1,0,100.0000,",
        "ACC-A11,error,error,pass,,0,1,0,100.0000,",
        "ACC-A12,warning,warning,pass,rep,0,1,0,100.0000,",
        "ACC-A13,warning,warning,pass,,0,1,0,100.0000,",
    ]


@pytest.mark.e2e
def test_fail_on_warning_exits_4(tmp_path: Path) -> None:
    """[EX-10]: with --fail-on-warning the A6 warning is an error, so the run exits 4 (artefacts published)."""
    code, run_dir = run_cli(tmp_path / "out", "--fail-on-warning")
    assert code == 4
    rows = [r.split(",") for r in lines(run_dir, "acceptance.csv")[1:]]
    assert {r[2] for r in rows} == {"error"}
    assert [r[0] for r in rows if r[3] == "fail"] == ["ACC-A6"]
    summary = json.loads((run_dir / "consolidated_summary.json").read_text(encoding="utf-8"))
    assert summary["acceptance"] == {"passed": False, "failed_error": ["ACC-A6"], "failed_warning": []}


def test_sensitivity_has_only_its_header(run_dir: Path) -> None:
    """The fixture's one variable is fixed, so there is nothing to rank [FIN-13]."""
    assert lines(run_dir, "sensitivity.csv") == [
        "variable_id,scope,path,treatment,kpi,n_paths,spearman_rho,kpi_mean_low,kpi_mean_high,swing"
    ]


def test_consolidated_summary_json(run_dir: Path) -> None:
    """[OUT-6] keys exactly; money objects {p10, p50, p90, rep} at 2 decimals; rep-set parameters."""
    text = (run_dir / "consolidated_summary.json").read_text(encoding="utf-8")
    summary = json.loads(text)
    assert sorted(summary) == sorted(
        [
            "engine_version",
            "run_id",
            "seed",
            "seed_source",
            "horizon_months",
            "pipelines",
            "percentiles",
            "paths",
            "representative_path",
            "public",
            "private",
            "total",
            "segments",
            "autoscaling",
            "acceptance",
            "verdict",
            "acquisition_spend_by_channel_eur",
        ]
    )
    assert summary["representative_path"] == {
        "path_id": 0,
        "grid_index": 0,
        "replicate_index": 0,
        "mc_index": 0,
        "net_income_eur": -3826.72,
    }
    assert summary["public"]["admitted_models"] == ["Large 30B", "Small 7B"]
    assert summary["public"]["private_only_models"] == []
    assert summary["private"]["vendor_by_gpu"] == {"GPU-A": "Alpha", "GPU-B": "Alpha"}
    assert summary["private"]["sell_eur_hr_by_gpu"] == {"GPU-A": 0.594, "GPU-B": 2.31}
    assert summary["segments"]["driver"] == "revenue"
    assert summary["autoscaling"] == {
        "avg_util_pct": 32.6744,
        "p95_util_pct": 71.8969,
        "sla_violations": 0,
        "scale_events": 2,
    }
    assert summary["acceptance"] == {"passed": True, "failed_error": [], "failed_warning": ["ACC-A6"]}
    assert summary["acquisition_spend_by_channel_eur"] == {
        "public": {"search": dict.fromkeys(["p10", "p50", "p90", "rep"], 3310.0)},
        "private": {"events": dict.fromkeys(["p10", "p50", "p90", "rep"], 1800.0)},
    }
    assert '"net_income_eur": {\n      "p10": -3826.72,' in text
    assert '"dscr_min": {\n      "p10": -29.961950,' in text
    assert '"contribution_eur": {\n        "p10": -3606.48,' in text
    assert '"sell_eur_hr_by_gpu": {\n      "GPU-A": 0.594000,' in text


def test_run_summary_representative_path(run_dir: Path) -> None:
    """[OUT-7] representative_path block: path 0 of the single-path plan and its horizon net income."""
    summary = json.loads((run_dir / "run_summary.json").read_text(encoding="utf-8"))
    assert summary["representative_path"] == {
        "path_id": 0,
        "grid_index": 0,
        "replicate_index": 0,
        "mc_index": 0,
        "net_income_eur": -3826.72,
    }
    assert [c["id"] for c in summary["acceptance"]["checks"]] == [f"ACC-A{i}" for i in range(1, 14)]


def golden_names(run_dir: Path) -> list[str]:
    """The artefacts the golden SUMS covers: every top-level CSV and consolidated_summary.json/.md."""
    names = [p.name for p in run_dir.iterdir() if p.suffix == ".csv"]
    return sorted([*names, "consolidated_summary.json", "consolidated_summary.md"], key=str.encode)


def test_sha256sums_match_the_golden_lines(run_dir: Path) -> None:
    """Byte-identical value artefacts [RNG-7]: the run's [OUT-8] lines for them equal the checked-in ones."""
    sums = {line.split("  ", 1)[1]: line for line in lines(run_dir, "SHA256SUMS")}
    names = golden_names(run_dir)
    assert "consolidated_kpis.csv" in names and "pnl_by_month.csv" in names and len(names) >= 20
    got = [sums[name] for name in names]
    if os.environ.get("D3_GOLDEN_WRITE") == "1":
        GOLDEN_SUMS.parent.mkdir(exist_ok=True)
        GOLDEN_SUMS.write_text("\n".join(got) + "\n", encoding="utf-8")
    assert GOLDEN_SUMS.read_text(encoding="utf-8").splitlines() == got
