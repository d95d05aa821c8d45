-- model: finance_path_kpis
-- version: 2
-- purpose: horizon KPIs of every path, computed per path before any aggregation [FIN-9] [FIN-10] [FIN-11] [FIN-12]
-- grain: path_id
-- columns:
--   path_id BIGINT <id>  path
--   param_set_id BIGINT <id>  its parameter set
--   grid_index BIGINT <id>  grid point
--   replicate_index BIGINT <id>  replicate
--   mc_index BIGINT <id>  MC iteration
--   revenue_public_eur DECIMAL(18,6) <EUR>  Σ_t revenue_public_eur, EUR
--   revenue_private_eur DECIMAL(18,6) <EUR>  Σ_t revenue_private_eur, EUR
--   revenue_total_eur DECIMAL(18,6) <EUR>  Σ_t revenue_total_eur, EUR
--   cogs_public_eur DECIMAL(18,6) <EUR>  Σ_t cogs_public_eur, EUR
--   cogs_private_eur DECIMAL(18,6) <EUR>  Σ_t cogs_private_eur, EUR
--   cogs_total_eur DECIMAL(18,6) <EUR>  cogs_public_eur + cogs_private_eur, EUR
--   gross_profit_eur DECIMAL(18,6) <EUR>  Σ_t gross_profit_eur, EUR
--   opex_total_eur DECIMAL(18,6) <EUR>  Σ_t opex_total_eur, EUR
--   ebitda_eur DECIMAL(18,6) <EUR>  Σ_t ebitda_eur, EUR
--   net_income_h_eur DECIMAL(18,6) <EUR>  Σ_t net_income_eur, EUR [FIN-12]
--   overhead_public_eur DECIMAL(18,6) <EUR>  Σ_t overhead_public_eur, EUR [FIN-10]
--   overhead_private_eur DECIMAL(18,6) <EUR>  Σ_t overhead_private_eur, EUR [FIN-10]
--   contribution_public_eur DECIMAL(18,6) <EUR>  Σ_t contribution_public_eur, EUR [FIN-10]
--   contribution_private_eur DECIMAL(18,6) <EUR>  Σ_t contribution_private_eur, EUR [FIN-10]
--   cash_min_eur DECIMAL(18,6) <EUR>  min_t cash_closing, EUR [FIN-9]
--   cash_end_eur DECIMAL(18,6) <EUR>  cash_closing of month H, EUR
--   funding_gap_eur DECIMAL(18,6) <EUR>  max(0, −cash_min_eur), EUR [FIN-9]
--   first_negative_cash_month BIGINT <month>  first t with cash_closing < 0, null if none [FIN-9]
--   dscr_min DECIMAL(18,6) <ratio>  minimum non-null monthly dscr [FIN-9]
--   icr_min DECIMAL(18,6) <ratio>  minimum non-null monthly icr [FIN-9]
--   dscr_ltm_end DECIMAL(18,6) <ratio>  dscr_ltm of month H [FIN-9]
--   dscr_ltm_test_min DECIMAL(18,6) <ratio>  minimum non-null dscr_ltm over t ≥ dscr_test_from_month (not set = 12) [FIN-9]
--   last_month_costs_eur DECIMAL(18,6) <EUR>  opex_total_eur + cogs_public_eur + cogs_private_eur of month H, EUR (reserve cover, OUT-5)
-- Names are the consolidated_kpis metric names of [OUT-5] (unit in that file's `unit` column), except
-- net_income_h_eur (metric net_income_eur) and the helper last_month_costs_eur.
WITH
months AS (
    SELECT f.*, s.overhead_public_eur, s.overhead_private_eur, s.contribution_public_eur, s.contribution_private_eur,
        r.dscr_test_from_month
    FROM {{ ref('finance_month') }} AS f
    JOIN {{ ref('segment_month') }} AS s USING (path_id, month)
    CROSS JOIN run_settings AS r
),
totals AS (
    SELECT
        path_id,
        sum(revenue_public_eur) AS revenue_public_eur,
        sum(revenue_private_eur) AS revenue_private_eur,
        sum(revenue_total_eur) AS revenue_total_eur,
        sum(cogs_public_eur) AS cogs_public_eur,
        sum(cogs_private_eur) AS cogs_private_eur,
        sum(gross_profit_eur) AS gross_profit_eur,
        sum(opex_total_eur) AS opex_total_eur,
        sum(ebitda_eur) AS ebitda_eur,
        sum(net_income_eur) AS net_income_h_eur,
        sum(overhead_public_eur) AS overhead_public_eur,
        sum(overhead_private_eur) AS overhead_private_eur,
        sum(contribution_public_eur) AS contribution_public_eur,
        sum(contribution_private_eur) AS contribution_private_eur,
        min(cash_closing_eur) AS cash_min_eur,
        min(month) FILTER (WHERE cash_closing_eur < 0) AS first_negative_cash_month,
        min(dscr) AS dscr_min,
        min(icr) AS icr_min,
        min(dscr_ltm) FILTER (WHERE month >= dscr_test_from_month) AS dscr_ltm_test_min
    FROM months
    GROUP BY path_id
),
last_month AS (
    SELECT path_id, cash_closing_eur AS cash_end_eur, dscr_ltm AS dscr_ltm_end,
        opex_total_eur + cogs_public_eur + cogs_private_eur AS last_month_costs_eur
    FROM months
    WHERE month = {{ var('horizon_months') }}
)
SELECT
    p.path_id, p.param_set_id, p.grid_index, p.replicate_index, p.mc_index,
    CAST(t.revenue_public_eur AS DECIMAL(18,6)) AS revenue_public_eur,
    CAST(t.revenue_private_eur AS DECIMAL(18,6)) AS revenue_private_eur,
    CAST(t.revenue_total_eur AS DECIMAL(18,6)) AS revenue_total_eur,
    CAST(t.cogs_public_eur AS DECIMAL(18,6)) AS cogs_public_eur,
    CAST(t.cogs_private_eur AS DECIMAL(18,6)) AS cogs_private_eur,
    CAST(t.cogs_public_eur + t.cogs_private_eur AS DECIMAL(18,6)) AS cogs_total_eur,
    CAST(t.gross_profit_eur AS DECIMAL(18,6)) AS gross_profit_eur,
    CAST(t.opex_total_eur AS DECIMAL(18,6)) AS opex_total_eur,
    CAST(t.ebitda_eur AS DECIMAL(18,6)) AS ebitda_eur,
    CAST(t.net_income_h_eur AS DECIMAL(18,6)) AS net_income_h_eur,
    CAST(t.overhead_public_eur AS DECIMAL(18,6)) AS overhead_public_eur,
    CAST(t.overhead_private_eur AS DECIMAL(18,6)) AS overhead_private_eur,
    CAST(t.contribution_public_eur AS DECIMAL(18,6)) AS contribution_public_eur,
    CAST(t.contribution_private_eur AS DECIMAL(18,6)) AS contribution_private_eur,
    t.cash_min_eur,
    l.cash_end_eur,
    CAST(greatest(0, -t.cash_min_eur) AS DECIMAL(18,6)) AS funding_gap_eur,
    t.first_negative_cash_month,
    t.dscr_min,
    t.icr_min,
    l.dscr_ltm_end,
    t.dscr_ltm_test_min,
    CAST(l.last_month_costs_eur AS DECIMAL(18,6)) AS last_month_costs_eur
FROM {{ ref('paths') }} AS p
JOIN totals AS t USING (path_id)
JOIN last_month AS l USING (path_id)
ORDER BY p.path_id
