-- model: private_vendor_recommendation
-- version: 1
-- purpose: vendor score and rank of every provider of a GPU class; rank 1 is the recommended vendor [PRV-4]
-- pipelines: private
-- grain: param_set_id, gpu, provider
-- columns:
--   param_set_id BIGINT <id>  parameter set [GEN-2]
--   grid_index BIGINT <id>  grid point of the parameter set
--   replicate_index BIGINT <id>  replicate of the parameter set
--   gpu VARCHAR <id>  private GPU class [PRV-1]
--   provider VARCHAR <id>  provider of the offer [IN-10]
--   usd_hr DOUBLE <USD/GPU-hour>  USD per GPU-hour [IN-10]
--   eur_hr DOUBLE <EUR/GPU-hour>  EUR per GPU-hour [PRV-1]
--   availability DOUBLE <ratio>  fraction [IN-10]
--   reputation DOUBLE <ratio>  fraction [IN-10]
--   weight_cost DOUBLE <ratio>  cost weight used (renormalised; 1 when all weights are 0) [IN-17]
--   weight_availability DOUBLE <ratio>  availability weight used [IN-17]
--   weight_reputation DOUBLE <ratio>  reputation weight used [IN-17]
--   score DOUBLE <ratio>  w_cost × min_g / eur_hr + w_availability × availability + w_reputation × reputation [PRV-4]
--   rank BIGINT <id>  1 = highest score; ties: lower eur_hr, then provider byte order [PRV-4]
--   recommended BOOLEAN <flag>  rank = 1: purchases of the class use this vendor [PRV-4]
WITH offers AS (
    SELECT * FROM {{ ref('private_offers') }}
),

weights AS (
    -- params_private_tap holds the weights already renormalised [IN-17]; they are used as they
    -- are (dividing again by a sum of 1 ± ulp would change bits). A set whose weights are all 0
    -- falls back to cost = 1, the others 0 [IN-17].
    SELECT
        param_set_id,
        CASE WHEN weight_cost + weight_availability + weight_reputation > 0 THEN weight_cost ELSE 1.0 END
            AS w_cost,
        CASE WHEN weight_cost + weight_availability + weight_reputation > 0 THEN weight_availability ELSE 0.0 END
            AS w_availability,
        CASE WHEN weight_cost + weight_availability + weight_reputation > 0 THEN weight_reputation ELSE 0.0 END
            AS w_reputation
    FROM params_private_tap
),

joined AS (
    SELECT o.*, q.min_eur_hr, w.w_cost, w.w_availability, w.w_reputation
    FROM offers AS o
    JOIN {{ ref('private_quote') }} AS q USING (param_set_id, gpu)
    JOIN weights AS w USING (param_set_id)
),

scored AS (
    SELECT
        *,
        -- Float evaluation in the written order of PRV-4.
        w_cost * min_eur_hr / eur_hr + w_availability * availability + w_reputation * reputation AS score
    FROM joined
),

ranked AS (
    SELECT
        *,
        row_number() OVER (PARTITION BY param_set_id, gpu ORDER BY score DESC, eur_hr ASC, provider ASC) AS rank
    FROM scored
),

final AS (
    SELECT
        CAST(param_set_id AS BIGINT) AS param_set_id,
        CAST(grid_index AS BIGINT) AS grid_index,
        CAST(replicate_index AS BIGINT) AS replicate_index,
        CAST(gpu AS VARCHAR) AS gpu,
        CAST(provider AS VARCHAR) AS provider,
        CAST(usd_hr AS DOUBLE) AS usd_hr,
        CAST(eur_hr AS DOUBLE) AS eur_hr,
        CAST(availability AS DOUBLE) AS availability,
        CAST(reputation AS DOUBLE) AS reputation,
        CAST(w_cost AS DOUBLE) AS weight_cost,
        CAST(w_availability AS DOUBLE) AS weight_availability,
        CAST(w_reputation AS DOUBLE) AS weight_reputation,
        CAST(score AS DOUBLE) AS score,
        CAST(rank AS BIGINT) AS rank,
        CAST(rank = 1 AS BOOLEAN) AS recommended
    FROM ranked
)

SELECT * FROM final
ORDER BY param_set_id, gpu, provider
