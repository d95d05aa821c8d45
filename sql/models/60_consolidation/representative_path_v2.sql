-- model: representative_path
-- version: 2
-- purpose: the representative path: horizon net income closest to its median across paths, ties to the lowest path_id [FIN-12]
-- grain: path_id
-- scope: across paths
-- columns:
--   path_id BIGINT <id>  the representative path [FIN-12]
--   param_set_id BIGINT <id>  its parameter set (grid_index·R + replicate_index)
--   grid_index BIGINT <id>  its grid point
--   replicate_index BIGINT <id>  its replicate
--   mc_index BIGINT <id>  its MC iteration
-- The median is the GEN-5 p = 50 order statistic in exact decimal (the middle value, or the mean of the
-- two middle values); distances |net_income_h_eur − median| are exact, so ties are real ties.
WITH
median AS (
    {{ pctl(ref('finance_path_kpis'), [], 'net_income_h_eur', [50], value_out='median_net_income') }}
),
distance AS (
    SELECT k.path_id, abs(k.net_income_h_eur - m.median_net_income) AS distance
    FROM {{ ref('finance_path_kpis') }} AS k
    CROSS JOIN median AS m
),
chosen AS (
    SELECT path_id FROM distance ORDER BY distance, path_id LIMIT 1
)
SELECT
    CAST(p.path_id AS BIGINT) AS path_id,
    CAST(p.param_set_id AS BIGINT) AS param_set_id,
    CAST(p.grid_index AS BIGINT) AS grid_index,
    CAST(p.replicate_index AS BIGINT) AS replicate_index,
    CAST(p.mc_index AS BIGINT) AS mc_index
FROM {{ ref('paths') }} AS p
JOIN chosen USING (path_id)
