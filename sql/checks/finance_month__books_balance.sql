-- check: ACC-A10
-- severity: error
-- series:
-- rule: no money leak: balance_check = 0 exactly (DECIMAL), cash_closing = cash_opening + net_cash_flow and cash_opening_1 = loan + equity on every path and month; the full loan schedule repays exactly its amount and each asset's full depreciation schedule sums to its amount, on every parameter set [ACC-A10] [FIN-2] [FIN-3] [FIN-7] [FIN-8]
-- skip:
-- Rows: the path rows (path_id, month) first, then the schedule rows (grid_index, replicate_index, schedule),
-- each in grain order; a schedule name is `loan` or the asset's name, compared in byte order [ACC-0] [GEN-6].
-- Comparisons use IS DISTINCT FROM so that a NULL where an amount belongs is a violation, not a pass.
-- Amounts read from the inputs enter as DEC() of their shortest text [GEN-4], independently of the finance models.
WITH general AS (
    SELECT param_set_id, grid_index, replicate_index,
        {{ dec('loan_amount_eur') }} AS loan_amount, {{ dec('equity_injection_eur') }} AS equity
    FROM params_general
),

path_rows AS (
    SELECT f.path_id, f.month
    FROM {{ ref('finance_month') }} AS f
    JOIN general AS g USING (param_set_id)
    WHERE f.balance_check_eur IS DISTINCT FROM 0
       OR f.cash_closing_eur IS DISTINCT FROM f.cash_opening_eur + f.net_cash_flow_eur
       OR (f.month = 1 AND f.cash_opening_eur IS DISTINCT FROM g.loan_amount + g.equity)
),

loan_rows AS (
    SELECT g.param_set_id, g.grid_index, g.replicate_index, 'loan' AS schedule
    FROM general AS g
    LEFT JOIN (
        SELECT param_set_id, sum(principal_eur) AS repaid FROM {{ ref('loan_schedule') }} GROUP BY param_set_id
    ) AS l USING (param_set_id)
    WHERE coalesce(l.repaid, 0) IS DISTINCT FROM g.loan_amount
),

asset_rows AS (
    SELECT g.param_set_id, g.grid_index, g.replicate_index, a.name AS schedule
    FROM (
        SELECT i.name
        FROM (SELECT name, sum({{ dec('amount_eur') }}) AS amount FROM input_assets GROUP BY name) AS i
        LEFT JOIN (
            SELECT asset, sum(depreciation_eur) AS depreciated FROM {{ ref('asset_schedule') }} GROUP BY asset
        ) AS s ON s.asset = i.name
        WHERE coalesce(s.depreciated, 0) IS DISTINCT FROM i.amount
    ) AS a
    CROSS JOIN general AS g
),

violations AS (
    SELECT 0 AS part, path_id, month, NULL::BIGINT AS grid_index, NULL::BIGINT AS replicate_index,
        NULL::VARCHAR AS schedule, 'path_id=' || path_id || ' month=' || month AS detail_key
    FROM path_rows
    UNION ALL
    SELECT 1 AS part, NULL::BIGINT, NULL::BIGINT, grid_index, replicate_index, schedule,
        'grid_index=' || grid_index || ' replicate_index=' || replicate_index || ' schedule=' || schedule
    FROM (SELECT * FROM loan_rows UNION ALL SELECT * FROM asset_rows)
)

SELECT part, path_id, month, grid_index, replicate_index, schedule, detail_key
FROM violations
ORDER BY part, path_id, month, grid_index, replicate_index, encode(schedule)
-- @paths
WITH general AS (
    SELECT param_set_id, {{ dec('loan_amount_eur') }} AS loan_amount, {{ dec('equity_injection_eur') }} AS equity
    FROM params_general
),

failing_sets AS (
    SELECT g.param_set_id
    FROM general AS g
    LEFT JOIN (
        SELECT param_set_id, sum(principal_eur) AS repaid FROM {{ ref('loan_schedule') }} GROUP BY param_set_id
    ) AS l USING (param_set_id)
    WHERE coalesce(l.repaid, 0) IS DISTINCT FROM g.loan_amount
       OR EXISTS (
           SELECT 1
           FROM (SELECT name, sum({{ dec('amount_eur') }}) AS amount FROM input_assets GROUP BY name) AS i
           LEFT JOIN (
               SELECT asset, sum(depreciation_eur) AS depreciated FROM {{ ref('asset_schedule') }} GROUP BY asset
           ) AS s ON s.asset = i.name
           WHERE coalesce(s.depreciated, 0) IS DISTINCT FROM i.amount
       )
)

SELECT f.path_id
FROM {{ ref('finance_month') }} AS f
JOIN general AS g USING (param_set_id)
WHERE f.balance_check_eur IS DISTINCT FROM 0
   OR f.cash_closing_eur IS DISTINCT FROM f.cash_opening_eur + f.net_cash_flow_eur
   OR (f.month = 1 AND f.cash_opening_eur IS DISTINCT FROM g.loan_amount + g.equity)
UNION
SELECT p.path_id FROM {{ ref('paths') }} AS p JOIN failing_sets USING (param_set_id)
