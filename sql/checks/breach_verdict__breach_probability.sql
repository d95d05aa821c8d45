-- check: ACC-A13
-- severity: warning
-- series:
-- rule: the share of paths that breach a covenant or run out of cash ([FIN-14] breach_any) is at most targets.max_breach_probability_pct (not set = 10): 100·k ≤ max·N exactly, per grid point; evaluated on all paths, never skipped [ACC-A13]
-- Grain `part`: one violating row per failing grid point, in grid order; detail `part=breach`.
SELECT v.grid_index, v.paths_breached, v.paths, v.max_breach_probability_pct, 'part=breach' AS detail_key
FROM {{ ref('breach_verdict') }} AS v
WHERE NOT v.passes
ORDER BY v.grid_index
-- @paths
SELECT path_id
FROM {{ ref('risk_path') }}
WHERE breach_any
