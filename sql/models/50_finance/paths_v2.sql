-- model: paths
-- version: 2
-- purpose: every simulated path of the batch being computed and its coordinates, for models that must cover all paths whatever taps run [GEN-2]
-- grain: path_id
-- columns:
--   path_id BIGINT <id>  (grid_index·R + replicate_index)·M + mc_index [GEN-2]
--   param_set_id BIGINT <id>  grid_index·R + replicate_index
--   grid_index BIGINT <id>  grid point
--   replicate_index BIGINT <id>  replicate
--   mc_index BIGINT <id>  MC iteration 0..M−1
-- v2: the path ids come from `path_range` (the half-open range of the batch being computed, written with
-- its noise: plan/draws.py), so a batch of paths builds only its own rows; over all batches the table is
-- v1's (params_general × range(M)). It exists when neither public_month nor private_month does.
SELECT
    CAST(p.path_id AS BIGINT) AS path_id,
    CAST(g.param_set_id AS BIGINT) AS param_set_id,
    CAST(g.grid_index AS BIGINT) AS grid_index,
    CAST(g.replicate_index AS BIGINT) AS replicate_index,
    CAST(p.path_id % {{ var('mc') }} AS BIGINT) AS mc_index
FROM path_range AS r
CROSS JOIN LATERAL (SELECT range AS path_id FROM range(r.first_path_id, r.end_path_id)) AS p
JOIN params_general AS g ON g.param_set_id = p.path_id // {{ var('mc') }}
ORDER BY path_id
