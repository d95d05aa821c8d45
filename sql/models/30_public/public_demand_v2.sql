-- model: public_demand
-- version: 2
-- purpose: Public Tap demand per path and month: capped budget, CAC with diminishing returns, saturation, new and active customers, tokens [PUB-8] [PUB-8b] [RNG-10]
-- pipelines: public
-- grain: path_id, month
-- columns:
--   path_id BIGINT <id>  path (param_set_id·M + mc_index) [GEN-2]
--   param_set_id BIGINT <id>  parameter set
--   grid_index BIGINT <id>  grid point
--   replicate_index BIGINT <id>  replicate
--   mc_index BIGINT <id>  MC iteration
--   month BIGINT <month>  plan month t = 1..H
--   budget_eur DOUBLE <EUR>  budget_t = min(budget_month0 × (1 + growth/100)^(t−1), budget_cap_eur), no cap: uncapped [PUB-8b]
--   eps_cac DOUBLE <ratio>  CAC noise ε_cac,t (exactly 1 when cac_sd_pct = 0) [RNG-5]
--   eps_tokens DOUBLE <ratio>  usage noise ε_tok,t (exactly 1 when tokens_sd_pct = 0) [RNG-5]
--   cac_eff_eur DOUBLE <EUR>  cac_base × max(1, budget_t / budget_month0)^cac_elasticity; cac_base when elasticity or budget_month0 is 0 [PUB-8b]
--   cac_eur DOUBLE <EUR>  realised CAC_t = cac_eff_t / ε_cac,t [RNG-10]
--   saturation DOUBLE <ratio>  sat_t = max(0, 1 − active_{t−1} / A); 1 when addressable_customers is not set [PUB-8b]
--   new_customers DOUBLE <count>  min((budget_t × ε_cac,t) / cac_eff_t × sat_t, room_t), 0 when cac_eff_t = 0 (expected value, never rounded) [PUB-8b]
--   active_customers DOUBLE <count>  active_{t−1} × (1 − churn/100) + new_t, active_0 = 0 [PUB-8]
--   tokens DOUBLE <tokens>  demanded tokens: active_t × tokens_per_conversion_mean × ε_tok,t [PUB-8]
-- New customers depend on the previous month's active customers (saturation, room), so the whole month step is
-- one recursive CTE over months for all paths at once: each step computes sat_t, room_t, new_t and active_t
-- from active_{t−1} in exactly the stated float64 order, so every float is reproducible (no reduction).
-- With the [PUB-8b] keys unset and sd 0 the extra factors are exact identities (× 1, min with +∞, ^0), so
-- every number equals version 1.
WITH RECURSIVE noise AS (
    SELECT n.path_id, n.grid_index, n.replicate_index, n.mc_index, n.month, n.z_cac, n.z_tokens,
           n.grid_index * {{ var('replicates') }} + n.replicate_index AS param_set_id
    FROM draw_public_noise AS n
    WHERE n.month BETWEEN 1 AND {{ var('horizon_months') }}
),
joined AS (
    SELECT n.*, p.budget_month0_eur, p.budget_growth_pct_mom, p.cac_base_eur, p.cac_sd_pct,
           p.tokens_per_conversion_mean, p.tokens_sd_pct, p.churn_pct_mom,
           p.budget_cap_eur, p.cac_elasticity,
           CAST(p.addressable_customers AS DOUBLE) AS market
    FROM noise AS n
    JOIN params_public_tap AS p USING (param_set_id)
),
noise_factors AS (
    -- ε = exp(μ + σZ), σ² = ln(1 + c²), μ = −σ²/2, c = sd_pct/100; ε = 1 exactly at sd 0 [RNG-5]
    SELECT *,
           CASE WHEN cac_sd_pct = 0 THEN 1.0 ELSE exp(
               -ln(1 + (cac_sd_pct / 100) * (cac_sd_pct / 100)) / 2
               + sqrt(ln(1 + (cac_sd_pct / 100) * (cac_sd_pct / 100))) * z_cac) END AS eps_cac,
           CASE WHEN tokens_sd_pct = 0 THEN 1.0 ELSE exp(
               -ln(1 + (tokens_sd_pct / 100) * (tokens_sd_pct / 100)) / 2
               + sqrt(ln(1 + (tokens_sd_pct / 100) * (tokens_sd_pct / 100))) * z_tokens) END AS eps_tokens
    FROM joined
),
budgets AS (
    SELECT *,
           CASE WHEN budget_cap_eur IS NULL THEN uncapped ELSE least(uncapped, budget_cap_eur) END AS budget_eur
    FROM (SELECT *, budget_month0_eur * pow(1 + budget_growth_pct_mom / 100, month - 1) AS uncapped
          FROM noise_factors)
),
drivers AS MATERIALIZED (
    -- Diminishing returns: a budget k times the launch budget pays k^elasticity times the base CAC [PUB-8b].
    -- The month's bought customers before saturation, (budget × ε) / cac_eff, do not depend on the recurrence.
    SELECT *,
           CASE WHEN cac_eff_eur > 0 THEN (budget_eur * eps_cac) / cac_eff_eur ELSE 0.0 END AS bought,
           1 - churn_pct_mom / 100 AS retention
    FROM (
        SELECT *,
               CASE WHEN budget_month0_eur = 0 THEN cac_base_eur
                    ELSE cac_base_eur * pow(greatest(1.0, budget_eur / budget_month0_eur), cac_elasticity)
               END AS cac_eff_eur
        FROM budgets
    )
),
chain AS (
    -- One month per step for every path, from active_0 = 0: sat_t and room_t from active_{t−1}, then new_t and
    -- active_t. room_t = max(0, A − active_{t−1} × retention) keeps active_t ≤ A in every month [PUB-8b].
    SELECT path_id, CAST(0 AS BIGINT) AS month, CAST(NULL AS DOUBLE) AS saturation,
           CAST(NULL AS DOUBLE) AS new_customers, CAST(0.0 AS DOUBLE) AS active_customers
    FROM drivers
    WHERE month = 1
    UNION ALL
    SELECT path_id, month, saturation, new_customers, active_prev * retention + new_customers
    FROM (
        SELECT *, least(bought * saturation, room) AS new_customers
        FROM (
            SELECT d.path_id, d.month, d.bought, d.retention, c.active_customers AS active_prev,
                   CASE WHEN d.market IS NULL THEN 1.0
                        ELSE greatest(0.0, 1 - c.active_customers / d.market) END AS saturation,
                   CASE WHEN d.market IS NULL THEN CAST('Infinity' AS DOUBLE)
                        ELSE greatest(0.0, d.market - c.active_customers * d.retention) END AS room
            FROM chain AS c
            JOIN drivers AS d ON d.path_id = c.path_id AND d.month = c.month + 1
        )
    )
),
final AS (
    SELECT d.*, c.saturation, c.new_customers, c.active_customers
    FROM drivers AS d
    JOIN chain AS c USING (path_id, month)
)
SELECT
    CAST(path_id AS BIGINT) AS path_id,
    CAST(param_set_id AS BIGINT) AS param_set_id,
    CAST(grid_index AS BIGINT) AS grid_index,
    CAST(replicate_index AS BIGINT) AS replicate_index,
    CAST(mc_index AS BIGINT) AS mc_index,
    CAST(month AS BIGINT) AS month,
    CAST(budget_eur AS DOUBLE) AS budget_eur,
    CAST(eps_cac AS DOUBLE) AS eps_cac,
    CAST(eps_tokens AS DOUBLE) AS eps_tokens,
    CAST(cac_eff_eur AS DOUBLE) AS cac_eff_eur,
    CAST(cac_eff_eur / eps_cac AS DOUBLE) AS cac_eur,
    CAST(saturation AS DOUBLE) AS saturation,
    CAST(new_customers AS DOUBLE) AS new_customers,
    CAST(active_customers AS DOUBLE) AS active_customers,
    CAST(active_customers * tokens_per_conversion_mean * eps_tokens AS DOUBLE) AS tokens
FROM final
