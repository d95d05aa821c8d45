-- model: private_quote
-- version: 1
-- purpose: quote basis per GPU class: median EUR/h over the distinct providers and their count [PRV-2] [GEN-5]
-- pipelines: private
-- grain: param_set_id, gpu
-- columns:
--   param_set_id BIGINT <id>  parameter set [GEN-2]
--   grid_index BIGINT <id>  grid point of the parameter set
--   replicate_index BIGINT <id>  replicate of the parameter set
--   gpu VARCHAR <id>  private GPU class [PRV-1]
--   providers BIGINT <count>  number of distinct providers offering the class [PRV-2]
--   provider_eur_hr_med DOUBLE <EUR/GPU-hour>  median eur_hr over those providers, GEN-5 p = 50 in float64 [PRV-2]
--   min_eur_hr DOUBLE <EUR/GPU-hour>  cheapest provider's eur_hr, min_g of the vendor score [PRV-4]
WITH offers AS (
    SELECT * FROM {{ ref('private_offers') }}
),

medians AS (
    -- GEN-5 order statistics (never quantile_cont): with two providers the mean of both,
    -- with an odd count the middle one. private_offers has one row per provider.
    {{ pctl(ref('private_offers'), ['param_set_id', 'gpu'], 'eur_hr', [50], value_out='med') }}
),

counts AS (
    SELECT
        param_set_id,
        any_value(grid_index) AS grid_index,
        any_value(replicate_index) AS replicate_index,
        gpu,
        count(DISTINCT provider) AS providers,
        min(eur_hr) AS min_eur_hr
    FROM offers
    GROUP BY param_set_id, gpu
),

final AS (
    SELECT
        CAST(c.param_set_id AS BIGINT) AS param_set_id,
        CAST(c.grid_index AS BIGINT) AS grid_index,
        CAST(c.replicate_index AS BIGINT) AS replicate_index,
        CAST(c.gpu AS VARCHAR) AS gpu,
        CAST(c.providers AS BIGINT) AS providers,
        CAST(m.med AS DOUBLE) AS provider_eur_hr_med,
        CAST(c.min_eur_hr AS DOUBLE) AS min_eur_hr
    FROM counts AS c
    JOIN medians AS m USING (param_set_id, gpu)
)

SELECT * FROM final
ORDER BY param_set_id, gpu
