-- model: public_month
-- version: 1
-- purpose: Public Tap month per path: served tokens, revenue, credits, breakage, balance, capacity cost [PUB-8..PUB-11]
-- pipelines: public
-- grain: path_id, month
-- columns:
--   path_id BIGINT  path [GEN-2]
--   param_set_id BIGINT  parameter set
--   month BIGINT  plan month
--   budget_eur DOUBLE  budget_t, float driver [PUB-8]
--   acquisition_public DECIMAL(18,6)  DEC(budget_t), the public acquisition spend [GEN-4] [FIN-1]
--   cac_eur DOUBLE  CAC_t [PUB-8]
--   new_customers DOUBLE  new_t [PUB-8]
--   active_customers DOUBLE  active_t [PUB-8]
--   tokens DOUBLE  served tokens Σ_m tokens_{t,m}, summed left to right in model byte order [PUB-9]
--   blended_sell_eur_per_1k DOUBLE  float(Σ usage_revenue) / (served / 1000); null at 0 tokens [PUB-9]
--   usage_revenue DECIMAL(18,6)  Σ_m usage_revenue_{t,m} [PUB-9]
--   credits_sold DECIMAL(18,6)  round6(usage_revenue / (1 − breakage_pct/100)) [PUB-10]
--   breakage DECIMAL(18,6)  unused_{t−E} (credits_sold − usage_revenue of month t − E) for t > E [PUB-10]
--   revenue_public DECIMAL(18,6)  usage_revenue + breakage [PUB-10]
--   credit_balance DECIMAL(18,6)  Σ_{s≤t} (credits_sold − usage_revenue − breakage) = deferred revenue [PUB-10]
--   gpu_cost DECIMAL(18,6)  Σ_m gpu_cost_{t,m} (capacity based, never tokens × unit cost) [PUB-11]
--   cogs_public DECIMAL(18,6)  Σ_m cogs_{t,m} [PUB-11]
--   gross_margin DECIMAL(18,6)  revenue_public − cogs_public
--   instance_hours DOUBLE  Σ_m instances × 720 [PUB-11]
--   payment_fee_eur DECIMAL(18,6)  round6(payment_fee_pct/100 × credits_sold), the public part of the payment fees; 0 when not set [FIN-1a]
-- credits_sold is an exact decimal quotient: with u = usage revenue in micro-EUR and B = breakage_pct
-- × 10^12 (exact for up to 12 decimals), credits = round_half_up(u × 100·10^12 / (100·10^12 − B)) µEUR,
-- computed in HUGEINT because DuckDB divides DECIMALs in float [GEN-4].
WITH per_model AS (
    SELECT path_id, month,
           list_reduce(list(tokens ORDER BY model), lambda a, b: a + b, 0.0::DOUBLE) AS served,
           list_reduce(list(instance_hours ORDER BY model), lambda a, b: a + b, 0.0::DOUBLE) AS hours,
           sum(usage_revenue) AS usage_revenue, sum(gpu_cost) AS gpu_cost, sum(cogs) AS cogs
    FROM {{ ref('public_model_month') }}
    GROUP BY path_id, month
),
joined AS (
    SELECT d.path_id, d.param_set_id, d.month, d.budget_eur, d.cac_eur, d.new_customers, d.active_customers,
           coalesce(m.served, 0.0) AS tokens, coalesce(m.hours, 0.0) AS instance_hours,
           CAST(coalesce(m.usage_revenue, 0) AS DECIMAL(18, 6)) AS usage_revenue,
           CAST(coalesce(m.gpu_cost, 0) AS DECIMAL(18, 6)) AS gpu_cost,
           CAST(coalesce(m.cogs, 0) AS DECIMAL(18, 6)) AS cogs_public,
           p.expiry_months,
           CAST(CAST(coalesce(g.payment_fee_pct, 0) AS VARCHAR) AS DECIMAL(38, 10)) AS payment_fee_pct,
           CAST(CAST(CAST(coalesce(p.breakage_pct, 0) AS VARCHAR) AS DECIMAL(38, 12)) * 1000000000000 AS HUGEINT)
               AS breakage_e12
    FROM {{ ref('public_demand') }} AS d
    LEFT JOIN per_model AS m USING (path_id, month)
    JOIN params_public_tap AS p USING (param_set_id)
    LEFT JOIN params_general AS g USING (param_set_id)  -- a set without general keys pays no fee
),
credits AS (
    SELECT *,
           CAST(CAST(usage_revenue AS DECIMAL(38, 6)) * 1000000 AS HUGEINT) * 100000000000000
               AS num_micro,
           100000000000000 - breakage_e12 AS den
    FROM joined
),
sold AS (
    SELECT * EXCLUDE (num_micro, den),
           CAST(CAST((2 * num_micro + den) // (2 * den) AS DECIMAL(38, 0)) * CAST('0.000001' AS DECIMAL(7, 6))
                AS DECIMAL(18, 6)) AS credits_sold
    FROM credits
),
expiring AS (
    SELECT s.*, CAST(coalesce(e.credits_sold - e.usage_revenue, 0) AS DECIMAL(18, 6)) AS breakage
    FROM sold AS s
    LEFT JOIN sold AS e ON e.path_id = s.path_id AND e.month = s.month - s.expiry_months
),
final AS (
    SELECT *,
           usage_revenue + breakage AS revenue_public,
           sum(credits_sold - usage_revenue - breakage) OVER (
               PARTITION BY path_id ORDER BY month ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
           ) AS credit_balance
    FROM expiring
)
SELECT
    CAST(path_id AS BIGINT) AS path_id,
    CAST(param_set_id AS BIGINT) AS param_set_id,
    CAST(month AS BIGINT) AS month,
    CAST(budget_eur AS DOUBLE) AS budget_eur,
    {{ dec('budget_eur') }} AS acquisition_public,
    CAST(cac_eur AS DOUBLE) AS cac_eur,
    CAST(new_customers AS DOUBLE) AS new_customers,
    CAST(active_customers AS DOUBLE) AS active_customers,
    CAST(tokens AS DOUBLE) AS tokens,
    CAST(CASE WHEN tokens > 0 THEN CAST(CAST(usage_revenue AS VARCHAR) AS DOUBLE) / (tokens / 1000) END AS DOUBLE)
        AS blended_sell_eur_per_1k,
    CAST(usage_revenue AS DECIMAL(18, 6)) AS usage_revenue,
    CAST(credits_sold AS DECIMAL(18, 6)) AS credits_sold,
    CAST(breakage AS DECIMAL(18, 6)) AS breakage,
    CAST(revenue_public AS DECIMAL(18, 6)) AS revenue_public,
    CAST(credit_balance AS DECIMAL(18, 6)) AS credit_balance,
    CAST(gpu_cost AS DECIMAL(18, 6)) AS gpu_cost,
    CAST(cogs_public AS DECIMAL(18, 6)) AS cogs_public,
    CAST(revenue_public - cogs_public AS DECIMAL(18, 6)) AS gross_margin,
    CAST(instance_hours AS DOUBLE) AS instance_hours,
    -- Fees are charged on the money received: credits sold (cash in), rounded once per month [FIN-1a] [GEN-4].
    CAST(payment_fee_pct * CAST(credits_sold AS DECIMAL(38, 6)) * CAST('0.01' AS DECIMAL(3, 2)) AS DECIMAL(18, 6))
        AS payment_fee_eur
FROM final
