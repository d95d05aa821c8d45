-- model: breach_verdict
-- version: 1
-- purpose: per grid point the breach count against targets.max_breach_probability_pct, and whether the loan is tested at all (ACC-A13, consolidated_summary.verdict) [ACC-A13] [FIN-14]
-- grain: grid_index
-- columns:
--   grid_index BIGINT <id>  grid point
--   paths BIGINT <count>  N, the paths of the grid point
--   paths_breached BIGINT <count>  k, the paths with breach_any [FIN-14]
--   max_breach_probability_pct DECIMAL(38,10) <percent>  targets.max_breach_probability_pct (not set = 10)
--   passes BOOLEAN <flag>  100·k ≤ max_breach_probability_pct·N, exactly [ACC-A13]
--   tested BOOLEAN <flag>  min_monthly_dscr is set, H ≥ dscr_test_from_month (not set = 12), H ≥ loan.term_months and loan.amount_eur > 0 in every parameter set; else the verdict is "not tested"
WITH
settings AS (
    SELECT
        {{ dec('max_breach_probability_pct', 38, 10) }} AS max_pct,
        min_monthly_dscr IS NOT NULL
            AND {{ var('horizon_months') }} >= dscr_test_from_month AS covenant_tested
    FROM run_settings
),
loans AS (
    SELECT max(term_months) AS longest_term, min(loan_amount_eur) AS smallest_amount FROM params_general
),
counts AS (
    SELECT grid_index, count(*) AS paths, count(*) FILTER (WHERE breach_any) AS paths_breached
    FROM {{ ref('risk_path') }}
    GROUP BY grid_index
)
SELECT
    CAST(c.grid_index AS BIGINT) AS grid_index,
    CAST(c.paths AS BIGINT) AS paths,
    CAST(c.paths_breached AS BIGINT) AS paths_breached,
    s.max_pct AS max_breach_probability_pct,
    100 * c.paths_breached <= s.max_pct * c.paths AS passes,
    s.covenant_tested AND {{ var('horizon_months') }} >= l.longest_term AND l.smallest_amount > 0 AS tested
FROM counts AS c
CROSS JOIN settings AS s
CROSS JOIN loans AS l
ORDER BY grid_index
