-- model: finance_fixed_month
-- version: 2
-- purpose: per parameter set and plan month, the lines that do not depend on the path: calendar, fixed costs, payables, capex, depreciation, loan [FIN-1]–[FIN-3] [FIN-2a] [FIN-5] [FIN-6]
-- grain: param_set_id, month
-- columns:
--   param_set_id BIGINT <id>  parameter set
--   month BIGINT <month>  plan month t = 1..H
--   period VARCHAR <YYYY-MM>  YYYY-MM of month t [GEN-2]
--   fiscal_year BIGINT <year>  calendar year of the period [FIN-4]
--   vat_period_key BIGINT <id>  calendar VAT period of the month: year·12 + ⌊(calendar month − 1)/vat_period_months⌋ [FIN-5]
--   vat_period_end BOOLEAN <month>  a VAT period ends in this month (calendar month is a multiple of vat_period_months) [FIN-5]
--   fixed_opex_eur DECIMAL(18,6) <EUR>  Σ_items round6(item × (1 + cpi/100)^⌊(t−1)/12⌋), EUR [FIN-1]
--   vatable_fixed_eur DECIMAL(18,6) <EUR>  the part of fixed_opex not in vat_exempt_fixed_cost_items, EUR [FIN-5]
--   insurance_eur DECIMAL(18,6) <EUR>  Σ_insurers round6(premium × (1 + buffer/100)), EUR [FIN-1]
--   bizdev_eur DECIMAL(18,6) <EUR>  bizdev budget, EUR [FIN-1]
--   payables_x3000 DECIMAL(38,26) <EUR x3000>  ap_days × (Σ_{not AP-exempt} item × (100 + v_item%) + bizdev × (100 + vat%)), exact; payables = round6(payables_x3000 / 3000) [FIN-6]
--   payables_eur DECIMAL(18,6) <EUR>  round6(payables_x3000 / 3000): the same on every path of the set, so computed once here [FIN-6]
--   input_vat_eur DECIMAL(18,6) <EUR>  round6(vat/100 × (vatable fixed + bizdev + capex)), EUR [FIN-5]
--   capex_eur DECIMAL(18,6) <EUR>  Σ asset amounts bought this month, EUR [FIN-2]
--   capex_financed_eur DECIMAL(18,6) <EUR>  the part of month-1 capex paid by the loan or the equity (0 after month 1), EUR [FIN-2a]
--   capex_operating_eur DECIMAL(18,6) <EUR>  capex − capex_financed, EUR [FIN-2a]
--   depreciation_eur DECIMAL(18,6) <EUR>  Σ asset_schedule depreciation of the month (months beyond H are not shown), EUR [FIN-2]
--   loan_interest_eur DECIMAL(18,6) <EUR>  loan interest of schedule month s = t (0 after the term), EUR [FIN-3]
--   principal_eur DECIMAL(18,6) <EUR>  loan principal of schedule month s = t, EUR [FIN-3]
--   loan_balance_eur DECIMAL(18,6) <EUR>  B_t, the loan balance after month t (0 after the term), EUR [FIN-3]
--   fixed_assets_net_eur DECIMAL(18,6) <EUR>  Σ_{s≤t} (capex_eur − depreciation_eur), the net book value of the assets, EUR [FIN-8]
WITH
months AS (
    SELECT CAST(range AS BIGINT) AS month FROM range(1, {{ var('horizon_months') }} + 1)
),
calendar AS (
    SELECT p.*, m.month, (p.start_year * 12 + p.start_month - 2 + m.month) AS month_abs
    FROM {{ ref('finance_params') }} AS p
    CROSS JOIN months AS m
),
dated AS (
    SELECT *,
        month_abs // 12 AS fiscal_year,
        month_abs % 12 + 1 AS calendar_month,
        (month - 1) // 12 AS plan_year
    FROM calendar
),
-- Each item was indexed and rounded on its own (fixed_cost_indexed); sums are exact.
items AS (
    SELECT
        d.param_set_id, d.month,
        sum(x.amount_eur) AS fixed_opex,
        coalesce(sum(x.amount_eur) FILTER (WHERE NOT i.vat_exempt), 0) AS vatable_fixed,
        coalesce(sum(x.amount_eur * (100 + CASE WHEN i.vat_exempt THEN 0 ELSE d.vat_pct END))
            FILTER (WHERE NOT i.ap_exempt), 0) AS ap_items_x100
    FROM dated AS d
    JOIN {{ ref('fixed_cost_indexed') }} AS x ON x.param_set_id = d.param_set_id AND x.plan_year = d.plan_year
    JOIN input_fixed_cost_items AS i ON i.item = x.item
    GROUP BY d.param_set_id, d.month
),
asset_month AS (
    SELECT month, sum(capex_eur) AS capex, sum(depreciation_eur) AS depreciation
    FROM {{ ref('asset_schedule') }}
    GROUP BY month
),
joined AS (
    SELECT
        d.*,
        coalesce(it.fixed_opex, 0) AS fixed_opex,
        coalesce(it.vatable_fixed, 0) AS vatable_fixed,
        d.ap_days * (coalesce(it.ap_items_x100, 0) + d.bizdev_eur * (100 + d.vat_pct)) AS payables_x3000,
        coalesce(a.capex, 0) AS capex,
        coalesce(a.depreciation, 0) AS depreciation,
        coalesce(l.interest_eur, 0) AS interest,
        coalesce(l.principal_eur, 0) AS principal,
        coalesce(l.closing_balance_eur, 0) AS loan_balance
    FROM dated AS d
    LEFT JOIN items AS it USING (param_set_id, month)
    LEFT JOIN asset_month AS a USING (month)
    LEFT JOIN {{ ref('loan_schedule') }} AS l USING (param_set_id, month)
)
SELECT
    param_set_id,
    month,
    printf('%04d-%02d', fiscal_year, calendar_month) AS period,
    CAST(fiscal_year AS BIGINT) AS fiscal_year,
    CAST(fiscal_year * 12 + (calendar_month - 1) // vat_period_months AS BIGINT) AS vat_period_key,
    calendar_month % vat_period_months = 0 AS vat_period_end,
    CAST(fixed_opex AS DECIMAL(18,6)) AS fixed_opex_eur,
    CAST(vatable_fixed AS DECIMAL(18,6)) AS vatable_fixed_eur,
    insurance_eur,
    bizdev_eur,
    CAST(payables_x3000 AS DECIMAL(38,26)) AS payables_x3000,
    CAST({{ round_div('CAST(payables_x3000 AS DECIMAL(38,26))', 3000) }} AS DECIMAL(18,6)) AS payables_eur,
    {{ pct_of('vat_pct', '(vatable_fixed + bizdev_eur + capex)') }} AS input_vat_eur,
    CAST(capex AS DECIMAL(18,6)) AS capex_eur,
    CAST(CASE WHEN month = 1 THEN capex_financed_eur ELSE 0 END AS DECIMAL(18,6)) AS capex_financed_eur,
    CAST(capex - CASE WHEN month = 1 THEN capex_financed_eur ELSE 0 END AS DECIMAL(18,6)) AS capex_operating_eur,
    CAST(depreciation AS DECIMAL(18,6)) AS depreciation_eur,
    CAST(interest AS DECIMAL(18,6)) AS loan_interest_eur,
    CAST(principal AS DECIMAL(18,6)) AS principal_eur,
    CAST(loan_balance AS DECIMAL(18,6)) AS loan_balance_eur,
    CAST(sum(CAST(capex AS DECIMAL(18,6)) - CAST(depreciation AS DECIMAL(18,6))) OVER (PARTITION BY param_set_id
        ORDER BY month ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS DECIMAL(18,6)) AS fixed_assets_net_eur
FROM joined
ORDER BY param_set_id, month
