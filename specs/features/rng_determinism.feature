# Keyed random streams, the grid × replicates × MC plan and byte determinism
# DOMAIN [RNG-1] … [RNG-7], [IN-13] … [IN-17], [OUT-3], [OUT-4] (variable_draws.csv), [OUT-7], [OUT-11] (grid_built)
# Living spec: specs/scenarios.md. Steps: tests/bdd/test_rng_determinism.py.
#
# Fixture grid_001 = the shipped inputs with a small plan: grid axes target_margin_pct (public_tap,
# 50|55|60) and vendor_weight_cost (private_tap, 0.5|0.7) → G = 6; R = 4; M = 3 → 72 paths; H = 6.
# Random variables: repayment_type (discrete), tokens_per_conv_mean (lognormal),
# churn_pct_mom_public (triangular), hours_per_client (triangular).

Feature: Deterministic scenarios and random draws
  Same inputs and seed give byte-identical artefacts whatever the concurrency or batch size;
  every parameter set is explained by the variable_draws.csv transcript.

  Background:
    Given the scenario fixture "grid_001"

  Scenario: The grid expands to grid points × replicates × MC paths [RNG-3] [OUT-11]
    When the fixture is run with concurrency 1 and 1000 paths per batch
    Then the run exits with code 0
    And the grid_built event reports grid_size 6, replicates 4, mc 3 and paths 72
    And run_summary.json records 6 grid points, 4 replicates, 3 MC iterations and 72 paths
    And run_summary.json records seed 424242 from "run.random_seed"
    And run_summary.json lists the grid variables "public_tap/target_margin_pct=50|55|60; private_tap/vendor_weight_cost=0.5|0.7"
    And run_summary.json lists the random variables "general/repayment_type=discrete; public_tap/churn_pct_mom_public=triangular; public_tap/tokens_per_conv_mean=lognormal; private_tap/hours_per_client=triangular"
    And the draw tables hold 1 path of 6 months for each tap

  @e2e
  Scenario: Every path's noise and per-model rows are kept on request, with the same artefacts [RNG-7] [FIN-12]
    # By default run.duckdb keeps the representative path's noise and per-model rows (specs/engine.md).
    When the fixture is run with concurrency 1 and 1000 paths per batch
    And the fixture is run again with concurrency 2 and 20 paths per batch keeping every path table
    Then the run exits with code 0
    And the draw tables hold 72 paths of 6 months for each tap
    And public_model_month holds 72 paths
    And both runs have the same value artefacts

  Scenario: The transcript explains every parameter set [RNG-6] [OUT-3] [OUT-4]
    When the fixture is run with concurrency 1 and 1000 paths per batch
    Then variable_draws.csv has 600 rows in grid_index, replicate_index, scope id, variable_id order
    And every (grid_index, replicate_index) of variable_draws.csv lists the same 25 variables
    And variable_draws.csv reads "public_tap,tokens_per_conv_mean,acquisition.tokens_per_conversion_mean,0,0,41000"
    And variable_draws.csv reads "public_tap,tokens_per_conv_mean,acquisition.tokens_per_conversion_mean,0,1,45000"
    And variable_draws.csv reads "public_tap,tokens_per_conv_mean,acquisition.tokens_per_conversion_mean,0,2,27000"
    And variable_draws.csv reads "general,loan_rate,loan.interest_rate_pct,0,0,9.95"
    And variable_draws.csv reads "private_tap,vendor_weight_cost,pricing_policy.private_tap.vendor_weights.cost,5,3,0.7"
    And variable_draws.csv reads "public_tap,target_margin_pct,pricing_policy.public_tap.target_margin_pct,5,3,60"

  @e2e
  Scenario: Grid values hit the lattice endpoints exactly, discrete draws cover every value, a draw that breaks floor ≤ cap is clamped [IN-13] [RNG-4] [IN-16]
    # Every grid point shares the replicates' draws [RNG-9], so coverage needs replicates, not grid points. One run
    # of 24 replicates serves both checks: the added variable draws from a stream of its own [RNG-2], so every other
    # variable keeps the values it has without it.
    Given the public variable "floor_draw,public_tap,pricing_policy.public_tap.min_floor_eur_per_1k,numeric,EUR_per_1k,0,5,0.5,0,random,uniform,,clamp test" is added
    And run.random_runs_per_simulation is set to 24
    When the fixture is run with concurrency 1 and 1000 paths per batch
    Then the run exits with code 0
    And the transcript values of "target_margin_pct" are exactly "50|55|60"
    And the transcript values of "vendor_weight_cost" are exactly "0.5|0.7"
    And the transcript values of "repayment_type" are exactly "annuity|bullet|linear"
    And each of the 5 random variables has one value per parameter set, shared by its 3 MC paths
    And some transcript value of "floor_draw" exceeds 3
    And params_public_tap.min_floor_eur_per_1k is the smaller of the draw and the cap 3 in every parameter set

  Scenario: A grid variable changes the parameter tables the models read [IN-16] [IN-17]
    When the fixture is run with concurrency 1 and 1000 paths per batch
    Then params_public_tap.target_margin_pct by grid_index is "50|50|55|55|60|60"
    And params_private_tap weights by grid_index are "0.5/0.3/0.2" on even and "0.7/1.2, 0.3/1.2, 0.2/1.2" on odd grid points

  @e2e
  Scenario: The same seed twice gives byte-identical artefacts and draw tables [RNG-7]
    When the fixture is run with concurrency 1 and 1000 paths per batch
    And the fixture is run again with concurrency 1 and 1000 paths per batch
    Then both runs have the same SHA256SUMS
    And both runs have the same variable_draws.csv
    And both runs have the same draw tables

  @e2e
  Scenario: Concurrency and batch size change speed only, never bytes [RNG-2] [RNG-7]
    # 20 paths a batch: 4 batches (20, 20, 20, 12) on 2 workers, each parameter set's 3 MC paths split across
    # batches at 20 and 40 (one-path batches have their own scenario). It does concurrently all that 2 workers
    # with 1000 paths a batch do (72 paths × 6 months stay one batch there, split_batch_size; the per-parameter-set
    # models and the models after the batches two at a time through the same run_concurrently) and more: a batch
    # slot reused, batches appended while others compute. So that run is not made separately.
    When the fixture is run with concurrency 1 and 1000 paths per batch
    And the fixture is run again with concurrency 2 and 20 paths per batch
    Then the run exits with code 0
    And both runs have the same SHA256SUMS
    And both runs have the same draw tables

  @e2e
  Scenario: One-path batches change no byte [RNG-2] [RNG-7]
    # R = 1 and M = 2 give 12 paths (6 grid points × 2 MC): every batch is one path, and each parameter set's 2
    # paths fall in 2 batches (a one-path batch costs ~0.3 s of planning, so not on all 72 paths).
    Given run.random_runs_per_simulation is set to 1
    And stochastic.simulations_per_run is set to 2
    When the fixture is run with concurrency 1 and 1000 paths per batch
    And the fixture is run again with concurrency 1 and 1 paths per batch
    Then the run exits with code 0
    And the grid_built event reports grid_size 6, replicates 1, mc 2 and paths 12
    And both runs have the same SHA256SUMS
    And both runs have the same draw tables

  @e2e
  Scenario: A different seed gives different draws but the same grid [RNG-1] [RNG-2]
    When the fixture is run with concurrency 1 and 1000 paths per batch
    And the fixture is run again with seed 1
    Then the second run records seed 1 from "cli"
    And the draw tables differ between the runs
    And the random variables of the transcript differ between the runs
    And the fixed and grid variables of the transcript are the same in both runs

  Scenario: Variables of a pipeline that does not run are validated but not used [IN-16]
    When the fixture is run with pipelines "private"
    Then the run exits with code 0
    And the grid_built event reports grid_size 2, replicates 4, mc 3 and paths 24
    And variable_draws.csv has no "public_tap" row
    And the run has no table "params_public_tap" and no table "draw_public_noise"

  Scenario: A plan over run.max_paths is refused [IN-6] [IN-18]
    Given run.max_paths is set to 71
    When the fixture is run with concurrency 1 and 1000 paths per batch
    Then the run exits with code 2
    And a "too_many_paths" error says "72 paths, more than run.max_paths 71"
    And nothing is published

  Scenario Outline: The master seed comes from the first place that sets one [RNG-1]
    Given the seeds are "<seeds>"
    When the fixture is checked with pipelines "<pipelines>" and seed option "<args>"
    Then the validation reports seed <seed> from "<source>"

    Examples:
      | seeds                                                   | pipelines      | args     | seed   | source                 |
      | run=424242 stochastic=11 public=424242 private=12345    | public,private | --seed 5 | 5      | cli                    |
      | run=424242 stochastic=11 public=424242 private=12345    | public,private | none     | 11     | stochastic.random_seed |
      | run=424242 stochastic=null public=424242 private=12345  | public,private | none     | 424242 | run.random_seed        |
      | run=null stochastic=null public=77 private=12345        | public,private | none     | 77     | public_tap.meta.seed   |
      | run=null stochastic=null public=77 private=12345        | private        | none     | 77     | public_tap.meta.seed   |
      | run=null stochastic=null public=null private=12345      | public         | none     | 12345  | private_tap.meta.seed  |
      | run=0 stochastic=null public=77 private=12345           | public,private | none     | 0      | run.random_seed        |

  Scenario: No seed anywhere is an error [RNG-1] [IN-18]
    Given the seeds are "run=null stochastic=null public=null private=null"
    When the fixture is checked with pipelines "public,private" and seed option "none"
    Then the validation exits with code 2 and reports "missing_seed"
