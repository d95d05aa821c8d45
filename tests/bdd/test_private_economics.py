"""Steps of specs/features/private_economics.feature [PRV-1]…[PRV-7] [EX-6].

Each scenario edits a copy of the golden fixture, runs the real CLI with `--pipelines private` and
reads the private artefacts. While run.export_all does not yet call export_private, the
artefacts are produced from the run's run.duckdb by the exporter itself (same code, same bytes).
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from harness import InputsCopy, copy_bundle, run_on_copy
from pytest_bdd import given, parsers, scenarios, then, when

from d3_engine.export import private as export_private
from d3_engine.export.artefacts import PRIVATE_CUSTOMERS, PRIVATE_ECONOMICS, PRIVATE_VENDORS
from d3_engine.export.context import RunContext
from d3_engine.pipeline.validation import validate_inputs

scenarios("private_economics.feature")


@given("a copy of the golden fixture minimal_001", target_fixture="copy")
def copy_fixture(tmp_path: Path) -> InputsCopy:
    return copy_bundle("minimal_001", tmp_path / "inputs")


@pytest.fixture
def inputs(copy: InputsCopy) -> Path:
    """The folder of the scenario's copy of the fixture."""
    return copy.root


@given("the curated GPU offers")
def write_offers(inputs: Path, datatable: list[list[str]]) -> None:
    with (inputs / "operator" / "curated_gpu.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(datatable)


@given(parsers.parse('the private policy value "{key_path}" is {value:g}'))
def set_private_value(inputs: Path, key_path: str, value: float) -> None:
    path = inputs / "operator" / "private_tap.yaml"
    doc: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    node = doc
    *parents, leaf = key_path.split(".")
    for key in parents:
        node = node.setdefault(key, {})
    node[leaf] = int(value) if value == int(value) else value
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")


@when(parsers.parse('I run d3 on it with pipelines "{pipelines}"'), target_fixture="result")
def run_it(copy: InputsCopy, tmp_path: Path, pipelines: str) -> dict[str, Any]:
    """The real CLI in-process (an unchanged copy is served from the session's cache of standard runs)."""
    out = tmp_path / "out"
    args = ["run", "--inputs", str(copy.root), "--out", str(out), "--quiet", "--pipelines", pipelines]
    outcome = run_on_copy(args, copy, out)
    return {"outcome": outcome, "run_dir": out / "latest", "inputs": copy.root, "pipelines": pipelines.split(",")}


@then("the run succeeds")
def run_succeeds(result: dict[str, Any], tmp_path: Path) -> None:
    outcome = result["outcome"]
    assert outcome.exit_code == 0, outcome.stderr
    run_dir: Path = result["run_dir"].resolve()
    if all((run_dir / f).exists() for f in (PRIVATE_ECONOMICS.file, PRIVATE_CUSTOMERS.file)):
        result["artefacts"] = run_dir
        return
    spare = tmp_path / "artefacts"
    spare.mkdir()
    shutil.copy(run_dir / "run.duckdb", spare / "run.duckdb")
    con = duckdb.connect(str(spare / "run.duckdb"))
    try:
        validated = validate_inputs(result["inputs"], result["pipelines"], None, None)
        export_private.export(RunContext(con, spare, validated))
    finally:
        con.close()
    result["artefacts"] = spare


def read_csv(result: dict[str, Any], name: str) -> list[dict[str, str]]:
    with (result["artefacts"] / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@then(parsers.parse('private_tap_economics.csv has for GPU "{gpu}"'))
def economics_row(result: dict[str, Any], gpu: str, datatable: list[list[str]]) -> None:
    rows = [r for r in read_csv(result, PRIVATE_ECONOMICS.file) if r["gpu"] == gpu]
    assert len(rows) == 1, f"one row expected for {gpu}"
    assert {c: rows[0][c] for c, _ in datatable[1:]} == dict((c, v) for c, v in datatable[1:])


@then("private_vendor_recommendation.csv ranks")
def vendor_rows(result: dict[str, Any], datatable: list[list[str]]) -> None:
    header, *expected = datatable
    got = [[r[c] for c in header] for r in read_csv(result, PRIVATE_VENDORS.file)]
    assert got == expected


@then("the rep rows of private_tap_customers_by_month.csv read")
def rep_rows(result: dict[str, Any], datatable: list[list[str]]) -> None:
    header, *expected = datatable
    reps = {r["month"]: r for r in read_csv(result, PRIVATE_CUSTOMERS.file) if r["series"] == "rep"}
    got = [[reps[row[0]][c] for c in header] for row in expected]
    assert got == expected
