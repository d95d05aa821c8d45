-- model: consolidated_kpis
-- version: 1
-- purpose: every consolidated KPI across paths, one row per (metric, series): the configured percentiles [GEN-5] and the representative path (consolidated_kpis.csv, consolidated_summary) [OUT-5] [OUT-12] [FIN-11] [FIN-14]
-- grain: metric, series
-- columns:
--   metric VARCHAR <id>  metric name of [OUT-5] / [OUT-12], or cogs_public / cogs_private (consolidated_summary only)
--   metric_order BIGINT <id>  row order of consolidated_kpis.csv; null for the summary-only metrics
--   unit VARCHAR <text>  EUR, percent, ratio, tokens, count, hours, months or EUR_per_1k
--   series VARCHAR <text>  p<q> for each configured percentile, then rep
--   series_order BIGINT <id>  q, 1000 for rep
--   value DECIMAL(38,20) <ratio>  the value: DECIMAL metrics exactly, float metrics as the decimal of their shortest text [GEN-4]
-- Per-path values come from consolidated_path_kpis (DECIMAL, exact percentiles) and risk_path ([FIN-14]);
-- float metrics are aggregated in float64 exactly as [GEN-5] writes it. The autoscaling rows exist only for the
-- representative path ([PUB-12] `ALL` row), so only their rep cell is set. Shares are k/N rounded once to 4
-- decimals (p10 = p50 = p90 = the share; rep = the rep path's 0 or 1); break_even_month counts a path that
-- never breaks even as +∞ (a percentile that lands there is null: "after month H"); extra_funding_p90 is the
-- p90 of funding_gap in every column. With G > 1 every row pools all paths of the base [V12-7].
{%- set decimal_metrics = [
    ('revenue_public', 'EUR', 1), ('revenue_private', 'EUR', 2), ('revenue_total', 'EUR', 3),
    ('cogs_total', 'EUR', 4), ('gross_profit', 'EUR', 5), ('opex_total', 'EUR', 6), ('ebitda', 'EUR', 7),
    ('net_income', 'EUR', 8), ('overhead_public', 'EUR', 9), ('overhead_private', 'EUR', 10),
    ('contribution_public', 'EUR', 11), ('contribution_private', 'EUR', 12), ('gross_margin_pct', 'percent', 13),
    ('public_gross_margin_pct', 'percent', 14), ('cash_min', 'EUR', 15), ('cash_end', 'EUR', 16),
    ('funding_gap', 'EUR', 17), ('dscr_min', 'ratio', 18), ('icr_min', 'ratio', 19), ('dscr_ltm_end', 'ratio', 20),
    ('reserve_cover_months_end', 'months', 28), ('cogs_public', 'EUR', none), ('cogs_private', 'EUR', none)] %}
{%- set float_metrics = [
    ('public_tokens', 'tokens', 21), ('public_active_customers_end', 'count', 22),
    ('blended_sell_eur_per_1k', 'EUR_per_1k', 23), ('public_gpu_instance_hours', 'hours', 24),
    ('private_hours', 'hours', 25), ('private_active_clients_end', 'count', 26), ('support_fte_end', 'count', 27)] %}
{%- set autoscaling = [
    ('autoscaling_avg_util_pct', 'percent', 29, 'avg_util_pct'), ('autoscaling_p95_util_pct', 'percent', 30, 'p95_util_pct'),
    ('autoscaling_sla_violations', 'count', 31, 'sla_violations'), ('autoscaling_scale_events', 'count', 32, 'scale_events')] %}
{%- set shares = [
    ('p_breach_any', 'breach_any', 33), ('p_cash_breach_any', 'cash_breach_any', 34),
    ('p_dscr_breach_any', 'dscr_breach_any', 35), ('share_never_break_even', 'break_even_month IS NULL', 36)] %}
{%- set percentiles = var('percentiles') | sort %}
-- depends_on: {{ ref('autoscaler') }} (the Python model that writes public_autoscaling_summary; dbt's convention)
{%- set never = var('horizon_months') + 1000000 %}
WITH
metrics AS (
    SELECT * FROM (VALUES
        {% for name, unit, order in decimal_metrics + float_metrics %}('{{ name }}', '{{ unit }}', {{ 'NULL' if order is none else order }}),
        {% endfor %}
        {% for name, unit, order, _ in autoscaling %}('{{ name }}', '{{ unit }}', {{ order }}),
        {% endfor %}
        {% for name, _, order in shares %}('{{ name }}', 'ratio', {{ order }}),
        {% endfor %}
        ('break_even_month', 'months', 37), ('extra_funding_p90', 'EUR', 38)
    ) AS m(metric, unit, metric_order)
),
series AS (
    SELECT * FROM (VALUES {% for q in percentiles %}('p{{ q }}', {{ q }}), {% endfor %}('rep', 1000)) AS s(series, series_order)
),
rep AS (
    SELECT path_id FROM {{ ref('representative_path') }}
),
decimal_long AS (
    {% for name, unit, _ in decimal_metrics %}
    {#- money columns of consolidated_path_kpis end in _eur (the _eur rule); the metric keeps its [OUT-5] name #}
    SELECT path_id, '{{ name }}' AS metric, CAST({{ name ~ '_eur' if unit == 'EUR' else name }} AS DECIMAL(38,6)) AS v FROM {{ ref('consolidated_path_kpis') }}
    {{ 'UNION ALL' if not loop.last }}
    {% endfor %}
),
float_long AS (
    {% for name, _, _ in float_metrics %}
    SELECT path_id, '{{ name }}' AS metric, CAST({{ name }} AS DOUBLE) AS v FROM {{ ref('consolidated_path_kpis') }}
    {{ 'UNION ALL' if not loop.last }}
    {% endfor %}
),
decimal_q AS ({{ pctl('decimal_long', ['metric'], 'v', percentiles, value_out='value') }}),
float_q AS ({{ pctl('float_long', ['metric'], 'v', percentiles, value_out='value') }}),
-- [FIN-14]: never breaking even counts as +∞; a percentile that touches it lands above H and is null.
break_even AS (
    SELECT path_id, coalesce(break_even_month, {{ never }}) AS v FROM {{ ref('risk_path') }}
),
break_even_q AS ({{ pctl('break_even', [], 'v', percentiles, value_out='value') }}),
gap_p90 AS ({{ pctl(ref('risk_path'), [], 'funding_gap_eur', [90], value_out='value') }}),
counts AS (
    SELECT count(*) AS n,
        {% for name, condition, _ in shares %}count(*) FILTER (WHERE {{ condition }}) AS k_{{ name }}{{ ',' if not loop.last }}
        {% endfor %}
    FROM {{ ref('risk_path') }}
),
values_long AS (
    SELECT metric, 'p' || p AS series, CAST(value AS DECIMAL(38,20)) AS value FROM decimal_q
    UNION ALL
    SELECT metric, 'rep', CAST(v AS DECIMAL(38,20)) FROM decimal_long JOIN rep USING (path_id)
    UNION ALL
    SELECT metric, 'p' || p, {{ dec('value', 38, 20) }} FROM float_q
    UNION ALL
    SELECT metric, 'rep', {{ dec('v', 38, 20) }} FROM float_long JOIN rep USING (path_id)
{% if 'public' in var('pipelines') %}
    {% for name, _, _, column in autoscaling %}
    UNION ALL
    SELECT '{{ name }}', 'rep', {{ dec(column, 38, 20) }}
    FROM public_autoscaling_summary WHERE model = 'ALL'
    {% endfor %}
{% endif %}
    {% for name, condition, _ in shares %}
    UNION ALL
    SELECT '{{ name }}', s.series,
        CAST(CASE WHEN s.series = 'rep'
            THEN (SELECT CASE WHEN {{ condition }} THEN 1 ELSE 0 END FROM {{ ref('risk_path') }} JOIN rep USING (path_id))
            ELSE CAST((2 * c.k_{{ name }} * 10000 + c.n) // (2 * c.n) AS DECIMAL(38,0)) * CAST('0.0001' AS DECIMAL(5,4))
        END AS DECIMAL(38,20))
    FROM series AS s CROSS JOIN counts AS c
    {% endfor %}
    UNION ALL
    SELECT 'break_even_month', 'p' || p, CAST(CASE WHEN value <= {{ var('horizon_months') }} THEN value END AS DECIMAL(38,20))
    FROM break_even_q
    UNION ALL
    SELECT 'break_even_month', 'rep', CAST(break_even_month AS DECIMAL(38,20)) FROM {{ ref('risk_path') }} JOIN rep USING (path_id)
    UNION ALL
    SELECT 'extra_funding_p90', s.series, CAST(g.value AS DECIMAL(38,20)) FROM series AS s CROSS JOIN gap_p90 AS g
)
SELECT
    m.metric,
    CAST(m.metric_order AS BIGINT) AS metric_order,
    m.unit,
    s.series,
    CAST(s.series_order AS BIGINT) AS series_order,
    CAST(v.value AS DECIMAL(38,20)) AS value
FROM metrics AS m
CROSS JOIN series AS s
LEFT JOIN values_long AS v USING (metric, series)
ORDER BY m.metric_order NULLS LAST, m.metric, s.series_order
