-- model: public_offer_eur
-- version: 1
-- purpose: every deduplicated offer in EUR per GPU-hour for the Public Tap, plain and p90-stressed [PUB-1] [PUB-7]
-- pipelines: public
-- grain: param_set_id, gpu, provider
-- columns:
--   param_set_id BIGINT <id>  parameter set (grid_index·R + replicate_index)
--   grid_index BIGINT <id>  grid point
--   replicate_index BIGINT <id>  replicate
--   gpu VARCHAR <id>  GPU key [IN-10]
--   provider VARCHAR <id>  provider of the offer
--   vram_gb DOUBLE <GB>  GB of VRAM of the GPU [IN-10]
--   usd_hr DOUBLE <USD/GPU-hour>  USD per single GPU-hour [IN-10]
--   eur_hr DOUBLE <EUR/GPU-hour>  usd_hr / fx × (1 + fx_buffer_pct/100), EUR per GPU-hour [PUB-1]
--   eur_hr_stress DOUBLE <EUR/GPU-hour>  usd_hr × (1 + drift/100) / fx × (1 + (fx_buffer_pct + fx_widen)/100) [PUB-7]
-- Float expressions keep the operand order of DOMAIN (left to right), so the values are those a
-- reader gets by evaluating the written formula in float64.
WITH settings AS (
    SELECT eur_usd_fx_rate AS fx, provider_price_drift_pct AS drift_pct, fx_widen_buffer_pct AS widen_pct
    FROM run_settings
),
joined AS (
    SELECT p.param_set_id, p.grid_index, p.replicate_index, p.fx_buffer_pct,
           o.gpu, o.provider, o.vram_gb, o.usd_hr, s.fx, s.drift_pct, s.widen_pct
    FROM params_public_tap AS p
    CROSS JOIN input_offers AS o
    CROSS JOIN settings AS s
),
final AS (
    SELECT param_set_id, grid_index, replicate_index, gpu, provider, vram_gb, usd_hr,
           usd_hr / fx * (1 + fx_buffer_pct / 100) AS eur_hr,
           usd_hr * (1 + drift_pct / 100) / fx * (1 + (fx_buffer_pct + widen_pct) / 100) AS eur_hr_stress
    FROM joined
)
SELECT
    CAST(param_set_id AS BIGINT) AS param_set_id,
    CAST(grid_index AS BIGINT) AS grid_index,
    CAST(replicate_index AS BIGINT) AS replicate_index,
    CAST(gpu AS VARCHAR) AS gpu,
    CAST(provider AS VARCHAR) AS provider,
    CAST(vram_gb AS DOUBLE) AS vram_gb,
    CAST(usd_hr AS DOUBLE) AS usd_hr,
    CAST(eur_hr AS DOUBLE) AS eur_hr,
    CAST(eur_hr_stress AS DOUBLE) AS eur_hr_stress
FROM final
ORDER BY param_set_id, gpu, provider
