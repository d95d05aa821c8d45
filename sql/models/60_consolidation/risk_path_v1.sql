-- model: risk_path
-- version: 1
-- purpose: per path the breach statistics and EBITDA break-even of [FIN-14]
-- grain: path_id
-- columns:
--   path_id BIGINT <id>  path [GEN-2]
--   grid_index BIGINT <id>  its grid point
--   first_breach_month BIGINT <month>  first t with a cash or DSCR breach; null if none [FIN-14]
--   breach_any BOOLEAN <flag>  first_breach_month is not null [FIN-14]
--   cash_breach_any BOOLEAN <flag>  a cash breach in some month [FIN-14]
--   dscr_breach_any BOOLEAN <flag>  a DSCR breach in some month [FIN-14]
--   over_limit_any BOOLEAN <flag>  over the funding-line limit in some month [FIN-14]
--   break_even_month BIGINT <month>  first t with ebitda_s ≥ 0 for every s = t..H; null = not within the horizon [FIN-14]
--   funding_gap_eur DECIMAL(18,6) <EUR>  max(0, −cash_min), the peak overdraft, EUR [FIN-7a]
-- break_even_month = 1 + the last month with negative EBITDA (1 when there is none); beyond H it is null.
WITH
breaches AS (
    SELECT path_id,
        min(month) FILTER (WHERE breach) AS first_breach_month,
        bool_or(cash_breach) AS cash_breach_any,
        bool_or(dscr_breach) AS dscr_breach_any,
        bool_or(over_limit) AS over_limit_any
    FROM {{ ref('risk_path_month') }}
    GROUP BY path_id
),
ebitda AS (
    SELECT path_id, coalesce(max(month) FILTER (WHERE ebitda_eur < 0), 0) + 1 AS candidate
    FROM {{ ref('finance_month') }}
    GROUP BY path_id
)
SELECT
    k.path_id,
    CAST(k.grid_index AS BIGINT) AS grid_index,
    CAST(b.first_breach_month AS BIGINT) AS first_breach_month,
    b.first_breach_month IS NOT NULL AS breach_any,
    b.cash_breach_any,
    b.dscr_breach_any,
    b.over_limit_any,
    CAST(CASE WHEN e.candidate <= {{ var('horizon_months') }} THEN e.candidate END AS BIGINT) AS break_even_month,
    k.funding_gap_eur
FROM {{ ref('finance_path_kpis') }} AS k
JOIN breaches AS b USING (path_id)
JOIN ebitda AS e USING (path_id)
ORDER BY k.path_id
