-- model: private_month
-- version: 1
-- purpose: the Private Tap per path and month for the finance models: acquisition, clients, hours, revenue, COGS [PRV-5] [PRV-7] [GEN-4]
-- pipelines: private
-- grain: path_id, month
-- columns:
--   path_id BIGINT  path [GEN-2]
--   grid_index BIGINT  grid point of the path
--   replicate_index BIGINT  replicate of the path
--   mc_index BIGINT  MC iteration of the path
--   param_set_id BIGINT  parameter set of the path
--   month BIGINT  plan month t = 1..H
--   budget_eur DOUBLE  budget_t as a float driver: new_t uses it [PRV-5]
--   acquisition_private DECIMAL(18,6)  DEC(budget_t): private acquisition spend [PRV-7] [GEN-4]
--   cac_eur DOUBLE  CAC_t [PRV-5]
--   new_clients DOUBLE  new_t [PRV-5]
--   active_clients DOUBLE  active_t [PRV-5]
--   hours DOUBLE  hours_t [PRV-5]
--   revenue_hours DECIMAL(18,6)  Σ_g of the per-class DEC grains of private_gpu_month: prepaid, no receivable [PRV-7]
--   revenue_fees DECIMAL(18,6)  DEC(active_t × (management_fee + Σ_g x_g·fee_g)): invoiced, collected after ar_days [PRV-7] [FIN-6]
--   revenue_private DECIMAL(18,6)  revenue_hours + revenue_fees [PRV-7]
--   cogs_private DECIMAL(18,6)  Σ_g of the per-class DEC grains: GPU rent at the recommended vendors [PRV-7]
--   gross_margin_private DECIMAL(18,6)  revenue_private − cogs_private [OUT-4a]
--   payment_fee_eur DECIMAL(18,6)  round6(payment_fee_pct/100 × revenue_private), the private part of the payment fees; 0 when not set [FIN-1a]
WITH clients AS (
    SELECT * FROM {{ ref('private_clients') }}
),

by_gpu AS (
    -- Exact DECIMAL sums of the per-class grains: the order does not matter [GEN-4].
    SELECT path_id, month, sum(revenue_hours) AS revenue_hours, sum(cogs) AS cogs_private
    FROM {{ ref('private_gpu_month') }}
    GROUP BY path_id, month
),

joined AS (
    SELECT
        c.*,
        coalesce(g.revenue_hours, 0) AS revenue_hours,
        coalesce(g.cogs_private, 0) AS cogs_private,
        {{ dec('c.active_clients * f.fee_per_client_eur_per_month') }} AS revenue_fees,
        CAST(CAST(coalesce(pg.payment_fee_pct, 0) AS VARCHAR) AS DECIMAL(38, 10)) AS payment_fee_pct
    FROM clients AS c
    JOIN {{ ref('private_fees') }} AS f USING (param_set_id)
    LEFT JOIN params_general AS pg USING (param_set_id)  -- a set without general keys pays no fee
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
        {{ dec('budget_eur') }} AS acquisition_private,
        CAST(cac_eur AS DOUBLE) AS cac_eur,
        CAST(new_clients AS DOUBLE) AS new_clients,
        CAST(active_clients AS DOUBLE) AS active_clients,
        CAST(hours AS DOUBLE) AS hours,
        CAST(revenue_hours AS DECIMAL(18, 6)) AS revenue_hours,
        CAST(revenue_fees AS DECIMAL(18, 6)) AS revenue_fees,
        CAST(revenue_hours + revenue_fees AS DECIMAL(18, 6)) AS revenue_private,
        CAST(cogs_private AS DECIMAL(18, 6)) AS cogs_private,
        CAST(revenue_hours + revenue_fees - cogs_private AS DECIMAL(18, 6)) AS gross_margin_private,
        -- Fees are charged on the money received, rounded once per month [FIN-1a] [GEN-4].
        CAST(
            payment_fee_pct * CAST(revenue_hours + revenue_fees AS DECIMAL(38, 6)) * CAST('0.01' AS DECIMAL(3, 2))
            AS DECIMAL(18, 6)
        ) AS payment_fee_eur
    FROM joined
)

SELECT * FROM final
