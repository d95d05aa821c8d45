-- model: private_economics
-- version: 1
-- purpose: economics of every private GPU class: quote, price, margins, recommended vendor, fees, client mix [PRV-2] [PRV-3] [PRV-4] [PRV-6]
-- pipelines: private
-- grain: param_set_id, gpu
-- columns:
--   param_set_id BIGINT <id>  parameter set [GEN-2]
--   grid_index BIGINT <id>  grid point of the parameter set
--   replicate_index BIGINT <id>  replicate of the parameter set
--   gpu VARCHAR <id>  private GPU class [PRV-1]
--   providers BIGINT <count>  distinct providers of the class [PRV-2]
--   provider_eur_hr_med DOUBLE <EUR/GPU-hour>  median EUR per GPU-hour over the providers [PRV-2]
--   markup_pct DOUBLE <percent>  markup over the median, percent [PRV-3]
--   sell_eur_hr DOUBLE <EUR/GPU-hour>  sell price, EUR per GPU-hour [PRV-3]
--   margin_eur_hr DOUBLE <EUR/GPU-hour>  sell − median, EUR per GPU-hour [PRV-3]
--   margin_pct DOUBLE <percent>  hourly margin on the median quote, percent [PRV-3]
--   recommended_provider VARCHAR <id>  rank-1 vendor of the class [PRV-4]
--   recommended_eur_hr DOUBLE <EUR/GPU-hour>  its EUR per GPU-hour: what a sold hour costs [PRV-4] [PRV-7]
--   realised_margin_pct DOUBLE <percent>  (sell − recommended_eur_hr) / sell × 100, percent (null when sell = 0) [PRV-4]
--   management_fee_eur_per_month DOUBLE <EUR/month>  fee per active client and month [PRV-3]
--   base_fee_eur_per_month DOUBLE <EUR/month>  base fee fee_g of the class per active client and month [PRV-3]
--   client_mix_share DOUBLE <ratio>  x_g: share of client hours on the class, 0 outside client_gpu_mix [PRV-6]
WITH pricing AS (
    SELECT * FROM {{ ref('private_pricing') }}
),

recommended AS (
    SELECT param_set_id, gpu, provider AS recommended_provider, eur_hr AS recommended_eur_hr
    FROM {{ ref('private_vendor_recommendation') }}
    WHERE recommended
),

mix AS (
    -- params_client_gpu_mix is renormalised [IN-17] and is the equal split over the curated GPUs
    -- when client_gpu_mix is not set [PRV-6]; a class it does not name gets no hours.
    SELECT param_set_id, gpu, share
    FROM params_client_gpu_mix
),

joined AS (
    SELECT p.*, r.recommended_provider, r.recommended_eur_hr, coalesce(m.share, 0.0) AS client_mix_share
    FROM pricing AS p
    JOIN recommended AS r USING (param_set_id, gpu)
    LEFT JOIN mix AS m USING (param_set_id, gpu)
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
        CAST(margin_eur_hr AS DOUBLE) AS margin_eur_hr,
        CAST(margin_pct AS DOUBLE) AS margin_pct,
        CAST(recommended_provider AS VARCHAR) AS recommended_provider,
        CAST(recommended_eur_hr AS DOUBLE) AS recommended_eur_hr,
        CAST(CASE WHEN sell_eur_hr > 0 THEN (sell_eur_hr - recommended_eur_hr) / sell_eur_hr * 100 END AS DOUBLE)
            AS realised_margin_pct,
        CAST(management_fee_eur_per_month AS DOUBLE) AS management_fee_eur_per_month,
        CAST(base_fee_eur_per_month AS DOUBLE) AS base_fee_eur_per_month,
        CAST(client_mix_share AS DOUBLE) AS client_mix_share
    FROM joined
)

SELECT * FROM final
ORDER BY param_set_id, gpu
