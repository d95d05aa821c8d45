# Private Tap economics: DOMAIN §4 [PRV-1]…[PRV-7], artefacts [OUT-4], worked example [EX-6].
# Every scenario starts from the golden fixture minimal_001 (fx 1.25, private buffer 10 %: eur_hr = usd_hr × 0.88,
# markup 50 %, management fee 100, vendor weights cost 0.6 / availability 0.4, 3 new clients a month,
# 100 hours per client, mix GPU-A 0.5 / GPU-B 0.5) and runs `d3 run --pipelines private`.
Feature: Private Tap economics
  The Private Tap resells rented GPUs per hour plus a monthly fee. Its quote must be conservative,
  its fees counted per active client and its purchases priced at the vendor it would buy from.

  Background:
    Given a copy of the golden fixture minimal_001

  @e2e
  Scenario: The quote is the median over distinct providers, not over SKU rows [PRV-2]
    Given the curated GPU offers
      | provider | gpu_model | gpu_vram_gb | price_per_gpu_hr | availability | reputation |
      | Alpha    | GPU-A     | 24          | 0.50             | 1.0          | 1.0        |
      | Beta     | GPU-A     | 24          | 0.60             | 0.5          | 1.0        |
      | Beta     | GPU-A     | 24          | 0.40             | 0.5          | 1.0        |
      | Alpha    | GPU-B     | 48          | 1.50             | 0.9          | 1.0        |
      | Beta     | GPU-B     | 48          | 2.00             | 1.0          | 1.0        |
    When I run d3 on it with pipelines "private"
    Then the run succeeds
    And private_tap_economics.csv has for GPU "GPU-A"
      | column              | value    |
      | providers           | 2        |
      | provider_eur_hr_med | 0.396000 |
      | sell_eur_hr         | 0.594000 |
      | margin_pct          | 33.3333  |

  Scenario: The worked example's vendors and realised margins [PRV-4] [EX-6]
    When I run d3 on it with pipelines "private"
    Then the run succeeds
    And private_vendor_recommendation.csv ranks
      | gpu   | provider | score    | rank | recommended |
      | GPU-A | Alpha    | 0.880000 | 1    | true        |
      | GPU-A | Beta     | 0.800000 | 2    | false       |
      | GPU-B | Alpha    | 0.960000 | 1    | true        |
      | GPU-B | Beta     | 0.850000 | 2    | false       |
    And private_tap_economics.csv has for GPU "GPU-B"
      | column               | value   |
      | recommended_provider | Alpha   |
      | recommended_eur_hr   | 1.320000 |
      | realised_margin_pct  | 42.8571 |

  @e2e
  Scenario: Purchases are priced at the recommended vendor [PRV-4] [PRV-7]
    Given the private policy value "pricing_policy.private_tap.vendor_weights.cost" is 1
    And the private policy value "pricing_policy.private_tap.vendor_weights.availability" is 0
    When I run d3 on it with pipelines "private"
    Then the run succeeds
    And private_tap_economics.csv has for GPU "GPU-A"
      | column               | value    |
      | recommended_provider | Beta     |
      | recommended_eur_hr   | 0.352000 |
      | realised_margin_pct  | 40.7407  |
    And the rep rows of private_tap_customers_by_month.csv read
      | month | hours      | revenue_hours_eur | cogs_eur |
      | 1     | 300.000000 | 435.60            | 250.80   |
      | 2     | 600.000000 | 871.20            | 501.60   |

  @e2e
  Scenario: Fees are counted per active client, with base fees per GPU class [PRV-3] [PRV-7]
    Given the private policy value "prepaid_policy.private_tap.base_fee_eur_per_month" is 20
    And the private policy value "prepaid_policy.private_tap.base_fee_by_gpu_class.GPU-A" is 50
    When I run d3 on it with pipelines "private"
    Then the run succeeds
    And private_tap_economics.csv has for GPU "GPU-A"
      | column                 | value     |
      | base_fee_eur_per_month | 50.000000 |
    And private_tap_economics.csv has for GPU "GPU-B"
      | column                 | value     |
      | base_fee_eur_per_month | 20.000000 |
    And the rep rows of private_tap_customers_by_month.csv read
      | month | active_clients | revenue_fees_eur | revenue_eur |
      | 1     | 3.000000       | 405.00           | 840.60      |
      | 3     | 9.000000       | 1215.00          | 2521.80     |

  @e2e
  Scenario: With 100 % churn only the month's new clients are active [PRV-5]
    Given the private policy value "acquisition.churn_pct_mom" is 100
    When I run d3 on it with pipelines "private"
    Then the run succeeds
    And the rep rows of private_tap_customers_by_month.csv read
      | month | new_clients | active_clients | hours      | revenue_fees_eur |
      | 1     | 3.000000    | 3.000000       | 300.000000 | 300.00           |
      | 2     | 3.000000    | 3.000000       | 300.000000 | 300.00           |
      | 3     | 3.000000    | 3.000000       | 300.000000 | 300.00           |
