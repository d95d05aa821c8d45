"""The report of the golden fixture minimal_001 [OUT-10]: sections, real figures, CSVs, re-rendering.

The run has the taps only (the tables of the finance, acceptance and sensitivity stages are dropped,
[OUT-10] "not computed in this run"). Expected figures are the worked example's: prices [EX-4], packs
[EX-5], demand [EX-5], Private Tap [EX-6], written the way the report writes numbers for people.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest
from test_report_fixture import copy_run, taps_only_copy

from d3_engine.core.errors import UsageError
from d3_engine.report.render import REPORT_FILES, render_report, rerender

SECTIONS = [
    "The verdict",
    "Annual statements",
    "Executive summary",
    "Inputs and catalogue",
    "Public Tap: price derivation and terms",
    "Private Tap: economics and vendors",
    "Demand scenarios",
    "P&L, cash flow and balance sheet",
    "Loan schedule and lender ratios",
    "VAT",
    "Acceptance checks",
    "Sensitivity",
    "The sweep, point by point",
    "Our price vs the market",
    "Appendix",
]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = taps_only_copy(tmp_path_factory.mktemp("report") / "run")
    render_report(folder)
    return folder


@pytest.fixture(scope="module")
def md(run_dir: Path) -> str:
    return (run_dir / "report.md").read_text(encoding="utf-8")


def section(md: str, title: str) -> str:
    """The Markdown text of one numbered section."""
    number = SECTIONS.index(title) + 1
    start = md.index(f"## {number}. {title}\n")
    end = md.find(f"## {number + 1}. ", start) if number < len(SECTIONS) else len(md)
    return md[start:end]


def csv_lines(run_dir: Path, name: str) -> list[str]:
    return (run_dir / "report_tables" / f"{name}.csv").read_text(encoding="utf-8").splitlines()


def test_every_out10_section_is_present_in_order(md: str, run_dir: Path) -> None:
    positions = [md.index(f"## {i}. {title}\n") for i, title in enumerate(SECTIONS, start=1)]
    assert positions == sorted(positions)
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    assert all(f"<h2>{i}. {t}</h2>".replace("&", "&amp;") in html for i, t in enumerate(SECTIONS, start=1))


def test_price_derivation_of_each_model(md: str, run_dir: Path) -> None:
    """[EX-4]: Small raw 0.000708333 → 0.0008 → floor 0.001, margin 71.6667 %, stress 69.8333 %;
    Large raw 0.00168229 → 0.0017 (target), margin 60.4167 %, stress 57.0466 %."""
    text = section(md, "Public Tap: price derivation and terms")
    assert (
        "| Small 7B | € 0.000283 | 60.00 % | € 0.000708 | € 0.0008 | € 0.001 | € 0.01 | floor | € 0.001 | € 1.00 "
        "| 71.67 % | 69.83 % | yes |" in text
    )
    assert (
        "| Large 30B | € 0.000673 | 60.00 % | € 0.001682 | € 0.0017 | € 0.001 | € 0.01 | target | € 0.0017 | € 1.70 "
        "| 60.42 % | 57.05 % | yes |" in text
    )
    assert "| Small 7B | GPU-A | Beta | 1,000.0 | measured | € 0.352 | € 0.122222 | € 0.283333 |" in text
    assert csv_lines(run_dir, "public_price_derivation")[2] == (
        "Small 7B,0.000283,60.0000,0.000708,0.000800,0.001000,0.010000,floor,0.001000,1.000000,71.6667,69.8333,true"
    )


def test_terms_snippet_and_packs(md: str, run_dir: Path) -> None:
    """[PUB-10] terms; [EX-5] pack €50 → 42 553 191 tokens, value 49.999999 (`50.00`), error 0.0000 %."""
    text = section(md, "Public Tap: price derivation and terms")
    for line in (
        "> Credits are prepaid and non-refundable.",
        "> Credits expire 12 months after purchase.",
        "when your balance reaches zero the service stops until you top up, so the balance never goes negative.",
        "> Top-ups from € 5.00 to € 1,000.00.",
        "> Pack € 50.00: about 42,553,191 tokens.",
    ):
        assert line in text
    assert "| € 50.00 | 42,553,191 | € 50.00 | 0.00 % | € 0.001175 |" in text
    assert csv_lines(run_dir, "public_credit_packs") == [
        "pack_eur,tokens,value_eur,error_pct,blended_sell_eur_per_1k",
        "50.00,42553191,50.00,0.0000,0.001175",
    ]


def test_private_economics_and_vendors(md: str) -> None:
    """[EX-6]: medians 0.396 / 1.54, sell 0.594 / 2.31, margin 33.3333 %, Alpha realised 25.9259 / 42.8571 %."""
    text = section(md, "Private Tap: economics and vendors")
    assert "| GPU-A | 2 | € 0.396 | € 0.594 | € 0.198 | 33.33 % | Alpha | € 0.44 | 25.93 % | € 0.00 | 0.5 |" in text
    assert "| GPU-B | 2 | € 1.54 | € 2.31 | € 0.77 | 33.33 % | Alpha | € 1.32 | 42.86 % | € 0.00 | 0.5 |" in text
    assert "| GPU-A | Alpha | 0.5 | € 0.44 | 1 | 1 | 0.88 | 1 | yes |" in text
    assert "| GPU-B | Beta | 2 | € 1.76 | 1 | 1 | 0.85 | 2 | no |" in text
    assert "management fee of € 100.00 per month" in text


def test_demand_months_of_both_taps(md: str, run_dir: Path) -> None:
    """[EX-5] month 3: budget 1210, new 24.2, active 60.2, 3.01e9 tokens, revenue 3536.75, COGS 2486.92;
    [EX-6] month 3: 9 clients, 900 hours, revenue 2206.80, COGS 792."""
    text = section(md, "Demand scenarios")
    assert (
        "| 3 | 2026-03 | € 1,210.00 | € 50.00 | 24.2 | 60.2 | 3,010,000,000 | € 3,536.75 | € 2,486.92 | € 1,049.83 "
        "| € 0.00 |" in text
    )
    assert "| 3 | 2026-03 | € 600.00 | 3.0 | 9.0 | 900.0 | € 1,306.80 | € 900.00 | € 2,206.80 | € 792.00 |" in text
    assert "| 3 | 2026-03 | 60.2 | 60.2 | 60.2 | 60.2 |" in text  # one path: p10 = p50 = p90 = rep [EX-1]
    assert "| rep | 6,010,000,000 | € 7,061.75 | € 6,398.44 | € 663.31 | € 3,310.00 | -€ 2,646.69 |" in text
    assert "| 3 | 2026-03 | Small 7B | GPU-A | 2,257,500,000 | 3,762,500 | 2 | 2 | 10 | € 506.88 | no |" in text
    assert csv_lines(run_dir, "public_demand_rep")[3] == (
        "3,2026-03,1210.00,50.00,24.200000,60.200000,3010000000.000000,3536.75,2486.92,1049.83,0.00"
    )


def test_autoscaler_summary_of_ex9(md: str, run_dir: Path) -> None:
    """[EX-9]: Large 30B avg 16.1019 %, p95 28.5043 %; Small 7B 49.2469 / 77.4174 %, 2 events, 2 replicas; ALL."""
    text = section(md, "Demand scenarios")
    assert "| Large 30B | GPU-B | 3 | 4,320 | 16.10 % | 28.50 % | 0 | 0 | 1 |" in text
    assert "| Small 7B | GPU-A | 3 | 4,320 | 49.25 % | 77.42 % | 0 | 2 | 2 |" in text
    assert "| ALL |  | 6 | 8,640 | 32.67 % | 71.90 % | 0 | 2 | 2 |" in text
    assert "Small 7B,GPU-A,3,4320,49.2469,77.4174,0,2,2" in csv_lines(run_dir, "public_autoscaling")


def test_acceptance_of_the_real_run_and_what_breaks_first(tmp_path: Path) -> None:
    """[EX-10] from the run's own `acceptance` table: ACC-A2 skipped, ACC-A6 fails for Large 30B only."""
    folder = copy_run(tmp_path / "run")
    render_report(folder)
    text = (folder / "report.md").read_text(encoding="utf-8")
    checks = section(text, "Acceptance checks")
    assert (
        "| ACC-A6 | " in checks
        and "| warning | fail | rep | 1 | – | – | violations=1; first: model=Large 30B |" in checks
    )
    assert "| warning | skipped | p50 | 0 | – | – | skipped: target null |" in checks
    breaks = section(text, "Executive summary")
    assert "- Check ACC-A6 fails (warning): violations=1; first: model=Large 30B" in breaks
    assert "- Check ACC-A2" not in breaks


def test_summary_tells_the_story_with_real_totals(md: str) -> None:
    """Horizon totals of the rep path: public 7061.75 vs 6398.44 [EX-8]; private 4413.60 vs 1584.00 [EX-6]."""
    text = section(md, "Executive summary")
    assert "The Public Tap prices 2 of 2 models at € 1.00 to € 1.70 per million tokens." in text
    assert "it earns € 7,061.75 over 3 months against € 6,398.44 of serving cost" in text
    assert "The Private Tap earns € 4,413.60 against € 1,584.00 of GPU rent" in text
    assert "- Nothing breaks within the horizon on the representative path." in text


@pytest.mark.parametrize(
    ("title", "sentence"),
    [
        ("Executive summary", "Key figures across paths (consolidated KPIs): not computed in this run."),
        ("P&L, cash flow and balance sheet", "P&L, cash flow and balance sheet (finance tables): not computed"),
        ("Loan schedule and lender ratios", "Loan schedule: not computed in this run."),
        ("Loan schedule and lender ratios", "Lender ratios (DSCR, LTM DSCR, ICR): not computed in this run."),
        ("VAT", "VAT by month (finance tables): not computed in this run."),
        ("Acceptance checks", "Acceptance checks: not computed in this run."),
        ("Sensitivity", "Sensitivity (tornado): not computed in this run."),
    ],
)
def test_missing_tables_say_so_and_show_no_numbers(md: str, title: str, sentence: str) -> None:
    text = section(md, title)
    assert sentence in text
    if title != "Executive summary":
        assert "|" not in text  # no table at all, never a made-up figure


def test_every_table_has_its_csv_and_every_chart_its_png(md: str, run_dir: Path) -> None:
    named = sorted(line.split("`")[1] for line in md.splitlines() if "CSV: `report_tables/" in line)
    written = sorted(f"report_tables/{p.name}" for p in (run_dir / "report_tables").iterdir())
    assert named == written and len(named) >= 15
    charts = sorted(p.name for p in (run_dir / "charts").iterdir())
    assert charts == ["instances_by_model.png", "private_gpu_economics.png", "public_price_vs_cost.png",
                      "revenue_by_month.png"]  # fmt: skip
    assert all(f"](charts/{c})" in md for c in charts)


def test_html_is_self_contained(run_dir: Path) -> None:
    """[OUT-10]: inline CSS, charts as base64 PNG, no script, nothing to fetch; € amounts do not wrap."""
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert "http://" not in html.split("<main>")[0] and "https://" not in html.split("<main>")[0]
    assert 'src="data:image/png;base64,' in html and html.count("<img ") == 4
    assert " src=" not in html.replace('src="data:image/png;base64,', "")
    assert '<link rel="icon" href="data:,">' in html and "<style>" in html
    assert "€\u00a07,061.75" in html


def test_rendering_twice_gives_the_same_bytes_and_writes_nothing_into_the_database(run_dir: Path) -> None:
    """d3 report re-renders byte-identically ([OUT-10]); an open read-write connection renders the same."""
    before = {p.relative_to(run_dir).as_posix(): p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}
    con = duckdb.connect(str(run_dir / "run.duckdb"))
    try:
        tables = con.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()
        render_report(run_dir, con)
        assert con.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall() == tables
    finally:
        con.close()
    after = {p.relative_to(run_dir).as_posix(): p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}
    report = {k for k in before if k in REPORT_FILES or k.startswith(("charts/", "report_tables/"))}
    assert {k: before[k] for k in report} == {k: after[k] for k in report}
    assert set(before) == set(after)


def test_rerender_rewrites_sha256sums_consistently(run_dir: Path) -> None:
    """`d3 report`: same report bytes, stale report files gone, SHA256SUMS covers every file with its hash
    ([OUT-8]), so a re-render of an unchanged run leaves SHA256SUMS byte-identical."""
    before = (run_dir / "report.html").read_bytes()
    stale = run_dir / "charts" / "tornado.png"
    stale.write_bytes(b"old")
    written = rerender(run_dir)
    assert not stale.exists()
    assert (run_dir / "report.html").read_bytes() == before
    sums = dict(
        reversed(line.split("  ", 1)) for line in (run_dir / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    )
    listed = {p.relative_to(run_dir).as_posix() for p in run_dir.rglob("*") if p.is_file()}
    assert set(sums) == listed - {"SHA256SUMS", "run.duckdb", ".d3-run"}
    for rel, digest in sums.items():
        assert digest == hashlib.sha256((run_dir / rel).read_bytes()).hexdigest()
    assert {p.relative_to(run_dir).as_posix() for p in written} <= set(sums)


def test_rerender_refuses_a_folder_without_run_duckdb(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"no run\.duckdb") as caught:
        rerender(tmp_path)
    assert caught.value.exit_code == 2


def test_exported_series_tables_and_per_path_tables_give_the_same_report(tmp_path: Path) -> None:
    """The report reads the exporters' series tables when they exist, else computes the same series from the
    per-path tables with `series.series_sql` ([FIN-11]); both must give the very same report."""
    exported = taps_only_copy(tmp_path / "exported")
    computed = taps_only_copy(tmp_path / "computed")
    series_tables = ("public_tap_customers_by_month", "public_tap_scenarios", "private_tap_customers_by_month")
    con = duckdb.connect(str(computed / "run.duckdb"))
    try:
        present = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        assert set(series_tables) <= present  # the run's exporters built them
        for table in series_tables:
            con.execute(f"DROP TABLE {table}")
    finally:
        con.close()
    render_report(exported)
    render_report(computed)
    for name in REPORT_FILES:
        assert (exported / name).read_bytes() == (computed / name).read_bytes()
