-- model: public_capacity_path
-- version: 1
-- purpose: per-path rows of public_tap_capacity_plan.csv with its column names [PUB-11] [OUT-4] [OUT-9]
-- pipelines: public
-- grain: path_id, month, model
-- columns:
--   path_id BIGINT <id>  path [GEN-2]
--   param_set_id BIGINT <id>  parameter set
--   month BIGINT <month>  plan month
--   model VARCHAR <id>  admitted model
--   gpu VARCHAR <id>  g*(m) [PUB-4]
--   tokens DOUBLE <tokens>  tokens_{t,m} [PUB-9]
--   avg_tokens_per_hour DOUBLE <tokens/hour>  tokens / 720 [PUB-11]
--   peak_tokens_per_hour DOUBLE <tokens/hour>  avg × peak_factor [PUB-11]
--   tps DOUBLE <tokens/s>  tps(m, g*) [PUB-2]
--   cap_tokens_per_hour_per_instance DOUBLE <tokens/hour>  tokens/hour per instance at target utilisation [PUB-11]
--   instances_needed BIGINT <count>  ceil(peak / cap − 1e-9) [PUB-11]
--   instances BIGINT <count>  clamped instances [PUB-11]
--   instance_hours DOUBLE <GPU-hours>  instances × 720 [PUB-11]
--   eur_hr DOUBLE <EUR/GPU-hour>  eur_hr(g*) [PUB-1]
--   gpu_cost_eur DECIMAL(18,6) <EUR>  DEC(instances × 720 × eur_hr) [PUB-11] [GEN-4]
--   capacity_violation BOOLEAN <flag>  instances_needed > max_instances_per_model [PUB-11]
--   max_instances_per_model BIGINT <count>  the set's maximum
SELECT
    CAST(path_id AS BIGINT) AS path_id,
    CAST(param_set_id AS BIGINT) AS param_set_id,
    CAST(month AS BIGINT) AS month,
    CAST(model AS VARCHAR) AS model,
    CAST(gpu AS VARCHAR) AS gpu,
    CAST(tokens AS DOUBLE) AS tokens,
    CAST(avg_tokens_per_hour AS DOUBLE) AS avg_tokens_per_hour,
    CAST(peak_tokens_per_hour AS DOUBLE) AS peak_tokens_per_hour,
    CAST(tps AS DOUBLE) AS tps,
    CAST(cap_tokens_per_hour_per_instance AS DOUBLE) AS cap_tokens_per_hour_per_instance,
    CAST(instances_needed AS BIGINT) AS instances_needed,
    CAST(instances AS BIGINT) AS instances,
    CAST(instance_hours AS DOUBLE) AS instance_hours,
    CAST(eur_hr AS DOUBLE) AS eur_hr,
    CAST(gpu_cost_eur AS DECIMAL(18, 6)) AS gpu_cost_eur,
    CAST(capacity_violation AS BOOLEAN) AS capacity_violation,
    CAST(max_instances_per_model AS BIGINT) AS max_instances_per_model
FROM {{ ref('public_model_month') }}
