-- model: finance_month
-- version: 2
-- purpose: per path and month every P&L, cash-flow and balance-sheet line and the lender ratios [FIN-1]–[FIN-9] [FIN-2a] [FIN-7a] [FIN-9a]
-- grain: path_id, month
-- columns:
--   path_id BIGINT <id>  path [GEN-2]
--   param_set_id BIGINT <id>  its parameter set
--   month BIGINT <month>  plan month t = 1..H
--   period VARCHAR <YYYY-MM>  YYYY-MM
--   fiscal_year BIGINT <year>  calendar year of the period [FIN-4]
--   revenue_public_eur DECIMAL(18,6) <EUR>  Public Tap revenue: token usage plus expired credits (breakage) [FIN-1]
--   revenue_private_eur DECIMAL(18,6) <EUR>  Private Tap revenue: GPU hours resold plus fees [FIN-1]
--   revenue_total_eur DECIMAL(18,6) <EUR>  total revenue, public + private [FIN-1]
--   cogs_public_eur DECIMAL(18,6) <EUR>  Public Tap cost of sales: rented GPU capacity, infrastructure overhead and per-token costs [FIN-1]
--   cogs_private_eur DECIMAL(18,6) <EUR>  Private Tap cost of sales: the rented GPUs behind the hours sold [FIN-1]
--   gross_profit_eur DECIMAL(18,6) <EUR>  revenue_total − cogs_public − cogs_private [FIN-1]
--   acquisition_public_eur DECIMAL(18,6) <EUR>  Public Tap acquisition spend (marketing budget of the month) [FIN-1]
--   acquisition_private_eur DECIMAL(18,6) <EUR>  Private Tap acquisition spend [FIN-1]
--   fixed_opex_eur DECIMAL(18,6) <EUR>  fixed operating costs of the month (indexed) [FIN-1]
--   insurance_eur DECIMAL(18,6) <EUR>  insurance premiums of the month, buffer included [FIN-1]
--   bizdev_eur DECIMAL(18,6) <EUR>  business-development costs [FIN-1]
--   payment_fees_eur DECIMAL(18,6) <EUR>  payment-provider fees on the money received [FIN-1a]
--   support_eur DECIMAL(18,6) <EUR>  customer-support staff cost (FTEs grow with customers) [FIN-1a]
--   contingency_eur DECIMAL(18,6) <EUR>  contingency reserve on operating costs [FIN-1]
--   opex_total_eur DECIMAL(18,6) <EUR>  all operating costs: acquisition, fixed, insurance, bizdev, fees, support, contingency [FIN-1]
--   ebitda_eur DECIMAL(18,6) <EUR>  earnings before interest, tax, depreciation and amortisation: gross profit − opex_total [FIN-1]
--   depreciation_eur DECIMAL(18,6) <EUR>  depreciation of capex (straight line) [FIN-2]
--   ebit_eur DECIMAL(18,6) <EUR>  ebitda − depreciation [FIN-1]
--   interest_eur DECIMAL(18,6) <EUR>  loan interest + funding-line interest [FIN-7a]
--   ebt_eur DECIMAL(18,6) <EUR>  earnings before tax: ebit − interest [FIN-1]
--   tax_eur DECIMAL(18,6) <EUR>  the month's tax accrual [FIN-4]
--   net_income_eur DECIMAL(18,6) <EUR>  ebt − tax [FIN-1]
--   ebt_ytd_eur DECIMAL(18,6) <EUR>  EBT of the fiscal year to date [FIN-4]
--   loss_carryforward_eur DECIMAL(18,6) <EUR>  loss pool after month t [FIN-4]
--   cash_opening_eur DECIMAL(18,6) <EUR>  loan + equity in month 1, else the previous closing cash [FIN-7]
--   tax_paid_eur DECIMAL(18,6) <EUR>  corporate tax paid in cash this month (after the payment lag) [FIN-4]
--   delta_receivables_eur DECIMAL(18,6) <EUR>  receivables_t − receivables_{t−1} [FIN-7]
--   delta_payables_eur DECIMAL(18,6) <EUR>  payables_t − payables_{t−1} (a rise adds cash) [FIN-7]
--   delta_deferred_revenue_eur DECIMAL(18,6) <EUR>  deferred revenue (unused prepaid credits) this month minus last (a rise adds cash) [FIN-7]
--   delta_vat_payable_eur DECIMAL(18,6) <EUR>  VAT payable this month minus last (a rise adds cash) [FIN-7]
--   cash_from_operations_eur DECIMAL(18,6) <EUR>  ebitda − tax_paid − Δreceivables + Δpayables + Δdeferred + Δvat_payable [FIN-7]
--   capex_eur DECIMAL(18,6) <EUR>  capital expenditure of the month [FIN-2]
--   capex_operating_eur DECIMAL(18,6) <EUR>  capex − capex_financed [FIN-2a]
--   capex_financed_eur DECIMAL(18,6) <EUR>  month-1 capex paid by the loan or the equity [FIN-2a]
--   cfads_eur DECIMAL(18,6) <EUR>  cash_from_operations − capex_operating [FIN-2a]
--   overdraft_interest_eur DECIMAL(18,6) <EUR>  the funding-line part of interest_paid [FIN-7a]
--   interest_paid_eur DECIMAL(18,6) <EUR>  = interest_eur, loan + funding line (cash-flow name) [FIN-7a]
--   principal_repaid_eur DECIMAL(18,6) <EUR>  loan principal [FIN-3]
--   debt_service_eur DECIMAL(18,6) <EUR>  interest + principal (loan interest, overdraft interest, loan principal) [FIN-9a]
--   net_cash_flow_eur DECIMAL(18,6) <EUR>  cfads − capex_financed − interest − principal [FIN-7a]
--   cash_closing_eur DECIMAL(18,6) <EUR>  cash_opening + net_cash_flow; negative = drawn on the funding line [FIN-7a]
--   output_vat_eur DECIMAL(18,6) <EUR>  VAT charged on sales [FIN-5]
--   input_vat_eur DECIMAL(18,6) <EUR>  VAT paid on purchases [FIN-5]
--   vat_remitted_eur DECIMAL(18,6) <EUR>  net VAT paid to the tax office this month [FIN-5]
--   dscr DECIMAL(18,6) <ratio>  round6(cfads / debt_service), null at 0 [FIN-9] [GEN-4]
--   dscr_ltm DECIMAL(18,6) <ratio>  round6(Σ cfads / Σ debt_service over months max(1, t−11)..t), null at 0 [FIN-9]
--   dscr_ebitda DECIMAL(18,6) <ratio>  round6((ebitda − tax) / debt_service), null at 0 [FIN-9]
--   icr DECIMAL(18,6) <ratio>  round6(ebit / interest), null at 0 [FIN-9]
--   cash_eur DECIMAL(18,6) <EUR>  max(0, cash_closing) (asset) [FIN-7a] [FIN-8]
--   receivables_eur DECIMAL(18,6) <EUR>  round6(revenue_fees × (1 + vat/100) × ar_days/30) [FIN-6]
--   fixed_assets_net_eur DECIMAL(18,6) <EUR>  Σ capex − Σ depreciation [FIN-8]
--   total_assets_eur DECIMAL(18,6) <EUR>  cash + receivables + fixed_assets_net [FIN-8]
--   overdraft_eur DECIMAL(18,6) <EUR>  max(0, −cash_closing) (liability: the funding line drawn) [FIN-7a] [FIN-8]
--   payables_eur DECIMAL(18,6) <EUR>  round6(ap_days/30 × (Σ_{not AP-exempt} item × (1 + v_item) + bizdev × (1 + vat/100))) [FIN-6]
--   vat_payable_eur DECIMAL(18,6) <EUR>  VAT owed to the tax office at month end [FIN-5]
--   tax_payable_eur DECIMAL(18,6) <EUR>  corporate tax accrued but not yet paid at month end [FIN-4]
--   deferred_revenue_eur DECIMAL(18,6) <EUR>  public credit balance [FIN-6]
--   loan_balance_eur DECIMAL(18,6) <EUR>  B_t [FIN-3]
--   total_liabilities_eur DECIMAL(18,6) <EUR>  overdraft + payables + vat_payable + tax_payable + deferred_revenue + loan_balance [FIN-8]
--   paid_in_capital_eur DECIMAL(18,6) <EUR>  equity injection [FIN-8]
--   retained_earnings_eur DECIMAL(18,6) <EUR>  Σ net_income [FIN-8]
--   total_equity_eur DECIMAL(18,6) <EUR>  paid_in_capital + retained_earnings [FIN-8]
--   balance_check_eur DECIMAL(18,6) <EUR>  assets − liabilities − equity, exactly 0 [FIN-8] (ACC-A10)
-- virtual: revenue_total_eur = revenue_public_eur + revenue_private_eur
-- virtual: gross_profit_eur = revenue_total_eur - cogs_public_eur - cogs_private_eur
-- virtual: opex_total_eur = acquisition_public_eur + acquisition_private_eur + fixed_opex_eur + insurance_eur + bizdev_eur + payment_fees_eur + support_eur + contingency_eur
-- virtual: ebitda_eur = gross_profit_eur - opex_total_eur
-- virtual: ebit_eur = ebitda_eur - depreciation_eur
-- virtual: ebt_eur = ebit_eur - interest_eur
-- virtual: net_income_eur = ebt_eur - tax_eur
-- virtual: cash_from_operations_eur = ebitda_eur - tax_paid_eur - delta_receivables_eur + delta_payables_eur + delta_deferred_revenue_eur + delta_vat_payable_eur
-- virtual: interest_paid_eur = interest_eur
-- virtual: debt_service_eur = interest_eur + principal_repaid_eur
-- virtual: cash_eur = greatest(cash_closing_eur, 0)
-- virtual: overdraft_eur = greatest(-cash_closing_eur, 0)
-- virtual: total_assets_eur = cash_eur + receivables_eur + fixed_assets_net_eur
-- virtual: total_liabilities_eur = overdraft_eur + payables_eur + vat_payable_eur + tax_payable_eur + deferred_revenue_eur + loan_balance_eur
-- virtual: total_equity_eur = paid_in_capital_eur + retained_earnings_eur
-- artefact: pnl_by_month.csv: revenue_public_eur, revenue_private_eur, revenue_total_eur, cogs_public_eur, cogs_private_eur,
-- artefact: pnl_by_month.csv: gross_profit_eur, acquisition_public_eur, acquisition_private_eur, fixed_opex_eur,
-- artefact: pnl_by_month.csv: insurance_eur, bizdev_eur, payment_fees_eur, support_eur, contingency_eur, opex_total_eur,
-- artefact: pnl_by_month.csv: ebitda_eur, depreciation_eur, ebit_eur, interest_eur, ebt_eur, tax_eur, net_income_eur,
-- artefact: pnl_by_month.csv: loss_carryforward_eur
-- artefact: cashflow_by_month.csv: cash_opening_eur, ebitda_eur, tax_paid_eur, delta_receivables_eur, delta_payables_eur,
-- artefact: cashflow_by_month.csv: delta_deferred_revenue_eur, delta_vat_payable_eur, cash_from_operations_eur, capex_eur,
-- artefact: cashflow_by_month.csv: capex_operating_eur, capex_financed_eur, cfads_eur, overdraft_interest_eur, interest_paid_eur,
-- artefact: cashflow_by_month.csv: principal_repaid_eur, debt_service_eur, net_cash_flow_eur, cash_closing_eur, output_vat_eur,
-- artefact: cashflow_by_month.csv: input_vat_eur, vat_remitted_eur, dscr, dscr_ltm, dscr_ebitda, icr
-- artefact: balance_sheet_by_month.csv: cash_eur, receivables_eur, fixed_assets_net_eur, total_assets_eur, overdraft_eur, payables_eur,
-- artefact: balance_sheet_by_month.csv: vat_payable_eur, tax_payable_eur, deferred_revenue_eur, loan_balance_eur,
-- artefact: balance_sheet_by_month.csv: total_liabilities_eur, paid_in_capital_eur, retained_earnings_eur, total_equity_eur,
-- artefact: balance_sheet_by_month.csv: balance_check_eur
-- Column names are those of pnl_by_month / cashflow_by_month / balance_sheet_by_month without `series` [OUT-9];
-- the few lines two files share under different names are both present (interest_paid = interest). Interest,
-- EBT, tax, cash and the running sums (retained earnings, the LTM cfads and debt service) come from the
-- recurrence finance_cash, the net fixed assets from finance_fixed_month (issue 13: a window here sorted every
-- wide row); everything else is closed form. The `virtual:` lines are the statements' identities: the contract
-- checks each on every row, and run.duckdb's whole-run table computes them when read instead of storing them
-- (pipeline/appends.py: 15 of 63 columns, a third of the table's bytes). What ACC-A10 compares stays stored:
-- cash_opening, net_cash_flow and cash_closing from the recurrence, and balance_check as the model computed it,
-- so the lender's no-money-leak check still tests the model's own numbers, not a definition.
WITH
joined AS (
    SELECT
        p.*,
        c.overdraft_interest_eur, c.interest_eur, c.ebt_eur, c.tax_eur, c.tax_paid_eur, c.tax_payable_eur,
        c.ebt_ytd_eur, c.loss_carryforward_eur, c.cfads_eur, c.net_cash_flow_eur, c.cash_opening_eur,
        c.cash_closing_eur, c.retained_earnings_eur,
        c.cfads_ltm_eur AS cfads_ltm, c.debt_service_ltm_eur AS debt_service_ltm,
        o.receivables_eur, o.payables_eur, o.delta_receivables_eur, o.delta_payables_eur,
        o.delta_deferred_revenue_eur, o.delta_vat_payable_eur, o.capex_eur, o.capex_operating_eur,
        o.capex_financed_eur, o.principal_eur,
        v.output_vat_eur, v.input_vat_eur, v.vat_remitted_eur, v.vat_payable_eur,
        f.loan_balance_eur, f.fixed_assets_net_eur,
        fp.equity_injection_eur
    FROM {{ ref('finance_pnl') }} AS p
    JOIN {{ ref('finance_cash') }} AS c ON c.path_id = p.path_id AND c.month = p.month
    JOIN {{ ref('finance_operating_cash') }} AS o ON o.path_id = p.path_id AND o.month = p.month
    JOIN {{ ref('finance_vat') }} AS v ON v.path_id = p.path_id AND v.month = p.month
    JOIN {{ ref('finance_fixed_month') }} AS f ON f.param_set_id = p.param_set_id AND f.month = p.month
    JOIN {{ ref('finance_params') }} AS fp ON fp.param_set_id = p.param_set_id
),
lines AS (
    SELECT *,
        ebt_eur - tax_eur AS net_income_eur,
        interest_eur + principal_eur AS debt_service_eur,
        cfads_eur + capex_operating_eur AS cash_from_operations_eur,
        ebitda_eur - tax_eur AS ebitda_after_tax,
        greatest(cash_closing_eur, 0) AS cash_eur,
        greatest(-cash_closing_eur, 0) AS overdraft_eur
    FROM joined
),
sheet AS (
    SELECT *,
        cash_eur + receivables_eur + fixed_assets_net_eur AS total_assets_eur,
        overdraft_eur + payables_eur + vat_payable_eur + tax_payable_eur + deferred_revenue_eur + loan_balance_eur
            AS total_liabilities_eur,
        equity_injection_eur + retained_earnings_eur AS total_equity_eur
    FROM lines
)
SELECT
    path_id, param_set_id, month, period, fiscal_year,
    revenue_public_eur, revenue_private_eur, revenue_total_eur, cogs_public_eur, cogs_private_eur,
    gross_profit_eur, acquisition_public_eur, acquisition_private_eur, fixed_opex_eur, insurance_eur,
    bizdev_eur, payment_fees_eur, support_eur, contingency_eur, opex_total_eur, ebitda_eur, depreciation_eur,
    ebit_eur, interest_eur, ebt_eur, tax_eur,
    CAST(net_income_eur AS DECIMAL(18,6)) AS net_income_eur,
    ebt_ytd_eur, loss_carryforward_eur,
    cash_opening_eur,
    tax_paid_eur,
    delta_receivables_eur, delta_payables_eur, delta_deferred_revenue_eur, delta_vat_payable_eur,
    CAST(cash_from_operations_eur AS DECIMAL(18,6)) AS cash_from_operations_eur,
    capex_eur, capex_operating_eur, capex_financed_eur,
    cfads_eur,
    overdraft_interest_eur,
    interest_eur AS interest_paid_eur,
    principal_eur AS principal_repaid_eur,
    CAST(debt_service_eur AS DECIMAL(18,6)) AS debt_service_eur,
    net_cash_flow_eur,
    cash_closing_eur,
    output_vat_eur, input_vat_eur, vat_remitted_eur,
    CAST({{ round_div('cfads_eur', 'debt_service_eur') }} AS DECIMAL(18,6)) AS dscr,
    CAST({{ round_div('cfads_ltm', 'debt_service_ltm') }} AS DECIMAL(18,6)) AS dscr_ltm,
    CAST({{ round_div('ebitda_after_tax', 'debt_service_eur') }} AS DECIMAL(18,6)) AS dscr_ebitda,
    CAST({{ round_div('ebit_eur', 'interest_eur') }} AS DECIMAL(18,6)) AS icr,
    CAST(cash_eur AS DECIMAL(18,6)) AS cash_eur,
    receivables_eur,
    CAST(fixed_assets_net_eur AS DECIMAL(18,6)) AS fixed_assets_net_eur,
    CAST(total_assets_eur AS DECIMAL(18,6)) AS total_assets_eur,
    CAST(overdraft_eur AS DECIMAL(18,6)) AS overdraft_eur,
    payables_eur, vat_payable_eur, tax_payable_eur, deferred_revenue_eur, loan_balance_eur,
    CAST(total_liabilities_eur AS DECIMAL(18,6)) AS total_liabilities_eur,
    equity_injection_eur AS paid_in_capital_eur,
    CAST(retained_earnings_eur AS DECIMAL(18,6)) AS retained_earnings_eur,
    CAST(total_equity_eur AS DECIMAL(18,6)) AS total_equity_eur,
    CAST(total_assets_eur - total_liabilities_eur - total_equity_eur AS DECIMAL(18,6)) AS balance_check_eur
FROM sheet
ORDER BY path_id, month
