-- check: ACC-A12
-- severity: warning
-- series: rep
-- rule: lender covenant and cash floor on the representative path: dscr_ltm_test_min ≥ targets.min_monthly_dscr (when that target is set and dscr_ltm_test_min is not null) and cash_min_eur ≥ targets.min_cash_floor_eur (when set); pass rate over all paths [ACC-A12] [FIN-9]
-- skip: targets_null:min_monthly_dscr,min_cash_floor_eur
-- Grain `part`: `dscr` before `cash`, the order of the rule in ACC-0 (parts are not a GEN-6 key).
-- The targets are input numbers: they enter DECIMAL as the exact decimal of their shortest text [GEN-4], so
-- a covenant of 1.2 is compared with the DECIMAL ratio 1.200000 exactly, never through a float.
WITH targets AS (
    SELECT {{ dec('min_monthly_dscr', 38, 10) }} AS min_dscr,
        {{ dec('min_cash_floor_eur', 38, 10) }} AS cash_floor
    FROM run_settings
),

parts AS (
    SELECT k.path_id, 0 AS part_order, 'dscr' AS part, k.dscr_ltm_test_min AS value, t.min_dscr AS target
    FROM {{ ref('finance_path_kpis') }} AS k CROSS JOIN targets AS t
    WHERE t.min_dscr IS NOT NULL AND k.dscr_ltm_test_min IS NOT NULL AND k.dscr_ltm_test_min < t.min_dscr
    UNION ALL
    SELECT k.path_id, 1 AS part_order, 'cash' AS part, k.cash_min_eur AS value, t.cash_floor AS target
    FROM {{ ref('finance_path_kpis') }} AS k CROSS JOIN targets AS t
    WHERE t.cash_floor IS NOT NULL AND k.cash_min_eur < t.cash_floor
)

SELECT p.part, p.value, p.target, 'part=' || p.part AS detail_key
FROM parts AS p
JOIN {{ ref('representative_path') }} AS r USING (path_id)
ORDER BY p.part_order
-- @paths
WITH targets AS (
    SELECT {{ dec('min_monthly_dscr', 38, 10) }} AS min_dscr,
        {{ dec('min_cash_floor_eur', 38, 10) }} AS cash_floor
    FROM run_settings
)

SELECT DISTINCT k.path_id
FROM {{ ref('finance_path_kpis') }} AS k CROSS JOIN targets AS t
WHERE (t.min_dscr IS NOT NULL AND k.dscr_ltm_test_min IS NOT NULL AND k.dscr_ltm_test_min < t.min_dscr)
   OR (t.cash_floor IS NOT NULL AND k.cash_min_eur < t.cash_floor)
