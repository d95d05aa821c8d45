-- model: stress_tests
-- version: 1
-- purpose: the base and every stress test as in stress_tests.csv, for the file and the verdict page; no rows when simulation.yaml defines no stress test [OUT-13] [IN-21]
-- scope: across paths
-- grain: scenario_index, grid_index, metric
-- columns:
--   scenario_index BIGINT <id>  0 = the base run, s = stress test s in input order [IN-21]
--   scenario VARCHAR <text>  base or the stress test's name [IN-21]
--   grid_index BIGINT <id>  grid point [IN-16]
--   metric_order BIGINT <id>  row order of the metric in stress_tests.csv
--   metric VARCHAR <text>  what-if metric of [OUT-12]
--   unit VARCHAR <text>  the metric's unit (EUR, ratio, months)
--   p10 DECIMAL(38,20) <KPI unit>  p10 over the paths of the scenario and grid point [GEN-5]
--   p50 DECIMAL(38,20) <KPI unit>  p50 over the paths of the scenario and grid point [GEN-5]
--   p90 DECIMAL(38,20) <KPI unit>  p90 over the paths of the scenario and grid point [GEN-5]
SELECT scenario AS scenario_index, scenario_name AS scenario, grid_index, metric_order, metric, unit, p10, p50, p90
FROM {{ ref('whatif_kpis') }}
WHERE EXISTS (SELECT 1 FROM stress_scenarios WHERE scenario > 0)
ORDER BY scenario_index, grid_index, metric_order
