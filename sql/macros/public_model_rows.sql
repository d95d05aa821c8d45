{#-
  public_model_rows(demand, admission, price, which) — the rows of [PUB-9] [PUB-11] per (demand row,
  admitted model): tokens by mix, usage revenue, capacity plan, GPU cost and COGS, with the columns of
  public_model_month in its order. The one place these formulas are written; three models use it
  (speed, issue 13):
  - which='all': every admitted model (public_model_month);
  - which='served': admitted models with traffic_share > 0 (public_served_month, per path);
  - which='idle': admitted models with traffic_share = 0 (public_idle_model, once per parameter set).
  An idle model has 0 tokens on every path and in every month, so its row is the same on every path of
  a parameter set: computing it once per set from a demand row of 0 tokens gives the very values the
  per-path rows hold (tokens_t × 0 = 0 for the finite tokens_t ≥ 0 of [PUB-9]).
  `demand` must offer path_id, param_set_id, month and tokens; pass the arguments as ref() calls in the
  model text, so the DAG sees the dependencies. Rates enter DECIMAL arithmetic as the exact decimal of
  their shortest text ([GEN-4]); `x/100` is written `x × 0.01` so it stays DECIMAL.
-#}
{% macro public_model_rows(demand, admission, price, which) -%}
WITH admitted AS (
    SELECT a.param_set_id, a.model, a.traffic_share, pr.gpu, pr.sell_eur_per_1k, pr.tps, pr.cap_tph, pr.eur_hr
    FROM {{ admission }} AS a
    JOIN {{ price }} AS pr USING (param_set_id, model)
    WHERE a.admitted
    {%- if which == 'served' %} AND a.traffic_share > 0{% elif which == 'idle' %} AND a.traffic_share = 0{% elif which != 'all' %}{{ error_unknown_which }}{% endif %}
),
set_params AS (
    -- Speed (issue 13): the overhead factor is a per-set value, computed once per set rather than per row.
    SELECT *, 1 + {{ dec('infra_overhead_pct_of_gpu', 28, 10) }} * CAST('0.01' AS DECIMAL(3, 2)) AS overhead_factor
    FROM params_public_tap
),
joined AS (
    SELECT d.path_id, d.param_set_id, d.month, d.tokens AS tokens_t, a.model, a.gpu, a.traffic_share,
           a.sell_eur_per_1k, a.tps, a.cap_tph, a.eur_hr, p.peak_factor, p.min_instances_per_model,
           p.max_instances_per_model, p.overhead_factor, p.base_eur_per_1M AS base_1m
    FROM {{ demand }} AS d
    JOIN admitted AS a USING (param_set_id)
    JOIN set_params AS p USING (param_set_id)
),
mixed AS (
    SELECT *, tokens_t * traffic_share AS tokens FROM joined
),
hourly AS (
    SELECT *, tokens / 720 AS avg_tph, tokens / 720 * peak_factor AS peak_tph FROM mixed
),
sized AS (
    SELECT *,
           CASE WHEN tokens = 0 THEN 0 ELSE CAST(ceil(peak_tph / cap_tph - 1e-9) AS BIGINT) END AS needed
    FROM hourly
),
clamped AS (
    SELECT *, least(greatest(needed, min_instances_per_model), max_instances_per_model) AS instances FROM sized
),
final AS (
    SELECT *,
           {{ dec('tokens / 1000 * sell_eur_per_1k') }} AS usage_revenue_eur,
           {{ dec('instances * 720 * eur_hr') }} AS gpu_cost_eur,
           {{ dec('tokens / 1e6 * base_1m') }} AS base_cost
    FROM clamped
)
SELECT
    CAST(path_id AS BIGINT) AS path_id,
    CAST(param_set_id AS BIGINT) AS param_set_id,
    CAST(month AS BIGINT) AS month,
    CAST(model AS VARCHAR) AS model,
    CAST(gpu AS VARCHAR) AS gpu,
    CAST(traffic_share AS DOUBLE) AS traffic_share,
    CAST(sell_eur_per_1k AS DOUBLE) AS sell_eur_per_1k,
    CAST(tokens AS DOUBLE) AS tokens,
    CAST(avg_tph AS DOUBLE) AS avg_tokens_per_hour,
    CAST(peak_tph AS DOUBLE) AS peak_tokens_per_hour,
    CAST(tps AS DOUBLE) AS tps,
    CAST(cap_tph AS DOUBLE) AS cap_tokens_per_hour_per_instance,
    CAST(needed AS BIGINT) AS instances_needed,
    CAST(instances AS BIGINT) AS instances,
    CAST(instances * 720 AS DOUBLE) AS instance_hours,
    CAST(eur_hr AS DOUBLE) AS eur_hr,
    CAST(max_instances_per_model AS BIGINT) AS max_instances_per_model,
    CAST(needed > max_instances_per_model AS BOOLEAN) AS capacity_violation,
    CAST(usage_revenue_eur AS DECIMAL(18, 6)) AS usage_revenue_eur,
    CAST(gpu_cost_eur AS DECIMAL(18, 6)) AS gpu_cost_eur,
    -- Speed (issue 13): a zero GPU cost (no instances) skips the 38-digit product; round6(0 × f) + b = b.
    CAST(CASE WHEN gpu_cost_eur = 0 THEN base_cost
              ELSE {{ product_round6('gpu_cost_eur', 'overhead_factor') }} + base_cost END AS DECIMAL(18, 6))
        AS cogs_eur
FROM final
{%- endmacro %}
