-- model: grid_axes
-- version: 1
-- purpose: the value of every grid variable (treatment low_to_high) at every grid point: the grid columns of grid_kpis.csv [IN-16] [OUT-12]
-- grain: grid_index, axis
-- columns:
--   grid_index BIGINT <id>  grid point [IN-16]
--   axis BIGINT <id>  0-based axis of the grid, in scope_id then variable_id (bytes) order [RNG-3]
--   scope VARCHAR <id>  scope of the grid variable [IN-13]
--   variable_id VARCHAR <id>  the grid variable [IN-13]
--   column_name VARCHAR <text>  scope.variable_id: the variable's column in grid_kpis.csv [OUT-12]
--   value_text VARCHAR <text>  its value at this grid point, as exact text (params.value_text) [OUT-3]
-- Empty when no variable is swept. Reads the plan table `params` (every replicate of a point holds the same value).
WITH axes AS (
    SELECT scope, variable_id,
        CAST(row_number() OVER (ORDER BY CASE scope WHEN 'general' THEN 0 WHEN 'public_tap' THEN 1 ELSE 2 END,
            encode(variable_id)) - 1 AS BIGINT) AS axis
    FROM (SELECT DISTINCT scope, variable_id FROM params WHERE treatment = 'low_to_high')
)
SELECT DISTINCT p.grid_index, a.axis, p.scope, p.variable_id, p.scope || '.' || p.variable_id AS column_name,
    p.value_text
FROM params AS p JOIN axes AS a USING (scope, variable_id)
ORDER BY p.grid_index, a.axis
