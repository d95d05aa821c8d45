-- model: public_idle_model
-- version: 1
-- purpose: per parameter set, the row every path and month holds for an admitted model without traffic (traffic_share = 0): 0 tokens, the minimum pool and its cost [PUB-9] [PUB-11]
-- pipelines: public
-- grain: param_set_id, model
-- columns:
--   param_set_id BIGINT <id>  parameter set
--   model VARCHAR <id>  admitted model [PUB-6]
--   gpu VARCHAR <id>  g*(m) [PUB-4]
--   traffic_share DOUBLE <ratio>  s_m renormalised over admitted models [PUB-9]
--   sell_eur_per_1k DOUBLE <EUR/1k tokens>  the model's price [PUB-5]
--   tokens DOUBLE <tokens>  tokens_{t,m} = tokens_t × s_m [PUB-9]
--   avg_tokens_per_hour DOUBLE <tokens/hour>  tokens_{t,m} / 720 [PUB-11]
--   peak_tokens_per_hour DOUBLE <tokens/hour>  avg × peak_factor [PUB-11]
--   tps DOUBLE <tokens/s>  tps(m, g*) [PUB-2]
--   cap_tokens_per_hour_per_instance DOUBLE <tokens/hour>  tps × 3600 × target_utilization_pct/100 [PUB-11]
--   instances_needed BIGINT <count>  ceil(peak / cap − 1e-9), 0 without tokens [PUB-11]
--   instances BIGINT <count>  clamp(needed, min_instances_per_model, max_instances_per_model) [PUB-11]
--   instance_hours DOUBLE <GPU-hours>  instances × 720 [PUB-11]
--   eur_hr DOUBLE <EUR/GPU-hour>  eur_hr(g*) [PUB-1]
--   max_instances_per_model BIGINT <count>  the set's maximum (for ACC-A5 and percentile rows)
--   capacity_violation BOOLEAN <flag>  instances_needed > max_instances_per_model [PUB-11]
--   usage_revenue_eur DECIMAL(18,6) <EUR>  DEC(tokens_{t,m}/1000 × sell_1k) [GEN-4] [PUB-9]
--   gpu_cost_eur DECIMAL(18,6) <EUR>  DEC(instances × 720 × eur_hr(g*)) [GEN-4] [PUB-11]
--   cogs_eur DECIMAL(18,6) <EUR>  round6(gpu_cost_eur × (1 + infra/100)) + DEC(tokens/1e6 × base_eur_per_1M) [GEN-4]
-- The very values public_model_month holds on each path and month for such a model: the same formulas (the
-- `public_model_rows` macro) applied to a demand of 0 tokens, since tokens_t × 0 = 0 for every finite
-- tokens_t ≥ 0 [PUB-9]. public_month adds these rows to every path-month of the set, and the capacity
-- percentiles count each once per path of the set (M paths) (issue 13).
SELECT * EXCLUDE (path_id, month)
FROM (
{{ public_model_rows('(SELECT CAST(NULL AS BIGINT) AS path_id, param_set_id, CAST(NULL AS BIGINT) AS month, CAST(0.0 AS DOUBLE) AS tokens FROM params_public_tap)', ref('public_admission'), ref('public_price'), 'idle') }}
) AS rows_of_a_zero_demand
ORDER BY param_set_id, model
