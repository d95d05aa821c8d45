-- model: risk_by_month
-- version: 1
-- purpose: per grid point and month how many paths breach, exact counts and shares k/N to 4 decimals (risk_by_month.csv) [FIN-14] [OUT-12]
-- grain: grid_index, month
-- columns:
--   grid_index BIGINT <id>  grid point
--   month BIGINT <month>  plan month t
--   period VARCHAR <YYYY-MM>  YYYY-MM of month t
--   paths BIGINT <count>  N, the paths of the grid point
--   paths_cash_breach BIGINT <count>  paths with a cash breach in month t
--   p_cash_breach DECIMAL(18,4) <ratio>  paths_cash_breach / N, half away from zero
--   paths_dscr_breach BIGINT <count>  paths with a DSCR breach in month t
--   p_dscr_breach DECIMAL(18,4) <ratio>  paths_dscr_breach / N
--   paths_over_limit BIGINT <count>  paths over the funding-line limit in month t
--   p_over_limit DECIMAL(18,4) <ratio>  paths_over_limit / N
--   paths_breached_by BIGINT <count>  paths whose first_breach_month ≤ t
--   p_breached_by DECIMAL(18,4) <ratio>  paths_breached_by / N
{%- macro share(k) -%}
CAST(CAST((2 * {{ k }} * 10000 + c.paths) // (2 * c.paths) AS DECIMAL(18,0)) * CAST('0.0001' AS DECIMAL(5,4)) AS DECIMAL(18,4))
{%- endmacro %}
WITH
counts AS (
    SELECT m.grid_index, m.month,
        count(*) AS paths,
        count(*) FILTER (WHERE m.cash_breach) AS paths_cash_breach,
        count(*) FILTER (WHERE m.dscr_breach) AS paths_dscr_breach,
        count(*) FILTER (WHERE m.over_limit) AS paths_over_limit,
        count(*) FILTER (WHERE r.first_breach_month <= m.month) AS paths_breached_by
    FROM {{ ref('risk_path_month') }} AS m
    JOIN {{ ref('risk_path') }} AS r USING (path_id)
    GROUP BY m.grid_index, m.month
),
periods AS (
    SELECT DISTINCT month, period FROM {{ ref('finance_fixed_month') }}
)
SELECT
    CAST(c.grid_index AS BIGINT) AS grid_index,
    CAST(c.month AS BIGINT) AS month,
    p.period,
    CAST(c.paths AS BIGINT) AS paths,
    CAST(c.paths_cash_breach AS BIGINT) AS paths_cash_breach,
    {{ share('c.paths_cash_breach') }} AS p_cash_breach,
    CAST(c.paths_dscr_breach AS BIGINT) AS paths_dscr_breach,
    {{ share('c.paths_dscr_breach') }} AS p_dscr_breach,
    CAST(c.paths_over_limit AS BIGINT) AS paths_over_limit,
    {{ share('c.paths_over_limit') }} AS p_over_limit,
    CAST(c.paths_breached_by AS BIGINT) AS paths_breached_by,
    {{ share('c.paths_breached_by') }} AS p_breached_by
FROM counts AS c
JOIN periods AS p USING (month)
ORDER BY grid_index, month
