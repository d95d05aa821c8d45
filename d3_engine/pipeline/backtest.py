"""`d3 backtest`: hold a published plan against what happened ([OUT-17]).

Reads the run (never changes it), validates the actuals, computes the bands, PIT and error measures
from the run's per-path tables, and publishes `<out>/backtests/<run_id>-<sha12>/` atomically:
everything is written into a staging folder that is renamed into place only when complete.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from d3_engine.core.errors import RuntimeFailure, UsageError
from d3_engine.core.formats import sha256_file
from d3_engine.export.backtest.actuals import METRICS, read_actuals
from d3_engine.export.backtest.artefacts import (
    build_rows,
    build_summaries,
    folder_name,
    publish_folder,
    stage,
    write_tables,
)
from d3_engine.export.backtest.metrics import Summary
from d3_engine.export.backtest.plan_values import open_run, plan_bands
from d3_engine.export.publish import remove_own
from d3_engine.report.backtest import BacktestDoc, write_backtest_report


@dataclass(frozen=True)
class BacktestResult:
    """What a backtest published."""

    folder: Path
    run_id: str
    summaries: list[Summary]


def backtest(run_dir: Path, actuals_file: Path, out: Path | None = None, grid_index: int = 0) -> BacktestResult:
    """Compare a published run with actuals and publish the backtest folder.

    Args:
        run_dir: a published run folder (or the `latest` link).
        actuals_file: the `period,metric,value` CSV.
        out: output folder; the backtest goes to `<out>/backtests/` (default: the run's parent folder).
        grid_index: the grid point whose paths form the plan (G > 1).

    Raises:
        UsageError: the folder is not a published run, or the grid index does not exist (exit 2).
        ValidationFailed: the actuals are invalid (exit 2), with every finding.
        RuntimeFailure: the folder cannot be written (exit 3); nothing is published then.
    """
    run = open_run(run_dir)
    if not 0 <= grid_index < run.grid_size:
        raise UsageError(
            f"--grid-index {grid_index} does not exist: run {run.frame.run_id} has {run.grid_size} grid point(s). "
            f"To fix this, pass a grid index from 0 to {run.grid_size - 1}"
        )
    actuals = read_actuals(actuals_file, run.frame)
    used = [m for m in METRICS if any(a.metric == m.name for a in actuals)]
    bands, counts, paths = plan_bands(run.folder, used, grid_index, actuals)
    rows = build_rows(actuals, bands, counts)
    summaries = build_summaries(rows)
    sha = sha256_file(actuals_file)
    doc = BacktestDoc(
        run.frame.run_id, sha, grid_index, run.grid_size, paths, run.frame.periods, rows, summaries, bands
    )
    backtests = (out if out is not None else run.folder.parent) / "backtests"
    name = folder_name(run.frame.run_id, sha)
    staging = stage(backtests, name)
    try:
        write_tables(staging, rows, summaries)
        write_backtest_report(staging, doc)
        final = publish_folder(staging, backtests, name)
    except OSError as exc:
        remove_own(staging)
        raise RuntimeFailure(
            f"cannot write the backtest folder under {backtests}: {exc.strerror or exc}. "
            "To fix this, choose an --out folder you can write to"
        ) from exc
    except BaseException:
        remove_own(staging)
        raise
    return BacktestResult(final, run.frame.run_id, summaries)
