-- model: private_clients
-- version: 2
-- purpose: private clients and GPU hours per path and month: capped budget, CAC with diminishing returns, saturation, new, active with churn, hours [PRV-5] [PUB-8b] [RNG-10]
-- pipelines: private
-- grain: path_id, month
-- columns:
--   path_id BIGINT <id>  path [GEN-2]
--   grid_index BIGINT <id>  grid point of the path
--   replicate_index BIGINT <id>  replicate of the path
--   mc_index BIGINT <id>  MC iteration of the path
--   param_set_id BIGINT <id>  parameter set of the path (grid_index·R + replicate_index)
--   month BIGINT <month>  plan month t = 1..H
--   budget_eur DOUBLE <EUR>  budget_t = min(budget_month0_eur × (1 + budget_growth_pct_mom/100)^(t−1), budget_cap_eur), no cap: uncapped [PRV-5] [PUB-8b]
--   eps_cac DOUBLE <ratio>  CAC noise factor ε_cac,t = exp(μ + σZ), 1 exactly when cac_sd_pct = 0 [RNG-5]
--   cac_eff_eur DOUBLE <EUR>  cac_base × max(1, budget_t / budget_month0)^cac_elasticity; cac_base when elasticity or budget_month0 is 0 [PUB-8b]
--   cac_eur DOUBLE <EUR>  realised CAC_t = cac_eff_t / ε_cac,t [RNG-10]
--   saturation DOUBLE <ratio>  sat_t = max(0, 1 − active_{t−1} / A); 1 when addressable_customers is not set [PUB-8b]
--   new_clients DOUBLE <count>  min((budget_t × ε_cac,t) / cac_eff_t × sat_t, room_t), 0 when cac_eff_t = 0 (expected value, never rounded) [PUB-8b]
--   active_clients DOUBLE <count>  active_t = active_{t−1} × (1 − churn_pct_mom/100) + new_t, active_0 = 0 [PRV-5]
--   eps_hours DOUBLE <ratio>  usage noise factor ε_hrs,t, 1 exactly when hours_sd_pct = 0 [RNG-5]
--   hours DOUBLE <hours>  hours_t = active_t × hours_per_client_month_mean × ε_hrs,t [PRV-5]
-- New clients depend on the previous month's active clients (saturation, room), so the month step is one
-- recursive CTE over months for all paths at once, in the stated float64 order [PUB-8b]. With the [PUB-8b] keys
-- unset and sd 0 the extra factors are exact identities (× 1, min with +∞, ^0): every number equals version 1.
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
        p.budget_cap_eur,
        p.cac_elasticity,
        CAST(p.addressable_customers AS DOUBLE) AS market,
        -- σ² = ln(1 + c²) with c = sd_pct/100 [RNG-5]
        ln(1 + (p.cac_sd_pct / 100) * (p.cac_sd_pct / 100)) AS s2_cac,
        ln(1 + (p.hours_sd_pct / 100) * (p.hours_sd_pct / 100)) AS s2_hours
    FROM noise AS n
    JOIN params_private_tap AS p USING (param_set_id)
),

drivers AS (
    SELECT
        *,
        budget_month0_eur * pow(1 + budget_growth_pct_mom / 100, month - 1) AS uncapped,
        -- ε = exp(μ + σZ), μ = −σ²/2; exactly 1 with sd 0 (the Z values are drawn all the same, and ignored) [RNG-5]
        CASE WHEN cac_sd_pct = 0 THEN 1.0 ELSE exp(-s2_cac / 2 + sqrt(s2_cac) * z_cac) END AS eps_cac,
        CASE WHEN hours_sd_pct = 0 THEN 1.0 ELSE exp(-s2_hours / 2 + sqrt(s2_hours) * z_hours) END AS eps_hours
    FROM joined
),

budgets AS (
    SELECT
        *,
        CASE WHEN budget_cap_eur IS NULL THEN uncapped ELSE least(uncapped, budget_cap_eur) END AS budget_eur
    FROM drivers
),

priced AS (
    -- Diminishing returns: a budget k times the launch budget pays k^elasticity times the base CAC [PUB-8b].
    SELECT
        *,
        CASE
            WHEN budget_month0_eur = 0 THEN cac_base_eur
            ELSE cac_base_eur * pow(greatest(1.0, budget_eur / budget_month0_eur), cac_elasticity)
        END AS cac_eff_eur
    FROM budgets
),

acquired AS MATERIALIZED (
    -- The clients the month's budget buys before saturation: (budget × ε) / cac_eff [RNG-10].
    SELECT
        *,
        CASE WHEN cac_eff_eur > 0 THEN (budget_eur * eps_cac) / cac_eff_eur ELSE 0.0 END AS bought,
        1 - churn_pct_mom / 100 AS retention
    FROM priced
),

chain AS (
    -- One month per step for every path, from active_0 = 0: sat_t and room_t from active_{t−1}, then new_t and
    -- active_t = active_{t−1} × (1 − churn/100) + new_t [PRV-5]. room_t keeps active_t ≤ A [PUB-8b].
    SELECT
        path_id,
        CAST(0 AS BIGINT) AS month,
        CAST(NULL AS DOUBLE) AS saturation,
        CAST(NULL AS DOUBLE) AS new_clients,
        CAST(0.0 AS DOUBLE) AS active_clients
    FROM acquired
    WHERE month = 1
    UNION ALL
    SELECT path_id, month, saturation, new_clients, active_prev * retention + new_clients
    FROM (
        SELECT *, least(bought * saturation, room) AS new_clients
        FROM (
            SELECT
                a.path_id,
                a.month,
                a.bought,
                a.retention,
                c.active_clients AS active_prev,
                CASE
                    WHEN a.market IS NULL THEN 1.0
                    ELSE greatest(0.0, 1 - c.active_clients / a.market)
                END AS saturation,
                CASE
                    WHEN a.market IS NULL THEN CAST('Infinity' AS DOUBLE)
                    ELSE greatest(0.0, a.market - c.active_clients * a.retention)
                END AS room
            FROM chain AS c
            JOIN acquired AS a ON a.path_id = c.path_id AND a.month = c.month + 1
        )
    )
),

final AS (
    SELECT
        CAST(a.path_id AS BIGINT) AS path_id,
        CAST(a.grid_index AS BIGINT) AS grid_index,
        CAST(a.replicate_index AS BIGINT) AS replicate_index,
        CAST(a.mc_index AS BIGINT) AS mc_index,
        CAST(a.param_set_id AS BIGINT) AS param_set_id,
        CAST(a.month AS BIGINT) AS month,
        CAST(a.budget_eur AS DOUBLE) AS budget_eur,
        CAST(a.eps_cac AS DOUBLE) AS eps_cac,
        CAST(a.cac_eff_eur AS DOUBLE) AS cac_eff_eur,
        CAST(a.cac_eff_eur / a.eps_cac AS DOUBLE) AS cac_eur,
        CAST(c.saturation AS DOUBLE) AS saturation,
        CAST(c.new_clients AS DOUBLE) AS new_clients,
        CAST(c.active_clients AS DOUBLE) AS active_clients,
        CAST(a.eps_hours AS DOUBLE) AS eps_hours,
        CAST(c.active_clients * a.hours_per_client_month_mean * a.eps_hours AS DOUBLE) AS hours
    FROM acquired AS a
    JOIN chain AS c USING (path_id, month)
)

SELECT * FROM final
