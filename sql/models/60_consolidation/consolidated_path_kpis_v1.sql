-- model: consolidated_path_kpis
-- version: 1
-- purpose: every per-path value of the consolidated_kpis metrics, computed per path before any aggregation [OUT-5] [FIN-11]
-- grain: path_id
-- columns:
--   path_id BIGINT <id>  path [GEN-2]
--   param_set_id BIGINT <id>  its parameter set
--   revenue_public_eur DECIMAL(18,6) <EUR>  Σ_t revenue_public_eur, EUR [FIN-1]
--   revenue_private_eur DECIMAL(18,6) <EUR>  Σ_t revenue_private_eur, EUR [FIN-1]
--   revenue_total_eur DECIMAL(18,6) <EUR>  Σ_t revenue_total_eur, EUR [FIN-1]
--   cogs_public_eur DECIMAL(18,6) <EUR>  Σ_t cogs_public_eur, EUR (consolidated_summary.public) [PUB-11]
--   cogs_private_eur DECIMAL(18,6) <EUR>  Σ_t cogs_private_eur, EUR (consolidated_summary.private) [PRV-7]
--   cogs_total_eur DECIMAL(18,6) <EUR>  Σ_t (cogs_public_eur + cogs_private_eur), EUR [FIN-1]
--   gross_profit_eur DECIMAL(18,6) <EUR>  Σ_t gross_profit_eur, EUR [FIN-1]
--   opex_total_eur DECIMAL(18,6) <EUR>  Σ_t opex_total_eur, EUR [FIN-1]
--   ebitda_eur DECIMAL(18,6) <EUR>  Σ_t ebitda_eur, EUR [FIN-1]
--   net_income_eur DECIMAL(18,6) <EUR>  Σ_t net_income_eur = net_income_h_eur, EUR [FIN-12]
--   overhead_public_eur DECIMAL(18,6) <EUR>  Σ_t overhead_public_eur, EUR [FIN-10]
--   overhead_private_eur DECIMAL(18,6) <EUR>  Σ_t overhead_private_eur, EUR [FIN-10]
--   contribution_public_eur DECIMAL(18,6) <EUR>  Σ_t contribution_public_eur, EUR [FIN-10]
--   contribution_private_eur DECIMAL(18,6) <EUR>  Σ_t contribution_private_eur, EUR [FIN-10]
--   gross_margin_pct DECIMAL(18,4) <percent>  round4(gross_profit_eur / revenue_total_eur · 100), null at zero revenue [OUT-5] [GEN-4]
--   public_gross_margin_pct DECIMAL(18,4) <percent>  round4((revenue_public_eur − cogs_public_eur) / revenue_public_eur · 100), null at zero public revenue or public not run [OUT-5]
--   cash_min_eur DECIMAL(18,6) <EUR>  min_t cash_closing, EUR [FIN-9]
--   cash_end_eur DECIMAL(18,6) <EUR>  cash_closing of month H, EUR [FIN-7]
--   funding_gap_eur DECIMAL(18,6) <EUR>  max(0, −cash_min_eur), EUR [FIN-9]
--   dscr_min DECIMAL(18,6) <ratio>  minimum non-null monthly dscr, ratio [FIN-9]
--   icr_min DECIMAL(18,6) <ratio>  minimum non-null monthly icr, ratio [FIN-9]
--   dscr_ltm_end DECIMAL(18,6) <ratio>  dscr_ltm of month H, ratio [FIN-9]
--   public_tokens DOUBLE <tokens>  Σ_t served tokens, left to right over months (0 when public is not run) [PUB-9]
--   public_active_customers_end DOUBLE <count>  active customers of month H (0 when public is not run) [PUB-8]
--   blended_sell_eur_per_1k DOUBLE <EUR/1k tokens>  blended_h = float(Σ usage_revenue_eur) / (Σ tokens / 1000); null at 0 tokens or public not run [PUB-10]
--   public_gpu_instance_hours DOUBLE <GPU-hours>  Σ_t instance hours (0 when public is not run) [PUB-11]
--   private_hours DOUBLE <hours>  Σ_t private GPU hours, left to right over months (0 when private is not run) [PRV-5]
--   private_active_clients_end DOUBLE <count>  active clients of month H (0 when private is not run) [PRV-5]
--   support_fte_end BIGINT <count>  support FTEs of month H (0 without finance.support) [FIN-1a]
--   reserve_cover_months_end DECIMAL(18,6) <months>  round6(cash_end_eur / (opex_total_eur + cogs_public_eur + cogs_private_eur of month H)), null when those costs are 0 [OUT-5]
-- Names are the metric names of consolidated_kpis.csv; cogs_public_eur and cogs_private_eur feed consolidated_summary only.
-- Ratios are exact quotients of DECIMAL amounts rounded once, half away from zero, to their export precision
-- (4 for _pct, 6 otherwise) [GEN-4]: `exact_div` works on the amounts as HUGEINT micro-euros, so no float ever
-- proposes a digit. Float sums run left to right in month order (list_reduce over an ordered list), never as a
-- parallel sum [GEN-4]. A tap that is not run contributes 0 to its amounts, volumes and counts and null to
-- public_gross_margin_pct / blended_sell_eur_per_1k [OUT-5].
{#- exact_div(num, den, factor, places) — round_half_away(num × factor / den, places) exactly, as
  DECIMAL(38, places); NULL when den = 0. num and den are DECIMALs of scale ≤ 6 (money) and |num| < 10^20;
  factor a positive integer. With a = num·10^6 and b = den·10^6 as HUGEINT, the magnitude is
  ⌊(2·|a|·factor·10^places + |b|) / (2·|b|)⌋ (half up on the magnitude = half away from zero) and the sign
  is sign(a)·sign(b). -#}
{% macro exact_div(num, den, factor, places) -%}
(CASE WHEN ({{ den }}) = 0 THEN NULL ELSE
    CAST(
        sign(CAST(CAST({{ num }} AS DECIMAL(38,6)) * 1000000 AS HUGEINT))
        * sign(CAST(CAST({{ den }} AS DECIMAL(38,6)) * 1000000 AS HUGEINT))
        * ((2 * abs(CAST(CAST({{ num }} AS DECIMAL(38,6)) * 1000000 AS HUGEINT)) * {{ factor * 10 ** places }}
            + abs(CAST(CAST({{ den }} AS DECIMAL(38,6)) * 1000000 AS HUGEINT)))
           // (2 * abs(CAST(CAST({{ den }} AS DECIMAL(38,6)) * 1000000 AS HUGEINT))))
    AS DECIMAL(38,0)) * CAST('{{ '%.*f' % (places, 10 ** -places) }}' AS DECIMAL({{ places + 1 }},{{ places }}))
END)
{%- endmacro %}
WITH
finance AS (
    SELECT * FROM {{ ref('finance_path_kpis') }}
),

public_totals AS (
{% if 'public' in var('pipelines') %}
    SELECT h.path_id, h.tokens, h.blended_sell_eur_per_1k, h.instance_hours, m.active_customers
    FROM {{ ref('public_horizon') }} AS h
    JOIN {{ ref('public_month') }} AS m ON m.path_id = h.path_id AND m.month = {{ var('horizon_months') }}
{% else %}
    SELECT CAST(NULL AS BIGINT) AS path_id, CAST(NULL AS DOUBLE) AS tokens,
        CAST(NULL AS DOUBLE) AS blended_sell_eur_per_1k, CAST(NULL AS DOUBLE) AS instance_hours,
        CAST(NULL AS DOUBLE) AS active_customers
    WHERE false
{% endif %}
),

private_totals AS (
{% if 'private' in var('pipelines') %}
    SELECT path_id,
        list_reduce(list(hours ORDER BY month), lambda a, b: a + b, 0.0::DOUBLE) AS hours,
        arg_max(active_clients, month) AS active_clients
    FROM {{ ref('private_month') }}
    GROUP BY path_id
{% else %}
    SELECT CAST(NULL AS BIGINT) AS path_id, CAST(NULL AS DOUBLE) AS hours, CAST(NULL AS DOUBLE) AS active_clients
    WHERE false
{% endif %}
),

final AS (
    SELECT
        f.path_id,
        f.param_set_id,
        f.revenue_public_eur, f.revenue_private_eur, f.revenue_total_eur, f.cogs_public_eur, f.cogs_private_eur, f.cogs_total_eur,
        f.gross_profit_eur, f.opex_total_eur, f.ebitda_eur,
        f.net_income_h_eur AS net_income_eur,
        f.overhead_public_eur, f.overhead_private_eur, f.contribution_public_eur, f.contribution_private_eur,
        {{ exact_div('f.gross_profit_eur', 'f.revenue_total_eur', 100, 4) }} AS gross_margin_pct,
        {% if 'public' in var('pipelines') -%}
        {{ exact_div('(f.revenue_public_eur - f.cogs_public_eur)', 'f.revenue_public_eur', 100, 4) }}
        {%- else -%}
        NULL
        {%- endif %} AS public_gross_margin_pct,
        f.cash_min_eur, f.cash_end_eur, f.funding_gap_eur, f.dscr_min, f.icr_min, f.dscr_ltm_end,
        coalesce(pub.tokens, 0.0) AS public_tokens,
        coalesce(pub.active_customers, 0.0) AS public_active_customers_end,
        pub.blended_sell_eur_per_1k,
        coalesce(pub.instance_hours, 0.0) AS public_gpu_instance_hours,
        coalesce(prv.hours, 0.0) AS private_hours,
        coalesce(prv.active_clients, 0.0) AS private_active_clients_end,
        sc.support_fte AS support_fte_end,
        {{ exact_div('f.cash_end_eur', 'f.last_month_costs_eur', 1, 6) }} AS reserve_cover_months_end
    FROM finance AS f
    LEFT JOIN public_totals AS pub USING (path_id)
    LEFT JOIN private_totals AS prv USING (path_id)
    JOIN {{ ref('finance_scaling_costs') }} AS sc ON sc.path_id = f.path_id AND sc.month = {{ var('horizon_months') }}
)

SELECT
    CAST(path_id AS BIGINT) AS path_id,
    CAST(param_set_id AS BIGINT) AS param_set_id,
    CAST(revenue_public_eur AS DECIMAL(18,6)) AS revenue_public_eur,
    CAST(revenue_private_eur AS DECIMAL(18,6)) AS revenue_private_eur,
    CAST(revenue_total_eur AS DECIMAL(18,6)) AS revenue_total_eur,
    CAST(cogs_public_eur AS DECIMAL(18,6)) AS cogs_public_eur,
    CAST(cogs_private_eur AS DECIMAL(18,6)) AS cogs_private_eur,
    CAST(cogs_total_eur AS DECIMAL(18,6)) AS cogs_total_eur,
    CAST(gross_profit_eur AS DECIMAL(18,6)) AS gross_profit_eur,
    CAST(opex_total_eur AS DECIMAL(18,6)) AS opex_total_eur,
    CAST(ebitda_eur AS DECIMAL(18,6)) AS ebitda_eur,
    CAST(net_income_eur AS DECIMAL(18,6)) AS net_income_eur,
    CAST(overhead_public_eur AS DECIMAL(18,6)) AS overhead_public_eur,
    CAST(overhead_private_eur AS DECIMAL(18,6)) AS overhead_private_eur,
    CAST(contribution_public_eur AS DECIMAL(18,6)) AS contribution_public_eur,
    CAST(contribution_private_eur AS DECIMAL(18,6)) AS contribution_private_eur,
    CAST(gross_margin_pct AS DECIMAL(18,4)) AS gross_margin_pct,
    CAST(public_gross_margin_pct AS DECIMAL(18,4)) AS public_gross_margin_pct,
    CAST(cash_min_eur AS DECIMAL(18,6)) AS cash_min_eur,
    CAST(cash_end_eur AS DECIMAL(18,6)) AS cash_end_eur,
    CAST(funding_gap_eur AS DECIMAL(18,6)) AS funding_gap_eur,
    CAST(dscr_min AS DECIMAL(18,6)) AS dscr_min,
    CAST(icr_min AS DECIMAL(18,6)) AS icr_min,
    CAST(dscr_ltm_end AS DECIMAL(18,6)) AS dscr_ltm_end,
    CAST(public_tokens AS DOUBLE) AS public_tokens,
    CAST(public_active_customers_end AS DOUBLE) AS public_active_customers_end,
    CAST(blended_sell_eur_per_1k AS DOUBLE) AS blended_sell_eur_per_1k,
    CAST(public_gpu_instance_hours AS DOUBLE) AS public_gpu_instance_hours,
    CAST(private_hours AS DOUBLE) AS private_hours,
    CAST(private_active_clients_end AS DOUBLE) AS private_active_clients_end,
    CAST(support_fte_end AS BIGINT) AS support_fte_end,
    CAST(reserve_cover_months_end AS DECIMAL(18,6)) AS reserve_cover_months_end
FROM final
ORDER BY path_id
