-- model: public_tap_prices_per_model
-- version: 1
-- purpose: the price derivation of every curated model on g*, the rows of public_tap_prices_per_model.csv [PUB-5] [PUB-6] [PUB-7] [PUB-9] [OUT-4]
-- pipelines: public
-- grain: param_set_id, model
-- columns:
--   param_set_id BIGINT <id>  parameter set (the file shows the representative path's) [FIN-12]
--   model VARCHAR <id>  model identity (every curated model has a g*) [IN-11]
--   gpu VARCHAR <id>  g*(m) [PUB-4]
--   provider VARCHAR <id>  vendor of eur_hr(g*) [PUB-4]
--   tps DOUBLE <tokens/s>  tps(m, g*) [PUB-2]
--   tps_source VARCHAR <text>  measured | heuristic [PUB-2]
--   eur_hr DOUBLE <EUR/GPU-hour>  eur_hr(g*) [PUB-1]
--   gpu_cost_eur_per_1m DOUBLE <EUR/1M tokens>  GPU cost per 1M tokens [PUB-3]
--   cost_eur_per_1m DOUBLE <EUR/1M tokens>  full cost per 1M tokens [PUB-3]
--   target_margin_pct DOUBLE <percent>  m*, the target gross margin of the price policy [PUB-5]
--   raw_sell_eur_per_1k DOUBLE <EUR/1k tokens>  cost_1k / (1 − m*/100) [PUB-5]
--   sell_eur_per_1k DOUBLE <EUR/1k tokens>  the price per 1k tokens after rounding, floor and cap [PUB-5]
--   sell_eur_per_1m DOUBLE <EUR/1M tokens>  sell_1k × 1000 [PUB-5]
--   price_rule VARCHAR <text>  target | floor | cap [PUB-5]
--   margin_pct DOUBLE <percent>  (1 − cost_1k / sell_1k) × 100 [PUB-5]
--   margin_p90_stress_pct DOUBLE <percent>  p90 stress margin at the unstressed price (public_stress) [PUB-7]
--   admitted BOOLEAN <flag>  margin_pct > 0; otherwise the model is private_only (public_admission) [PUB-6]
--   traffic_share DOUBLE <ratio>  s_m renormalised over the admitted models; 0 when not admitted [PUB-9]
-- One row per parameter set and curated model: public_price with its stress margin and admission beside it.
SELECT
    p.param_set_id, p.model, p.gpu, p.provider, p.tps, p.tps_source, p.eur_hr, p.gpu_cost_eur_per_1m,
    p.cost_eur_per_1m, p.target_margin_pct, p.raw_sell_eur_per_1k, p.sell_eur_per_1k, p.sell_eur_per_1m,
    p.price_rule, p.margin_pct, s.margin_p90_stress_pct, a.admitted, a.traffic_share
FROM {{ ref('public_price') }} AS p
JOIN {{ ref('public_stress') }} AS s USING (param_set_id, model)
JOIN {{ ref('public_admission') }} AS a USING (param_set_id, model)
ORDER BY param_set_id, model
