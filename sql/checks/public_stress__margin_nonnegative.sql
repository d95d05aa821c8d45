-- check: ACC-A9
-- severity: warning
-- series:
-- rule: margin_p90_stress_pct ≥ 0 for every admitted model, on every parameter set [ACC-A9] [PUB-7]
-- skip: not_run:public
WITH settings AS (SELECT replicates FROM (SELECT {{ var('replicates') }} AS replicates)),

violations AS (
    SELECT s.param_set_id, s.model, s.margin_p90_stress_pct
    FROM {{ ref('public_stress') }} AS s
    JOIN {{ ref('public_admission') }} AS a USING (param_set_id, model)
    WHERE a.admitted AND s.margin_p90_stress_pct < 0
)

SELECT v.param_set_id // st.replicates AS grid_index, v.param_set_id % st.replicates AS replicate_index, v.model,
    v.margin_p90_stress_pct,
    'grid_index=' || (v.param_set_id // st.replicates) || ' replicate_index=' || (v.param_set_id % st.replicates)
        || ' model=' || v.model AS detail_key
FROM violations AS v CROSS JOIN settings AS st
ORDER BY grid_index, replicate_index, v.model
-- @paths
SELECT DISTINCT v.param_set_id * {{ var('mc') }} + m.mc_index AS path_id
FROM (
    SELECT s.param_set_id
    FROM {{ ref('public_stress') }} AS s
    JOIN {{ ref('public_admission') }} AS a USING (param_set_id, model)
    WHERE a.admitted AND s.margin_p90_stress_pct < 0
) AS v
CROSS JOIN (SELECT range AS mc_index FROM range({{ var('mc') }})) AS m
