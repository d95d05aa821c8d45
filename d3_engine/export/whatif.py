"""grid_kpis.csv and stress_tests.csv: a sweep read point by point, the stresses next to the base
([OUT-12], [OUT-13], [RNG-9], [IN-21], [V12-7]).

Both files copy models of the DAG: `grid_kpis` (the p10/p50/p90 of the what-if metrics of scenario 0 per grid
point, `whatif_kpis`, with the grid axes' values) and `stress_tests` (its rows as stress_tests.csv orders them).
grid_kpis.csv exists only when G > 1 (a sweep is never pooled); its grid columns, one per swept variable named
scope.variable_id, spread the model's `grid_values` list (their number depends on the plan, so their names are
data of the `grid_axes` model, not header columns: `artefacts.GridArtefact`). stress_tests.csv exists when
simulation.yaml defines stress tests, with the base first and then each stress in input order (`grid_index`
after `scenario` when G > 1).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from d3_engine.export.artefacts import GRID_KPIS, STRESS_TESTS

if TYPE_CHECKING:
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


def export(ctx: RunContext) -> None:
    """Write grid_kpis.csv (G > 1) and stress_tests.csv (stress tests defined) from their models."""
    grid_points = ctx.validated.plan.grid_size
    places = dict.fromkeys(LABELS, _places)
    if grid_points > 1:
        GRID_KPIS.export(ctx.con, ctx.run_dir, column_places=places)
    if ctx.validated.stresses:
        STRESS_TESTS.export(
            ctx.con,
            ctx.run_dir,
            "scenario_index, grid_index, metric_order",
            with_optional=grid_points > 1,
            column_places=places,
        )


__all__ = ["export", "places_for_metric"]
