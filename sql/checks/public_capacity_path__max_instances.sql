-- check: ACC-A5
-- severity: warning
-- series: rep
-- rule: instances_needed ≤ max_instances_per_model for every admitted model and month; evaluated on the representative path, paths_failing over all paths [ACC-A5] [PUB-11]
-- skip: not_run:public
-- Across paths the served models' rows are every path's (public_served_month); a model without traffic
-- holds one row per parameter set (public_idle_model), which fails for every path of its set (issue 13).
SELECT c.month, c.model, c.instances_needed, c.max_instances_per_model,
    'month=' || c.month || ' model=' || c.model AS detail_key
FROM {{ ref('public_capacity_path') }} AS c
JOIN {{ ref('representative_path') }} AS r USING (path_id)
WHERE c.instances_needed > c.max_instances_per_model
ORDER BY c.month, c.model
-- @paths
SELECT DISTINCT path_id
FROM {{ ref('public_served_month') }}
WHERE instances_needed > max_instances_per_model
UNION
SELECT p.path_id
FROM {{ ref('public_horizon') }} AS p
JOIN {{ ref('public_idle_model') }} AS i USING (param_set_id)
WHERE i.instances_needed > i.max_instances_per_model
