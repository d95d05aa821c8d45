-- model: segment_month
-- version: 1
-- purpose: overhead allocation to the taps and tap contributions per path and month (segment KPIs only) [FIN-10]
-- grain: path_id, month
-- columns:
--   path_id BIGINT <id>  path
--   month BIGINT <month>  plan month t
--   driver VARCHAR <text>  overhead_allocation_driver (revenue | gpu_hours | tokens), or `single_tap` when one tap runs
--   driver_public DECIMAL(18,6) <driver>  d_pub: revenue_public_eur | DEC(Σ instance_hours) | 1 if served tokens > 0 else 0
--   driver_private DECIMAL(18,6) <driver>  d_prv: revenue_private_eur | DEC(private hours) | 0
--   overhead_eur DECIMAL(18,6) <EUR>  fixed_opex + insurance + bizdev + contingency + support [FIN-1a]
--   overhead_public_eur DECIMAL(18,6) <EUR>  round6(overhead × d_pub / (d_pub + d_prv)), division last; ½ when both are 0
--   overhead_private_eur DECIMAL(18,6) <EUR>  overhead − overhead_public_eur
--   revenue_public_eur DECIMAL(18,6) <EUR>  Public Tap revenue of the month [FIN-1]
--   revenue_private_eur DECIMAL(18,6) <EUR>  Private Tap revenue of the month [FIN-1]
--   cogs_public_eur DECIMAL(18,6) <EUR>  Public Tap cost of sales of the month [FIN-1]
--   cogs_private_eur DECIMAL(18,6) <EUR>  Private Tap cost of sales of the month [FIN-1]
--   acquisition_public_eur DECIMAL(18,6) <EUR>  Public Tap acquisition spend of the month [FIN-1]
--   acquisition_private_eur DECIMAL(18,6) <EUR>  Private Tap acquisition spend of the month [FIN-1]
--   payment_fees_public_eur DECIMAL(18,6) <EUR>  the public part of the payment fees [FIN-1a]
--   payment_fees_private_eur DECIMAL(18,6) <EUR>  the private part of the payment fees [FIN-1a]
--   contribution_public_eur DECIMAL(18,6) <EUR>  revenue − cogs_eur − acquisition − payment_fees_public_eur − overhead_public_eur [FIN-1a]
--   contribution_private_eur DECIMAL(18,6) <EUR>  revenue − cogs_eur − acquisition − payment_fees_private_eur − overhead_private_eur [FIN-1a]
-- When only one tap runs, all overhead goes to it (first rule of FIN-10), whatever the driver. The `tokens`
-- driver meters no private tokens, so its share is 1 whenever public tokens are served and ½ otherwise; the
-- driver value is therefore the indicator tokens > 0 (the same share, and no DEC of a huge token count).
-- Support staff serve both taps, so support is overhead; payment fees belong to the tap whose receipts they
-- are and are deducted from that tap's contribution, never allocated [FIN-1a].
{%- set both = 'public' in var('pipelines') and 'private' in var('pipelines') %}
WITH
pub AS (
{% if 'public' in var('pipelines') %}
    SELECT path_id, month, instance_hours, tokens FROM {{ ref('public_month') }}
{% else %}
    SELECT CAST(NULL AS BIGINT) AS path_id, CAST(NULL AS BIGINT) AS month,
        CAST(NULL AS DOUBLE) AS instance_hours, CAST(NULL AS DOUBLE) AS tokens
    WHERE false
{% endif %}
),
prv AS (
{% if 'private' in var('pipelines') %}
    SELECT path_id, month, hours FROM {{ ref('private_month') }}
{% else %}
    SELECT CAST(NULL AS BIGINT) AS path_id, CAST(NULL AS BIGINT) AS month, CAST(NULL AS DOUBLE) AS hours
    WHERE false
{% endif %}
),
joined AS (
    SELECT
        f.*,
        CAST(f.fixed_opex_eur + f.insurance_eur + f.bizdev_eur + f.contingency_eur + f.support_eur AS DECIMAL(38,6))
            AS overhead,
        sc.payment_fees_public_eur, sc.payment_fees_private_eur,
        s.overhead_allocation_driver AS configured,
        coalesce(pub.instance_hours, 0) AS instance_hours,
        coalesce(pub.tokens, 0) AS tokens,
        coalesce(prv.hours, 0) AS hours
    FROM {{ ref('finance_month') }} AS f
    CROSS JOIN run_settings AS s
    JOIN {{ ref('finance_scaling_costs') }} AS sc USING (path_id, month)
    LEFT JOIN pub USING (path_id, month)
    LEFT JOIN prv USING (path_id, month)
),
drivers AS (
    SELECT *,
{% if both %}
        configured AS driver,
        CAST(CASE configured
            WHEN 'revenue' THEN revenue_public_eur
            WHEN 'gpu_hours' THEN {{ dec('instance_hours') }}
            ELSE CASE WHEN tokens > 0 THEN 1 ELSE 0 END END AS DECIMAL(18,6)) AS driver_public,
        CAST(CASE configured
            WHEN 'revenue' THEN revenue_private_eur
            WHEN 'gpu_hours' THEN {{ dec('hours') }}
            ELSE 0 END AS DECIMAL(18,6)) AS driver_private
{% else %}
        'single_tap' AS driver,
        CAST({{ 1 if 'public' in var('pipelines') else 0 }} AS DECIMAL(18,6)) AS driver_public,
        CAST({{ 1 if 'private' in var('pipelines') else 0 }} AS DECIMAL(18,6)) AS driver_private
{% endif %}
    FROM joined
),
-- share_pub = ½ when both drivers are 0: the same as weighting 1 : 1.
weights AS (
    SELECT *,
        CASE WHEN driver_public + driver_private = 0 THEN 1 ELSE driver_public END AS w_pub,
        CASE WHEN driver_public + driver_private = 0 THEN 2 ELSE driver_public + driver_private END AS w_total
    FROM drivers
),
split AS (
    SELECT *, overhead * w_pub AS overhead_x_w FROM weights
),
allocated AS (
    SELECT *, CAST({{ round_div('overhead_x_w', 'w_total', num_float='CAST(overhead AS DOUBLE) * CAST(w_pub AS DOUBLE)') }}
        AS DECIMAL(18,6)) AS overhead_public_eur
    FROM split
)
SELECT
    path_id,
    month,
    driver,
    driver_public,
    driver_private,
    CAST(overhead AS DECIMAL(18,6)) AS overhead_eur,
    overhead_public_eur AS overhead_public_eur,
    CAST(overhead - overhead_public_eur AS DECIMAL(18,6)) AS overhead_private_eur,
    revenue_public_eur, revenue_private_eur, cogs_public_eur, cogs_private_eur,
    acquisition_public_eur, acquisition_private_eur, payment_fees_public_eur, payment_fees_private_eur,
    CAST(revenue_public_eur - cogs_public_eur - acquisition_public_eur - payment_fees_public_eur - overhead_public_eur
        AS DECIMAL(18,6)) AS contribution_public_eur,
    CAST(revenue_private_eur - cogs_private_eur - acquisition_private_eur - payment_fees_private_eur
        - (overhead - overhead_public_eur) AS DECIMAL(18,6)) AS contribution_private_eur
FROM allocated
ORDER BY path_id, month
