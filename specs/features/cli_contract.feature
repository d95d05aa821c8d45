# The d3 command line: DOMAIN §8 [CLI-1] [CLI-2], JSONL events [OUT-11], atomic publishing [OUT-1] [OUT-2].
# Steps: tests/bdd/conftest.py. Runner: tests/bdd/test_cli_contract.py.
Feature: The d3 command line
  d3 is used by people and by scripts. People get help with an example on every command and errors
  that say what to fix; scripts get exit codes that mean something (0 ok, 2 invalid input or usage,
  3 runtime error) and a stdout of JSON lines that always ends with run_done.

  Scenario: The version
    When I run "d3 --version"
    Then the exit code is 0
    And stdout is "d3 0.1.0"

  Scenario Outline: Every command explains itself with an example
    When I run "d3 <command> --help"
    Then the exit code is 0
    And stdout contains "Example: d3 <command>"

    Examples:
      | command  |
      | run      |
      | validate |
      | schema   |
      | report   |

  Scenario Outline: The shipped inputs and the golden fixture are valid [DEF-1] [EX-1]
    Given the inputs of fixture "<bundle>"
    When I run "d3 validate --inputs {inputs}"
    Then the exit code is 0
    And stdout is JSON lines ending with run_done
    And stderr names "is valid (seed <seed> from run.random_seed)"

    Examples:
      | bundle      | seed   |
      | inputs      | 424242 |
      | minimal_001 | 7      |

  Scenario: d3 validate resolves --seed as d3 run does [RNG-1] [CLI-1]
    Given the inputs of fixture "minimal_001"
    When I run "d3 validate --inputs {inputs} --seed 0"
    Then the exit code is 0
    And stdout is JSON lines ending with run_done
    And stderr names "is valid (seed 0 from cli)"

  Scenario: The golden fixture runs and is published atomically [OUT-1] [OUT-2]
    Given the inputs of fixture "minimal_001"
    When I run "d3 run --inputs {inputs} --out {out} --quiet"
    Then the exit code is 0
    And stdout is JSON lines ending with run_done
    And latest points at the published run

  Scenario Outline: A usage error exits 2 and scripts still get run_done [CLI-2] [OUT-11]
    When I run "d3 <arguments>"
    Then the exit code is 2
    And stdout is JSON lines ending with run_done
    And stderr names "<complaint>"

    Examples:
      | arguments                 | complaint                  |
      | run --seed abc            | Invalid value for '--seed' |
      | validate --seed abc       | Invalid value for '--seed' |
      | validate --seed -1        | Invalid value for '--seed' |
      | run --seed 9223372036854775808 | Invalid value for '--seed' |
      | validate --bogus          | No such option             |
      | run --max-concurrency 0   | --max-concurrency          |
      | run --pipelines cpu       | unknown pipeline 'cpu'     |

  Scenario: Invalid inputs never touch a published run [OUT-2]
    Given the inputs of fixture "minimal_001"
    And the key "loan.repayment_type" of "operator/general.yaml" is set to balloon
    And an output folder holding a published run
    When I run "d3 run --inputs {inputs} --out {out}"
    Then the exit code is 2
    And stdout is JSON lines ending with run_done
    And the finding "bad_enum" names "operator/general.yaml" and "loan.repayment_type"
    And the published run is unchanged

  Scenario: The input schemas are printed for editors [IN-3]
    When I run "d3 schema"
    Then the exit code is 0
    And stdout contains "general.v1.json"
    And stdout contains "operator/general.yaml"
