-- model: private_gpu_month
-- version: 1
-- purpose: hours, hour revenue and GPU cost per path, month and GPU class in the client mix [PRV-6] [PRV-7] [GEN-4]
-- pipelines: private
-- grain: path_id, month, gpu
-- columns:
--   path_id BIGINT <id>  path [GEN-2]
--   param_set_id BIGINT <id>  parameter set of the path
--   month BIGINT <month>  plan month t = 1..H
--   gpu VARCHAR <id>  private GPU class with client_mix_share > 0 [PRV-6]
--   hours DOUBLE <hours>  hours_{t,g} = hours_t × x_g [PRV-6]
--   revenue_hours_eur DECIMAL(18,6) <EUR>  DEC(hours_{t,g} × sell_eur_hr(g)), prepaid in the month [PRV-7] [GEN-4]
--   cogs_eur DECIMAL(18,6) <EUR>  DEC(hours_{t,g} × eur_hr(recommended_g)): GPUs rented only for the hours sold [PRV-7] [GEN-4]
WITH clients AS (
    SELECT path_id, param_set_id, month, hours
    FROM {{ ref('private_clients') }}
),

classes AS (
    -- A class outside the client mix sells no hours; it gets no rows (and contributes 0).
    SELECT param_set_id, gpu, client_mix_share, sell_eur_hr, recommended_eur_hr
    FROM {{ ref('private_economics') }}
    WHERE client_mix_share > 0
),

split AS (
    SELECT c.path_id, c.param_set_id, c.month, g.gpu, c.hours * g.client_mix_share AS hours, g.sell_eur_hr,
        g.recommended_eur_hr
    FROM clients AS c
    JOIN classes AS g USING (param_set_id)
),

final AS (
    SELECT
        CAST(path_id AS BIGINT) AS path_id,
        CAST(param_set_id AS BIGINT) AS param_set_id,
        CAST(month AS BIGINT) AS month,
        CAST(gpu AS VARCHAR) AS gpu,
        CAST(hours AS DOUBLE) AS hours,
        {{ dec('hours * sell_eur_hr') }} AS revenue_hours_eur,
        {{ dec('hours * recommended_eur_hr') }} AS cogs_eur
    FROM split
)

SELECT * FROM final
