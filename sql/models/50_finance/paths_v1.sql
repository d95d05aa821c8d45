-- model: paths
-- version: 1
-- purpose: every simulated path and its coordinates, for models that must cover all paths whatever taps run [GEN-2]
-- grain: path_id
-- columns:
--   path_id BIGINT <id>  (grid_index·R + replicate_index)·M + mc_index [GEN-2]
--   param_set_id BIGINT <id>  grid_index·R + replicate_index
--   grid_index BIGINT <id>  grid point
--   replicate_index BIGINT <id>  replicate
--   mc_index BIGINT <id>  MC iteration 0..M−1
-- Derived from params_general (one row per parameter set) × range(M), so it exists when neither
-- public_month nor private_month does.
SELECT
    CAST(g.param_set_id * {{ var('mc') }} + m.mc_index AS BIGINT) AS path_id,
    CAST(g.param_set_id AS BIGINT) AS param_set_id,
    CAST(g.grid_index AS BIGINT) AS grid_index,
    CAST(g.replicate_index AS BIGINT) AS replicate_index,
    CAST(m.mc_index AS BIGINT) AS mc_index
FROM params_general AS g
CROSS JOIN (SELECT range AS mc_index FROM range({{ var('mc') }})) AS m
ORDER BY path_id
