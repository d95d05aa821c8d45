-- model: annual_path
-- version: 1
-- purpose: per path and plan year the annual statement lines: flows summed over the year, balances of its last month [OUT-12]
-- grain: path_id, year
-- columns:
--   path_id BIGINT <id>  path [GEN-2]
--   year BIGINT <year>  plan year y: months 12(y−1)+1 … min(12y, H)
--   period_start VARCHAR <YYYY-MM>  YYYY-MM of the year's first month
--   period_end VARCHAR <YYYY-MM>  YYYY-MM of the year's last month (a short last year is shown as it is)
--   months BIGINT <months>  plan months in the year
--   revenue_total_eur DECIMAL(18,6) <EUR>  Σ revenue_total over the year [FIN-1]
--   gross_profit_eur DECIMAL(18,6) <EUR>  Σ gross_profit [FIN-1]
--   ebitda_eur DECIMAL(18,6) <EUR>  Σ ebitda [FIN-1]
--   net_income_eur DECIMAL(18,6) <EUR>  Σ net_income [FIN-1]
--   cfads_eur DECIMAL(18,6) <EUR>  Σ cfads [FIN-2a]
--   debt_service_eur DECIMAL(18,6) <EUR>  Σ debt_service [FIN-9a]
--   dscr_annual DECIMAL(18,6) <ratio>  round6(Σ cfads / Σ debt_service), null when Σ debt_service = 0 [OUT-12]
--   cash_closing_eur DECIMAL(18,6) <EUR>  cash_closing of the year's last month [FIN-7a]
--   overdraft_eur DECIMAL(18,6) <EUR>  overdraft of the year's last month [FIN-7a]
--   loan_balance_eur DECIMAL(18,6) <EUR>  loan balance of the year's last month [FIN-3]
WITH
months AS (
    SELECT *, (month - 1) // 12 + 1 AS year FROM {{ ref('finance_month') }}
),
years AS (
    SELECT path_id, year,
        min(month) AS first_month,
        max(month) AS last_month,
        count(*) AS months,
        sum(revenue_total_eur) AS revenue_total,
        sum(gross_profit_eur) AS gross_profit,
        sum(ebitda_eur) AS ebitda,
        sum(net_income_eur) AS net_income,
        sum(cfads_eur) AS cfads,
        sum(debt_service_eur) AS debt_service
    FROM months
    GROUP BY path_id, year
)
SELECT
    y.path_id,
    CAST(y.year AS BIGINT) AS year,
    s.period AS period_start,
    e.period AS period_end,
    CAST(y.months AS BIGINT) AS months,
    CAST(y.revenue_total AS DECIMAL(18,6)) AS revenue_total_eur,
    CAST(y.gross_profit AS DECIMAL(18,6)) AS gross_profit_eur,
    CAST(y.ebitda AS DECIMAL(18,6)) AS ebitda_eur,
    CAST(y.net_income AS DECIMAL(18,6)) AS net_income_eur,
    CAST(y.cfads AS DECIMAL(18,6)) AS cfads_eur,
    CAST(y.debt_service AS DECIMAL(18,6)) AS debt_service_eur,
    CAST({{ round_div('y.cfads', 'y.debt_service') }} AS DECIMAL(18,6)) AS dscr_annual,
    e.cash_closing_eur,
    e.overdraft_eur,
    e.loan_balance_eur
FROM years AS y
JOIN months AS s ON s.path_id = y.path_id AND s.month = y.first_month
JOIN months AS e ON e.path_id = y.path_id AND e.month = y.last_month
ORDER BY y.path_id, y.year
