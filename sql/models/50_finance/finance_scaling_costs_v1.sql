-- model: finance_scaling_costs
-- version: 1
-- purpose: per path and month, the costs that scale with the business: payment fees per tap and support staffing [FIN-1a]
-- grain: path_id, month
-- columns:
--   path_id BIGINT <id>  path [GEN-2]
--   month BIGINT <month>  plan month t = 1..H
--   payment_fees_public_eur DECIMAL(18,6) <EUR>  round6(p × credits_sold_t), p = payment_fee_pct/100; 0 when public does not run [FIN-1a]
--   payment_fees_private_eur DECIMAL(18,6) <EUR>  round6(p × revenue_private_t); 0 when private does not run [FIN-1a]
--   payment_fees_eur DECIMAL(18,6) <EUR>  payment_fees_public + payment_fees_private (P&L line) [FIN-1a]
--   support_fte BIGINT <count>  ceil(active_public / customers_per_fte + active_private / clients_per_fte − 1e-9); 0 without finance.support [FIN-1a]
--   support_eur DECIMAL(18,6) <EUR>  support_fte × cost_per_fte_month_eur (P&L line, staff cost) [FIN-1a]
-- Both lines carry no VAT, are paid in their month and are AP-exempt, so they reach cash only through EBITDA
-- ([FIN-5], [FIN-6], [FIN-7]); neither enters the contingency base. The first FTE is hired with the first customer.
-- Each tap's fee is rounded in its own month model (public_month, private_month), so the P&L and the tap
-- contributions deduct the same rounded parts. A tap that does not run contributes 0 [FIN-1].
WITH
pub AS (
{% if 'public' in var('pipelines') %}
    SELECT path_id, month, payment_fee_eur, active_customers FROM {{ ref('public_month') }}
{% else %}
    SELECT CAST(NULL AS BIGINT) AS path_id, CAST(NULL AS BIGINT) AS month,
        CAST(NULL AS DECIMAL(18,6)) AS payment_fee_eur, CAST(NULL AS DOUBLE) AS active_customers
    WHERE false
{% endif %}
),
prv AS (
{% if 'private' in var('pipelines') %}
    SELECT path_id, month, payment_fee_eur, active_clients FROM {{ ref('private_month') }}
{% else %}
    SELECT CAST(NULL AS BIGINT) AS path_id, CAST(NULL AS BIGINT) AS month,
        CAST(NULL AS DECIMAL(18,6)) AS payment_fee_eur, CAST(NULL AS DOUBLE) AS active_clients
    WHERE false
{% endif %}
),
joined AS (
    SELECT
        p.path_id, f.month,
        coalesce(pub.payment_fee_eur, 0) AS fees_public,
        coalesce(prv.payment_fee_eur, 0) AS fees_private,
        coalesce(pub.active_customers, 0.0) AS active_public,
        coalesce(prv.active_clients, 0.0) AS active_private,
        g.customers_per_fte, g.clients_per_fte,
        {{ dec('g.cost_per_fte_month_eur') }} AS cost_per_fte
    FROM {{ ref('paths') }} AS p
    JOIN {{ ref('finance_fixed_month') }} AS f USING (param_set_id)
    JOIN params_general AS g USING (param_set_id)
    LEFT JOIN pub ON pub.path_id = p.path_id AND pub.month = f.month
    LEFT JOIN prv ON prv.path_id = p.path_id AND prv.month = f.month
),
-- The block finance.support is all or nothing (its schema requires the three keys), so one null test suffices:
-- the resolved record leaves it unset (null) when not given, which means no support staff [FIN-1a] [V12-5].
staffed AS (
    SELECT *,
        CASE WHEN customers_per_fte IS NULL THEN 0
             ELSE CAST(ceil(active_public / customers_per_fte + active_private / clients_per_fte - 1e-9) AS BIGINT)
        END AS support_fte
    FROM joined
)
SELECT
    CAST(path_id AS BIGINT) AS path_id,
    CAST(month AS BIGINT) AS month,
    CAST(fees_public AS DECIMAL(18,6)) AS payment_fees_public_eur,
    CAST(fees_private AS DECIMAL(18,6)) AS payment_fees_private_eur,
    CAST(fees_public + fees_private AS DECIMAL(18,6)) AS payment_fees_eur,
    CAST(support_fte AS BIGINT) AS support_fte,
    CAST(CASE WHEN cost_per_fte IS NULL THEN 0 ELSE support_fte * cost_per_fte END AS DECIMAL(18,6)) AS support_eur
FROM staffed
ORDER BY path_id, month
