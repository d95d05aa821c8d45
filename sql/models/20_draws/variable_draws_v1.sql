-- model: variable_draws
-- version: 1
-- purpose: every used variable's value in every parameter set, the rows of variable_draws.csv [RNG-6] [OUT-4]
-- grain: grid_index, replicate_index, scope, variable_id
-- columns:
--   scope VARCHAR <id>  scope of the variable: general, public_tap or private_tap [IN-13]
--   variable_id VARCHAR <id>  the variable, as in variables/<scope>.csv [IN-13]
--   path VARCHAR <id>  key path the variable overlays [IN-15]
--   grid_index BIGINT <id>  grid point [IN-16]
--   replicate_index BIGINT <id>  replicate of the grid point [IN-16]
--   draw_value VARCHAR <text>  the variable's value in this parameter set, as exact text (params.value_text) [RNG-6]
-- Reads the plan table `params` (plan/params.py). Rows in file order: sets ascending, then general, public_tap,
-- private_tap, then variable_id (byte order) [GEN-6].
SELECT scope, variable_id, path, grid_index, replicate_index, value_text AS draw_value
FROM params
ORDER BY grid_index, replicate_index, CASE scope WHEN 'general' THEN 0 WHEN 'public_tap' THEN 1 ELSE 2 END, variable_id
