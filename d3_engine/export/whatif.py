"""grid_kpis.csv and stress_tests.csv: a sweep read point by point, the stresses next to the base
([OUT-12], [OUT-13], [RNG-9], [IN-21], [V12-7]).

Both files come from `whatif_kpis` (kept in run.duckdb for the report and `d3 compare`): p10/p50/p90 of
the what-if metrics per (scenario, grid point). grid_kpis.csv reads scenario 0 only and exists only when
G > 1 (a sweep is never pooled); stress_tests.csv exists when simulation.yaml defines stress tests, with the
base first and then each stress in input order (`grid_index` after `scenario` when G > 1).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from d3_engine.core.db import comment_on, create_table
from d3_engine.core.formats import draw_value_text, write_csv
from d3_engine.export.whatif_kpis import kpi_table, places_for_metric

if TYPE_CHECKING:
    from d3_engine.export.context import RunContext

LABELS = ("p10", "p50", "p90")
VALUE_TYPE = "DECIMAL(38,20)"


def _places(row: Any) -> int | None:
    """Precision of a value cell from the row's metric and unit (the two cells before p10)."""
    return places_for_metric(str(row[-5]), str(row[-4]))


def scenario_names(ctx: RunContext) -> list[str]:
    """`base`, then the stress names in input order: the `scenario` column of stress_tests.csv."""
    return ["base", *(s.name for s in ctx.validated.stresses)]


def grid_columns(ctx: RunContext) -> list[str]:
    """One column per grid axis, named scope.variable_id ([OUT-12])."""
    return [f"{v.scope}.{v.variable_id}" for v in ctx.validated.plan.grid_vars]


def write_table(ctx: RunContext, rows: list[tuple[int, int, str, str, list[Any]]]) -> None:
    """`whatif_kpis` in run.duckdb: scenario, scenario_name, grid_index, grid values, metric, unit, p10, p50, p90."""
    names, plan = scenario_names(ctx), ctx.validated.plan
    grid = grid_columns(ctx)
    types = {
        "scenario": "BIGINT",
        "scenario_name": "VARCHAR",
        "grid_index": "BIGINT",
        **dict.fromkeys(grid, "VARCHAR"),
        "metric_order": "BIGINT",
        "metric": "VARCHAR",
        "unit": "VARCHAR",
        **dict.fromkeys(LABELS, VALUE_TYPE),
    }
    order = {m: i for i, m in enumerate(r[2] for r in rows[:6])}
    columns: dict[str, list[Any]] = {c: [] for c in types}
    for scenario, grid_index, metric, unit, values in rows:
        columns["scenario"].append(scenario)
        columns["scenario_name"].append(names[scenario])
        columns["grid_index"].append(grid_index)
        point = plan.grid_points[grid_index]
        for name, value in zip(grid, point, strict=True):
            columns[name].append(draw_value_text(value))
        columns["metric_order"].append(order[metric])
        columns["metric"].append(metric)
        columns["unit"].append(unit)
        for label, value in zip(LABELS, values, strict=True):
            columns[label].append(None if value is None else format(value, "f"))
    create_table(ctx.con, "whatif_kpis", types, columns)
    described = {
        "scenario": "0 = the base run, s = stress test s [IN-21] [unit: id]",
        "scenario_name": "base or the stress test's name [unit: text]",
        "grid_index": "grid point [unit: id]",
        **{name: "the grid variable's value at this point [unit: text]" for name in grid},
        "metric_order": "position of the metric in the [OUT-12] list, the row order [unit: id]",
        "metric": "what-if metric of [OUT-12] [unit: text]",
        "unit": "the metric's unit (EUR, ratio, months) [unit: text]",
        **{label: f"{label} over the paths of the grid point [GEN-5], in the metric's unit" for label in LABELS},
    }
    comment_on(ctx.con, "whatif_kpis", "p10/p50/p90 of the what-if metrics per scenario and grid point", described)


def _select(ctx: RunContext, head: list[str], where: str) -> list[tuple[Any, ...]]:
    cells = ", ".join(f'"{c}"' for c in [*head, "metric", "unit", *LABELS])
    sql = f"SELECT {cells} FROM whatif_kpis WHERE {where} ORDER BY scenario, grid_index, metric_order"
    return ctx.con.execute(sql).fetchall()


def export(ctx: RunContext) -> None:
    """Create `whatif_kpis`; write grid_kpis.csv (G > 1) and stress_tests.csv (stress tests defined)."""
    plan = ctx.validated.plan
    rows = kpi_table(ctx.con, plan.horizon)
    write_table(ctx, rows)
    places = dict.fromkeys(LABELS, _places)
    if plan.grid_size > 1:
        head = ["grid_index", *grid_columns(ctx)]
        write_csv(
            ctx.run_dir / "grid_kpis.csv",
            [*head, "metric", "unit", *LABELS],
            _select(ctx, head, "scenario = 0"),
            column_places=places,
        )
    if ctx.validated.stresses:
        head = ["scenario_name", "grid_index"] if plan.grid_size > 1 else ["scenario_name"]
        header = ["scenario", *head[1:], "metric", "unit", *LABELS]
        write_csv(ctx.run_dir / "stress_tests.csv", header, _select(ctx, head, "TRUE"), column_places=places)
        write_stress_table(ctx)


def write_stress_table(ctx: RunContext) -> None:
    """`stress_tests` in run.duckdb: the rows of stress_tests.csv with their order, for the verdict page."""
    ctx.con.execute(
        f"""CREATE OR REPLACE TABLE stress_tests AS
        SELECT scenario AS scenario_index, scenario_name AS scenario, grid_index, metric_order, metric, unit,
            {", ".join(LABELS)}
        FROM whatif_kpis ORDER BY scenario, grid_index, metric_order"""
    )
    described = {
        "scenario_index": "0 = the base run, s = stress test s in input order [IN-21] [unit: id]",
        "scenario": "base or the stress test's name [unit: text]",
        "grid_index": "grid point [unit: id]",
        "metric_order": "row order of the metric in stress_tests.csv [unit: id]",
        "metric": "what-if metric of [OUT-12] [unit: text]",
        "unit": "the metric's unit (EUR, ratio, months) [unit: text]",
        **{label: f"{label} over the paths of the grid point [GEN-5], in the metric's unit" for label in LABELS},
    }
    comment_on(ctx.con, "stress_tests", "the base and every stress test, as in stress_tests.csv [OUT-13]", described)


__all__ = ["export", "scenario_names"]
