-- model: grid_kpis
-- version: 1
-- purpose: the what-if metrics of the base run (scenario 0) per grid point with the value of every swept variable; grid_kpis.csv copies them when the plan has a grid axis [OUT-12] [V12-3]
-- scope: across paths
-- grain: grid_index, metric
-- artefact: grid_kpis.csv: grid_index, grid_values, metric, unit, p10, p50, p90
-- columns:
--   grid_index BIGINT <id>  grid point [IN-16]
--   grid_values VARCHAR[] <text>  the value of every grid axis at this grid point, in axis order (grid_axes.value_text); grid_kpis.csv spreads it over one column per axis, named scope.variable_id (grid_axes.column_name) [OUT-12]
--   metric_order BIGINT <id>  position of the metric in the [OUT-12] list, the row order
--   metric VARCHAR <text>  what-if metric of [OUT-12]: funding_gap, net_income_h, cash_min, dscr_ltm_test_min, p_breach_any, break_even_month
--   unit VARCHAR <text>  the metric's unit (EUR, ratio, months)
--   p10 DECIMAL(38,20) <KPI unit>  p10 over the paths of the grid point [GEN-5]
--   p50 DECIMAL(38,20) <KPI unit>  p50 over the paths of the grid point [GEN-5]
--   p90 DECIMAL(38,20) <KPI unit>  p90 over the paths of the grid point [GEN-5]
-- A sweep is read point by point, never pooled: the rows are whatif_kpis of scenario 0. An axis a grid point
-- has no value for is a null element (an empty cell in the file); without a swept variable the list is empty.
WITH axes AS (SELECT DISTINCT axis FROM {{ ref('grid_axes') }}),
points AS (SELECT DISTINCT grid_index FROM {{ ref('whatif_kpis') }} WHERE scenario = 0),
point_values AS (
    SELECT p.grid_index, list(a.value_text ORDER BY x.axis) AS grid_values
    FROM points AS p CROSS JOIN axes AS x
    LEFT JOIN {{ ref('grid_axes') }} AS a ON a.grid_index = p.grid_index AND a.axis = x.axis
    GROUP BY p.grid_index
)
SELECT w.grid_index, coalesce(v.grid_values, CAST([] AS VARCHAR[])) AS grid_values, w.metric_order, w.metric, w.unit,
    w.p10, w.p50, w.p90
FROM {{ ref('whatif_kpis') }} AS w
LEFT JOIN point_values AS v USING (grid_index)
WHERE w.scenario = 0
ORDER BY grid_index, metric
