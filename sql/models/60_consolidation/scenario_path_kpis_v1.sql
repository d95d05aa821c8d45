-- model: scenario_path_kpis
-- version: 1
-- purpose: per-path what-if KPIs of the base (scenario 0) and of every stress test, on the same random numbers [OUT-13] [V12-7] [IN-21]
-- scope: across paths
-- grain: scenario, path_id
-- columns:
--   scenario BIGINT <id>  0 = the base run, s = stress test s in input order [IN-21]
--   path_id BIGINT <id>  path [GEN-2]
--   grid_index BIGINT <id>  grid point [IN-16]
--   funding_gap_eur DECIMAL(18,6) <EUR>  max(0, −cash_min_eur) [FIN-9]
--   net_income_h_eur DECIMAL(18,6) <EUR>  Σ_t net income over the horizon [FIN-12]
--   cash_min_eur DECIMAL(18,6) <EUR>  min_t closing cash [FIN-9]
--   dscr_ltm_test_min DECIMAL(18,6) <ratio>  minimum LTM DSCR from the test month on [FIN-9]
--   breach_any BOOLEAN <flag>  a cash or DSCR breach in some month [FIN-14]
--   break_even_month BIGINT <month>  first month from which EBITDA stays ≥ 0, null if none [FIN-14]
-- The [FIN-14] rules exist once, in the lender's models: breach_any, break_even_month and funding_gap_eur come
-- from risk_path, net income and the lowest cash from consolidated_path_kpis, the LTM DSCR from the test month on
-- from finance_path_kpis; so the base rows equal what consolidated_kpis aggregates.
-- The stress rows (scenario ≥ 1) are read from `stress_path_kpis`, a table the stress stage fills before the base
-- models run (pipeline/stresses.py): each stress runs this same model in its own scratch database (where
-- stress_path_kpis is empty, so its rows are its scenario 0) and its rows are copied here with the stress's number.
-- A stress spans another database, so it cannot be a model of this DAG; this model is the one place the
-- per-path what-if KPIs are defined (specs/engine.md "Stress tests").
SELECT CAST(0 AS BIGINT) AS scenario, r.path_id, r.grid_index, r.funding_gap_eur,
    c.net_income_eur AS net_income_h_eur, c.cash_min_eur, k.dscr_ltm_test_min, r.breach_any, r.break_even_month
FROM {{ ref('risk_path') }} AS r
JOIN {{ ref('consolidated_path_kpis') }} AS c USING (path_id)
JOIN {{ ref('finance_path_kpis') }} AS k USING (path_id)
UNION ALL
SELECT scenario, path_id, grid_index, funding_gap_eur, net_income_h_eur, cash_min_eur, dscr_ltm_test_min, breach_any,
    break_even_month
FROM stress_path_kpis
ORDER BY scenario, path_id
