-- check: ACC-A8
-- severity: warning
-- series:
-- rule: for every admitted model the cap does not hold the price below the target price: not (price_rule = cap and sell_1k < raw_1k), on every parameter set [ACC-A8] [PUB-5]
-- skip: not_run:public
WITH violations AS (
    SELECT p.param_set_id, p.grid_index, p.replicate_index, p.model, p.sell_eur_per_1k, p.raw_sell_eur_per_1k
    FROM {{ ref('public_price') }} AS p
    JOIN {{ ref('public_admission') }} AS a USING (param_set_id, model)
    WHERE a.admitted AND p.capped_below_target
)

SELECT grid_index, replicate_index, model, sell_eur_per_1k, raw_sell_eur_per_1k,
    'grid_index=' || grid_index || ' replicate_index=' || replicate_index || ' model=' || model AS detail_key
FROM violations
ORDER BY grid_index, replicate_index, model
-- @paths
SELECT DISTINCT v.param_set_id * {{ var('mc') }} + m.mc_index AS path_id
FROM (
    SELECT p.param_set_id
    FROM {{ ref('public_price') }} AS p
    JOIN {{ ref('public_admission') }} AS a USING (param_set_id, model)
    WHERE a.admitted AND p.capped_below_target
) AS v
CROSS JOIN (SELECT range AS mc_index FROM range({{ var('mc') }})) AS m
