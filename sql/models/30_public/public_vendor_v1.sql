-- model: public_vendor
-- version: 1
-- purpose: the public vendor of each GPU: cheapest eur_hr, ties by provider byte order [PUB-1]
-- pipelines: public
-- grain: param_set_id, gpu
-- columns:
--   param_set_id BIGINT <id>  parameter set
--   grid_index BIGINT <id>  grid point
--   replicate_index BIGINT <id>  replicate
--   gpu VARCHAR <id>  GPU key [IN-10]
--   provider VARCHAR <id>  provider of eur_hr(g), the public vendor [PUB-1]
--   vram_gb DOUBLE <GB>  GB of VRAM
--   usd_hr DOUBLE <USD/GPU-hour>  USD per GPU-hour of the vendor's offer
--   eur_hr DOUBLE <EUR/GPU-hour>  eur_hr(g) = minimum over providers, EUR per GPU-hour [PUB-1]
--   eur_hr_stress DOUBLE <EUR/GPU-hour>  the vendor's p90-stressed EUR per GPU-hour [PUB-7]
WITH ranked AS (
    SELECT *,
           -- VARCHAR ordering in DuckDB is binary, i.e. UTF-8 byte order [GEN-6]
           row_number() OVER (PARTITION BY param_set_id, gpu ORDER BY eur_hr, provider) AS vendor_rank
    FROM {{ ref('public_offer_eur') }}
),
final AS (
    SELECT param_set_id, grid_index, replicate_index, gpu, provider, vram_gb, usd_hr, eur_hr, eur_hr_stress
    FROM ranked
    WHERE vendor_rank = 1
)
SELECT
    CAST(param_set_id AS BIGINT) AS param_set_id,
    CAST(grid_index AS BIGINT) AS grid_index,
    CAST(replicate_index AS BIGINT) AS replicate_index,
    CAST(gpu AS VARCHAR) AS gpu,
    CAST(provider AS VARCHAR) AS provider,
    CAST(vram_gb AS DOUBLE) AS vram_gb,
    CAST(usd_hr AS DOUBLE) AS usd_hr,
    CAST(eur_hr AS DOUBLE) AS eur_hr,
    CAST(eur_hr_stress AS DOUBLE) AS eur_hr_stress
FROM final
ORDER BY param_set_id, gpu
