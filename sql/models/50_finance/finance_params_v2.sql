-- model: finance_params
-- version: 2
-- purpose: the general keys the finance models read, as exact decimals of their input text [GEN-4] [FIN-1] [FIN-4]–[FIN-6] [FIN-2a] [FIN-7a]
-- grain: param_set_id
-- columns:
--   param_set_id BIGINT <id>  parameter set
--   grid_index BIGINT <id>  grid point
--   replicate_index BIGINT <id>  replicate
--   start_year BIGINT <year>  calendar.start_year (plan month 1 is start_year-start_month)
--   start_month BIGINT <month>  calendar.start_month
--   vat_pct DECIMAL(38,10) <percent>  tax.vat_pct, percent [FIN-5]
--   vat_period_months BIGINT <months>  tax.vat_period_months, 1 or 3 (not set = 1) [FIN-5]
--   vat_payment_lag_months BIGINT <months>  working_capital.vat_payment_lag_months [FIN-5]
--   corporate_income_pct DECIMAL(38,10) <percent>  tax.corporate_income_pct, percent (used without brackets) [FIN-4]
--   tax_payment_lag_months BIGINT <months>  tax.payment_lag_months (not set = 0) [FIN-4]
--   contingency_pct DECIMAL(38,10) <percent>  finance.contingency_pct, percent [FIN-1]
--   ar_days DECIMAL(38,10) <days>  working_capital.ar_days [FIN-6]
--   ap_days DECIMAL(38,10) <days>  working_capital.ap_days [FIN-6]
--   bizdev_eur DECIMAL(18,6) <EUR>  finance.bizdev_budget_monthly_eur, EUR per month [FIN-1]
--   insurance_eur DECIMAL(18,6) <EUR>  Σ_selected round6(premium × (1 + premiums_buffer_pct/100)), EUR per month [FIN-1]
--   equity_injection_eur DECIMAL(18,6) <EUR>  finance.equity_injection_eur, EUR [FIN-7]
--   loan_amount_eur DECIMAL(18,6) <EUR>  loan.amount_eur, EUR [FIN-3]
--   loan_interest_rate_pct DECIMAL(38,10) <percent>  loan.interest_rate_pct, percent [FIN-3]
--   funding_line_rate_pct DECIMAL(38,10) <percent>  funding_line.interest_rate_pct, resolved (not set = the loan rate), percent [FIN-7a]
--   funding_line_limit_eur DECIMAL(18,6) <EUR>  funding_line.limit_eur, EUR; null = no limit [FIN-7a] [FIN-14]
--   capex_financed_eur DECIMAL(18,6) <EUR>  min(Σ loan-funded, loan) + min(Σ equity-funded, equity): month-1 capex paid by the loan or the equity, EUR [FIN-2a]
-- Input numbers reach DECIMAL through their shortest round-trip text (CAST(double AS VARCHAR)), which is
-- the exact input text for texts of ≤ 15 significant digits [GEN-4]; rates and days keep 10 decimals,
-- amounts 6 (specs/finance.md, "Numerics").
WITH
general AS (
    SELECT
        param_set_id, grid_index, replicate_index, start_year, start_month,
        {{ dec('vat_pct', 38, 10) }} AS vat_pct,
        vat_period_months,
        vat_payment_lag_months,
        {{ dec('corporate_income_pct', 38, 10) }} AS corporate_income_pct,
        payment_lag_months AS tax_payment_lag_months,
        {{ dec('contingency_pct', 38, 10) }} AS contingency_pct,
        {{ dec('ar_days', 38, 10) }} AS ar_days,
        {{ dec('ap_days', 38, 10) }} AS ap_days,
        {{ dec('bizdev_budget_monthly_eur') }} AS bizdev_eur,
        {{ dec('premiums_buffer_pct', 38, 10) }} AS premiums_buffer_pct,
        {{ dec('equity_injection_eur') }} AS equity_injection_eur,
        {{ dec('loan_amount_eur') }} AS loan_amount_eur,
        {{ dec('interest_rate_pct', 38, 10) }} AS loan_interest_rate_pct,
        {{ dec('funding_line_rate_pct', 38, 10) }} AS funding_line_rate_pct,
        {{ dec('funding_line_limit_eur') }} AS funding_line_limit_eur
    FROM params_general
),
-- [FIN-2a] Assets funded by the loan or the equity are bought in month 1 (validated); what exceeds its
-- source is operating capex. Assets are general inputs no variable targets; the sources may vary by set.
funded AS (
    SELECT
        coalesce(sum({{ dec('amount_eur') }}) FILTER (WHERE funded_by = 'loan'), 0)
            AS loan_funded,
        coalesce(sum({{ dec('amount_eur') }}) FILTER (WHERE funded_by = 'equity'), 0)
            AS equity_funded
    FROM input_assets
    WHERE start_month_index = 1
),
-- Each insurer's premium is rounded on its own (GEN-4 grain: month × insurer), then summed exactly.
insurance AS (
    SELECT
        g.param_set_id,
        sum(CAST(
            {{ dec('i.premium_eur_per_month', 38, 10) }} * (100 + g.premiums_buffer_pct)
                * CAST('0.01' AS DECIMAL(3,2))
            AS DECIMAL(18,6))) AS insurance_eur
    FROM general AS g
    CROSS JOIN input_insurances_selected AS i
    GROUP BY g.param_set_id
)
SELECT
    CAST(g.param_set_id AS BIGINT) AS param_set_id,
    CAST(g.grid_index AS BIGINT) AS grid_index,
    CAST(g.replicate_index AS BIGINT) AS replicate_index,
    CAST(g.start_year AS BIGINT) AS start_year,
    CAST(g.start_month AS BIGINT) AS start_month,
    g.vat_pct,
    CAST(g.vat_period_months AS BIGINT) AS vat_period_months,
    CAST(g.vat_payment_lag_months AS BIGINT) AS vat_payment_lag_months,
    g.corporate_income_pct,
    CAST(g.tax_payment_lag_months AS BIGINT) AS tax_payment_lag_months,
    g.contingency_pct,
    g.ar_days,
    g.ap_days,
    g.bizdev_eur,
    CAST(coalesce(i.insurance_eur, 0) AS DECIMAL(18,6)) AS insurance_eur,
    g.equity_injection_eur,
    g.loan_amount_eur,
    g.loan_interest_rate_pct,
    g.funding_line_rate_pct,
    g.funding_line_limit_eur,
    CAST(least(f.loan_funded, g.loan_amount_eur) + least(f.equity_funded, g.equity_injection_eur) AS DECIMAL(18,6))
        AS capex_financed_eur
FROM general AS g
CROSS JOIN funded AS f
LEFT JOIN insurance AS i USING (param_set_id)
ORDER BY param_set_id
