"""Runs specs/features/validation.feature [IN-1] … [IN-18]; steps in tests/bdd/conftest.py."""

from pytest_bdd import scenarios

scenarios("validation.feature")
