-- model: public_horizon
-- version: 1
-- purpose: Public Tap horizon totals per path (public_tap_scenarios rows, blended_h of the packs) [PUB-10] [OUT-4]
-- pipelines: public
-- grain: path_id
-- columns:
--   path_id BIGINT <id>  path [GEN-2]
--   param_set_id BIGINT <id>  parameter set
--   tokens DOUBLE <tokens>  Σ_t served tokens, left to right over months ascending [GEN-4]
--   usage_revenue_eur DECIMAL(18,6) <EUR>  Σ_t usage_revenue_eur [PUB-9]
--   blended_sell_eur_per_1k DOUBLE <EUR/1k tokens>  blended_h = float(Σ usage_revenue_eur) / (Σ tokens / 1000); null at 0 tokens [PUB-10]
--   revenue_eur DECIMAL(18,6) <EUR>  Σ_t revenue_public_eur [PUB-10]
--   cogs_eur DECIMAL(18,6) <EUR>  Σ_t cogs_public_eur [PUB-11]
--   gross_margin_eur DECIMAL(18,6) <EUR>  revenue − cogs_eur
--   acquisition_eur DECIMAL(18,6) <EUR>  Σ_t DEC(budget_t) [PUB-8]
--   payment_fees_eur DECIMAL(18,6) <EUR>  Σ_t the public part of the payment fees [FIN-1a]
--   contribution_before_overhead_eur DECIMAL(18,6) <EUR>  gross margin − acquisition − public payment fees (before the FIN-10 overhead) [FIN-1a]
--   instance_hours DOUBLE <GPU-hours>  Σ_t instance hours [PUB-11]
-- artefact: public_tap_scenarios.csv: tokens, revenue_eur, cogs_eur, gross_margin_eur, acquisition_eur,
-- artefact: public_tap_scenarios.csv: contribution_before_overhead_eur
WITH totals AS (
    SELECT path_id, any_value(param_set_id) AS param_set_id,
           list_reduce(list(tokens ORDER BY month), lambda a, b: a + b, 0.0::DOUBLE) AS tokens,
           list_reduce(list(instance_hours ORDER BY month), lambda a, b: a + b, 0.0::DOUBLE) AS instance_hours,
           sum(usage_revenue_eur) AS usage_revenue_eur, sum(revenue_public_eur) AS revenue, sum(cogs_public_eur) AS cogs_eur,
           sum(acquisition_public_eur) AS acquisition, sum(payment_fee_eur) AS payment_fees
    FROM {{ ref('public_month') }}
    GROUP BY path_id
)
SELECT
    CAST(path_id AS BIGINT) AS path_id,
    CAST(param_set_id AS BIGINT) AS param_set_id,
    CAST(tokens AS DOUBLE) AS tokens,
    CAST(usage_revenue_eur AS DECIMAL(18, 6)) AS usage_revenue_eur,
    CAST(CASE WHEN tokens > 0 THEN CAST(CAST(usage_revenue_eur AS VARCHAR) AS DOUBLE) / (tokens / 1000) END AS DOUBLE)
        AS blended_sell_eur_per_1k,
    CAST(revenue AS DECIMAL(18, 6)) AS revenue_eur,
    CAST(cogs_eur AS DECIMAL(18, 6)) AS cogs_eur,
    CAST(revenue - cogs_eur AS DECIMAL(18, 6)) AS gross_margin_eur,
    CAST(acquisition AS DECIMAL(18, 6)) AS acquisition_eur,
    CAST(payment_fees AS DECIMAL(18, 6)) AS payment_fees_eur,
    CAST(revenue - cogs_eur - acquisition - payment_fees AS DECIMAL(18, 6)) AS contribution_before_overhead_eur,
    CAST(instance_hours AS DOUBLE) AS instance_hours
FROM totals
ORDER BY path_id
