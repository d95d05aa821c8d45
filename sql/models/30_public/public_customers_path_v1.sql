-- model: public_customers_path
-- version: 1
-- purpose: per-path rows of public_tap_customers_by_month.csv with its column names [OUT-4] [OUT-9]
-- pipelines: public
-- grain: path_id, month
-- columns:
--   path_id BIGINT  path [GEN-2]
--   param_set_id BIGINT  parameter set
--   month BIGINT  plan month
--   budget_eur DECIMAL(18,6)  DEC(budget_t), the acquisition spend [PUB-8] [GEN-4]
--   cac_eur DOUBLE  CAC_t [PUB-8]
--   new_customers DOUBLE  new_t [PUB-8]
--   active_customers DOUBLE  active_t [PUB-8]
--   tokens DOUBLE  served tokens [PUB-9]
--   blended_sell_eur_per_1k DOUBLE  month's blended price, null at 0 tokens [PUB-9]
--   credits_sold_eur DECIMAL(18,6)  credits sold [PUB-10]
--   revenue_eur DECIMAL(18,6)  revenue_public = usage revenue + breakage [PUB-10]
--   breakage_eur DECIMAL(18,6)  breakage [PUB-10]
--   credit_balance_eur DECIMAL(18,6)  credit balance (deferred revenue) [PUB-10]
--   cogs_eur DECIMAL(18,6)  capacity-based COGS [PUB-11]
--   gross_margin_eur DECIMAL(18,6)  revenue − COGS
SELECT
    CAST(path_id AS BIGINT) AS path_id,
    CAST(param_set_id AS BIGINT) AS param_set_id,
    CAST(month AS BIGINT) AS month,
    CAST(acquisition_public AS DECIMAL(18, 6)) AS budget_eur,
    CAST(cac_eur AS DOUBLE) AS cac_eur,
    CAST(new_customers AS DOUBLE) AS new_customers,
    CAST(active_customers AS DOUBLE) AS active_customers,
    CAST(tokens AS DOUBLE) AS tokens,
    CAST(blended_sell_eur_per_1k AS DOUBLE) AS blended_sell_eur_per_1k,
    CAST(credits_sold AS DECIMAL(18, 6)) AS credits_sold_eur,
    CAST(revenue_public AS DECIMAL(18, 6)) AS revenue_eur,
    CAST(breakage AS DECIMAL(18, 6)) AS breakage_eur,
    CAST(credit_balance AS DECIMAL(18, 6)) AS credit_balance_eur,
    CAST(cogs_public AS DECIMAL(18, 6)) AS cogs_eur,
    CAST(gross_margin AS DECIMAL(18, 6)) AS gross_margin_eur
FROM {{ ref('public_month') }}
