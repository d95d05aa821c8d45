# Public Tap demand, capacity and autoscaling: DOMAIN §3 [PUB-8]…[PUB-12], worked example [EX-5] [EX-9].
# Every scenario starts from the golden fixture minimal_001 (budget 1000 growing 10 %/month, CAC 50, churn 10 %,
# 50 M tokens per active customer, mix 0.75 Small 7B / 0.25 Large 30B, peak factor 1.2, 0..10 instances)
# and plans its one path with the engine's SQL models.
Feature: Public Tap demand, capacity and autoscaling
  The P&L pays for the GPU instances the capacity plan rents, never for tokens × unit cost, so idle
  headroom and a warm minimum pool cost money; demand beyond the instance maximum is flagged while
  its revenue is still booked. The autoscaler replays one representative day per month.

  Background:
    Given the golden fixture minimal_001 for the Public Tap

  Scenario: The worked example's months [EX-5]
    When the Public Tap demand and capacity are planned
    Then month 3 has 60.2 active customers and 3010000000 tokens
    And in month 3 "Small 7B" needs 2 instances and "Large 30B" needs 1
    And the months' usage revenue is 1175.00, 2350.00, 3536.75 EUR
    And the months' GPU cost is 1203.84, 1203.84, 1457.28 EUR
    And the months' public COGS is 1905.76, 2005.76, 2486.92 EUR

  Scenario: A warm minimum pool costs money without demand [PUB-11]
    Given the public acquisition budget is 0 EUR
    And every model keeps at least 1 instance
    When the Public Tap demand and capacity are planned
    Then no tokens are served
    And the months' GPU cost is 1203.84, 1203.84, 1203.84 EUR

  Scenario: Free customers are not acquired [PUB-8]
    Given the customer acquisition cost is 0 EUR
    When the Public Tap demand and capacity are planned
    Then no tokens are served
    And the months' GPU cost is 0.00, 0.00, 0.00 EUR

  Scenario: Demand above the instance maximum is a violation and its revenue is still booked [PUB-11]
    Given every model may use at most 1 instance
    When the Public Tap demand and capacity are planned
    Then in month 3 "Small 7B" needs 2 instances but gets 1, a capacity violation
    And the months' usage revenue is 1175.00, 2350.00, 3536.75 EUR
    And the months' GPU cost is 1203.84, 1203.84, 1203.84 EUR

  Scenario: The autoscaler replays the representative day [PUB-12] [EX-9]
    When the Public Tap demand and capacity are planned
    And the autoscaler runs on the representative path
    Then the scaling events are
      | timestamp_s | model    | month | demand_tokens_per_hour | replicas_prev | replicas_new | reason     | util_pct |
      | 27180       | Small 7B | 3     | 3061710.923677         | 1             | 2            | scale_up   | 85.0475  |
      | 73680       | Small 7B | 3     | 3058994.432573         | 2             | 1            | scale_down | 42.4860  |
    And the pooled utilisation is 32.6744 % on average and 71.8969 % at p95 with 0 SLA violations
