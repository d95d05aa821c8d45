-- model: annual_summary
-- version: 1
-- purpose: the annual statements across paths: p10, p50, p90 of every per-path yearly value, then the representative path (annual_summary.csv) [OUT-12] [GEN-5]
-- grain: series, year
-- columns:
--   series VARCHAR <text>  p10 | p50 | p90 | rep
--   series_order BIGINT <id>  the percentile, 1000 for rep
--   year BIGINT <year>  plan year
--   period_start VARCHAR <YYYY-MM>  YYYY-MM of the year's first month
--   period_end VARCHAR <YYYY-MM>  YYYY-MM of the year's last month
--   months BIGINT <months>  plan months in the year
--   revenue_total_eur DECIMAL(38,8) <EUR>  total revenue of the fiscal year (public + private) [OUT-12]
--   gross_profit_eur DECIMAL(38,8) <EUR>  revenue − cost of sales of the year [OUT-12]
--   ebitda_eur DECIMAL(38,8) <EUR>  earnings before interest, tax, depreciation and amortisation of the year [OUT-12]
--   net_income_eur DECIMAL(38,8) <EUR>  net income (after interest and tax) of the year [OUT-12]
--   cfads_eur DECIMAL(38,8) <EUR>  cash flow available for debt service of the year [OUT-12]
--   debt_service_eur DECIMAL(38,8) <EUR>  interest + principal paid in the year (loan and funding line) [OUT-12]
--   dscr_annual DECIMAL(38,8) <ratio>  per-path ratio, then its percentile (nulls excluded) [OUT-12]
--   cash_closing_eur DECIMAL(38,8) <EUR>  cash at the end of the year (negative = drawn on the funding line) [OUT-12]
--   overdraft_eur DECIMAL(38,8) <EUR>  funding line drawn at the end of the year [OUT-12]
--   loan_balance_eur DECIMAL(38,8) <EUR>  loan still owed at the end of the year [OUT-12]
-- Percentiles are always 10, 50 and 90 for the artefacts of §11 (whatever stochastic.percentiles holds), each
-- column on its own (identities hold on rep rows, not on percentile rows) [FIN-11].
{%- set values = ['revenue_total_eur', 'gross_profit_eur', 'ebitda_eur', 'net_income_eur', 'cfads_eur',
    'debt_service_eur', 'dscr_annual', 'cash_closing_eur', 'overdraft_eur', 'loan_balance_eur'] %}
WITH
{% for column in values %}
q_{{ column }} AS ({{ pctl(ref('annual_path'), ['year'], column, [10, 50, 90], value_out='v') }}),
{% endfor %}
calendar AS (
    SELECT DISTINCT year, period_start, period_end, months FROM {{ ref('annual_path') }}
),
percentile_rows AS (
    SELECT 'p' || q_{{ values[0] }}.p AS series, q_{{ values[0] }}.p AS series_order, c.year, c.period_start,
        c.period_end, c.months,
        {% for column in values %}q_{{ column }}.v AS {{ column }}{{ ',' if not loop.last }}
        {% endfor %}
    FROM calendar AS c
    {% for column in values %}
    {% if loop.first %}JOIN q_{{ column }} USING (year){% else %}JOIN q_{{ column }} USING (year, p){% endif %}

    {% endfor %}
),
rep_rows AS (
    SELECT 'rep' AS series, 1000 AS series_order, a.year, a.period_start, a.period_end, a.months,
        {% for column in values %}a.{{ column }}{{ ',' if not loop.last }}{% endfor %}

    FROM {{ ref('annual_path') }} AS a
    JOIN {{ ref('representative_path') }} AS r USING (path_id)
),
final AS (
    SELECT * FROM percentile_rows
    UNION ALL BY NAME
    SELECT * FROM rep_rows
)
SELECT
    series,
    CAST(series_order AS BIGINT) AS series_order,
    CAST(year AS BIGINT) AS year,
    period_start,
    period_end,
    CAST(months AS BIGINT) AS months,
    {% for column in values %}CAST({{ column }} AS DECIMAL(38,8)) AS {{ column }}{{ ',' if not loop.last }}
    {% endfor %}
FROM final
ORDER BY series_order, year
