"""backtest.md and its charts: actual against the plan's p10–p90 band per metric ([OUT-17]).

The Markdown names the run by run_id only and the actuals by their SHA-256, never by a path, so the
same run and actuals give the same bytes wherever they sit. Charts are PNGs drawn like the report's
([OUT-10]): fixed style, bundled font, no timestamp, so they are byte-identical too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from d3_engine.export.backtest.actuals import METRIC_BY_NAME
from d3_engine.export.backtest.artefacts import BacktestRow
from d3_engine.export.backtest.metrics import Summary
from d3_engine.export.backtest.plan_values import Band
from d3_engine.report.charts import COLORS, _eur_axis, _legend, _month_ticks, _nan, _title, png_bytes
from d3_engine.report.format import MISSING, grouped, pct, plural

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

LABELS = {
    "revenue_total": "Revenue, total (EUR)",
    "revenue_public": "Revenue, Public Tap (EUR)",
    "revenue_private": "Revenue, Private Tap (EUR)",
    "active_customers_public": "Active customers, Public Tap",
    "active_clients_private": "Active clients, Private Tap",
    "ebitda": "EBITDA (EUR)",
    "net_income": "Net income (EUR)",
    "cash_closing": "Closing cash (EUR)",
}
LOOK_AHEAD = 3
"""Months of the plan the charts show after the last actual: where the plan goes next."""


@dataclass(frozen=True)
class BacktestDoc:
    """Everything backtest.md says."""

    run_id: str
    actuals_sha256: str
    grid_index: int
    grid_size: int
    paths: int
    periods: dict[str, int]  # the plan's YYYY-MM → month
    rows: Sequence[BacktestRow]
    summaries: Sequence[Summary]
    bands: dict[tuple[str, int], Band]


def chart_name(metric: str) -> str:
    """Relative path of a metric's chart inside the backtest folder."""
    return f"charts/backtest_{metric}.png"


def band_chart(metric: str, doc: BacktestDoc) -> bytes:
    """The plan's p10–p90 band and p50 with the actuals as points, up to LOOK_AHEAD months past the last actual."""
    mine = [r for r in doc.rows if r.metric == metric]
    end = max(r.month for r in mine) + LOOK_AHEAD
    labels = [p for p in sorted(doc.periods, key=doc.periods.__getitem__) if doc.periods[p] <= end]
    months = [doc.periods[p] for p in labels]
    bands = [doc.bands.get((metric, t)) for t in months]

    def draw(fig: Figure, ax: Axes) -> None:
        low = _nan([None if b is None else float(b.p10) for b in bands])
        mid = _nan([None if b is None else float(b.p50) for b in bands])
        high = _nan([None if b is None else float(b.p90) for b in bands])
        ax.fill_between(months, low, high, color=COLORS[0], alpha=0.2, label="plan p10–p90")
        ax.plot(months, mid, color=COLORS[0], linestyle="--", label="plan p50")
        inside = [r for r in mine if r.in_band]
        outside = [r for r in mine if not r.in_band]
        ax.plot(
            [r.month for r in inside],
            [float(r.actual) for r in inside],
            linestyle="none",
            marker="o",
            markersize=9,
            color=COLORS[2],
            label="actual, inside the band",
        )
        ax.plot(
            [r.month for r in outside],
            [float(r.actual) for r in outside],
            linestyle="none",
            marker="D",
            markersize=9,
            color=COLORS[3],
            label="actual, outside the band",
        )
        _title(fig, f"{LABELS[metric]}: actual against the plan")
        if METRIC_BY_NAME[metric].money:
            _eur_axis(ax)
        _month_ticks(ax, months, labels)
        _legend(ax)

    return png_bytes(draw)


def _value(d: Decimal | None) -> str:
    return MISSING if d is None else grouped(d, 2)


def summary_table(summaries: Sequence[Summary]) -> str:
    """The summary as a Markdown table (also what `d3 backtest` prints)."""
    lines = [
        "| metric | months | MAE | RMSE | WAPE | sMAPE | bias | coverage p10–p90 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in summaries:
        lines.append(
            f"| {s.metric} | {s.months} | {_value(s.mae)} | {_value(s.rmse)} | {pct(s.wape_pct, 2)} | "
            f"{pct(s.smape_pct, 2)} | {_value(s.bias)} | {pct(s.coverage_pct, 1)} |"
        )
    return "\n".join(lines) + "\n"


def _metric_section(metric: str, doc: BacktestDoc) -> list[str]:
    lines = [
        f"### {LABELS[metric]}",
        "",
        "| period | actual | p10 | p50 | p90 | in band | PIT |",
        "|---|---:|---:|---:|---:|:---:|---:|",
    ]
    for r in (r for r in doc.rows if r.metric == metric):
        lines.append(
            f"| {r.period} | {_value(r.actual)} | {_value(r.band.p10)} | {_value(r.band.p50)} | "
            f"{_value(r.band.p90)} | {'yes' if r.in_band else 'no'} | {MISSING if r.pit is None else r.pit} |"
        )
    return [*lines, "", f"![{LABELS[metric]}: actual against the plan's p10–p90 band]({chart_name(metric)})", ""]


READING = """\
How to read this: the forecast is the plan's median (p50). MAE and RMSE are in the metric's unit
(RMSE weighs large misses more); WAPE is the total absolute error as a share of the total actual;
sMAPE is the mean symmetric percentage error (0 to 200 %); bias is the mean of forecast − actual, so
a positive bias means the plan was too optimistic. An honest p10–p90 band holds about 80 % of the
months (coverage); much less means the plan is over-confident, 100 % over many months means it is
wider than it needs to be. PIT is the share of simulated paths at or below the actual: values near 0
or 1 put the actual in the plan's tails. With only a few months, read coverage as a hint, not a verdict.
"""


def backtest_markdown(doc: BacktestDoc) -> str:
    """The text of backtest.md."""
    periods = sorted({r.period for r in doc.rows})
    grid = f" at grid point {doc.grid_index} of {doc.grid_size}" if doc.grid_size > 1 else ""
    lines = [
        f"# Plan versus actual: run {doc.run_id}",
        "",
        f"Actuals with SHA-256 `{doc.actuals_sha256}`: {plural(len(doc.rows), 'value')} of "
        f"{plural(len(doc.summaries), 'metric')} over {plural(len(periods), 'month')} "
        f"({periods[0]} to {periods[-1]}), "
        f"against the {plural(doc.paths, 'simulated path')} of the plan{grid}.",
        "",
        "## Summary",
        "",
        summary_table(doc.summaries),
        READING,
        "## By metric",
        "",
    ]
    for s in doc.summaries:
        lines.extend(_metric_section(s.metric, doc))
    return "\n".join(lines)


def write_backtest_report(folder: Path, doc: BacktestDoc) -> list[Path]:
    """Write backtest.md and one chart per metric into `folder`; returns the files written."""
    (folder / "charts").mkdir(exist_ok=True)
    written = []
    for s in doc.summaries:
        path = folder / chart_name(s.metric)
        path.write_bytes(band_chart(s.metric, doc))
        written.append(path)
    md = folder / "backtest.md"
    md.write_text(backtest_markdown(doc), encoding="utf-8", newline="\n")
    return [md, *written]
