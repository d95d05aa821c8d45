-- model: public_gpu_choice
-- version: 1
-- purpose: g*(m) = the cheapest candidate per token; ties: lower eur_hr, then GPU key byte order [PUB-4]
-- pipelines: public
-- grain: param_set_id, model, gpu
-- columns:
--   param_set_id BIGINT <id>  parameter set
--   model VARCHAR <id>  model identity [IN-11]
--   gpu VARCHAR <id>  candidate GPU key [PUB-2]
--   provider VARCHAR <id>  public vendor of the GPU [PUB-1]
--   vram_gb DOUBLE <GB>  GB of VRAM
--   usd_hr DOUBLE <USD/GPU-hour>  USD per GPU-hour of the vendor
--   eur_hr DOUBLE <EUR/GPU-hour>  EUR per GPU-hour [PUB-1]
--   tps DOUBLE <tokens/s>  tokens/s per instance [PUB-2]
--   tps_source VARCHAR <text>  measured | heuristic
--   tps_source_tag VARCHAR <text>  tag of the measured row (null for heuristic)
--   cost_eur_per_1m DOUBLE <EUR/1M tokens>  EUR per 1M tokens at target utilisation [PUB-3]
--   choice_rank BIGINT <id>  1 for g*, then the order of the tie-breakers [PUB-4]
--   chosen BOOLEAN <flag>  the GPU is g* [PUB-4]
-- Ties are exact float equality of cost_eur_per_1m, as DOMAIN says; no tolerance.
WITH ranked AS (
    SELECT *,
           row_number() OVER (PARTITION BY param_set_id, model ORDER BY cost_eur_per_1m, eur_hr, gpu) AS choice_rank
    FROM {{ ref('public_unit_cost') }}
)
SELECT
    CAST(param_set_id AS BIGINT) AS param_set_id,
    CAST(model AS VARCHAR) AS model,
    CAST(gpu AS VARCHAR) AS gpu,
    CAST(provider AS VARCHAR) AS provider,
    CAST(vram_gb AS DOUBLE) AS vram_gb,
    CAST(usd_hr AS DOUBLE) AS usd_hr,
    CAST(eur_hr AS DOUBLE) AS eur_hr,
    CAST(tps AS DOUBLE) AS tps,
    CAST(tps_source AS VARCHAR) AS tps_source,
    CAST(tps_source_tag AS VARCHAR) AS tps_source_tag,
    CAST(cost_eur_per_1m AS DOUBLE) AS cost_eur_per_1m,
    CAST(choice_rank AS BIGINT) AS choice_rank,
    CAST(choice_rank = 1 AS BOOLEAN) AS chosen
FROM ranked
ORDER BY param_set_id, model, gpu
