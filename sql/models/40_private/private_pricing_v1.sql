-- model: private_pricing
-- version: 1
-- purpose: hourly sell price and margin on the median quote, and the monthly fees of a client per GPU class [PRV-3]
-- pipelines: private
-- grain: param_set_id, gpu
-- columns:
--   param_set_id BIGINT <id>  parameter set [GEN-2]
--   grid_index BIGINT <id>  grid point of the parameter set
--   replicate_index BIGINT <id>  replicate of the parameter set
--   gpu VARCHAR <id>  private GPU class [PRV-1]
--   providers BIGINT <count>  distinct providers of the class [PRV-2]
--   provider_eur_hr_med DOUBLE <EUR/GPU-hour>  median EUR per GPU-hour over the providers [PRV-2]
--   markup_pct DOUBLE <percent>  default_markup_over_provider_cost_pct, percent [PRV-3]
--   sell_eur_hr DOUBLE <EUR/GPU-hour>  med × (1 + markup_pct/100), EUR per GPU-hour [PRV-3]
--   margin_eur_hr DOUBLE <EUR/GPU-hour>  sell − med, EUR per GPU-hour [PRV-3]
--   margin_pct DOUBLE <percent>  margin_eur_hr / sell × 100, percent (null when sell = 0) [PRV-3]
--   management_fee_eur_per_month DOUBLE <EUR/month>  fee per active client and month [PRV-3]
--   base_fee_eur_per_month DOUBLE <EUR/month>  fee_g: base_fee_by_gpu_class[g], else base_fee_eur_per_month, else 0 [PRV-3]
WITH quote AS (
    SELECT * FROM {{ ref('private_quote') }}
),

by_class AS (
    -- Only the classes named in base_fee_by_gpu_class have rows; a null entry counts as not set.
    SELECT param_set_id, gpu, fee_eur_per_month
    FROM params_base_fee_by_gpu
    WHERE fee_eur_per_month IS NOT NULL
),

joined AS (
    SELECT
        q.*,
        p.default_markup_over_provider_cost_pct AS markup_pct,
        p.management_fee_eur_per_month,
        -- PRV-3 precedence: the class's own base fee, else the general base fee (resolved: not set = 0).
        coalesce(b.fee_eur_per_month, p.base_fee_eur_per_month) AS base_fee_eur_per_month
    FROM quote AS q
    JOIN params_private_tap AS p USING (param_set_id)
    LEFT JOIN by_class AS b USING (param_set_id, gpu)
),

computed AS (
    SELECT
        *,
        provider_eur_hr_med * (1 + markup_pct / 100) AS sell_eur_hr
    FROM joined
),

final AS (
    SELECT
        CAST(param_set_id AS BIGINT) AS param_set_id,
        CAST(grid_index AS BIGINT) AS grid_index,
        CAST(replicate_index AS BIGINT) AS replicate_index,
        CAST(gpu AS VARCHAR) AS gpu,
        CAST(providers AS BIGINT) AS providers,
        CAST(provider_eur_hr_med AS DOUBLE) AS provider_eur_hr_med,
        CAST(markup_pct AS DOUBLE) AS markup_pct,
        CAST(sell_eur_hr AS DOUBLE) AS sell_eur_hr,
        CAST(sell_eur_hr - provider_eur_hr_med AS DOUBLE) AS margin_eur_hr,
        -- sell = 0 only for a zero median (offers are > 0, so never on valid inputs): no ratio then.
        CAST(CASE WHEN sell_eur_hr > 0 THEN (sell_eur_hr - provider_eur_hr_med) / sell_eur_hr * 100 END AS DOUBLE)
            AS margin_pct,
        CAST(management_fee_eur_per_month AS DOUBLE) AS management_fee_eur_per_month,
        CAST(base_fee_eur_per_month AS DOUBLE) AS base_fee_eur_per_month
    FROM computed
)

SELECT * FROM final
ORDER BY param_set_id, gpu
