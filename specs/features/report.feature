# The plan report: DOMAIN §7 [OUT-10] and the terms snippet of [PUB-10]; figures of the worked example [EX-4]…[EX-6].
# Every scenario starts from the golden fixture minimal_001, run by `d3 run` (taps only: the tables of the
# finance, acceptance and sensitivity stages are left out), and renders report.md / report.html from run.duckdb.
Feature: A plan report a founder or a lender can read
  The plan's story (price derivation, demand, cash runway, loan cover, what breaks first) is one
  document with charts, offline and identical on every rendering. Numbers are written for people
  (€ signs, thousands separators); every table is also a CSV in the [OUT-3] formats.

  Background:
    Given a run of the golden fixture minimal_001

  Scenario: Each public price is derived step by step [PUB-5] [PUB-7] [EX-4]
    When the report is rendered
    Then the table "Price derivation per model" reads
      | Model     | Cost per 1k | Raw price per 1k | Rounded up | Rule   | Sell per 1k | Margin  | p90 stress margin |
      | Large 30B | € 0.000673  | € 0.001682       | € 0.0017   | target | € 0.0017    | 60.42 % | 57.05 %           |
      | Small 7B  | € 0.000283  | € 0.000708       | € 0.0008   | floor  | € 0.001     | 71.67 % | 69.83 %           |
    And the CSV "public_price_derivation" has the row "Large 30B,0.000673,60.0000,0.001682,0.001700,0.001000,0.010000,target,0.001700,1.700000,60.4167,57.0466,true"

  Scenario: The terms snippet says how prepaid credits work [PUB-10] [EX-5]
    When the report is rendered
    Then the terms snippet reads
      | line                                                                                                                          |
      | Credits are prepaid and non-refundable.                                                                                       |
      | Credits expire 12 months after purchase.                                                                                      |
      | Usage is deducted per token at each model's price; when your balance reaches zero the service stops until you top up, so the balance never goes negative. |
      | Top-ups from € 5.00 to € 1,000.00.                                                                                            |
      | Pack € 50.00: about 42,553,191 tokens.                                                                                        |

  Scenario: The Private Tap's economics per GPU class [PRV-2] [PRV-3] [PRV-4] [EX-6]
    When the report is rendered
    Then the table "Economics per GPU class" reads
      | GPU class | Median provider EUR/h | Sell EUR/h | Margin  | Recommended vendor | Vendor EUR/h | Realised margin |
      | GPU-A     | € 0.396               | € 0.594    | 33.33 % | Alpha              | € 0.44       | 25.93 %         |
      | GPU-B     | € 1.54                | € 2.31     | 33.33 % | Alpha              | € 1.32       | 42.86 %         |

  Scenario: A part this run did not compute says so and shows no number [OUT-10]
    When the report is rendered
    Then the section "P&L, cash flow and balance sheet" only says "not computed in this run"
    And the section "Acceptance checks" only says "not computed in this run"
    And the section "Sensitivity" only says "not computed in this run"

  Scenario: Rendering again from run.duckdb gives the same bytes [OUT-10] [RNG-7]
    When the report is rendered
    And the report is rendered again from run.duckdb
    Then report.md, report.html, every chart and every report table are byte-identical
    And report.html needs no network and no JavaScript
