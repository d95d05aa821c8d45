-- check: ACC-A3
-- severity: warning
-- series: p50
-- rule: private active clients never fall month on month on the p50 series: active_t ≥ active_{t−1} − 1e-9·max(1, active_{t−1}) for t = 2..H [ACC-A3]
-- skip: not_run:private flag_false:require_monotonic_growth_private_active_customers
WITH p50 AS (
{%- if 50 in var('percentiles') %}
    -- the p50 row private_tap_customers_by_month selected from every path: the same order statistic, to the bit [GEN-5]
    SELECT month, active_clients AS value FROM {{ ref('private_tap_customers_by_month') }} WHERE series = 'p50'
{%- else %}
    {{ pctl(ref('private_month'), ['month'], 'active_clients', [50]) }}
{%- endif %}
),

series AS (
    SELECT month, value AS active, lag(value) OVER (ORDER BY month) AS previous
    FROM p50
)

SELECT month, active, previous, 'month=' || month AS detail_key
FROM series
WHERE month >= 2 AND active < previous - 1e-9 * greatest(1, previous)
ORDER BY month
-- @paths
SELECT DISTINCT path_id
FROM (
    SELECT path_id, month, active_clients AS active,
        lag(active_clients) OVER (PARTITION BY path_id ORDER BY month) AS previous
    FROM {{ ref('private_month') }}
)
WHERE month >= 2 AND active < previous - 1e-9 * greatest(1, previous)
