-- model: finance_path_kpis
-- version: 2
-- purpose: horizon KPIs of every path, computed per path before any aggregation [FIN-9] [FIN-10] [FIN-11] [FIN-12]
-- grain: path_id
-- columns:
--   path_id BIGINT  path
--   param_set_id BIGINT  its parameter set
--   grid_index BIGINT  grid point
--   replicate_index BIGINT  replicate
--   mc_index BIGINT  MC iteration
--   revenue_public DECIMAL(18,6)  Σ_t revenue_public, EUR
--   revenue_private DECIMAL(18,6)  Σ_t revenue_private, EUR
--   revenue_total DECIMAL(18,6)  Σ_t revenue_total, EUR
--   cogs_public DECIMAL(18,6)  Σ_t cogs_public, EUR
--   cogs_private DECIMAL(18,6)  Σ_t cogs_private, EUR
--   cogs_total DECIMAL(18,6)  cogs_public + cogs_private, EUR
--   gross_profit DECIMAL(18,6)  Σ_t gross_profit, EUR
--   opex_total DECIMAL(18,6)  Σ_t opex_total, EUR
--   ebitda DECIMAL(18,6)  Σ_t ebitda, EUR
--   net_income_h DECIMAL(18,6)  Σ_t net_income, EUR [FIN-12]
--   overhead_public DECIMAL(18,6)  Σ_t overhead_public, EUR [FIN-10]
--   overhead_private DECIMAL(18,6)  Σ_t overhead_private, EUR [FIN-10]
--   contribution_public DECIMAL(18,6)  Σ_t contribution_public, EUR [FIN-10]
--   contribution_private DECIMAL(18,6)  Σ_t contribution_private, EUR [FIN-10]
--   cash_min DECIMAL(18,6)  min_t cash_closing, EUR [FIN-9]
--   cash_end DECIMAL(18,6)  cash_closing of month H, EUR
--   funding_gap DECIMAL(18,6)  max(0, −cash_min), EUR [FIN-9]
--   first_negative_cash_month BIGINT  first t with cash_closing < 0, null if none [FIN-9]
--   dscr_min DECIMAL(18,6)  minimum non-null monthly dscr [FIN-9]
--   icr_min DECIMAL(18,6)  minimum non-null monthly icr [FIN-9]
--   dscr_ltm_end DECIMAL(18,6)  dscr_ltm of month H [FIN-9]
--   dscr_ltm_test_min DECIMAL(18,6)  minimum non-null dscr_ltm over t ≥ dscr_test_from_month (not set = 12) [FIN-9]
--   last_month_costs DECIMAL(18,6)  opex_total + cogs_public + cogs_private of month H, EUR (reserve cover, OUT-5)
-- Names are the consolidated_kpis metric names of [OUT-5] (unit in that file's `unit` column), except
-- net_income_h (metric net_income) and the helper last_month_costs.
WITH
months AS (
    SELECT f.*, s.overhead_public_eur, s.overhead_private_eur, s.contribution_public_eur, s.contribution_private_eur,
        coalesce(r.dscr_test_from_month, 12) AS dscr_test_from_month
    FROM {{ ref('finance_month') }} AS f
    JOIN {{ ref('segment_month') }} AS s USING (path_id, month)
    CROSS JOIN run_settings AS r
),
totals AS (
    SELECT
        path_id,
        sum(revenue_public_eur) AS revenue_public,
        sum(revenue_private_eur) AS revenue_private,
        sum(revenue_total_eur) AS revenue_total,
        sum(cogs_public_eur) AS cogs_public,
        sum(cogs_private_eur) AS cogs_private,
        sum(gross_profit_eur) AS gross_profit,
        sum(opex_total_eur) AS opex_total,
        sum(ebitda_eur) AS ebitda,
        sum(net_income_eur) AS net_income_h,
        sum(overhead_public_eur) AS overhead_public,
        sum(overhead_private_eur) AS overhead_private,
        sum(contribution_public_eur) AS contribution_public,
        sum(contribution_private_eur) AS contribution_private,
        min(cash_closing_eur) AS cash_min,
        min(month) FILTER (WHERE cash_closing_eur < 0) AS first_negative_cash_month,
        min(dscr) AS dscr_min,
        min(icr) AS icr_min,
        min(dscr_ltm) FILTER (WHERE month >= dscr_test_from_month) AS dscr_ltm_test_min
    FROM months
    GROUP BY path_id
),
last_month AS (
    SELECT path_id, cash_closing_eur AS cash_end, dscr_ltm AS dscr_ltm_end,
        opex_total_eur + cogs_public_eur + cogs_private_eur AS last_month_costs
    FROM months
    WHERE month = {{ var('horizon_months') }}
)
SELECT
    p.path_id, p.param_set_id, p.grid_index, p.replicate_index, p.mc_index,
    CAST(t.revenue_public AS DECIMAL(18,6)) AS revenue_public,
    CAST(t.revenue_private AS DECIMAL(18,6)) AS revenue_private,
    CAST(t.revenue_total AS DECIMAL(18,6)) AS revenue_total,
    CAST(t.cogs_public AS DECIMAL(18,6)) AS cogs_public,
    CAST(t.cogs_private AS DECIMAL(18,6)) AS cogs_private,
    CAST(t.cogs_public + t.cogs_private AS DECIMAL(18,6)) AS cogs_total,
    CAST(t.gross_profit AS DECIMAL(18,6)) AS gross_profit,
    CAST(t.opex_total AS DECIMAL(18,6)) AS opex_total,
    CAST(t.ebitda AS DECIMAL(18,6)) AS ebitda,
    CAST(t.net_income_h AS DECIMAL(18,6)) AS net_income_h,
    CAST(t.overhead_public AS DECIMAL(18,6)) AS overhead_public,
    CAST(t.overhead_private AS DECIMAL(18,6)) AS overhead_private,
    CAST(t.contribution_public AS DECIMAL(18,6)) AS contribution_public,
    CAST(t.contribution_private AS DECIMAL(18,6)) AS contribution_private,
    t.cash_min,
    l.cash_end,
    CAST(greatest(0, -t.cash_min) AS DECIMAL(18,6)) AS funding_gap,
    t.first_negative_cash_month,
    t.dscr_min,
    t.icr_min,
    l.dscr_ltm_end,
    t.dscr_ltm_test_min,
    CAST(l.last_month_costs AS DECIMAL(18,6)) AS last_month_costs
FROM {{ ref('paths') }} AS p
JOIN totals AS t USING (path_id)
JOIN last_month AS l USING (path_id)
ORDER BY p.path_id
