# Plan versus actual: DOMAIN §11 [OUT-17], with [GEN-4]/[GEN-5] numbers and [IN-18] findings. Every scenario
# backtests the published golden run of minimal_001 [EX-1]: one path, so p10 = p50 = p90 = the path's value
# (revenue_total 1 910.60, 3 821.20 and 5 743.55 EUR in 2026-01 … 2026-03) and the PIT is 0 or 1.
Feature: Hold a plan against what happened
  After a few months of trading a founder and the lender compare the plan's bands with the actual
  figures: month by month inside or outside p10–p90, the error measures forecasters use, and whether
  the bands are honest. The plan's per-path values come from run.duckdb; nothing is simulated again.

  Background:
    Given an output folder holding a published run

  Scenario: Actual figures are compared month by month with the plan's band [OUT-17]
    Given the actuals file contains:
      """
      period,metric,value
      2026-01,revenue_total,1910.60
      2026-02,revenue_total,3800
      2026-03,revenue_total,5743.55
      """
    When I backtest the published run
    Then the exit code is 0
    And stdout contains "| revenue_total | 3 | 7.07 | 12.24 | 0.19 % | 0.19 % | 7.07 | 66.7 % |"
    And backtest.csv has the row "revenue_total,2026-02,2,3800.000000,3821.200000,3821.200000,3821.200000,false,0.0000"
    And backtest.csv has the row "revenue_total,2026-03,3,5743.550000,5743.550000,5743.550000,5743.550000,true,1.0000"
    And backtest_summary.csv has the row "revenue_total,3,7.066667,12.239826,0.1851,0.1854,7.066667,66.6667"
    And backtest.md shows the chart "charts/backtest_revenue_total.png"

  Scenario: The same run and actuals give the same bytes [OUT-17]
    Given the actuals file contains:
      """
      # made up for this scenario
      period,metric,value
      2026-02,cash_closing,9000
      2026-01,ebitda,-2400.5
      """
    When I backtest the published run
    And I backtest the published run again
    Then both backtest folders are byte-identical

  Scenario Outline: Bad actuals are refused with their line and a fix, and nothing is written [OUT-17] [IN-18]
    Given the actuals file contains:
      """
      period,metric,value
      <row>
      """
    When I backtest the published run
    Then the exit code is 2
    And the actuals error "<code>" is on line 2 and names "<name>"
    And no backtest folder was written
    And the published run is unchanged

    Examples:
      | row                        | code         | name          |
      | 2026-01,revenue_totl,1     | bad_enum     | revenue_total |
      | 2026-04,ebitda,1           | out_of_range | 2026-04       |
      | 2026-01,ebitda,1.2e3       | type_error   | 1.2e3         |
      | 2026-01,ebitda,"1,200.00"  | type_error   | plain decimal |
      | 2026-01,ebitda             | parse_error  | 2 fields      |

  Scenario: A value given twice for one month and metric is refused [OUT-17]
    Given the actuals file contains:
      """
      period,metric,value
      2026-01,ebitda,1
      2026-01,ebitda,2
      """
    When I backtest the published run
    Then the exit code is 2
    And the actuals error "duplicate_id" is on line 3 and names "line 2"

  Scenario: A folder that is not a published run is refused [OUT-17]
    Given the actuals file contains:
      """
      period,metric,value
      2026-01,ebitda,1
      """
    When I backtest the folder "{out}" that holds the runs
    Then the exit code is 2
    And stderr names "is not a published run"
