-- model: public_throughput
-- version: 1
-- purpose: tps(m, g) of every candidate pair: measured minimum, else the baseline heuristic [PUB-2]
-- pipelines: public
-- grain: param_set_id, model, gpu
-- columns:
--   param_set_id BIGINT <id>  parameter set
--   model VARCHAR <id>  model identity [IN-11]
--   gpu VARCHAR <id>  GPU key that fits the model (gpu_vram_gb ≥ vram_gb_required) [IN-11]
--   tps DOUBLE <tokens/s>  tokens/s of one instance (one GPU) [PUB-2]
--   tps_source VARCHAR <text>  measured | heuristic [PUB-2]
--   tps_source_tag VARCHAR <text>  source_tag of the measured row used (null for heuristic) [PUB-2]
--   baseline_tps DOUBLE <tokens/s>  tokens_per_s[g] of gpu_baselines.yaml (heuristic rows; else null)
--   ref_params_b DOUBLE <B params>  ref_params_b of gpu_baselines.yaml (heuristic rows; else null)
--   params_b DOUBLE <B params>  active parameters of the model in billions (may be null)
-- Rows exist only for candidates C(m): a fitting GPU with a throughput. A pair with measured rows
-- never uses the heuristic; the heuristic is used only when allow_tps_heuristic is true.
WITH gpus AS (
    SELECT DISTINCT gpu, vram_gb FROM input_offers
),
fitting AS (
    SELECT p.param_set_id, p.allow_tps_heuristic, m.model, m.hf_id, m.params_b, g.gpu
    FROM params_public_tap AS p
    CROSS JOIN input_models AS m
    JOIN gpus AS g ON g.vram_gb >= m.vram_gb_required
),
measured AS (
    -- several aggregate rows: the minimum (conservative); its tag is the first in file order on ties
    SELECT m.model, t.gpu, t.tps, t.source_tag,
           row_number() OVER (PARTITION BY m.model, t.gpu ORDER BY t.tps, t.source_line) AS pick
    FROM input_models AS m
    JOIN input_throughput_measured AS t
      ON m.hf_id IS NOT NULL AND lower(t.model_id) = lower(trim(m.hf_id))
),
computed AS (
    SELECT f.param_set_id, f.model, f.gpu, f.params_b,
           CASE
               WHEN ms.tps IS NOT NULL THEN ms.tps
               WHEN f.allow_tps_heuristic AND b.tokens_per_s IS NOT NULL AND b.ref_params_b IS NOT NULL THEN
                   CASE WHEN f.params_b IS NULL THEN b.tokens_per_s ELSE b.tokens_per_s * b.ref_params_b / f.params_b END
           END AS tps,
           CASE
               WHEN ms.tps IS NOT NULL THEN 'measured'
               WHEN f.allow_tps_heuristic AND b.tokens_per_s IS NOT NULL AND b.ref_params_b IS NOT NULL THEN 'heuristic'
           END AS tps_source,
           ms.source_tag,
           b.tokens_per_s AS baseline_tps,
           b.ref_params_b
    FROM fitting AS f
    LEFT JOIN measured AS ms ON ms.model = f.model AND ms.gpu = f.gpu AND ms.pick = 1
    LEFT JOIN input_gpu_baselines AS b ON b.gpu = f.gpu
),
final AS (
    SELECT param_set_id, model, gpu, tps, tps_source,
           CASE WHEN tps_source = 'measured' THEN source_tag END AS tps_source_tag,
           CASE WHEN tps_source = 'heuristic' THEN baseline_tps END AS baseline_tps,
           CASE WHEN tps_source = 'heuristic' THEN ref_params_b END AS ref_params_b,
           params_b
    FROM computed
    WHERE tps IS NOT NULL
)
SELECT
    CAST(param_set_id AS BIGINT) AS param_set_id,
    CAST(model AS VARCHAR) AS model,
    CAST(gpu AS VARCHAR) AS gpu,
    CAST(tps AS DOUBLE) AS tps,
    CAST(tps_source AS VARCHAR) AS tps_source,
    CAST(tps_source_tag AS VARCHAR) AS tps_source_tag,
    CAST(baseline_tps AS DOUBLE) AS baseline_tps,
    CAST(ref_params_b AS DOUBLE) AS ref_params_b,
    CAST(params_b AS DOUBLE) AS params_b
FROM final
ORDER BY param_set_id, model, gpu
