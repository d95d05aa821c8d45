# Public Tap pricing: DOMAIN §3 [PUB-1]…[PUB-7], worked example [EX-2]…[EX-4].
# Every scenario starts from the golden fixture minimal_001 (fx 1.25, public buffer 10 %: eur_hr = usd_hr × 0.88;
# target utilisation 80 %; cost = GPU cost × 1.5 + 0.10 €/1M; target margin 60 % from the fixed variable;
# increment 0.0001, floor 0.001, cap 0.01 €/1k) and prices the default parameter set with the engine's SQL models.
Feature: Public Tap pricing
  A public price per 1 000 tokens comes from the GPU that serves the model most cheaply per token at
  the target utilisation (pricing at 100 % would make tokens look cheaper than they are), is rounded
  up to the increment, then floored and capped. Every shortfall against the target is reported.

  Background:
    Given the golden fixture minimal_001 for the Public Tap

  Scenario: The worked example's vendors, GPUs and prices [EX-2] [EX-3] [EX-4]
    When the Public Tap is priced
    Then the public vendor of "GPU-A" is "Beta" at 0.352000 EUR per GPU-hour
    And the public vendor of "GPU-B" is "Alpha" at 1.320000 EUR per GPU-hour
    And "Small 7B" is served from "GPU-A" at a cost of 0.283333 EUR per 1M tokens
    And "Large 30B" is served from "GPU-B" at a cost of 0.672917 EUR per 1M tokens
    And "Small 7B" sells at 0.001000 EUR per 1k tokens by rule "floor" with margin 71.6667 %
    And "Large 30B" sells at 0.001700 EUR per 1k tokens by rule "target" with margin 60.4167 %
    And the p90 stress margin of "Small 7B" is 69.8333 %
    And the p90 stress margin of "Large 30B" is 57.0466 %
    And validation reports nothing for the Public Tap

  Scenario: Cost is priced at the target utilisation, not at 100 % [PUB-3]
    Given the target utilisation is 40 %
    When the Public Tap is priced
    Then the GPU cost of "Small 7B" is 0.244444 EUR per 1M tokens, twice the 0.122222 at 80 %

  Scenario: A cap below the target price holds the price down and is reported [PUB-5]
    Given the price cap is 0.0012 EUR per 1k tokens
    When the Public Tap is priced
    Then "Large 30B" sells at 0.001200 EUR per 1k tokens by rule "cap" with margin 43.9236 %
    And validation warns "price_capped_below_target" for "Large 30B"

  Scenario: A model that cannot be sold at a profit is private only [PUB-6] [PUB-9]
    Given there is no price floor
    And the price cap is 0.0005 EUR per 1k tokens
    When the Public Tap is priced
    Then "Large 30B" is not admitted
    And "Small 7B" takes all public traffic
    And validation warns "model_private_only" for "Large 30B"

  Scenario: Without a measured row the baseline heuristic gives the throughput [PUB-2]
    Given the heuristic is allowed with baselines of 2000 tokens/s on GPU-A and 4000 on GPU-B for 8B parameters
    And "org/large-30b" has no measured throughput
    When the Public Tap is priced
    Then "Large 30B" is served from "GPU-A" with heuristic throughput 533.333333 tokens/s
    And validation warns "tps_heuristic" for "Large 30B"
