-- check: ACC-A2
-- severity: warning
-- series: p50
-- rule: public active customers grow at least public_growth_min_mom_pct per month on the p50 series: 100·(a_t − a_{t−1}) / max(a_{t−1}, 1) ≥ target for t = 2..H [ACC-A2]
-- skip: not_run:public target_null:public_growth_min_mom_pct
WITH p50 AS (
{%- if 50 in var('percentiles') %}
    -- the p50 row public_tap_customers_by_month selected from every path: the same order statistic, to the bit [GEN-5]
    SELECT month, active_customers AS value FROM {{ ref('public_tap_customers_by_month') }} WHERE series = 'p50'
{%- else %}
    {{ pctl(ref('public_month'), ['month'], 'active_customers', [50]) }}
{%- endif %}
),

series AS (
    SELECT month, value AS active, lag(value) OVER (ORDER BY month) AS previous
    FROM p50
)

SELECT s.month, s.active, s.previous, 'month=' || s.month AS detail_key
FROM series AS s CROSS JOIN run_settings AS r
WHERE s.month >= 2 AND 100 * (s.active - s.previous) / greatest(s.previous, 1) < r.public_growth_min_mom_pct
ORDER BY s.month
-- @paths
SELECT DISTINCT p.path_id
FROM (
    SELECT path_id, month, active_customers AS active,
        lag(active_customers) OVER (PARTITION BY path_id ORDER BY month) AS previous
    FROM {{ ref('public_month') }}
) AS p CROSS JOIN run_settings AS r
WHERE p.month >= 2 AND 100 * (p.active - p.previous) / greatest(p.previous, 1) < r.public_growth_min_mom_pct
