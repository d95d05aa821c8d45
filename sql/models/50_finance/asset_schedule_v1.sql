-- model: asset_schedule
-- version: 1
-- purpose: every asset's full straight-line depreciation schedule in cents, whatever the horizon [FIN-2] (ACC-A10)
-- grain: asset, month
-- columns:
--   asset VARCHAR <id>  asset name (assets sharing a name are summed)
--   month BIGINT <month>  plan month start_month_index .. start_month_index + months − 1 (may exceed H)
--   amount_eur DECIMAL(18,6) <EUR>  the asset's amount_eur, the total its schedule must repay
--   capex_eur DECIMAL(18,6) <EUR>  amount_eur in the purchase month start_month_index, else 0
--   depreciation_eur DECIMAL(18,6) <EUR>  round2(amount/months); the last month takes amount − (months − 1)·round2(amount/months)
-- Assets are general inputs that no variable can target, so one schedule serves every parameter set.
WITH
assets AS (
    SELECT name, {{ dec('amount_eur') }} AS amount, months AS life,
        start_month_index AS first_month
    FROM input_assets
),
rated AS (
    SELECT *, {{ round_div('amount', 'life', 2) }} AS per_month FROM assets
),
months AS (
    SELECT
        a.name AS asset,
        a.first_month + k.range AS month,
        CASE WHEN k.range = 0 THEN a.amount ELSE 0 END AS capex,
        CASE WHEN k.range = a.life - 1 THEN a.amount - (a.life - 1) * a.per_month ELSE a.per_month END
            AS depreciation
    FROM rated AS a
    CROSS JOIN range(a.life) AS k
)
SELECT
    asset,
    CAST(month AS BIGINT) AS month,
    CAST(sum(sum(capex)) OVER (PARTITION BY asset) AS DECIMAL(18,6)) AS amount_eur,
    CAST(sum(capex) AS DECIMAL(18,6)) AS capex_eur,
    CAST(sum(depreciation) AS DECIMAL(18,6)) AS depreciation_eur
FROM months
GROUP BY asset, month
ORDER BY asset, month
