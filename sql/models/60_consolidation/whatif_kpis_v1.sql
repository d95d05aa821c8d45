-- model: whatif_kpis
-- version: 1
-- purpose: p10/p50/p90 of the what-if metrics per scenario and grid point: the numbers of grid_kpis.csv and stress_tests.csv [OUT-12] [OUT-13] [V12-3] [V12-7]
-- scope: across paths
-- grain: scenario, grid_index, metric
-- columns:
--   scenario BIGINT <id>  0 = the base run, s = stress test s in input order [IN-21]
--   scenario_name VARCHAR <text>  base or the stress test's name (stress_scenarios) [IN-21]
--   grid_index BIGINT <id>  grid point [IN-16]
--   metric_order BIGINT <id>  position of the metric in the [OUT-12] list, the row order
--   metric VARCHAR <text>  what-if metric of [OUT-12]: funding_gap, net_income_h, cash_min, dscr_ltm_test_min, p_breach_any, break_even_month
--   unit VARCHAR <text>  the metric's unit (EUR, ratio, months)
--   p10 DECIMAL(38,20) <KPI unit>  p10 over the paths of the scenario and grid point [GEN-5]
--   p50 DECIMAL(38,20) <KPI unit>  p50 over the paths of the scenario and grid point [GEN-5]
--   p90 DECIMAL(38,20) <KPI unit>  p90 over the paths of the scenario and grid point [GEN-5]
-- Percentiles follow [GEN-5] exactly (the `pctl` macro, one call per metric on its own column, in exact decimal);
-- p_breach_any is the share k/N of paths with a breach, rounded once half away from zero to 4 decimals, in all
-- three columns ([FIN-14]); break_even_month counts a path that never breaks even as +∞ and a percentile landing
-- there is null ([FIN-14]). A sweep is read point by point, never pooled.
{%- set quantile_metrics = [
    ('funding_gap', 'funding_gap_eur'), ('net_income_h', 'net_income_h_eur'), ('cash_min', 'cash_min_eur'),
    ('dscr_ltm_test_min', 'dscr_ltm_test_min'), ('break_even_month', 'coalesce(break_even_month, 1000000000)')] %}
WITH
metrics AS (
    SELECT * FROM (VALUES (0, 'funding_gap', 'EUR'), (1, 'net_income_h', 'EUR'), (2, 'cash_min', 'EUR'),
        (3, 'dscr_ltm_test_min', 'ratio'), (4, 'p_breach_any', 'ratio'), (5, 'break_even_month', 'months'))
        AS m(metric_order, metric, unit)
),
groups AS (
    SELECT scenario, grid_index, count(*) AS n, count(*) FILTER (WHERE breach_any) AS k
    FROM {{ ref('scenario_path_kpis') }}
    GROUP BY scenario, grid_index
),
{% for name, value in quantile_metrics %}
q_{{ name }} AS ({{ pctl(ref('scenario_path_kpis'), ['scenario', 'grid_index'], value, [10, 50, 90]) }}),
{% endfor %}
quantiles AS (
    {% for name, _ in quantile_metrics %}
    SELECT scenario, grid_index, '{{ name }}' AS metric, p,
        {#- each branch cast on its own: a UNION ALL would cast every value to a common DECIMAL scale first #}
        CAST({% if name == 'break_even_month' %}CASE WHEN value <= {{ var('horizon_months') }} THEN value END{% else %}value{% endif %} AS DECIMAL(38,20)) AS value
    FROM q_{{ name }}
    {{ 'UNION ALL' if not loop.last }}
    {% endfor %}
),
cells AS (
    SELECT scenario, grid_index, metric,
        max(value) FILTER (WHERE p = 10) AS p10,
        max(value) FILTER (WHERE p = 50) AS p50,
        max(value) FILTER (WHERE p = 90) AS p90
    FROM quantiles
    GROUP BY scenario, grid_index, metric
    UNION ALL
    SELECT scenario, grid_index, 'p_breach_any', share, share, share
    FROM (
        SELECT scenario, grid_index,
            CAST(CAST((2 * k * 10000 + n) // (2 * n) AS DECIMAL(38,0)) * CAST('0.0001' AS DECIMAL(5,4))
                AS DECIMAL(38,20)) AS share
        FROM groups
    )
)
SELECT CAST(g.scenario AS BIGINT) AS scenario, s.scenario_name, CAST(g.grid_index AS BIGINT) AS grid_index,
    CAST(m.metric_order AS BIGINT) AS metric_order, m.metric, m.unit, c.p10, c.p50, c.p90
FROM groups AS g
CROSS JOIN metrics AS m
JOIN stress_scenarios AS s ON s.scenario = g.scenario
LEFT JOIN cells AS c ON c.scenario = g.scenario AND c.grid_index = g.grid_index AND c.metric = m.metric
ORDER BY g.scenario, g.grid_index, m.metric_order
