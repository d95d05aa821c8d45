-- model: private_clients
-- version: 1
-- purpose: private clients and GPU hours per path and month: budget, CAC with keyed noise, new, active with churn, hours [PRV-5] [RNG-5]
-- pipelines: private
-- grain: path_id, month
-- columns:
--   path_id BIGINT <id>  path [GEN-2]
--   grid_index BIGINT <id>  grid point of the path
--   replicate_index BIGINT <id>  replicate of the path
--   mc_index BIGINT <id>  MC iteration of the path
--   param_set_id BIGINT <id>  parameter set of the path (grid_index·R + replicate_index)
--   month BIGINT <month>  plan month t = 1..H
--   budget_eur DOUBLE <EUR>  budget_t = budget_month0_eur × (1 + budget_growth_pct_mom/100)^(t−1) [PRV-5] [PUB-8]
--   eps_cac DOUBLE <ratio>  CAC noise factor ε_cac,t = exp(μ + σZ), 1 exactly when cac_sd_pct = 0 [RNG-5]
--   cac_eur DOUBLE <EUR>  CAC_t = cac_base_eur × ε_cac,t [PRV-5]
--   new_clients DOUBLE <count>  new_t = budget_t / CAC_t, 0 when CAC_t = 0 (expected value, never rounded) [PRV-5]
--   active_clients DOUBLE <count>  active_t = active_{t−1} × (1 − churn_pct_mom/100) + new_t, active_0 = 0 [PRV-5]
--   eps_hours DOUBLE <ratio>  usage noise factor ε_hrs,t, 1 exactly when hours_sd_pct = 0 [RNG-5]
--   hours DOUBLE <hours>  hours_t = active_t × hours_per_client_month_mean × ε_hrs,t [PRV-5]
WITH RECURSIVE noise AS (
    SELECT
        path_id,
        grid_index,
        replicate_index,
        mc_index,
        grid_index * {{ var('replicates') }} + replicate_index AS param_set_id,
        month,
        z_cac,
        z_hours
    FROM draw_private_noise
),

joined AS (
    SELECT
        n.*,
        p.budget_month0_eur,
        p.budget_growth_pct_mom,
        p.cac_base_eur,
        p.cac_sd_pct,
        p.hours_per_client_month_mean,
        p.hours_sd_pct,
        p.churn_pct_mom,
        -- σ² = ln(1 + c²) with c = sd_pct/100 [RNG-5]
        ln(1 + (p.cac_sd_pct / 100) * (p.cac_sd_pct / 100)) AS s2_cac,
        ln(1 + (p.hours_sd_pct / 100) * (p.hours_sd_pct / 100)) AS s2_hours
    FROM noise AS n
    JOIN params_private_tap AS p USING (param_set_id)
),

drivers AS (
    SELECT
        *,
        budget_month0_eur * pow(1 + budget_growth_pct_mom / 100, month - 1) AS budget_eur,
        -- ε = exp(μ + σZ), μ = −σ²/2; exactly 1 with sd 0 (the Z values are drawn all the same, and ignored) [RNG-5]
        CASE WHEN cac_sd_pct = 0 THEN 1.0 ELSE exp(-s2_cac / 2 + sqrt(s2_cac) * z_cac) END AS eps_cac,
        CASE WHEN hours_sd_pct = 0 THEN 1.0 ELSE exp(-s2_hours / 2 + sqrt(s2_hours) * z_hours) END AS eps_hours
    FROM joined
),

acquired AS MATERIALIZED (
    SELECT
        *,
        cac_base_eur * eps_cac AS cac_eur,
        CASE WHEN cac_base_eur * eps_cac > 0 THEN budget_eur / (cac_base_eur * eps_cac) ELSE 0.0 END AS new_clients,
        1 - churn_pct_mom / 100 AS retention
    FROM drivers
),

chain AS (
    -- The recurrence in its stated order, all paths at once, one month per step:
    -- active_t = active_{t−1} × (1 − churn/100) + new_t, starting from active_0 = 0 [PRV-5].
    -- Each step carries the month's row along, so no join back is needed afterwards.
    SELECT a.*, CAST(0.0 AS DOUBLE) * a.retention + a.new_clients AS active_clients
    FROM acquired AS a
    WHERE a.month = 1
    UNION ALL
    SELECT a.*, c.active_clients * a.retention + a.new_clients AS active_clients
    FROM chain AS c
    JOIN acquired AS a ON a.path_id = c.path_id AND a.month = c.month + 1
),

final AS (
    SELECT
        CAST(path_id AS BIGINT) AS path_id,
        CAST(grid_index AS BIGINT) AS grid_index,
        CAST(replicate_index AS BIGINT) AS replicate_index,
        CAST(mc_index AS BIGINT) AS mc_index,
        CAST(param_set_id AS BIGINT) AS param_set_id,
        CAST(month AS BIGINT) AS month,
        CAST(budget_eur AS DOUBLE) AS budget_eur,
        CAST(eps_cac AS DOUBLE) AS eps_cac,
        CAST(cac_eur AS DOUBLE) AS cac_eur,
        CAST(new_clients AS DOUBLE) AS new_clients,
        CAST(active_clients AS DOUBLE) AS active_clients,
        CAST(eps_hours AS DOUBLE) AS eps_hours,
        CAST(active_clients * hours_per_client_month_mean * eps_hours AS DOUBLE) AS hours
    FROM chain
)

SELECT * FROM final
