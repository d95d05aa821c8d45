-- model: public_admission
-- version: 1
-- purpose: admitted models (margin > 0) and their traffic shares renormalised over them [PUB-6] [PUB-9]
-- pipelines: public
-- grain: param_set_id, model
-- columns:
--   param_set_id BIGINT <id>  parameter set
--   model VARCHAR <id>  model identity (every curated model)
--   model_order BIGINT <id>  position in the catalogue file
--   admitted BOOLEAN <flag>  margin_pct > 0; otherwise the model is private_only [PUB-6]
--   traffic_share_input DOUBLE <ratio>  traffic_share as resolved (equal weight 1 when the column is absent)
--   traffic_share DOUBLE <ratio>  s_m: input share / Σ over admitted models; 0 when not admitted [PUB-9]
-- The sum over admitted shares runs left to right in model byte order [GEN-4] [GEN-6]; when it is 0
-- every s_m is 0 and nothing is served. A missing traffic_share column reads as weight 1 on every model
-- (resolved in input_models, [V12-5]), i.e. an equal split over the admitted models.
WITH joined AS (
    SELECT pr.param_set_id, pr.model, m.model_order, pr.margin_pct > 0 AS admitted,
           m.traffic_share AS share_in
    FROM {{ ref('public_price') }} AS pr
    JOIN input_models AS m USING (model)
),
totals AS (
    SELECT param_set_id,
           coalesce(
               list_reduce(list(share_in ORDER BY model) FILTER (WHERE admitted), lambda a, b: a + b, 0.0::DOUBLE),
               0.0
           ) AS share_total
    FROM joined
    GROUP BY param_set_id
),
final AS (
    SELECT j.*,
           CASE WHEN j.admitted AND t.share_total > 0 THEN j.share_in / t.share_total ELSE 0.0 END AS share
    FROM joined AS j
    JOIN totals AS t USING (param_set_id)
)
SELECT
    CAST(param_set_id AS BIGINT) AS param_set_id,
    CAST(model AS VARCHAR) AS model,
    CAST(model_order AS BIGINT) AS model_order,
    CAST(admitted AS BOOLEAN) AS admitted,
    CAST(share_in AS DOUBLE) AS traffic_share_input,
    CAST(share AS DOUBLE) AS traffic_share
FROM final
ORDER BY param_set_id, model
