-- model: public_price
-- version: 1
-- purpose: sell price per model on g*: target margin, round up to the increment, floor, cap [PUB-5]
-- pipelines: public
-- grain: param_set_id, model
-- columns:
--   param_set_id BIGINT <id>  parameter set
--   grid_index BIGINT <id>  grid point
--   replicate_index BIGINT <id>  replicate
--   model VARCHAR <id>  model identity (every curated model has a g*) [IN-11]
--   gpu VARCHAR <id>  g*(m) [PUB-4]
--   provider VARCHAR <id>  vendor of eur_hr(g*) [PUB-4]
--   usd_hr DOUBLE <USD/GPU-hour>  USD per GPU-hour of that vendor
--   eur_hr DOUBLE <EUR/GPU-hour>  eur_hr(g*) [PUB-1]
--   eur_hr_stress DOUBLE <EUR/GPU-hour>  stressed eur_hr(g*) [PUB-7]
--   tps DOUBLE <tokens/s>  tps(m, g*) [PUB-2]
--   tps_source VARCHAR <text>  measured | heuristic [PUB-2]
--   tps_source_tag VARCHAR <text>  tag of the measured row (null for heuristic)
--   cap_tph DOUBLE <tokens/hour>  tokens/hour/instance at target utilisation [PUB-3]
--   gpu_cost_eur_per_1m DOUBLE <EUR/1M tokens>  GPU cost per 1M tokens [PUB-3]
--   cost_eur_per_1m DOUBLE <EUR/1M tokens>  full cost per 1M tokens [PUB-3]
--   cost_eur_per_1k DOUBLE <EUR/1k tokens>  full cost per 1k tokens [PUB-3]
--   target_margin_pct DOUBLE <percent>  m*, the target gross margin of the price policy [PUB-5]
--   raw_sell_eur_per_1k DOUBLE <EUR/1k tokens>  cost_1k / (1 − m*/100) [PUB-5]
--   sell_eur_per_1k DOUBLE <EUR/1k tokens>  the price per 1k tokens after rounding, floor and cap [PUB-5]
--   sell_eur_per_1m DOUBLE <EUR/1M tokens>  sell_1k × 1000 [PUB-5]
--   price_rule VARCHAR <text>  target | floor | cap [PUB-5]
--   margin_pct DOUBLE <percent>  (1 − cost_1k / sell_1k) × 100 [PUB-5]
--   capped_below_target BOOLEAN <flag>  price_rule = cap and sell_1k < raw_1k (ACC-A8) [PUB-5]
-- A null floor or cap is "not set". The cap is applied after the floor; floor ≤ cap holds after the
-- IN-16 clamp, so the two never fight.
WITH chosen AS (
    SELECT c.param_set_id, c.model, c.gpu, u.provider, u.usd_hr, u.eur_hr, u.eur_hr_stress, u.tps, u.tps_source,
           u.tps_source_tag, u.cap_tph, u.gpu_cost_eur_per_1m, u.cost_eur_per_1m, u.cost_eur_per_1k
    FROM {{ ref('public_gpu_choice') }} AS c
    JOIN {{ ref('public_unit_cost') }} AS u USING (param_set_id, model, gpu)
    WHERE c.chosen
),
joined AS (
    SELECT c.*, p.grid_index, p.replicate_index, p.target_margin_pct,
           p.round_increment_eur_per_1k AS inc, p.min_floor_eur_per_1k AS floor_1k, p.max_cap_eur_per_1k AS cap_1k
    FROM chosen AS c
    JOIN params_public_tap AS p USING (param_set_id)
),
raw AS (
    SELECT *, cost_eur_per_1k / (1 - target_margin_pct / 100) AS raw_1k FROM joined
),
rounded AS (
    SELECT *, round(ceil(raw_1k / inc - 1e-9) * inc, 9) AS target_1k FROM raw
),
floored AS (
    SELECT *,
           CASE WHEN floor_1k IS NOT NULL AND target_1k < floor_1k THEN floor_1k ELSE target_1k END AS floored_1k,
           CASE WHEN floor_1k IS NOT NULL AND target_1k < floor_1k THEN 'floor' ELSE 'target' END AS floored_rule
    FROM rounded
),
final AS (
    SELECT *,
           CASE WHEN cap_1k IS NOT NULL AND floored_1k > cap_1k THEN cap_1k ELSE floored_1k END AS sell_1k,
           CASE WHEN cap_1k IS NOT NULL AND floored_1k > cap_1k THEN 'cap' ELSE floored_rule END AS price_rule
    FROM floored
)
SELECT
    CAST(param_set_id AS BIGINT) AS param_set_id,
    CAST(grid_index AS BIGINT) AS grid_index,
    CAST(replicate_index AS BIGINT) AS replicate_index,
    CAST(model AS VARCHAR) AS model,
    CAST(gpu AS VARCHAR) AS gpu,
    CAST(provider AS VARCHAR) AS provider,
    CAST(usd_hr AS DOUBLE) AS usd_hr,
    CAST(eur_hr AS DOUBLE) AS eur_hr,
    CAST(eur_hr_stress AS DOUBLE) AS eur_hr_stress,
    CAST(tps AS DOUBLE) AS tps,
    CAST(tps_source AS VARCHAR) AS tps_source,
    CAST(tps_source_tag AS VARCHAR) AS tps_source_tag,
    CAST(cap_tph AS DOUBLE) AS cap_tph,
    CAST(gpu_cost_eur_per_1m AS DOUBLE) AS gpu_cost_eur_per_1m,
    CAST(cost_eur_per_1m AS DOUBLE) AS cost_eur_per_1m,
    CAST(cost_eur_per_1k AS DOUBLE) AS cost_eur_per_1k,
    CAST(target_margin_pct AS DOUBLE) AS target_margin_pct,
    CAST(raw_1k AS DOUBLE) AS raw_sell_eur_per_1k,
    CAST(sell_1k AS DOUBLE) AS sell_eur_per_1k,
    CAST(sell_1k * 1000 AS DOUBLE) AS sell_eur_per_1m,
    CAST(price_rule AS VARCHAR) AS price_rule,
    CAST((1 - cost_eur_per_1k / sell_1k) * 100 AS DOUBLE) AS margin_pct,
    CAST(price_rule = 'cap' AND sell_1k < raw_1k AS BOOLEAN) AS capped_below_target
FROM final
ORDER BY param_set_id, model
