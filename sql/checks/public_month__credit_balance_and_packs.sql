-- check: ACC-A11
-- severity: error
-- series:
-- rule: credit_balance_eur ≥ 0 on every path and month, and every credit pack of the representative path has error_pct ≤ 0.5 [ACC-A11] [PUB-10]
-- skip: not_run:public
WITH balance AS (
    SELECT 0 AS part, path_id, month, NULL::DOUBLE AS pack_eur,
        'path_id=' || path_id || ' month=' || month AS detail_key
    FROM {{ ref('public_month') }}
    WHERE credit_balance_eur < 0
),

packs AS (
    SELECT 1 AS part, k.path_id, NULL::BIGINT AS month, k.pack_eur,
        'pack_eur=' || CAST(CAST(k.pack_eur AS DECIMAL(18,2)) AS VARCHAR) AS detail_key
    FROM {{ ref('public_credit_packs') }} AS k
    JOIN {{ ref('representative_path') }} AS r USING (path_id)
    WHERE k.error_pct > 0.5
)

SELECT * FROM (SELECT * FROM balance UNION ALL SELECT * FROM packs)
ORDER BY part, path_id, month, pack_eur
-- @paths
SELECT DISTINCT path_id FROM {{ ref('public_month') }} WHERE credit_balance_eur < 0
UNION
SELECT k.path_id
FROM {{ ref('public_credit_packs') }} AS k
JOIN {{ ref('representative_path') }} AS r USING (path_id)
WHERE k.error_pct > 0.5
