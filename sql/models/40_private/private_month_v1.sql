-- model: private_month
-- version: 1
-- purpose: the Private Tap per path and month for the finance models: acquisition, clients, hours, revenue, COGS [PRV-5] [PRV-7] [GEN-4]
-- pipelines: private
-- grain: path_id, month
-- columns:
--   path_id BIGINT <id>  path [GEN-2]
--   grid_index BIGINT <id>  grid point of the path
--   replicate_index BIGINT <id>  replicate of the path
--   mc_index BIGINT <id>  MC iteration of the path
--   param_set_id BIGINT <id>  parameter set of the path
--   month BIGINT <month>  plan month t = 1..H
--   budget_eur DOUBLE <EUR>  budget_t as a float driver: new_t uses it [PRV-5]
--   acquisition_private_eur DECIMAL(18,6) <EUR>  DEC(budget_t): private acquisition spend [PRV-7] [GEN-4]
--   cac_eur DOUBLE <EUR>  CAC_t [PRV-5]
--   new_clients DOUBLE <count>  new_t [PRV-5]
--   active_clients DOUBLE <count>  active_t [PRV-5]
--   hours DOUBLE <hours>  hours_t [PRV-5]
--   revenue_hours_eur DECIMAL(18,6) <EUR>  Σ_g of the per-class DEC grains of private_gpu_month: prepaid, no receivable [PRV-7]
--   revenue_fees_eur DECIMAL(18,6) <EUR>  DEC(active_t × (management_fee + Σ_g x_g·fee_g)): invoiced, collected after ar_days [PRV-7] [FIN-6]
--   revenue_private_eur DECIMAL(18,6) <EUR>  revenue_hours_eur + revenue_fees_eur [PRV-7]
--   cogs_private_eur DECIMAL(18,6) <EUR>  Σ_g of the per-class DEC grains: GPU rent at the recommended vendors [PRV-7]
--   gross_margin_private_eur DECIMAL(18,6) <EUR>  revenue_private_eur − cogs_private_eur [OUT-4a]
--   payment_fee_eur DECIMAL(18,6) <EUR>  round6(payment_fee_pct/100 × revenue_private_eur), the private part of the payment fees [FIN-1a]
WITH clients AS (
    SELECT * FROM {{ ref('private_clients') }}
),

by_gpu AS (
    -- Exact DECIMAL sums of the per-class grains: the order does not matter [GEN-4].
    SELECT path_id, month, sum(revenue_hours_eur) AS revenue_hours_eur, sum(cogs_eur) AS cogs_private_eur
    FROM {{ ref('private_gpu_month') }}
    GROUP BY path_id, month
),

joined AS (
    SELECT
        c.*,
        coalesce(g.revenue_hours_eur, 0) AS revenue_hours_eur,
        coalesce(g.cogs_private_eur, 0) AS cogs_private_eur,
        {{ dec('c.active_clients * f.fee_per_client_eur_per_month') }} AS revenue_fees_eur,
        pg.payment_fee_pct
    FROM clients AS c
    JOIN {{ ref('private_fees') }} AS f USING (param_set_id)
    -- payment_fee_pct is resolved: 0 when not set [V12-5]; converted once per set (speed, issue 13).
    JOIN (SELECT param_set_id, {{ dec('payment_fee_pct', 38, 10) }} AS payment_fee_pct FROM params_general) AS pg
        USING (param_set_id)
    LEFT JOIN by_gpu AS g USING (path_id, month)
),

final AS (
    SELECT
        CAST(path_id AS BIGINT) AS path_id,
        CAST(grid_index AS BIGINT) AS grid_index,
        CAST(replicate_index AS BIGINT) AS replicate_index,
        CAST(mc_index AS BIGINT) AS mc_index,
        CAST(param_set_id AS BIGINT) AS param_set_id,
        CAST(month AS BIGINT) AS month,
        CAST(budget_eur AS DOUBLE) AS budget_eur,
        {{ dec('budget_eur') }} AS acquisition_private_eur,
        CAST(cac_eur AS DOUBLE) AS cac_eur,
        CAST(new_clients AS DOUBLE) AS new_clients,
        CAST(active_clients AS DOUBLE) AS active_clients,
        CAST(hours AS DOUBLE) AS hours,
        CAST(revenue_hours_eur AS DECIMAL(18, 6)) AS revenue_hours_eur,
        CAST(revenue_fees_eur AS DECIMAL(18, 6)) AS revenue_fees_eur,
        CAST(revenue_hours_eur + revenue_fees_eur AS DECIMAL(18, 6)) AS revenue_private_eur,
        CAST(cogs_private_eur AS DECIMAL(18, 6)) AS cogs_private_eur,
        CAST(revenue_hours_eur + revenue_fees_eur - cogs_private_eur AS DECIMAL(18, 6)) AS gross_margin_private_eur,
        -- Fees are charged on the money received, rounded once per month [FIN-1a] [GEN-4].
        {{ pct_of('payment_fee_pct', 'CAST(revenue_hours_eur + revenue_fees_eur AS DECIMAL(38, 6))') }} AS payment_fee_eur
    FROM joined
)

SELECT * FROM final
