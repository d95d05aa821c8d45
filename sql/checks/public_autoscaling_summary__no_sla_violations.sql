-- check: ACC-A7
-- severity: warning
-- series: rep
-- rule: sla_violations = 0 for each simulated model (per-model rows of the autoscaler on the representative path) [ACC-A7] [PUB-12]
-- skip: not_run:public nothing_simulated
SELECT s.model, s.sla_violations, 'model=' || s.model AS detail_key
FROM public_autoscaling_summary AS s
WHERE s.model <> 'ALL' AND s.months_simulated > 0 AND s.sla_violations > 0
ORDER BY s.model
