"""Runs specs/features/cli_contract.feature [CLI-1] [CLI-2] [OUT-1] [OUT-2] [OUT-11]; steps in tests/bdd/conftest.py."""

from pytest_bdd import scenarios

scenarios("cli_contract.feature")
