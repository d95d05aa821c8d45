-- model: public_customers_path
-- version: 1
-- purpose: per-path rows of public_tap_customers_by_month.csv with its column names [OUT-4] [OUT-9]
-- pipelines: public
-- grain: path_id, month
-- columns:
--   path_id BIGINT <id>  path [GEN-2]
--   param_set_id BIGINT <id>  parameter set
--   month BIGINT <month>  plan month
--   budget_eur DECIMAL(18,6) <EUR>  DEC(budget_t), the acquisition spend [PUB-8] [GEN-4]
--   cac_eur DOUBLE <EUR>  CAC_t [PUB-8]
--   new_customers DOUBLE <count>  new_t [PUB-8]
--   active_customers DOUBLE <count>  active_t [PUB-8]
--   tokens DOUBLE <tokens>  served tokens [PUB-9]
--   blended_sell_eur_per_1k DOUBLE <EUR/1k tokens>  month's blended price, null at 0 tokens [PUB-9]
--   credits_sold_eur DECIMAL(18,6) <EUR>  credits sold [PUB-10]
--   revenue_eur DECIMAL(18,6) <EUR>  revenue_public_eur = usage revenue + breakage_eur [PUB-10]
--   breakage_eur DECIMAL(18,6) <EUR>  breakage_eur [PUB-10]
--   credit_balance_eur DECIMAL(18,6) <EUR>  credit balance (deferred revenue) [PUB-10]
--   cogs_eur DECIMAL(18,6) <EUR>  capacity-based COGS [PUB-11]
--   gross_margin_eur DECIMAL(18,6) <EUR>  revenue − COGS
SELECT
    CAST(path_id AS BIGINT) AS path_id,
    CAST(param_set_id AS BIGINT) AS param_set_id,
    CAST(month AS BIGINT) AS month,
    CAST(acquisition_public_eur AS DECIMAL(18, 6)) AS budget_eur,
    CAST(cac_eur AS DOUBLE) AS cac_eur,
    CAST(new_customers AS DOUBLE) AS new_customers,
    CAST(active_customers AS DOUBLE) AS active_customers,
    CAST(tokens AS DOUBLE) AS tokens,
    CAST(blended_sell_eur_per_1k AS DOUBLE) AS blended_sell_eur_per_1k,
    CAST(credits_sold_eur AS DECIMAL(18, 6)) AS credits_sold_eur,
    CAST(revenue_public_eur AS DECIMAL(18, 6)) AS revenue_eur,
    CAST(breakage_eur AS DECIMAL(18, 6)) AS breakage_eur,
    CAST(credit_balance_eur AS DECIMAL(18, 6)) AS credit_balance_eur,
    CAST(cogs_public_eur AS DECIMAL(18, 6)) AS cogs_eur,
    CAST(gross_margin_eur AS DECIMAL(18, 6)) AS gross_margin_eur
FROM {{ ref('public_month') }}
ORDER BY path_id, month
