-- check: ACC-A5
-- severity: warning
-- series: rep
-- rule: instances_needed ≤ max_instances_per_model for every admitted model and month; evaluated on the representative path, paths_failing over all paths [ACC-A5] [PUB-11]
-- skip: not_run:public
SELECT c.month, c.model, c.instances_needed, c.max_instances_per_model,
    'month=' || c.month || ' model=' || c.model AS detail_key
FROM {{ ref('public_capacity_path') }} AS c
JOIN {{ ref('representative_path') }} AS r USING (path_id)
WHERE c.instances_needed > c.max_instances_per_model
ORDER BY c.month, c.model
-- @paths
SELECT DISTINCT path_id
FROM {{ ref('public_capacity_path') }}
WHERE instances_needed > max_instances_per_model
