-- model: private_offers
-- version: 1
-- purpose: private offers in EUR per GPU-hour, one per (gpu, provider), for every parameter set [PRV-1] [IN-10]
-- pipelines: private
-- grain: param_set_id, gpu, provider
-- columns:
--   param_set_id BIGINT <id>  parameter set [GEN-2]
--   grid_index BIGINT <id>  grid point of the parameter set
--   replicate_index BIGINT <id>  replicate of the parameter set
--   gpu VARCHAR <id>  GPU key; every curated GPU key is a private GPU class [PRV-1]
--   provider VARCHAR <id>  provider (trimmed text) [IN-10]
--   usd_hr DOUBLE <USD/GPU-hour>  USD per single GPU-hour [IN-10]
--   eur_hr DOUBLE <EUR/GPU-hour>  EUR per GPU-hour = usd_hr / fx × (1 + fx_buffer_pct/100), private buffer [PRV-1]
--   availability DOUBLE <ratio>  fraction, an empty cell resolved to 1.0 [IN-10]
--   reputation DOUBLE <ratio>  fraction, an empty cell resolved to 1.0 [IN-10]
WITH inputs AS (
    SELECT
        gpu,
        provider,
        usd_hr,
        availability,
        reputation,
        source_line
    FROM input_offers
),

distinct_offers AS (
    -- The loader already keeps one offer per (gpu, provider) [IN-10]. The rule is repeated here
    -- (lowest usd_hr, first line on ties) because the quote is a median over distinct providers,
    -- never over SKU rows [PRV-2]: a provider listed twice must not weigh twice.
    SELECT *
    FROM inputs
    QUALIFY row_number() OVER (PARTITION BY gpu, provider ORDER BY usd_hr, source_line) = 1
),

joined AS (
    SELECT
        p.param_set_id,
        p.grid_index,
        p.replicate_index,
        p.fx_buffer_pct,
        s.eur_usd_fx_rate AS fx,
        o.gpu,
        o.provider,
        o.usd_hr,
        o.availability,
        o.reputation
    FROM params_private_tap AS p
    CROSS JOIN run_settings AS s
    CROSS JOIN distinct_offers AS o
),

final AS (
    SELECT
        CAST(param_set_id AS BIGINT) AS param_set_id,
        CAST(grid_index AS BIGINT) AS grid_index,
        CAST(replicate_index AS BIGINT) AS replicate_index,
        CAST(gpu AS VARCHAR) AS gpu,
        CAST(provider AS VARCHAR) AS provider,
        CAST(usd_hr AS DOUBLE) AS usd_hr,
        -- Float evaluation in the written order: (usd_hr / fx) × (1 + buffer/100) [PRV-1].
        CAST(usd_hr / fx * (1 + fx_buffer_pct / 100) AS DOUBLE) AS eur_hr,
        CAST(availability AS DOUBLE) AS availability,
        CAST(reputation AS DOUBLE) AS reputation
    FROM joined
)

SELECT * FROM final
ORDER BY param_set_id, gpu, provider
