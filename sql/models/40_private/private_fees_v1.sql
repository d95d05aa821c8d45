-- model: private_fees
-- version: 1
-- purpose: monthly fee of one active client: management fee plus the mix-weighted base fees [PRV-3] [PRV-7]
-- pipelines: private
-- grain: param_set_id
-- columns:
--   param_set_id BIGINT <id>  parameter set [GEN-2]
--   grid_index BIGINT <id>  grid point of the parameter set
--   replicate_index BIGINT <id>  replicate of the parameter set
--   management_fee_eur_per_month DOUBLE <EUR/month>  management fee per active client and month [PRV-3]
--   base_fee_mix_eur_per_month DOUBLE <EUR/month>  Σ_g x_g × fee_g, summed left to right in GPU byte order [PRV-7] [GEN-4]
--   fee_per_client_eur_per_month DOUBLE <EUR/month>  management fee + base_fee_mix: revenue_fees_t = DEC(active_t × this) [PRV-7]
WITH economics AS (
    SELECT * FROM {{ ref('private_economics') }}
),

folded AS (
    -- A float sum in a stated order [GEN-4]: list() in GPU byte order, then a left fold.
    -- Every class has a row (x_g = 0 outside the mix), so the list is never empty.
    SELECT
        param_set_id,
        any_value(grid_index) AS grid_index,
        any_value(replicate_index) AS replicate_index,
        any_value(management_fee_eur_per_month) AS management_fee_eur_per_month,
        list_reduce(
            list(client_mix_share * base_fee_eur_per_month ORDER BY gpu),
            lambda acc, x: acc + x
        ) AS base_fee_mix_eur_per_month
    FROM economics
    GROUP BY param_set_id
),

final AS (
    SELECT
        CAST(param_set_id AS BIGINT) AS param_set_id,
        CAST(grid_index AS BIGINT) AS grid_index,
        CAST(replicate_index AS BIGINT) AS replicate_index,
        CAST(management_fee_eur_per_month AS DOUBLE) AS management_fee_eur_per_month,
        CAST(base_fee_mix_eur_per_month AS DOUBLE) AS base_fee_mix_eur_per_month,
        CAST(management_fee_eur_per_month + base_fee_mix_eur_per_month AS DOUBLE) AS fee_per_client_eur_per_month
    FROM folded
)

SELECT * FROM final
ORDER BY param_set_id
