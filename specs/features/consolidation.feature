# Consolidated finance: DOMAIN §5 [FIN-1]…[FIN-12], checks [ACC-A10], worked example [EX-7]/[EX-8].
# The finance models run on the golden fixture's parameters (rent 500, insurance 20, equity 3000,
# loan 12 000 at 12 % with one grace month, a 1200 server over 12 months, VAT 21 % monthly with lag 1)
# with the worked example's tap months [EX-5]/[EX-6] given as rows, or on a stress plan of 8 paths.
Feature: Consolidated finance
  The plan is only credible if its books balance: every path and month must close exactly in DECIMAL,
  cash must roll forward, the loan must be repaid to the cent and overhead must land on the taps.

  Scenario: The worked example closes its books month by month [EX-8]
    Given the golden fixture with the worked example's tap months
    When the finance models run
    Then path 0 has
      | month | cash_from_operations_eur | cash_closing_eur | vat_payable_eur | dscr       | dscr_ltm   | icr        |
      | 1     | -2395.434                | 11284.566        | 44.226          | -29.961950 | -29.961950 | -20.659667 |
      | 2     | -460.834                 | 9666.282         | 697.452         | -0.398146  | -3.175285  | -8.604667  |
      | 3     | 356.8235                 | 8865.6555        | 1101.1455       | 0.308284   | -1.519341  | 0.315881   |
    And balance_check is 0 on every path and month
    And every month closes its cash as opening cash plus net cash flow
    And month 1 opens with the loan plus the equity injection
    And the full loan schedule of every parameter set repays exactly its amount
    And each asset's full depreciation schedule sums to its amount

  Scenario: The books balance on many paths with brackets, lags, quarterly VAT and four loan types [FIN-4] [FIN-5]
    Given the stress plan of 8 paths over 27 months
    When the finance models run
    Then balance_check is 0 on every path and month
    And every month closes its cash as opening cash plus net cash flow
    And month 1 opens with the loan plus the equity injection
    And the full loan schedule of every parameter set repays exactly its amount
    And each asset's full depreciation schedule sums to its amount

  Scenario Outline: When only one tap runs, all overhead goes to it [FIN-10]
    Given the golden fixture with the worked example's tap months
    And only the <tap> tap runs
    When the finance models run
    Then the <tap> tap carries the whole overhead of 520.00 every month
    And the <other> tap contributes nothing

    Examples:
      | tap     | other   |
      | public  | private |
      | private | public  |
