-- model: public_model_month
-- version: 1
-- purpose: per path, admitted model and month: tokens by mix, usage revenue, capacity plan, GPU cost, COGS [PUB-9] [PUB-11]
-- pipelines: public
-- grain: path_id, month, model
-- columns:
--   path_id BIGINT <id>  path [GEN-2]
--   param_set_id BIGINT <id>  parameter set
--   month BIGINT <month>  plan month
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
-- Every admitted model has a row in every month, also with 0 tokens: a warm minimum pool
-- (min_instances > 0) costs money without demand. Rates enter DECIMAL arithmetic as the exact
-- decimal of their shortest text ([GEN-4]); `x/100` is written `x × 0.01` so it stays DECIMAL.
WITH admitted AS (
    SELECT a.param_set_id, a.model, a.traffic_share, pr.gpu, pr.sell_eur_per_1k, pr.tps, pr.cap_tph, pr.eur_hr
    FROM {{ ref('public_admission') }} AS a
    JOIN {{ ref('public_price') }} AS pr USING (param_set_id, model)
    WHERE a.admitted
),
set_params AS (
    -- Speed (issue 13): the overhead factor is a per-set value, computed once per set rather than per row.
    SELECT *, 1 + {{ dec('infra_overhead_pct_of_gpu', 28, 10) }} * CAST('0.01' AS DECIMAL(3, 2)) AS overhead_factor
    FROM params_public_tap
),
joined AS (
    SELECT d.path_id, d.param_set_id, d.month, d.tokens AS tokens_t, a.model, a.gpu, a.traffic_share,
           a.sell_eur_per_1k, a.tps, a.cap_tph, a.eur_hr, p.peak_factor, p.min_instances_per_model,
           p.max_instances_per_model, p.overhead_factor, p.base_eur_per_1M AS base_1m
    FROM {{ ref('public_demand') }} AS d
    JOIN admitted AS a USING (param_set_id)
    JOIN set_params AS p USING (param_set_id)
),
mixed AS (
    SELECT *, tokens_t * traffic_share AS tokens FROM joined
),
hourly AS (
    SELECT *, tokens / 720 AS avg_tph, tokens / 720 * peak_factor AS peak_tph FROM mixed
),
sized AS (
    SELECT *,
           CASE WHEN tokens = 0 THEN 0 ELSE CAST(ceil(peak_tph / cap_tph - 1e-9) AS BIGINT) END AS needed
    FROM hourly
),
clamped AS (
    SELECT *, least(greatest(needed, min_instances_per_model), max_instances_per_model) AS instances FROM sized
),
final AS (
    SELECT *,
           {{ dec('tokens / 1000 * sell_eur_per_1k') }} AS usage_revenue_eur,
           {{ dec('instances * 720 * eur_hr') }} AS gpu_cost_eur,
           {{ dec('tokens / 1e6 * base_1m') }} AS base_cost
    FROM clamped
)
SELECT
    CAST(path_id AS BIGINT) AS path_id,
    CAST(param_set_id AS BIGINT) AS param_set_id,
    CAST(month AS BIGINT) AS month,
    CAST(model AS VARCHAR) AS model,
    CAST(gpu AS VARCHAR) AS gpu,
    CAST(traffic_share AS DOUBLE) AS traffic_share,
    CAST(sell_eur_per_1k AS DOUBLE) AS sell_eur_per_1k,
    CAST(tokens AS DOUBLE) AS tokens,
    CAST(avg_tph AS DOUBLE) AS avg_tokens_per_hour,
    CAST(peak_tph AS DOUBLE) AS peak_tokens_per_hour,
    CAST(tps AS DOUBLE) AS tps,
    CAST(cap_tph AS DOUBLE) AS cap_tokens_per_hour_per_instance,
    CAST(needed AS BIGINT) AS instances_needed,
    CAST(instances AS BIGINT) AS instances,
    CAST(instances * 720 AS DOUBLE) AS instance_hours,
    CAST(eur_hr AS DOUBLE) AS eur_hr,
    CAST(max_instances_per_model AS BIGINT) AS max_instances_per_model,
    CAST(needed > max_instances_per_model AS BOOLEAN) AS capacity_violation,
    CAST(usage_revenue_eur AS DECIMAL(18, 6)) AS usage_revenue_eur,
    CAST(gpu_cost_eur AS DECIMAL(18, 6)) AS gpu_cost_eur,
    -- Speed (issue 13): a zero GPU cost (no instances) skips the 38-digit product; round6(0 × f) + b = b.
    CAST(CASE WHEN gpu_cost_eur = 0 THEN base_cost
              ELSE round(CAST(gpu_cost_eur AS DECIMAL(38, 6)) * overhead_factor, 6) + base_cost END AS DECIMAL(18, 6))
        AS cogs_eur
FROM final
