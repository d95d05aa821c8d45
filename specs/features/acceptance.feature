# Acceptance checks and consolidated outputs: DOMAIN §6 [ACC-0]…[ACC-A13], [OUT-5], [OUT-6], worked example
# [EX-8] horizon KPIs and [EX-10]. Every scenario runs the real `d3 run` on a copy of the golden fixture
# minimal_001 (one path, so p10 = p50 = p90 = rep) and reads what it published. Escalation with
# --fail-on-warning is pinned by tests/golden/test_minimal_001_consolidated.py, every skip rule and every
# check's failing rows by tests/sql/test_checks_sql.py.
Feature: Acceptance checks and consolidated outputs
  A plan is accepted only if its books close and its economics hold: every check reports its violating
  rows, a warning never stops a run unless warnings are escalated, an error exits 4, and the artefacts are
  published either way so the failure can be read.

  Background:
    Given the inputs of fixture "minimal_001"

  Scenario: The worked example passes with one warning [EX-10]
    When I run "d3 run --inputs {inputs} --out {out} --quiet"
    Then the exit code is 0
    And stdout is JSON lines ending with run_done
    And acceptance check "ACC-A6" fails as a warning with detail "violations=1; first: model=Large 30B"
    And acceptance check "ACC-A2" is skipped because "target null"
    And every other acceptance check passes
    And the consolidated KPI "net_income" is -3826.72 on every series
    And the consolidated KPI "gross_margin_pct" is 30.4384 on every series
    And the consolidated KPI "reserve_cover_months_end" is 1.580635 on every series

  @e2e
  Scenario: Private margins below the threshold are an error [ACC-A4]
    Given the key "targets.private_margin_threshold_pct" of "simulation.yaml" is set to 40
    When I run "d3 run --inputs {inputs} --out {out} --quiet"
    Then the exit code is 4
    And acceptance check "ACC-A4" fails as an error with detail "violations=2; first: grid_index=0 replicate_index=0 gpu=GPU-A"
    And the consolidated KPI "net_income" is -3826.72 on every series

  @e2e
  Scenario: Cash below the floor is a warning [ACC-A12]
    Given the key "targets.min_cash_floor_eur" of "simulation.yaml" is set to 1000000000
    When I run "d3 run --inputs {inputs} --out {out} --quiet"
    Then the exit code is 0
    And acceptance check "ACC-A12" fails as a warning with detail "violations=1; first: part=cash"

  Scenario Outline: A single tap still closes its books and reports every metric [OUT-5] [ACC-A10]
    When I run "d3 run --inputs {inputs} --out {out} --quiet --pipelines <tap>"
    Then the exit code is 0
    And acceptance check "ACC-A10" passes
    And the checks of the <other> tap are skipped because "<other> not run"
    And consolidated_kpis.csv has all 38 metrics in order
    And the consolidated KPI "<zero>" is 0.00 on every series
    And the consolidated KPI "<volume>" is 0.000000 on every series
    And the consolidated KPIs empty on every series are <empty>

    # The public tap alone never covers its GPU cost in the fixture: EBITDA stays negative, so no path breaks
    # even within the horizon and break_even_month is empty on every series ("after month H", [FIN-14]).
    Examples:
      | tap     | other   | zero            | volume        | empty                                                                                                                                                      |
      | public  | private | revenue_private | private_hours | break_even_month                                                                                                                                           |
      | private | public  | revenue_public  | public_tokens | public_gross_margin_pct, blended_sell_eur_per_1k, autoscaling_avg_util_pct, autoscaling_p95_util_pct, autoscaling_sla_violations, autoscaling_scale_events |
