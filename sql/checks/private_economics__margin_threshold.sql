-- check: ACC-A4
-- severity: error
-- series:
-- rule: min(margin_pct, realised_margin_pct) ≥ private_margin_threshold_pct for every GPU class with client mix share > 0, on every parameter set (hourly margins, fees excluded) [ACC-A4]
-- skip: not_run:private
WITH settings AS (
    SELECT private_margin_threshold_pct AS threshold FROM run_settings
),

violations AS (
    SELECT e.param_set_id, e.grid_index, e.replicate_index, e.gpu, e.margin_pct, e.realised_margin_pct
    FROM {{ ref('private_economics') }} AS e CROSS JOIN settings AS s
    WHERE e.client_mix_share > 0
      AND (e.realised_margin_pct IS NULL OR least(e.margin_pct, e.realised_margin_pct) < s.threshold)
)

SELECT grid_index, replicate_index, gpu, margin_pct, realised_margin_pct,
    'grid_index=' || grid_index || ' replicate_index=' || replicate_index || ' gpu=' || gpu AS detail_key
FROM violations
ORDER BY grid_index, replicate_index, gpu
-- @paths
SELECT DISTINCT v.param_set_id * {{ var('mc') }} + m.mc_index AS path_id
FROM (
    SELECT e.param_set_id
    FROM {{ ref('private_economics') }} AS e CROSS JOIN (SELECT private_margin_threshold_pct AS threshold FROM run_settings) AS s
    WHERE e.client_mix_share > 0
      AND (e.realised_margin_pct IS NULL OR least(e.margin_pct, e.realised_margin_pct) < s.threshold)
) AS v
CROSS JOIN (SELECT range AS mc_index FROM range({{ var('mc') }})) AS m
