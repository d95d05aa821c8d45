-- The v1.1 closed form of corporate income tax [FIN-4] (the finance_tax model of version 1.1, verbatim but for
-- its inputs): kept as the reference that the funding recurrence must equal when cash never goes negative
-- (tests/sql/test_finance_cash.py). It reads finance_pnl_v11 (finance_pnl with ebt = ebit − loan interest).
-- model: finance_tax
-- version: 1
-- purpose: corporate income tax per path and month: fiscal-year EBT, loss pool, accrual, payment and payable [FIN-4]
-- grain: path_id, month
-- columns:
--   path_id BIGINT <id>  path
--   month BIGINT <month>  plan month t
--   fiscal_year BIGINT <year>  calendar year y of the period
--   ebt_ytd_eur DECIMAL(18,6) <EUR>  ytd_t = Σ ebt_s over the plan months s ≤ t of year y
--   loss_pool_start_eur DECIMAL(18,6) <EUR>  L_y, the loss pool at the start of year y (0 in the first year)
--   taxable_income_eur DECIMAL(18,6) <EUR>  taxable_t = max(0, ytd_t − L_y)
--   tax_ytd_eur DECIMAL(18,6) <EUR>  round6(T(taxable_t)), flat rate or brackets
--   tax_eur DECIMAL(18,6) <EUR>  the month's accrual tax_ytd_t − tax_ytd_{t−1} (same year), may be negative
--   tax_paid_eur DECIMAL(18,6) <EUR>  tax_{t−lag} (0 while t − lag < 1)
--   tax_payable_eur DECIMAL(18,6) <EUR>  Σ_{s≤t} (tax_s − tax_paid_s)
--   loss_carryforward_eur DECIMAL(18,6) <EUR>  pool_t = L_y + max(0, −ytd_t) − min(L_y, max(0, ytd_t)) = max(0, L_y − ytd_t)
-- L_{y+1} = max(0, L_y − e_y) with e_y the year's EBT (losses carried forward, never back, never expiring).
-- That recursion has the closed form L_y = S_y − min_{i≤y} S_i with S_y = −Σ_{i<y} e_i (S_first = 0), so the
-- pool is two exact window aggregates instead of a loop over years.
WITH
pnl AS (
    SELECT path_id, param_set_id, month, fiscal_year, ebt_eur FROM finance_pnl_v11
),
ytd AS (
    SELECT *,
        sum(ebt_eur) OVER (PARTITION BY path_id, fiscal_year ORDER BY month
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS ebt_ytd
    FROM pnl
),
years AS (
    SELECT path_id, fiscal_year, sum(ebt_eur) AS ebt_year FROM pnl GROUP BY path_id, fiscal_year
),
walk AS (
    SELECT path_id, fiscal_year,
        -coalesce(sum(ebt_year) OVER (PARTITION BY path_id ORDER BY fiscal_year
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS s
    FROM years
),
pools AS (
    SELECT path_id, fiscal_year,
        s - least(0, min(s) OVER (PARTITION BY path_id ORDER BY fiscal_year
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)) AS pool_start
    FROM walk
),
taxable AS (
    SELECT y.*, p.pool_start,
        greatest(0, y.ebt_ytd - p.pool_start) AS taxable,
        greatest(0, p.pool_start - y.ebt_ytd) AS pool
    FROM ytd AS y
    JOIN pools AS p USING (path_id, fiscal_year)
),
-- Brackets when set (they replace corporate_income_pct), else one open bracket at the flat rate.
input_brackets AS (
    SELECT
        {{ dec('coalesce(lag(up_to_eur) OVER (ORDER BY bracket), 0)', 38, 10) }} AS lower_eur,
        {{ dec('up_to_eur', 38, 10) }} AS upper_eur,
        {{ dec('pct', 38, 10) }} AS pct
    FROM input_tax_brackets
),
brackets AS (
    SELECT fp.param_set_id, b.lower_eur, b.upper_eur, b.pct
    FROM finance_params AS fp
    CROSS JOIN input_brackets AS b
    UNION ALL
    SELECT param_set_id, CAST(0 AS DECIMAL(38,10)), CAST(NULL AS DECIMAL(38,10)), corporate_income_pct
    FROM finance_params
    WHERE NOT EXISTS (SELECT 1 FROM input_tax_brackets)
),
-- T(x) = Σ_b pct_b/100 × max(0, min(x, up_b) − up_{b−1}), evaluated exactly and rounded once [GEN-4].
tax_ytd AS (
    SELECT t.path_id, t.month,
        CAST(sum(b.pct * greatest(0, least(t.taxable, coalesce(b.upper_eur, t.taxable)) - b.lower_eur))
            * CAST('0.01' AS DECIMAL(3,2)) AS DECIMAL(18,6)) AS tax_ytd
    FROM taxable AS t
    JOIN brackets AS b USING (param_set_id)
    GROUP BY t.path_id, t.month
),
accrual AS (
    SELECT t.path_id, t.param_set_id, t.month, t.fiscal_year, t.ebt_ytd, t.pool_start, t.taxable, t.pool,
        x.tax_ytd,
        x.tax_ytd - coalesce(lag(x.tax_ytd) OVER (PARTITION BY t.path_id, t.fiscal_year ORDER BY t.month), 0)
            AS tax
    FROM taxable AS t
    JOIN tax_ytd AS x USING (path_id, month)
),
paid AS (
    SELECT a.*, coalesce(earlier.tax, 0) AS tax_paid
    FROM accrual AS a
    JOIN finance_params AS fp USING (param_set_id)
    LEFT JOIN accrual AS earlier
        ON earlier.path_id = a.path_id AND earlier.month = a.month - fp.tax_payment_lag_months
)
SELECT
    path_id,
    month,
    fiscal_year,
    CAST(ebt_ytd AS DECIMAL(18,6)) AS ebt_ytd_eur,
    CAST(pool_start AS DECIMAL(18,6)) AS loss_pool_start_eur,
    CAST(taxable AS DECIMAL(18,6)) AS taxable_income_eur,
    tax_ytd AS tax_ytd_eur,
    CAST(tax AS DECIMAL(18,6)) AS tax_eur,
    CAST(tax_paid AS DECIMAL(18,6)) AS tax_paid_eur,
    CAST(sum(tax - tax_paid) OVER (PARTITION BY path_id ORDER BY month
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS DECIMAL(18,6)) AS tax_payable_eur,
    CAST(pool AS DECIMAL(18,6)) AS loss_carryforward_eur
FROM paid
ORDER BY path_id, month
