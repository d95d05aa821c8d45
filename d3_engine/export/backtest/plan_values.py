"""The plan side of a backtest, read from a published run's run.duckdb ([OUT-17], [V12-8]).

Only what a run keeps by default is read: the per-path monthly statements (`finance_month`), public
customers (`public_customers_path`) and private clients (`private_customers_by_month`), plus the
parameter table that maps a path to its grid point. The database is attached read-only to an
in-memory DuckDB, so a backtest never changes the run. Money columns are DECIMAL(18,6) already;
float customer counts enter as `DEC` ([GEN-4]). Percentiles are the [GEN-5] order statistics of the
`pctl` macro in exact decimal, and the PIT is an exact count over all paths of the grid point.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from d3_engine.core.db import connect, create_table, sql_literal
from d3_engine.core.errors import UsageError
from d3_engine.export.backtest.actuals import METRICS, Actual, Metric, PlanFrame
from d3_engine.export.publish import MARKER
from d3_engine.models.render import render_text

if TYPE_CHECKING:
    import duckdb

BAND = (10, 50, 90)
"""The band of [OUT-17]: p10 ≤ actual ≤ p90, forecast p50 (§11.3: always p10, p50, p90)."""

_BEYOND_PLAN = Decimal(10) ** 13  # every DECIMAL(18,6) plan value lies strictly inside ±10^12
_FIX = "pass --run with a run folder that d3 published, e.g. outputs/latest"


@dataclass(frozen=True)
class RunInfo:
    """A published run as the backtest sees it."""

    folder: Path  # the resolved run folder
    frame: PlanFrame
    grid_size: int


def _not_published(run_dir: Path, why: str) -> UsageError:
    return UsageError(f"{run_dir} is not a published run: {why}. To fix this, {_FIX}")


def open_run(run_dir: Path) -> RunInfo:
    """Check that `run_dir` is a published run (marker, run_summary.json, run.duckdb, named by its run_id).

    Raises:
        UsageError: when it is not (exit 2).
    """
    folder = run_dir.resolve()
    if not folder.is_dir():
        raise _not_published(run_dir, "the folder does not exist")
    if not (folder / MARKER).is_file() or not (folder / "run.duckdb").is_file():
        raise _not_published(run_dir, f"it has no {MARKER} marker or no run.duckdb")
    try:
        summary = json.loads((folder / "run_summary.json").read_text(encoding="utf-8"))
        run_id, pipelines = str(summary["run_id"]), tuple(summary["pipelines"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise _not_published(run_dir, f"its run_summary.json cannot be read ({exc})") from exc
    if folder.name != run_id:
        raise _not_published(run_dir, f"the folder is not named by its run_id {run_id} (a staging folder?)")
    with attached(folder) as con:
        missing = sorted({m.table for m in METRICS if m.tap is None or m.tap in pipelines} - _tables(con))
        if missing or "params_general" not in _tables(con):
            raise _not_published(run_dir, f"its run.duckdb lacks {', '.join(missing or ['params_general'])}")
        rows = con.execute("SELECT DISTINCT month, period FROM run.finance_month ORDER BY month").fetchall()
        grid_size = int(con.execute("SELECT count(DISTINCT grid_index) FROM run.params_general").fetchall()[0][0])
    periods = {str(period): int(month) for month, period in rows}
    return RunInfo(folder, PlanFrame(run_id, periods, pipelines), grid_size)


@contextmanager
def attached(folder: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB with the run's database attached read-only as `run`."""
    con = connect(None)
    try:
        con.execute(f"ATTACH {sql_literal(folder / 'run.duckdb')} AS run (READ_ONLY)")
        yield con
    finally:
        con.close()


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute("SELECT table_name FROM information_schema.tables WHERE table_catalog = 'run'").fetchall()
    return {str(r[0]) for r in rows}


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_catalog = 'run' AND table_name = ?", [table]
    ).fetchall()
    return {str(r[0]) for r in rows}


def _metric_select(con: duckdb.DuckDBPyConnection, metric: Metric) -> str:
    """Per path and month the metric's value as DECIMAL(18,6), base scenario only ([V12-7])."""
    value = f"{{{{ dec('t.{metric.column}') }}}}" if metric.is_float else f"CAST(t.{metric.column} AS DECIMAL(18, 6))"
    base = " AND t.scenario = 0" if "scenario" in _columns(con, metric.table) else ""
    return (
        f"SELECT '{metric.name}' AS metric, t.month, t.path_id, {value} AS v "
        f"FROM run.{metric.table} AS t JOIN bt_paths USING (path_id) WHERE TRUE{base}"
    )


def _load_values(con: duckdb.DuckDBPyConnection, metrics: Sequence[Metric], grid_index: int) -> None:
    """Table `bt_values(metric, month, path_id, v)` of every path of the grid point."""
    base = " AND f.scenario = 0" if "scenario" in _columns(con, "finance_month") else ""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE bt_paths AS SELECT DISTINCT f.path_id FROM run.finance_month AS f "
        f"JOIN run.params_general AS g USING (param_set_id) WHERE g.grid_index = {int(grid_index)}{base}"
    )
    union = "\nUNION ALL\n".join(_metric_select(con, m) for m in metrics)
    con.execute(f"CREATE OR REPLACE TEMP TABLE bt_values AS {render_text(union, {}, 'bt_values')}")


@dataclass(frozen=True)
class Band:
    """The plan's p10, p50 and p90 of one metric and month, exact ([GEN-5])."""

    p10: Decimal
    p50: Decimal
    p90: Decimal


def plan_bands(
    folder: Path, metrics: Sequence[Metric], grid_index: int, actuals: Sequence[Actual]
) -> tuple[dict[tuple[str, int], Band], dict[tuple[str, int], tuple[int, int]], int]:
    """Bands of every month of each metric, PIT counts of each actual, and the number of paths.

    Returns:
        ({(metric, month): Band}, {(metric, month): (paths with value ≤ actual, paths)}, paths).
    """
    with attached(folder) as con:
        _load_values(con, metrics, grid_index)
        pctl = f"{{{{ pctl('bt_values', ['metric', 'month'], 'v', {list(BAND)!r}) }}}}"
        sql = render_text(f"SELECT metric, month, p, value FROM ({pctl})", {}, "bt_bands")
        found: dict[tuple[str, int], dict[int, Decimal]] = {}
        for metric, month, p, value in con.execute(sql).fetchall():
            found.setdefault((str(metric), int(month)), {})[int(p)] = value
        bands = {key: Band(q[10], q[50], q[90]) for key, q in found.items()}
        counts = _pit_counts(con, actuals)
        paths = int(con.execute("SELECT count(*) FROM bt_paths").fetchall()[0][0])
    return bands, counts, paths


def _pit_counts(con: duckdb.DuckDBPyConnection, actuals: Sequence[Actual]) -> dict[tuple[str, int], tuple[int, int]]:
    """Per actual: (paths with value ≤ actual, paths with a value), counted exactly in SQL.

    Plan values have 6 decimals, so `v ≤ a` ⇔ `v ≤ floor6(a)`; an actual far outside every plan value
    is clamped to ±10^13 first. The comparison is therefore exact whatever digits the actual has.
    """
    limit = [min(max(a.value, -_BEYOND_PLAN), _BEYOND_PLAN).quantize(Decimal("0.000001"), ROUND_FLOOR) for a in actuals]
    create_table(
        con,
        "bt_actuals",
        {"metric": "VARCHAR", "month": "BIGINT", "a": "DECIMAL(20,6)"},
        {"metric": [a.metric for a in actuals], "month": [a.month for a in actuals], "a": [str(x) for x in limit]},
    )
    rows = con.execute(
        "SELECT a.metric, a.month, count(*) FILTER (WHERE v.v <= a.a), count(v.v) FROM bt_actuals AS a "
        "JOIN bt_values AS v USING (metric, month) GROUP BY a.metric, a.month"
    ).fetchall()
    return {(str(m), int(t)): (int(k), int(n)) for m, t, k, n in rows}
