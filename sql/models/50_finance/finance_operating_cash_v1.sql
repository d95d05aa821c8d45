-- model: finance_operating_cash
-- version: 1
-- purpose: per path and month, the cash lines that do not depend on the funding recurrence: working capital, capex split, CFADS before tax paid [FIN-2a] [FIN-6] [FIN-7]
-- grain: path_id, month
-- columns:
--   path_id BIGINT <id>  path [GEN-2]
--   param_set_id BIGINT <id>  its parameter set
--   month BIGINT <month>  plan month t = 1..H
--   fiscal_year BIGINT <year>  calendar year of the period [FIN-4]
--   ebitda_eur DECIMAL(18,6) <EUR>  earnings before interest, tax, depreciation and amortisation of the month (from finance_pnl) [FIN-1]
--   ebit_eur DECIMAL(18,6) <EUR>  ebitda − depreciation of the month (from finance_pnl) [FIN-1]
--   loan_interest_eur DECIMAL(18,6) <EUR>  interest on the loan of the month (the funding line's comes in finance_cash) [FIN-3]
--   principal_eur DECIMAL(18,6) <EUR>  loan principal [FIN-3]
--   receivables_eur DECIMAL(18,6) <EUR>  round6(revenue_fees × (1 + vat/100) × ar_days/30) [FIN-6]
--   payables_eur DECIMAL(18,6) <EUR>  round6(ap_days/30 × (Σ_{not AP-exempt} item × (1 + v_item) + bizdev × (1 + vat/100))) [FIN-6]
--   delta_receivables_eur DECIMAL(18,6) <EUR>  receivables_t − receivables_{t−1} [FIN-7]
--   delta_payables_eur DECIMAL(18,6) <EUR>  payables_t − payables_{t−1} (a rise adds cash) [FIN-7]
--   delta_deferred_revenue_eur DECIMAL(18,6) <EUR>  deferred revenue (unused prepaid credits) this month minus last (a rise adds cash) [FIN-7]
--   delta_vat_payable_eur DECIMAL(18,6) <EUR>  VAT payable this month minus last (a rise adds cash) [FIN-7]
--   capex_eur DECIMAL(18,6) <EUR>  capital expenditure of the month [FIN-2]
--   capex_financed_eur DECIMAL(18,6) <EUR>  capex paid by the loan or the equity [FIN-2a]
--   capex_operating_eur DECIMAL(18,6) <EUR>  capex − capex_financed [FIN-2a]
--   cfads_before_tax_eur DECIMAL(18,6) <EUR>  ebitda − Δreceivables + Δpayables + Δdeferred + Δvat_payable − capex_operating; cfads = this − tax_paid [FIN-2a] [FIN-7]
-- Tax paid, interest on the funding line and the cash balance depend on each other month by month; the
-- recurrence finance_cash takes them from here [FIN-7a]. Everything on this model is closed form.
WITH
joined AS (
    SELECT
        p.path_id, p.param_set_id, p.month, p.fiscal_year, p.ebitda_eur, p.ebit_eur, p.loan_interest_eur,
        p.deferred_revenue_eur, v.vat_payable_eur,
        f.payables_eur, f.capex_eur, f.capex_financed_eur, f.capex_operating_eur, f.principal_eur,
        p.revenue_fees_eur * (100 + fp.vat_pct) * fp.ar_days AS receivables_x3000,
        CAST(p.revenue_fees_eur AS DOUBLE) * CAST(100 + fp.vat_pct AS DOUBLE) * CAST(fp.ar_days AS DOUBLE)
            AS receivables_x3000_float
    FROM {{ ref('finance_pnl') }} AS p
    JOIN {{ ref('finance_vat') }} AS v USING (path_id, month)
    JOIN {{ ref('finance_fixed_month') }} AS f USING (param_set_id, month)
    JOIN {{ ref('finance_params') }} AS fp USING (param_set_id)
),
balances AS (
    SELECT *,
        CAST({{ round_div('receivables_x3000', 3000, num_float='receivables_x3000_float') }} AS DECIMAL(18,6))
            AS receivables_eur
    FROM joined
),
deltas AS (
    -- Each month against the month before (months run 1..H without gaps; month 1 has none, so 0): a join on
    -- month − 1 rather than lag() windows, which sorted every wide row (issue 13).
    SELECT b.*,
        b.receivables_eur - coalesce(prev.receivables_eur, 0) AS delta_receivables,
        b.payables_eur - coalesce(prev.payables_eur, 0) AS delta_payables,
        b.deferred_revenue_eur - coalesce(prev.deferred_revenue_eur, 0) AS delta_deferred_revenue,
        b.vat_payable_eur - coalesce(prev.vat_payable_eur, 0) AS delta_vat_payable
    FROM balances AS b
    LEFT JOIN (
        SELECT path_id, month + 1 AS month, receivables_eur, payables_eur, deferred_revenue_eur, vat_payable_eur
        FROM balances
    ) AS prev USING (path_id, month)
)
SELECT
    path_id, param_set_id, month, fiscal_year, ebitda_eur, ebit_eur, loan_interest_eur, principal_eur,
    receivables_eur, payables_eur,
    CAST(delta_receivables AS DECIMAL(18,6)) AS delta_receivables_eur,
    CAST(delta_payables AS DECIMAL(18,6)) AS delta_payables_eur,
    CAST(delta_deferred_revenue AS DECIMAL(18,6)) AS delta_deferred_revenue_eur,
    CAST(delta_vat_payable AS DECIMAL(18,6)) AS delta_vat_payable_eur,
    capex_eur, capex_financed_eur, capex_operating_eur,
    CAST(ebitda_eur - delta_receivables + delta_payables + delta_deferred_revenue + delta_vat_payable
        - capex_operating_eur AS DECIMAL(18,6)) AS cfads_before_tax_eur
FROM deltas
ORDER BY path_id, month
