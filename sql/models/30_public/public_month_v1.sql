-- model: public_month
-- version: 1
-- purpose: Public Tap month per path: served tokens, revenue, credits, breakage_eur, balance, capacity cost [PUB-8..PUB-11]
-- pipelines: public
-- grain: path_id, month
-- columns:
--   path_id BIGINT <id>  path [GEN-2]
--   param_set_id BIGINT <id>  parameter set
--   month BIGINT <month>  plan month
--   budget_eur DOUBLE <EUR>  budget_t, float driver [PUB-8]
--   acquisition_public_eur DECIMAL(18,6) <EUR>  DEC(budget_t), the public acquisition spend [GEN-4] [FIN-1]
--   cac_eur DOUBLE <EUR>  CAC_t [PUB-8]
--   new_customers DOUBLE <count>  new_t [PUB-8]
--   active_customers DOUBLE <count>  active_t [PUB-8]
--   tokens DOUBLE <tokens>  served tokens Σ_m tokens_{t,m}, summed left to right in model byte order [PUB-9]
--   blended_sell_eur_per_1k DOUBLE <EUR/1k tokens>  float(Σ usage_revenue_eur) / (served / 1000); null at 0 tokens [PUB-9]
--   usage_revenue_eur DECIMAL(18,6) <EUR>  Σ_m usage_revenue_{t,m} [PUB-9]
--   credits_sold_eur DECIMAL(18,6) <EUR>  round6(usage_revenue_eur / (1 − breakage_pct/100)) [PUB-10]
--   breakage_eur DECIMAL(18,6) <EUR>  unused_{t−E} (credits_sold_eur − usage_revenue_eur of month t − E) for t > E [PUB-10]
--   revenue_public_eur DECIMAL(18,6) <EUR>  usage_revenue_eur + breakage_eur [PUB-10]
--   credit_balance_eur DECIMAL(18,6) <EUR>  Σ_{s≤t} (credits_sold_eur − usage_revenue_eur − breakage_eur) = deferred revenue [PUB-10]
--   gpu_cost_eur DECIMAL(18,6) <EUR>  Σ_m gpu_cost_{t,m} (capacity based, never tokens × unit cost) [PUB-11]
--   cogs_public_eur DECIMAL(18,6) <EUR>  Σ_m cogs_{t,m} [PUB-11]
--   gross_margin_eur DECIMAL(18,6) <EUR>  revenue_public_eur − cogs_public_eur
--   instance_hours DOUBLE <GPU-hours>  Σ_m instances × 720 [PUB-11]
--   payment_fee_eur DECIMAL(18,6) <EUR>  round6(payment_fee_pct/100 × credits_sold_eur), the public part of the payment fees [FIN-1a]
-- credits_sold_eur is an exact decimal quotient: the credits_sold macro (sql/macros/credits_sold.sql) [GEN-4].
WITH
served_sums AS (
    -- The exact sums of the models with traffic, per path and month (public_served_month) ...
    SELECT path_id, month,
           sum(usage_revenue_eur) AS usage_revenue_eur, sum(gpu_cost_eur) AS gpu_cost_eur, sum(cogs_eur) AS cogs_eur
    FROM {{ ref('public_served_month') }}
    GROUP BY path_id, month
),
idle_sums AS (
    -- ... and of the admitted models without traffic, whose row is the same on every path and month of a set
    -- (public_idle_model). Tokens and instance-hours are float sums in model order: public_month_fold.
    SELECT param_set_id,
           sum(usage_revenue_eur) AS usage_revenue_eur, sum(gpu_cost_eur) AS gpu_cost_eur, sum(cogs_eur) AS cogs_eur
    FROM {{ ref('public_idle_model') }}
    GROUP BY param_set_id
),
per_model AS (
    SELECT d.path_id, d.month, f.tokens, f.instance_hours,
           coalesce(s.usage_revenue_eur, 0) + coalesce(i.usage_revenue_eur, 0) AS usage_revenue_eur,
           coalesce(s.gpu_cost_eur, 0) + coalesce(i.gpu_cost_eur, 0) AS gpu_cost_eur,
           coalesce(s.cogs_eur, 0) + coalesce(i.cogs_eur, 0) AS cogs_eur
    FROM {{ ref('public_demand') }} AS d
    JOIN {{ ref('public_month_fold') }} AS f USING (path_id, month)
    LEFT JOIN served_sums AS s USING (path_id, month)
    LEFT JOIN idle_sums AS i USING (param_set_id)
),
set_rates AS (
    -- Speed (issue 13): the rates are per-set values, converted once per set rather than once per row (a
    -- 38-digit DEC goes through text).
    SELECT p.param_set_id, p.expiry_months,
           {{ dec('g.payment_fee_pct', 38, 10) }} AS payment_fee_pct,
           CAST({{ dec('p.breakage_pct', 38, 12) }} * 1000000000000 AS HUGEINT) AS breakage_e12,
           CAST(100 - {{ dec('p.breakage_pct', 38, 12) }} AS DOUBLE) AS kept_pct_float  -- exact, then one rounding
    FROM params_public_tap AS p
    JOIN params_general AS g USING (param_set_id)  -- payment_fee_pct is resolved: 0 when not set [V12-5]
),
joined AS (
    SELECT d.path_id, d.param_set_id, d.month, d.budget_eur, d.cac_eur, d.new_customers, d.active_customers,
           m.tokens, m.instance_hours,
           CAST(m.usage_revenue_eur AS DECIMAL(18, 6)) AS usage_revenue_eur,
           CAST(m.gpu_cost_eur AS DECIMAL(18, 6)) AS gpu_cost_eur,
           CAST(m.cogs_eur AS DECIMAL(18, 6)) AS cogs_public_eur,
           r.expiry_months, r.payment_fee_pct, r.breakage_e12, r.kept_pct_float
    FROM {{ ref('public_demand') }} AS d
    JOIN per_model AS m USING (path_id, month)
    JOIN set_rates AS r USING (param_set_id)
),
sold AS (
    SELECT * EXCLUDE (breakage_e12, kept_pct_float),
           {{ credits_sold('usage_revenue_eur', 'kept_pct_float', 'breakage_e12') }} AS credits_sold_eur
    FROM joined
),
expiring AS (
    SELECT s.*, CAST(coalesce(e.credits_sold_eur - e.usage_revenue_eur, 0) AS DECIMAL(18, 6)) AS breakage_eur
    FROM sold AS s
    LEFT JOIN sold AS e ON e.path_id = s.path_id AND e.month = s.month - s.expiry_months
),
balance AS (
    -- Speed (issue 13): the running sum over the three columns it needs, joined back (a window sorts what it
    -- carries); an exact DECIMAL sum, so the same values.
    SELECT path_id, month,
           sum(credits_sold_eur - usage_revenue_eur - breakage_eur) OVER (
               PARTITION BY path_id ORDER BY month ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
           ) AS credit_balance_eur
    FROM (SELECT path_id, month, credits_sold_eur, usage_revenue_eur, breakage_eur FROM expiring)
),
final AS (
    SELECT x.*, x.usage_revenue_eur + x.breakage_eur AS revenue_public_eur, b.credit_balance_eur
    FROM expiring AS x
    JOIN balance AS b USING (path_id, month)
)
SELECT
    CAST(path_id AS BIGINT) AS path_id,
    CAST(param_set_id AS BIGINT) AS param_set_id,
    CAST(month AS BIGINT) AS month,
    CAST(budget_eur AS DOUBLE) AS budget_eur,
    {{ dec('budget_eur') }} AS acquisition_public_eur,
    CAST(cac_eur AS DOUBLE) AS cac_eur,
    CAST(new_customers AS DOUBLE) AS new_customers,
    CAST(active_customers AS DOUBLE) AS active_customers,
    CAST(tokens AS DOUBLE) AS tokens,
    CAST(CASE WHEN tokens > 0 THEN CAST(CAST(usage_revenue_eur AS VARCHAR) AS DOUBLE) / (tokens / 1000) END AS DOUBLE)
        AS blended_sell_eur_per_1k,
    CAST(usage_revenue_eur AS DECIMAL(18, 6)) AS usage_revenue_eur,
    CAST(credits_sold_eur AS DECIMAL(18, 6)) AS credits_sold_eur,
    CAST(breakage_eur AS DECIMAL(18, 6)) AS breakage_eur,
    CAST(revenue_public_eur AS DECIMAL(18, 6)) AS revenue_public_eur,
    CAST(credit_balance_eur AS DECIMAL(18, 6)) AS credit_balance_eur,
    CAST(gpu_cost_eur AS DECIMAL(18, 6)) AS gpu_cost_eur,
    CAST(cogs_public_eur AS DECIMAL(18, 6)) AS cogs_public_eur,
    CAST(revenue_public_eur - cogs_public_eur AS DECIMAL(18, 6)) AS gross_margin_eur,
    CAST(instance_hours AS DOUBLE) AS instance_hours,
    -- Fees are charged on the money received: credits sold (cash in), rounded once per month [FIN-1a] [GEN-4].
    {{ pct_of('payment_fee_pct', 'CAST(credits_sold_eur AS DECIMAL(38, 6))') }} AS payment_fee_eur
FROM final
