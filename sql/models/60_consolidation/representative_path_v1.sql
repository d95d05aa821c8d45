-- model: representative_path
-- version: 1
-- purpose: PROVISIONAL representative path until the finance models exist (FIN-12 needs net income):
--          path_id 0, i.e. grid 0, replicate 0, MC 0. Replaced by v2 (median net income) in the finance issue.
-- grain: path_id
-- columns:
--   path_id BIGINT <id>  the representative path [FIN-12]
--   param_set_id BIGINT <id>  its parameter set (grid_index·R + replicate_index)
--   grid_index BIGINT <id>  its grid point
--   replicate_index BIGINT <id>  its replicate
--   mc_index BIGINT <id>  its MC iteration
SELECT
    CAST(0 AS BIGINT) AS path_id,
    CAST(0 AS BIGINT) AS param_set_id,
    CAST(0 AS BIGINT) AS grid_index,
    CAST(0 AS BIGINT) AS replicate_index,
    CAST(0 AS BIGINT) AS mc_index
