-- model: public_credit_packs
-- version: 1
-- purpose: credit packs per path: tokens per pack at the horizon blended price, value and error [PUB-10]
-- pipelines: public
-- grain: path_id, pack_eur
-- columns:
--   path_id BIGINT <id>  path (the artefact shows the representative path) [FIN-12]
--   pack_eur DOUBLE <EUR>  pack price P from report.credit_packs_eur [PUB-10]
--   blended_sell_eur_per_1k DOUBLE <EUR/1k tokens>  blended_h of the path [PUB-10]
--   tokens BIGINT <tokens>  floor(P / blended_h × 1000 + 1e-9) [PUB-10]
--   value_eur DECIMAL(18,6) <EUR>  DEC(tokens / 1000 × blended_h) [GEN-4]
--   error_pct DECIMAL(18,4) <percent>  (P − value_eur) / P × 100, exact, rounded once half away from zero (ACC-A11) [GEN-4]
-- A path without served tokens has no blended price and no pack rows. P enters as the exact decimal
-- of its text; the quotient is an integer division (DuckDB divides DECIMALs in float).
WITH joined AS (
    SELECT h.path_id, c.pack_eur, h.blended_sell_eur_per_1k AS blended
    FROM {{ ref('public_horizon') }} AS h
    CROSS JOIN input_credit_packs AS c
    WHERE h.blended_sell_eur_per_1k IS NOT NULL
),
sized AS (
    SELECT *, CAST(floor(pack_eur / blended * 1000 + 1e-9) AS BIGINT) AS tokens FROM joined
),
valued AS (
    SELECT *, {{ dec('tokens / 1000 * blended') }} AS value_eur,
           CAST({{ dec('pack_eur', 38, 10) }} * 10000000000 AS HUGEINT) AS p_e10
    FROM sized
),
quotient AS (
    SELECT *, (p_e10 - CAST(CAST(value_eur AS DECIMAL(38, 10)) * 10000000000 AS HUGEINT)) * 1000000 AS num
    FROM valued
),
final AS (
    SELECT *, sign(num) * ((2 * abs(num) + p_e10) // (2 * p_e10)) AS error_e4 FROM quotient
)
SELECT
    CAST(path_id AS BIGINT) AS path_id,
    CAST(pack_eur AS DOUBLE) AS pack_eur,
    CAST(blended AS DOUBLE) AS blended_sell_eur_per_1k,
    CAST(tokens AS BIGINT) AS tokens,
    CAST(value_eur AS DECIMAL(18, 6)) AS value_eur,
    CAST(CAST(error_e4 AS DECIMAL(38, 0)) * CAST('0.0001' AS DECIMAL(5, 4)) AS DECIMAL(18, 4)) AS error_pct
FROM final
ORDER BY path_id, pack_eur
