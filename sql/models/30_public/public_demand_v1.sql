-- model: public_demand
-- version: 1
-- purpose: Public Tap demand per path and month: budget, noisy CAC, new and active customers, tokens [PUB-8]
-- pipelines: public
-- grain: path_id, month
-- columns:
--   path_id BIGINT <id>  path (param_set_id·M + mc_index) [GEN-2]
--   param_set_id BIGINT <id>  parameter set
--   grid_index BIGINT <id>  grid point
--   replicate_index BIGINT <id>  replicate
--   mc_index BIGINT <id>  MC iteration
--   month BIGINT <month>  plan month t = 1..H
--   budget_eur DOUBLE <EUR>  budget_month0 × (1 + growth/100)^(t−1), the float driver of new_t [PUB-8]
--   eps_cac DOUBLE <ratio>  CAC noise ε_cac,t (exactly 1 when cac_sd_pct = 0) [RNG-5]
--   eps_tokens DOUBLE <ratio>  usage noise ε_tok,t (exactly 1 when tokens_sd_pct = 0) [RNG-5]
--   cac_eur DOUBLE <EUR>  cac_base_eur × ε_cac,t [PUB-8]
--   new_customers DOUBLE <count>  budget_t / CAC_t, 0 when CAC_t = 0 (expected value, never rounded) [PUB-8]
--   active_customers DOUBLE <count>  active_{t−1} × (1 − churn/100) + new_t, active_0 = 0 [PUB-8]
--   tokens DOUBLE <tokens>  demanded tokens: active_t × tokens_per_conversion_mean × ε_tok,t [PUB-8]
-- The recurrence runs as a recursive CTE over months for all paths at once: each step computes
-- active_t from active_{t−1} in exactly the stated order, so every float is reproducible (no reduction).
WITH RECURSIVE noise AS (
    SELECT n.path_id, n.grid_index, n.replicate_index, n.mc_index, n.month, n.z_cac, n.z_tokens,
           n.grid_index * {{ var('replicates') }} + n.replicate_index AS param_set_id
    FROM draw_public_noise AS n
    WHERE n.month BETWEEN 1 AND {{ var('horizon_months') }}
),
joined AS (
    SELECT n.*, p.budget_month0_eur, p.budget_growth_pct_mom, p.cac_base_eur, p.cac_sd_pct,
           p.tokens_per_conversion_mean, p.tokens_sd_pct, p.churn_pct_mom
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
drivers AS (
    SELECT *,
           budget_month0_eur * pow(1 + budget_growth_pct_mom / 100, month - 1) AS budget_eur,
           cac_base_eur * eps_cac AS cac_eur
    FROM noise_factors
),
flows AS (
    SELECT *, CASE WHEN cac_eur > 0 THEN budget_eur / cac_eur ELSE 0.0 END AS new_customers FROM drivers
),
active AS (
    SELECT path_id, month, 0.0 * (1 - churn_pct_mom / 100) + new_customers AS active_customers
    FROM flows
    WHERE month = 1
    UNION ALL
    SELECT f.path_id, f.month, a.active_customers * (1 - f.churn_pct_mom / 100) + f.new_customers
    FROM active AS a
    JOIN flows AS f ON f.path_id = a.path_id AND f.month = a.month + 1
),
final AS (
    SELECT f.*, a.active_customers,
           a.active_customers * f.tokens_per_conversion_mean * f.eps_tokens AS tokens
    FROM flows AS f
    JOIN active AS a USING (path_id, month)
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
    CAST(cac_eur AS DOUBLE) AS cac_eur,
    CAST(new_customers AS DOUBLE) AS new_customers,
    CAST(active_customers AS DOUBLE) AS active_customers,
    CAST(tokens AS DOUBLE) AS tokens
FROM final
