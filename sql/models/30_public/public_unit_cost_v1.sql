-- model: public_unit_cost
-- version: 1
-- purpose: cost per token of every candidate (model, GPU) at target utilisation, not at 100 % [PUB-3]
-- pipelines: public
-- grain: param_set_id, model, gpu
-- columns:
--   param_set_id BIGINT <id>  parameter set
--   model VARCHAR <id>  model identity [IN-11]
--   gpu VARCHAR <id>  candidate GPU key [PUB-2]
--   provider VARCHAR <id>  public vendor of the GPU [PUB-1]
--   vram_gb DOUBLE <GB>  GB of VRAM
--   usd_hr DOUBLE <USD/GPU-hour>  USD per GPU-hour of the vendor
--   eur_hr DOUBLE <EUR/GPU-hour>  eur_hr(g), EUR per GPU-hour [PUB-1]
--   eur_hr_stress DOUBLE <EUR/GPU-hour>  stressed EUR per GPU-hour of the vendor [PUB-7]
--   tps DOUBLE <tokens/s>  tokens/s per instance [PUB-2]
--   tps_source VARCHAR <text>  measured | heuristic [PUB-2]
--   tps_source_tag VARCHAR <text>  tag of the measured row (null for heuristic)
--   cap_tph DOUBLE <tokens/hour>  tps × 3600 × target_utilization_pct/100, tokens/hour/instance [PUB-3]
--   gpu_cost_eur_per_1m DOUBLE <EUR/1M tokens>  eur_hr / (cap_tph / 1e6), EUR per 1M tokens [PUB-3]
--   cost_eur_per_1m DOUBLE <EUR/1M tokens>  gpu cost × (1 + infra_overhead_pct_of_gpu/100) + base_eur_per_1M [PUB-3]
--   cost_eur_per_1k DOUBLE <EUR/1k tokens>  cost_eur_per_1m / 1000 [PUB-3]
-- Column names are lower case (…_per_1m): the header parser only reads lower-case names; the
-- exporter writes the OUT-4 spelling `_per_1M`. Unset non-GPU costs count as 0 [IN-8].
WITH joined AS (
    SELECT t.param_set_id, t.model, t.gpu, v.provider, v.vram_gb, v.usd_hr, v.eur_hr, v.eur_hr_stress,
           t.tps, t.tps_source, t.tps_source_tag, p.target_utilization_pct,
           p.infra_overhead_pct_of_gpu AS infra_pct,
           p.base_eur_per_1M AS base_1m
    FROM {{ ref('public_throughput') }} AS t
    JOIN {{ ref('public_vendor') }} AS v USING (param_set_id, gpu)
    JOIN params_public_tap AS p USING (param_set_id)
),
capacity AS (
    SELECT *, tps * 3600 * target_utilization_pct / 100 AS cap_tph FROM joined
),
costed AS (
    SELECT *, eur_hr / (cap_tph / 1e6) AS gpu_cost_1m FROM capacity
),
final AS (
    SELECT *, gpu_cost_1m * (1 + infra_pct / 100) + base_1m AS cost_1m FROM costed
)
SELECT
    CAST(param_set_id AS BIGINT) AS param_set_id,
    CAST(model AS VARCHAR) AS model,
    CAST(gpu AS VARCHAR) AS gpu,
    CAST(provider AS VARCHAR) AS provider,
    CAST(vram_gb AS DOUBLE) AS vram_gb,
    CAST(usd_hr AS DOUBLE) AS usd_hr,
    CAST(eur_hr AS DOUBLE) AS eur_hr,
    CAST(eur_hr_stress AS DOUBLE) AS eur_hr_stress,
    CAST(tps AS DOUBLE) AS tps,
    CAST(tps_source AS VARCHAR) AS tps_source,
    CAST(tps_source_tag AS VARCHAR) AS tps_source_tag,
    CAST(cap_tph AS DOUBLE) AS cap_tph,
    CAST(gpu_cost_1m AS DOUBLE) AS gpu_cost_eur_per_1m,
    CAST(cost_1m AS DOUBLE) AS cost_eur_per_1m,
    CAST(cost_1m / 1000 AS DOUBLE) AS cost_eur_per_1k
FROM final
ORDER BY param_set_id, model, gpu
