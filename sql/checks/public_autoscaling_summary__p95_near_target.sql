-- check: ACC-A6
-- severity: warning
-- series: rep
-- rule: |p95_util_pct(m) − target_utilization_pct| ≤ autoscaling_util_tolerance_pct for each simulated model (per-model rows of the autoscaler on the representative path; the ALL row is not checked) [ACC-A6] [PUB-12]
-- skip: not_run:public nothing_simulated
SELECT s.model, s.p95_util_pct, p.target_utilization_pct, 'model=' || s.model AS detail_key
FROM public_autoscaling_summary AS s
JOIN {{ ref('representative_path') }} AS r USING (path_id)
JOIN params_public_tap AS p ON p.param_set_id = r.param_set_id
CROSS JOIN run_settings AS t
WHERE s.model <> 'ALL' AND s.months_simulated > 0
  AND (s.p95_util_pct IS NULL
       OR abs(s.p95_util_pct - p.target_utilization_pct) > t.autoscaling_util_tolerance_pct)
ORDER BY s.model
