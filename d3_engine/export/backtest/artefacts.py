"""Rows, CSVs and the atomic publishing of a backtest folder ([OUT-17], [OUT-2], [OUT-3]).

The folder `<out>/backtests/<run_id>-<first 12 hex of the actuals' SHA-256>/` is built in a staging
folder carrying d3's marker and renamed into place only when complete; an existing backtest folder
with the marker is replaced (renamed aside, new one renamed in, old one removed), one without it is
never touched. Rows are totally ordered (metric in the [OUT-17] order, then month), so the same run
and actuals give the same bytes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from d3_engine.core.errors import RuntimeFailure
from d3_engine.core.formats import INT_COLUMNS, write_csv
from d3_engine.export.backtest.actuals import METRICS, Actual
from d3_engine.export.backtest.metrics import SUMMARY_HEADER, Summary, pit, summarise
from d3_engine.export.backtest.plan_values import Band
from d3_engine.export.publish import is_ours, make_staging, remove_own

ROWS_HEADER = ["metric", "period", "month", "actual", "p10", "p50", "p90", "in_band", "pit"]
SHA_HEX = 12
_ORDER = {m.name: i for i, m in enumerate(METRICS)}


@dataclass(frozen=True)
class BacktestRow:
    """One row of backtest.csv."""

    metric: str
    period: str
    month: int
    actual: Decimal
    band: Band
    pit: Decimal | None

    @property
    def in_band(self) -> bool:
        """p10 ≤ actual ≤ p90, compared exactly."""
        return self.band.p10 <= self.actual <= self.band.p90

    def row(self) -> list[object]:
        """The CSV row in header order."""
        b = self.band
        return [self.metric, self.period, self.month, self.actual, b.p10, b.p50, b.p90, self.in_band, self.pit]


def folder_name(run_id: str, actuals_sha256: str) -> str:
    """`<run_id>-<first 12 hex of the actuals' SHA-256>`."""
    return f"{run_id}-{actuals_sha256[:SHA_HEX]}"


def build_rows(
    actuals: Sequence[Actual], bands: dict[tuple[str, int], Band], counts: dict[tuple[str, int], tuple[int, int]]
) -> list[BacktestRow]:
    """backtest.csv rows: by metric in the [OUT-17] order, then month.

    Raises:
        RuntimeFailure: when the run has no plan value for an actual's month (a damaged run.duckdb).
    """
    rows = []
    for a in sorted(actuals, key=lambda x: (_ORDER[x.metric], x.month)):
        band = bands.get((a.metric, a.month))
        if band is None:
            raise RuntimeFailure(f"the run holds no plan values of {a.metric} for {a.period}")
        rows.append(BacktestRow(a.metric, a.period, a.month, a.value, band, pit(*counts[(a.metric, a.month)])))
    return rows


def build_summaries(rows: Sequence[BacktestRow]) -> list[Summary]:
    """backtest_summary.csv rows: one per metric that has actuals, in the [OUT-17] order."""
    summaries = []
    for metric in METRICS:
        mine = [r for r in rows if r.metric == metric.name]
        if mine:
            summaries.append(
                summarise(metric.name, [r.actual for r in mine], [r.band.p50 for r in mine], [r.in_band for r in mine])
            )
    return summaries


def write_tables(folder: Path, rows: Sequence[BacktestRow], summaries: Sequence[Summary]) -> None:
    """backtest.csv (`pit` with 4 decimals) and backtest_summary.csv (`months` an integer)."""
    write_csv(folder / "backtest.csv", ROWS_HEADER, [r.row() for r in rows], column_places={"pit": 4})
    write_csv(folder / "backtest_summary.csv", SUMMARY_HEADER, [s.row() for s in summaries], INT_COLUMNS | {"months"})


def stage(backtests: Path, name: str) -> Path:
    """`<out>/backtests/.staging-<name>-<pid>/` with d3's marker ([OUT-2])."""
    return make_staging(backtests, name)


def publish_folder(staging: Path, backtests: Path, name: str) -> Path:
    """Rename the staging folder to `<backtests>/<name>`, replacing an earlier one made by d3.

    Raises:
        RuntimeFailure: `<backtests>/<name>` exists and was not made by d3 (it is left untouched).
    """
    final = backtests / name
    if (final.exists() or final.is_symlink()) and not is_ours(final):
        raise RuntimeFailure(
            f"{final} exists and was not created by d3; it is left untouched. "
            "To fix this, move it away or choose another --out folder"
        )
    aside: Path | None = None
    if final.exists():
        aside = backtests / f".old-{name}-{os.getpid()}"
        remove_own(aside)
        final.rename(aside)
    staging.rename(final)
    if aside is not None:
        remove_own(aside)
    return final
