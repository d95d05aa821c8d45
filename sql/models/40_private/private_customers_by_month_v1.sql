-- model: private_customers_by_month
-- version: 1
-- purpose: per-path rows of private_tap_customers_by_month.csv with the artefact's column names [OUT-4] [OUT-9]
-- pipelines: private
-- grain: path_id, month
-- columns:
--   path_id BIGINT <id>  path [GEN-2]
--   month BIGINT <month>  plan month t = 1..H
--   budget_eur DECIMAL(18,6) <EUR>  DEC(budget_t): the money amount of the month's budget [PRV-5] [GEN-4]
--   cac_eur DOUBLE <EUR>  CAC_t, a float driver [PRV-5]
--   new_clients DOUBLE <count>  new_t [PRV-5]
--   active_clients DOUBLE <count>  active_t [PRV-5]
--   hours DOUBLE <hours>  hours_t [PRV-5]
--   revenue_hours_eur DECIMAL(18,6) <EUR>  revenue_hours_t [PRV-7]
--   revenue_fees_eur DECIMAL(18,6) <EUR>  revenue_fees_t [PRV-7]
--   revenue_eur DECIMAL(18,6) <EUR>  revenue_private_t [PRV-7]
--   cogs_eur DECIMAL(18,6) <EUR>  cogs_private_t [PRV-7]
--   gross_margin_eur DECIMAL(18,6) <EUR>  revenue_eur − cogs_eur [OUT-4a]
SELECT
    CAST(path_id AS BIGINT) AS path_id,
    CAST(month AS BIGINT) AS month,
    CAST(acquisition_private_eur AS DECIMAL(18, 6)) AS budget_eur,
    CAST(cac_eur AS DOUBLE) AS cac_eur,
    CAST(new_clients AS DOUBLE) AS new_clients,
    CAST(active_clients AS DOUBLE) AS active_clients,
    CAST(hours AS DOUBLE) AS hours,
    CAST(revenue_hours_eur AS DECIMAL(18, 6)) AS revenue_hours_eur,
    CAST(revenue_fees_eur AS DECIMAL(18, 6)) AS revenue_fees_eur,
    CAST(revenue_private_eur AS DECIMAL(18, 6)) AS revenue_eur,
    CAST(cogs_private_eur AS DECIMAL(18, 6)) AS cogs_eur,
    CAST(gross_margin_private_eur AS DECIMAL(18, 6)) AS gross_margin_eur
FROM {{ ref('private_month') }}
ORDER BY path_id, month
