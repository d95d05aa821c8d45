-- model: public_stress
-- version: 1
-- purpose: p90 stress margin of every model on g* at the unstressed price (feeds ACC-A9) [PUB-7]
-- pipelines: public
-- grain: param_set_id, model
-- columns:
--   param_set_id BIGINT <id>  parameter set
--   model VARCHAR <id>  model identity
--   gpu VARCHAR <id>  g*(m) [PUB-4]
--   eur_hr_stress DOUBLE <EUR/GPU-hour>  usd_hr × (1 + drift/100) / fx × (1 + (fx_buffer + widen)/100) [PUB-7]
--   tps_stress DOUBLE <tokens/s>  tps × (1 − tps_downshift_pct/100) [PUB-7]
--   cap_tph_stress DOUBLE <tokens/hour>  tps_stress × 3600 × target_utilization_pct/100 [PUB-3]
--   cost_stress_eur_per_1m DOUBLE <EUR/1M tokens>  stressed cost per 1M tokens by [PUB-3]
--   margin_p90_stress_pct DOUBLE <percent>  (1 − cost_s_1k / sell_1k) × 100 [PUB-7]
-- A downshift of 100 % is excluded by the input range (tps_downshift_pct < 100), so cap_tph_stress > 0.
WITH joined AS (
    SELECT pr.param_set_id, pr.model, pr.gpu, pr.eur_hr_stress, pr.tps, pr.sell_eur_per_1k,
           p.target_utilization_pct,
           p.infra_overhead_pct_of_gpu AS infra_pct,
           p.base_eur_per_1M AS base_1m,
           s.tps_downshift_pct
    FROM {{ ref('public_price') }} AS pr
    JOIN params_public_tap AS p USING (param_set_id)
    CROSS JOIN run_settings AS s
),
stressed AS (
    SELECT *, tps * (1 - tps_downshift_pct / 100) AS tps_s FROM joined
),
capacity AS (
    SELECT *, tps_s * 3600 * target_utilization_pct / 100 AS cap_s FROM stressed
),
final AS (
    SELECT *, eur_hr_stress / (cap_s / 1e6) * (1 + infra_pct / 100) + base_1m AS cost_s_1m FROM capacity
)
SELECT
    CAST(param_set_id AS BIGINT) AS param_set_id,
    CAST(model AS VARCHAR) AS model,
    CAST(gpu AS VARCHAR) AS gpu,
    CAST(eur_hr_stress AS DOUBLE) AS eur_hr_stress,
    CAST(tps_s AS DOUBLE) AS tps_stress,
    CAST(cap_s AS DOUBLE) AS cap_tph_stress,
    CAST(cost_s_1m AS DOUBLE) AS cost_stress_eur_per_1m,
    CAST((1 - cost_s_1m / 1000 / sell_eur_per_1k) * 100 AS DOUBLE) AS margin_p90_stress_pct
FROM final
ORDER BY param_set_id, model
