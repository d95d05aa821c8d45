-- model: finance_pnl
-- version: 2
-- purpose: per path and month, the P&L down to EBIT, the loan interest and the tap amounts that VAT and working capital need [FIN-1]
-- grain: path_id, month
-- columns:
--   path_id BIGINT <id>  path [GEN-2]
--   param_set_id BIGINT <id>  its parameter set
--   month BIGINT <month>  plan month t = 1..H
--   period VARCHAR <YYYY-MM>  YYYY-MM
--   fiscal_year BIGINT <year>  calendar year of the period [FIN-4]
--   revenue_public_eur DECIMAL(18,6) <EUR>  usage revenue + breakage [PUB-10]; 0 when public does not run
--   revenue_private_eur DECIMAL(18,6) <EUR>  revenue hours + fees [PRV-7]; 0 when private does not run
--   revenue_total_eur DECIMAL(18,6) <EUR>  revenue_public + revenue_private [FIN-1]
--   cogs_public_eur DECIMAL(18,6) <EUR>  capacity-based public COGS [PUB-11]
--   cogs_private_eur DECIMAL(18,6) <EUR>  private GPU rental [PRV-7]
--   gross_profit_eur DECIMAL(18,6) <EUR>  revenue_total − cogs_public − cogs_private [FIN-1]
--   acquisition_public_eur DECIMAL(18,6) <EUR>  public budget_t [PUB-8]
--   acquisition_private_eur DECIMAL(18,6) <EUR>  private budget_t [PRV-5]
--   fixed_opex_eur DECIMAL(18,6) <EUR>  CPI-indexed fixed costs [FIN-1]
--   insurance_eur DECIMAL(18,6) <EUR>  buffered premiums [FIN-1]
--   bizdev_eur DECIMAL(18,6) <EUR>  bizdev budget [FIN-1]
--   payment_fees_eur DECIMAL(18,6) <EUR>  payment fees of both taps, no VAT, paid in the month [FIN-1a]
--   support_eur DECIMAL(18,6) <EUR>  support staffing, no VAT, paid in the month, AP-exempt [FIN-1a]
--   contingency_eur DECIMAL(18,6) <EUR>  round6(contingency_pct/100 × (acquisition + fixed + insurance + bizdev)) [FIN-1]
--   opex_total_eur DECIMAL(18,6) <EUR>  acquisition + fixed + insurance + bizdev + contingency + payment_fees + support [FIN-1] [FIN-1a]
--   ebitda_eur DECIMAL(18,6) <EUR>  gross_profit_eur − opex_total_eur [FIN-1]
--   depreciation_eur DECIMAL(18,6) <EUR>  depreciation of the capex of the month (straight line) [FIN-2]
--   ebit_eur DECIMAL(18,6) <EUR>  ebitda − depreciation [FIN-1]
--   loan_interest_eur DECIMAL(18,6) <EUR>  loan interest [FIN-3]; the funding line's interest, EBT and tax follow in the recurrence finance_cash [FIN-7a]
--   credits_sold_eur DECIMAL(18,6) <EUR>  public credits sold (VAT due at sale) [PUB-10] [FIN-5]
--   revenue_fees_eur DECIMAL(18,6) <EUR>  private fees, invoiced on ar_days [PRV-7] [FIN-6]
--   deferred_revenue_eur DECIMAL(18,6) <EUR>  public credit balance [PUB-10] [FIN-6]
-- A tap that does not run contributes 0 [FIN-1]: its CTE is then an empty relation of the same shape.
WITH
pub AS (
{% if 'public' in var('pipelines') %}
    SELECT path_id, month, revenue_public_eur, cogs_public_eur, acquisition_public_eur, credits_sold_eur, credit_balance_eur
    FROM {{ ref('public_month') }}
{% else %}
    SELECT CAST(NULL AS BIGINT) AS path_id, CAST(NULL AS BIGINT) AS month,
        CAST(NULL AS DECIMAL(18,6)) AS revenue_public_eur, CAST(NULL AS DECIMAL(18,6)) AS cogs_public_eur,
        CAST(NULL AS DECIMAL(18,6)) AS acquisition_public_eur, CAST(NULL AS DECIMAL(18,6)) AS credits_sold_eur,
        CAST(NULL AS DECIMAL(18,6)) AS credit_balance_eur
    WHERE false
{% endif %}
),
prv AS (
{% if 'private' in var('pipelines') %}
    SELECT path_id, month, revenue_private_eur, cogs_private_eur, acquisition_private_eur, revenue_fees_eur
    FROM {{ ref('private_month') }}
{% else %}
    SELECT CAST(NULL AS BIGINT) AS path_id, CAST(NULL AS BIGINT) AS month,
        CAST(NULL AS DECIMAL(18,6)) AS revenue_private_eur, CAST(NULL AS DECIMAL(18,6)) AS cogs_private_eur,
        CAST(NULL AS DECIMAL(18,6)) AS acquisition_private_eur, CAST(NULL AS DECIMAL(18,6)) AS revenue_fees_eur
    WHERE false
{% endif %}
),
joined AS (
    SELECT
        p.path_id, p.param_set_id, f.month, f.period, f.fiscal_year,
        coalesce(pub.revenue_public_eur, 0) AS revenue_public_eur,
        coalesce(prv.revenue_private_eur, 0) AS revenue_private_eur,
        coalesce(pub.cogs_public_eur, 0) AS cogs_public_eur,
        coalesce(prv.cogs_private_eur, 0) AS cogs_private_eur,
        coalesce(pub.acquisition_public_eur, 0) AS acquisition_public_eur,
        coalesce(prv.acquisition_private_eur, 0) AS acquisition_private_eur,
        f.fixed_opex_eur AS fixed_opex,
        f.insurance_eur AS insurance,
        f.bizdev_eur AS bizdev,
        fp.contingency_pct,
        f.depreciation_eur AS depreciation,
        f.loan_interest_eur AS loan_interest,
        coalesce(pub.credits_sold_eur, 0) AS credits_sold_eur,
        coalesce(prv.revenue_fees_eur, 0) AS revenue_fees_eur,
        coalesce(pub.credit_balance_eur, 0) AS deferred_revenue,
        s.payment_fees_eur AS payment_fees,
        s.support_eur AS support
    FROM {{ ref('paths') }} AS p
    JOIN {{ ref('finance_fixed_month') }} AS f USING (param_set_id)
    JOIN {{ ref('finance_params') }} AS fp USING (param_set_id)
    LEFT JOIN pub ON pub.path_id = p.path_id AND pub.month = f.month
    LEFT JOIN prv ON prv.path_id = p.path_id AND prv.month = f.month
    JOIN {{ ref('finance_scaling_costs') }} AS s ON s.path_id = p.path_id AND s.month = f.month
),
-- The contingency carries no VAT and is rounded once on the product with its rate [GEN-4]; payment fees and
-- support are not in its base [FIN-1a].
costs AS (
    SELECT *,
        CAST(acquisition_public_eur + acquisition_private_eur + fixed_opex + insurance + bizdev AS DECIMAL(38,6))
            AS contingency_base
    FROM joined
),
lines AS (
    SELECT *,
        revenue_public_eur + revenue_private_eur AS revenue_total_eur,
        {{ pct_of('contingency_pct', 'contingency_base') }} AS contingency
    FROM costs
),
pnl AS (
    SELECT *,
        revenue_total_eur - cogs_public_eur - cogs_private_eur AS gross_profit_eur,
        contingency_base + contingency + payment_fees + support AS opex_total_eur
    FROM lines
)
SELECT
    path_id, param_set_id, month, period, fiscal_year,
    CAST(revenue_public_eur AS DECIMAL(18,6)) AS revenue_public_eur,
    CAST(revenue_private_eur AS DECIMAL(18,6)) AS revenue_private_eur,
    CAST(revenue_total_eur AS DECIMAL(18,6)) AS revenue_total_eur,
    CAST(cogs_public_eur AS DECIMAL(18,6)) AS cogs_public_eur,
    CAST(cogs_private_eur AS DECIMAL(18,6)) AS cogs_private_eur,
    CAST(gross_profit_eur AS DECIMAL(18,6)) AS gross_profit_eur,
    CAST(acquisition_public_eur AS DECIMAL(18,6)) AS acquisition_public_eur,
    CAST(acquisition_private_eur AS DECIMAL(18,6)) AS acquisition_private_eur,
    CAST(fixed_opex AS DECIMAL(18,6)) AS fixed_opex_eur,
    CAST(insurance AS DECIMAL(18,6)) AS insurance_eur,
    CAST(bizdev AS DECIMAL(18,6)) AS bizdev_eur,
    CAST(payment_fees AS DECIMAL(18,6)) AS payment_fees_eur,
    CAST(support AS DECIMAL(18,6)) AS support_eur,
    CAST(contingency AS DECIMAL(18,6)) AS contingency_eur,
    CAST(opex_total_eur AS DECIMAL(18,6)) AS opex_total_eur,
    CAST(gross_profit_eur - opex_total_eur AS DECIMAL(18,6)) AS ebitda_eur,
    CAST(depreciation AS DECIMAL(18,6)) AS depreciation_eur,
    CAST(gross_profit_eur - opex_total_eur - depreciation AS DECIMAL(18,6)) AS ebit_eur,
    CAST(loan_interest AS DECIMAL(18,6)) AS loan_interest_eur,
    CAST(credits_sold_eur AS DECIMAL(18,6)) AS credits_sold_eur,
    CAST(revenue_fees_eur AS DECIMAL(18,6)) AS revenue_fees_eur,
    CAST(deferred_revenue AS DECIMAL(18,6)) AS deferred_revenue_eur
FROM pnl
ORDER BY path_id, month
