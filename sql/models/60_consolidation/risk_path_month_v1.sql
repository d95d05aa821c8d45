-- model: risk_path_month
-- version: 1
-- purpose: per path and month the breach tests of [FIN-14]: cash below the floor after the committed line, over the limit, LTM DSCR below the covenant
-- grain: path_id, month
-- columns:
--   path_id BIGINT <id>  path [GEN-2]
--   grid_index BIGINT <id>  its grid point
--   month BIGINT <month>  plan month t = 1..H
--   headroom_eur DECIMAL(18,6) <EUR>  cash_closing + funding_line.limit_eur (0 when no limit) [FIN-14]
--   cash_breach BOOLEAN <flag>  headroom < floor (targets.min_cash_floor_eur; not set = 0) [FIN-14]
--   over_limit BOOLEAN <flag>  overdraft > funding_line.limit_eur (never without a limit) [FIN-14]
--   dscr_breach BOOLEAN <flag>  t ≥ dscr_test_from_month (not set = 12), min_monthly_dscr set, dscr_ltm not null and below it [FIN-14]
--   breach BOOLEAN <flag>  cash_breach or dscr_breach [FIN-14]
-- Targets are input numbers: they enter DECIMAL as the exact decimal of their shortest text [GEN-4].
WITH
targets AS (
    SELECT
        coalesce({{ dec('min_cash_floor_eur', 38, 10) }}, 0) AS cash_floor,
        {{ dec('min_monthly_dscr', 38, 10) }} AS min_dscr,
        dscr_test_from_month AS test_from
    FROM run_settings
),
joined AS (
    SELECT
        f.path_id, p.grid_index, f.month, f.cash_closing_eur, f.overdraft_eur, f.dscr_ltm, fp.funding_line_limit_eur,
        t.cash_floor, t.min_dscr, t.test_from
    FROM {{ ref('finance_month') }} AS f
    JOIN {{ ref('paths') }} AS p USING (path_id)
    JOIN {{ ref('finance_params') }} AS fp ON fp.param_set_id = f.param_set_id
    CROSS JOIN targets AS t
),
tests AS (
    SELECT *,
        cash_closing_eur + coalesce(funding_line_limit_eur, 0) AS headroom,
        coalesce(overdraft_eur > funding_line_limit_eur, false) AS over_limit,
        coalesce(month >= test_from AND dscr_ltm < min_dscr, false) AS dscr_breach
    FROM joined
)
SELECT
    path_id,
    grid_index,
    month,
    CAST(headroom AS DECIMAL(18,6)) AS headroom_eur,
    headroom < cash_floor AS cash_breach,
    over_limit,
    dscr_breach,
    headroom < cash_floor OR dscr_breach AS breach
FROM tests
ORDER BY path_id, month
