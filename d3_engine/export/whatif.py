"""grid_kpis.csv and stress_tests.csv: a sweep read point by point, the stresses next to the base
([OUT-12], [OUT-13], [RNG-9], [IN-21], [V12-7]).

Both files copy models of the DAG: `whatif_kpis` (p10/p50/p90 of the what-if metrics per scenario and grid
point) and `stress_tests` (its rows as stress_tests.csv orders them). grid_kpis.csv reads scenario 0 only and
exists only when G > 1 (a sweep is never pooled); its grid columns, one per swept variable named
scope.variable_id, are the `grid_axes` model pivoted (their number depends on the plan, so they are data, not
header columns). stress_tests.csv exists when simulation.yaml defines stress tests, with the base first and then
each stress in input order (`grid_index` after `scenario` when G > 1).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from d3_engine.core.formats import write_csv
from d3_engine.export.artefacts import STRESS_TESTS
from d3_engine.export.writers import model_columns

if TYPE_CHECKING:
    import duckdb

    from d3_engine.export.context import RunContext

LABELS = ("p10", "p50", "p90")


def places_for_metric(metric: str, unit: str) -> int | None:
    """[V12-3]: p_* and share_* → 4 decimals; break_even_month → integer; else by unit ([OUT-3])."""
    if metric.startswith(("p_", "share_")):
        return 4
    if metric == "break_even_month":
        return None
    return {"EUR": 2, "percent": 4}.get(unit, 6)


def _places(row: Any) -> int | None:
    """Precision of a value cell from the row's metric and unit (the two cells before p10)."""
    return places_for_metric(str(row[-5]), str(row[-4]))


def grid_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    """One column per grid axis, named scope.variable_id, in axis order ([OUT-12])."""
    return [r[1] for r in con.execute("SELECT DISTINCT axis, column_name FROM grid_axes ORDER BY axis").fetchall()]


def _grid_kpis_rows(con: duckdb.DuckDBPyConnection, grid: list[str]) -> list[tuple[Any, ...]]:
    """whatif_kpis of scenario 0 with the grid axes' values beside each grid point, in file order."""
    axes = ", ".join(
        f"(SELECT value_text FROM grid_axes AS a WHERE a.grid_index = w.grid_index AND a.axis = {i})"
        for i in range(len(grid))
    )
    values = model_columns("whatif_kpis", ("scenario", "scenario_name", "grid_index", "metric_order"))
    sql = f"""SELECT w.grid_index, {axes}, {", ".join(f"w.{c}" for c in values)} FROM whatif_kpis AS w
              WHERE w.scenario = 0 ORDER BY w.grid_index, w.metric_order"""
    return con.execute(sql).fetchall()


def export(ctx: RunContext) -> None:
    """Write grid_kpis.csv (G > 1) and stress_tests.csv (stress tests defined) from their models."""
    grid_points = ctx.validated.plan.grid_size
    places = dict.fromkeys(LABELS, _places)
    if grid_points > 1:
        grid = grid_columns(ctx.con)
        values = model_columns("whatif_kpis", ("scenario", "scenario_name", "grid_index", "metric_order"))
        header = ["grid_index", *grid, *values]
        write_csv(ctx.run_dir / "grid_kpis.csv", header, _grid_kpis_rows(ctx.con, grid), column_places=places)
    if ctx.validated.stresses:
        STRESS_TESTS.export(
            ctx.con,
            ctx.run_dir,
            "scenario_index, grid_index, metric_order",
            with_optional=grid_points > 1,
            column_places=places,
        )


__all__ = ["export", "grid_columns", "places_for_metric"]
