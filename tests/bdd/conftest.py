"""Shared, generic steps for the Gherkin scenarios of specs/features (pytest-bdd).

Feature-specific steps belong in the feature's own `test_<feature>.py`; the steps here speak about
input bundles, the `d3` command line and its outputs only, so every feature can use them:

    Given the inputs of fixture "minimal_001"            (or "inputs" for the shipped bundle)
    Given the key "loan.term_months" of "operator/general.yaml" is set to 12.5   (value read as YAML)
    Given the key "…" of "…" is removed
    Given the cell "gpu_vram_gb" of row 1 of "operator/curated_gpu.csv" is set to "40"
    Given the text "…" of "…" is replaced by "…"
    Given the file "…" is removed
    Given the file "…" contains:  (docstring)
    Given the file "…" starts with a byte order mark
    Given the file "…" is a link to a copy outside the inputs folder
    Given an output folder holding a published run
    When I run "d3 validate --inputs {inputs}"          ({inputs} and {out} are substituted)
    Then the exit code is 2
    Then stdout is JSON lines ending with run_done
    Then stdout is "d3 0.1.0"
    Then stderr names "…"
    Then the finding "unknown_key" names "operator/general.yaml" and "contingncy_pct"
    Then the warning "shadowed_dataset" names "facts/insurances.yaml"
    Then there is no finding
    Then latest points at the published run
    Then the published run is unchanged

State lives in the `cli_world` fixture (a dict), so feature modules may read it too.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from harness import run_on_copy
from pytest_bdd import given, parsers, then, when


@pytest.fixture
def cli_world() -> dict[str, Any]:
    """inputs (InputsCopy), out (Path), outcome (CliOutcome), digest (the published run before)."""
    return {}


@given(parsers.parse('the inputs of fixture "{name}"'))
def given_inputs(cli_world: dict[str, Any], bundle_copy: Callable[..., Any], name: str) -> None:
    cli_world["inputs"] = bundle_copy(name)


@given(parsers.parse('the key "{dotted}" of "{rel}" is set to {value}'))
def given_key(cli_world: dict[str, Any], dotted: str, rel: str, value: str) -> None:
    cli_world["inputs"].set_key(rel, dotted, yaml.safe_load(value))


@given(parsers.parse('the key "{dotted}" of "{rel}" is removed'))
def given_key_removed(cli_world: dict[str, Any], dotted: str, rel: str) -> None:
    cli_world["inputs"].del_key(rel, dotted)


@given(parsers.parse('the cell "{column}" of row {row:d} of "{rel}" is set to "{value}"'))
def given_cell(cli_world: dict[str, Any], column: str, row: int, rel: str, value: str) -> None:
    cli_world["inputs"].set_cell(rel, row - 1, column, value)  # rows count from 1 for readers


@given(parsers.parse('the text "{old}" of "{rel}" is replaced by "{new}"'))
def given_text(cli_world: dict[str, Any], old: str, rel: str, new: str) -> None:
    cli_world["inputs"].replace(rel, old.replace("\\n", "\n"), new.replace("\\n", "\n"))


@given(parsers.parse('the file "{rel}" is removed'))
def given_file_removed(cli_world: dict[str, Any], rel: str) -> None:
    cli_world["inputs"].remove(rel)


@given(parsers.parse('the file "{rel}" contains:'))
def given_file(cli_world: dict[str, Any], rel: str, docstring: str) -> None:
    cli_world["inputs"].write(rel, docstring + "\n")


@given(parsers.parse('the file "{rel}" starts with a byte order mark'))
def given_bom(cli_world: dict[str, Any], rel: str) -> None:
    path = cli_world["inputs"].path(rel)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())


@given(parsers.parse('the file "{rel}" is a link to a copy outside the inputs folder'))
def given_outside_link(cli_world: dict[str, Any], tmp_path: Path, rel: str) -> None:
    inputs = cli_world["inputs"]
    outside = tmp_path / "outside" / Path(rel).name
    outside.parent.mkdir(exist_ok=True)
    outside.write_bytes(inputs.path(rel).read_bytes())
    inputs.remove(rel)
    inputs.path(rel).symlink_to(outside)


@given("an output folder holding a published run")
def given_published(
    cli_world: dict[str, Any], previous_out: Path, tree_digest: Callable[[Path], dict[str, str]]
) -> None:
    cli_world["out"] = previous_out
    cli_world["digest"] = tree_digest(previous_out)


@when(parsers.re(r'I run "d3(?P<args>[^"]*)"'))
def when_run(cli_world: dict[str, Any], tmp_path: Path, args: str) -> None:
    """The real CLI in-process; a `d3 run` of an unchanged fixture into a new folder is a copy of the
    session's cached run with the same options (tests/harness.py), never a second computation."""
    inputs = cli_world.get("inputs")
    out = cli_world.setdefault("out", tmp_path / "out")
    words = [w.format(inputs=inputs.root if inputs else "", out=out) for w in shlex.split(args)]
    cli_world["outcome"] = run_on_copy(words, inputs, out)


@then(parsers.parse("the exit code is {code:d}"))
def then_exit(cli_world: dict[str, Any], code: int) -> None:
    outcome = cli_world["outcome"]
    assert outcome.exit_code == code, outcome.stdout + outcome.stderr


@then("stdout is JSON lines ending with run_done")
def then_jsonl(cli_world: dict[str, Any]) -> None:
    cli_world["outcome"].assert_contract()


@then(parsers.parse('stdout is "{text}"'))
def then_stdout(cli_world: dict[str, Any], text: str) -> None:
    assert cli_world["outcome"].stdout == text + "\n"


@then(parsers.parse('stdout contains "{text}"'))
def then_stdout_contains(cli_world: dict[str, Any], text: str) -> None:
    assert text in cli_world["outcome"].stdout, cli_world["outcome"].stdout


@then(parsers.parse('stderr names "{text}"'))
def then_stderr(cli_world: dict[str, Any], text: str) -> None:
    assert text in cli_world["outcome"].stderr, cli_world["outcome"].stderr


@then(parsers.parse('the finding "{code}" names "{rel}" and "{text}"'))
def then_finding(cli_world: dict[str, Any], assert_finding: Callable[..., Any], code: str, rel: str, text: str) -> None:
    assert_finding(cli_world["outcome"], code, rel, (text,))


@then(parsers.parse('the finding "{code}" names "{rel}"'))
def then_finding_file(cli_world: dict[str, Any], assert_finding: Callable[..., Any], code: str, rel: str) -> None:
    assert_finding(cli_world["outcome"], code, rel)


@then(parsers.parse('the only error is "{code}" on "{rel}"'))
def then_only_error(cli_world: dict[str, Any], code: str, rel: str) -> None:
    errors = cli_world["outcome"].of("validate_error")
    found = [(e["code"], e["file"], e["message"]) for e in errors]
    assert [(c, f) for c, f, _ in found] == [(code, rel)], found


@then("there is no warning")
def then_no_warning(cli_world: dict[str, Any]) -> None:
    warnings = cli_world["outcome"].of("validation_warning")
    assert warnings == [], [(w["code"], w["file"], w["message"]) for w in warnings]


@then(parsers.parse('the warning "{code}" names "{rel}"'))
def then_warning(cli_world: dict[str, Any], code: str, rel: str) -> None:
    warnings = cli_world["outcome"].of("validation_warning")
    assert any(w["code"] == code and w["file"] == rel for w in warnings), warnings


@then("there is no finding")
def then_clean(cli_world: dict[str, Any]) -> None:
    outcome = cli_world["outcome"]
    assert not outcome.of("validate_error") and not outcome.of("validation_warning"), outcome.stderr


@then("latest points at the published run")
def then_latest(cli_world: dict[str, Any]) -> None:
    run_dir = Path(cli_world["outcome"].events[-1]["run_dir"])
    latest = cli_world["out"] / "latest"
    assert latest.is_symlink() and latest.resolve() == run_dir.resolve()
    assert (run_dir / ".d3-run").is_file() and (run_dir / "SHA256SUMS").is_file()


@then("the published run is unchanged")
def then_unchanged(cli_world: dict[str, Any], tree_digest: Callable[[Path], dict[str, str]]) -> None:
    assert tree_digest(cli_world["out"]) == cli_world["digest"]
