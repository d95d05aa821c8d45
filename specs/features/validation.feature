# Input validation: DOMAIN §1 [IN-1] … [IN-18]; our reading of it: specs/inputs.md.
# Steps: tests/bdd/conftest.py. Runner: tests/bdd/test_validation.py. The full corpus of bad inputs is
# tests/unit/test_badinput.py; these scenarios show the rules to a reader.
Feature: Input validation
  d3 reads every input file, checks every rule and reports every finding at once: the file, the line,
  the key or column, what is wrong and how to fix it. Any error stops the run with exit 2 before
  anything is written; warnings pass unless fail_on_warning escalates them.

  Background:
    Given the inputs of fixture "minimal_001"

  Scenario Outline: A bad value is named with its file, key and a fix [IN-6] [IN-7] [IN-8] [IN-18]
    Given the key "<key>" of "<file>" is set to <value>
    When I run "d3 validate --inputs {inputs}"
    Then the exit code is 2
    And stdout is JSON lines ending with run_done
    And the finding "<code>" names "<file>" and "<key>"

    Examples:
      | key                                         | file                     | value         | code                    |
      | loan.repayment_type                         | operator/general.yaml    | balloon       | bad_enum                |
      | loan.term_months                            | operator/general.yaml    | 12.5          | type_error              |
      | finance.equity_injection_eur                | operator/general.yaml    | .inf          | type_error              |
      | finance.bizdev_budget_monthly_eur           | operator/general.yaml    | yes           | type_error              |
      | pricing_policy.public_tap.target_margin_pct | operator/public_tap.yaml | 120           | out_of_range            |
      | loan.grace_period_months                    | operator/general.yaml    | 12            | inconsistent_thresholds |
      | autoscaling.evaluation_interval_s           | operator/public_tap.yaml | 7             | inconsistent_thresholds |
      | insurances.selected                         | operator/general.yaml    | [ins_x]       | unknown_reference       |
      | tax.corporate_income_brackets               | operator/general.yaml    | []            | bad_brackets            |
      | stochastic.percentiles                      | simulation.yaml          | [10, 90]      | bad_percentiles         |
      | run.pipelines                               | simulation.yaml          | [public, gpu] | bad_pipelines           |

  Scenario: A misspelt key gets a "did you mean" [IN-3]
    Given the text "contingency_pct" of "operator/general.yaml" is replaced by "contingncy_pct"
    When I run "d3 validate --inputs {inputs}"
    Then the exit code is 2
    And the finding "unknown_key" names "operator/general.yaml" and "did you mean 'contingency_pct'"
    And the finding "missing_key" names "operator/general.yaml" and "finance.contingency_pct"

  Scenario: A number with a thousands separator is refused [IN-2]
    Given the cell "example_premium_eur_per_month" of row 1 of "facts/insurances.csv" is set to "1 020.00"
    When I run "d3 validate --inputs {inputs}"
    Then the exit code is 2
    And the finding "type_error" names "facts/insurances.csv" and "thousands separator"

  Scenario: A required file is missing [IN-1]
    Given the file "operator/curated_gpu.csv" is removed
    When I run "d3 validate --inputs {inputs}"
    Then the exit code is 2
    And the finding "missing_file" names "operator/curated_gpu.csv"

  Scenario Outline: A file nobody can read is the one error it causes [IN-1] [IN-18]
    # A condition over a value of an unreadable or missing file cannot be evaluated, so it is not reported:
    # a syntax error in public_tap.yaml made 18 errors (no_throughput per model, stress_key per stress).
    Given the inputs of fixture "inputs"
    And the text "<text>" of "<file>" is replaced by "<broken>"
    When I run "d3 validate --inputs {inputs}"
    Then the exit code is 2
    And the only error is "parse_error" on "<file>"
    And there is no warning

    Examples:
      | file                      | text          | broken           |
      | operator/public_tap.yaml  | acquisition:  | acquisition: : [ |
      | operator/private_tap.yaml | acquisition:  | acquisition: : [ |
      | facts/gpu_baselines.yaml  | tokens_per_s: | tokens_per_s: : [ |

  Scenario Outline: A missing operator file is the one error it causes [IN-1] [IN-18]
    Given the inputs of fixture "inputs"
    And the file "<file>" is removed
    When I run "d3 validate --inputs {inputs}"
    Then the exit code is 2
    And the only error is "missing_file" on "<file>"
    And there is no warning

    Examples:
      | file                      |
      | operator/public_tap.yaml  |
      | operator/private_tap.yaml |

  Scenario: The private tap alone needs no public files [IN-1] [IN-16]
    Given the file "operator/public_tap.yaml" is removed
    And the file "operator/curated_public_tap_models.csv" is removed
    And the file "variables/public_tap.csv" is removed
    When I run "d3 validate --inputs {inputs} --pipelines private"
    Then the exit code is 0
    And there is no finding

  Scenario: Every finding is reported at once [IN-18]
    Given the key "loan.repayment_type" of "operator/general.yaml" is set to balloon
    And the cell "gpu_vram_gb" of row 2 of "operator/curated_gpu.csv" is set to "40"
    And the key "run.random_seed" of "simulation.yaml" is set to -1
    When I run "d3 validate --inputs {inputs}"
    Then the exit code is 2
    And the finding "bad_enum" names "operator/general.yaml" and "loan.repayment_type"
    And the finding "bad_offer" names "operator/curated_gpu.csv" and "GPU-A"
    And the finding "out_of_range" names "simulation.yaml" and "run.random_seed"

  Scenario: A percent written as a fraction is a warning that passes [IN-5] [IN-18]
    Given the key "finance.contingency_pct" of "operator/general.yaml" is set to 0.5
    When I run "d3 validate --inputs {inputs}"
    Then the exit code is 0
    And the warning "percent_looks_like_fraction" names "operator/general.yaml"

  Scenario Outline: fail_on_warning turns every warning into an error [IN-5]
    Given the key "finance.contingency_pct" of "operator/general.yaml" is set to 0.5
    And the key "run.fail_on_warning" of "simulation.yaml" is set to <yaml flag>
    When I run "d3 validate --inputs {inputs} <cli flag>"
    Then the exit code is <exit code>
    And stdout is JSON lines ending with run_done

    Examples:
      | yaml flag | cli flag              | exit code |
      | false     |                       | 0         |
      | true      |                       | 2         |
      | false     | --fail-on-warning     | 2         |
      | true      | --no-fail-on-warning  | 0         |

  Scenario: A CSV beats its YAML twin, with a warning [IN-4]
    Given the file "facts/insurances.yaml" contains:
      """
      - insurer_id: other
        example_premium_eur_per_month: 1
      """
    When I run "d3 validate --inputs {inputs}"
    Then the exit code is 0
    And the warning "shadowed_dataset" names "facts/insurances.yaml"

  Scenario: The shadowing warning escalated [IN-4] [IN-5]
    Given the file "facts/insurances.yaml" contains:
      """
      - insurer_id: other
        example_premium_eur_per_month: 1
      """
    When I run "d3 validate --inputs {inputs} --fail-on-warning"
    Then the exit code is 2
    And the finding "escalated_warning" names "facts/insurances.yaml" and "facts/insurances.csv"

  Scenario: A byte order mark is tolerated [IN-2]
    Given the file "facts/insurances.csv" starts with a byte order mark
    And the file "simulation.yaml" starts with a byte order mark
    When I run "d3 validate --inputs {inputs}"
    Then the exit code is 0
    And there is no finding

  Scenario: A link out of the inputs folder is refused [IN-1]
    Given the file "facts/insurances.csv" is a link to a copy outside the inputs folder
    When I run "d3 validate --inputs {inputs}"
    Then the exit code is 2
    And the finding "unsafe_path" names "facts/insurances.csv" and "outside the inputs folder"

  Scenario: A variable off its lattice [IN-13]
    Given the file "variables/public_tap.csv" contains:
      """
      variable_id,scope,path,type,unit,min,max,step,default,treatment
      pub_margin,public_tap,pricing_policy.public_tap.target_margin_pct,numeric,percent,40,80,5,62,fixed
      """
    When I run "d3 validate --inputs {inputs}"
    Then the exit code is 2
    And the finding "lattice" names "variables/public_tap.csv" and "default"
