"""The DAG refuses an unknown ref() or var() before any model runs, naming the nearest name (issue 10)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from d3_engine.core.errors import RuntimeFailure
from d3_engine.models.graph import check_references
from d3_engine.models.python.registry import all_models
from d3_engine.models.render import VARIABLE_NAMES, model_variables
from d3_engine.pipeline.validation import validate_inputs
from tests.conftest import BUNDLES


def _with_source(name: str, old: str, new: str) -> dict:
    models = all_models()
    model = models[name]
    assert old in model.source
    models[name] = dataclasses.replace(model, source=model.source.replace(old, new, 1))
    return models


def test_the_shipped_dag_has_no_unknown_names() -> None:
    check_references(all_models())


def test_a_mistyped_ref_is_refused_with_the_nearest_model() -> None:
    models = _with_source("public_model_month", "ref('public_price')", "ref('public_pricee')")
    with pytest.raises(RuntimeFailure) as caught:
        check_references(models)
    assert "unknown ref('public_pricee') (did you mean 'public_price'?)" in str(caught.value)
    assert "public_model_month_v1.sql" in str(caught.value)


def test_a_mistyped_var_is_refused_with_the_nearest_variable() -> None:
    models = _with_source("public_demand", "var('horizon_months')", "var('horizon_month')")
    with pytest.raises(RuntimeFailure) as caught:
        check_references(models)
    assert "unknown var('horizon_month') (did you mean 'horizon_months'?)" in str(caught.value)


def test_a_mistyped_ref_in_a_check_is_refused_too() -> None:
    with pytest.raises(
        RuntimeFailure, match=r"ACC-x.sql: unknown ref\('finance_monthh'\) \(did you mean 'finance_month'"
    ):
        check_references(all_models(), {"ACC-x.sql": "SELECT * FROM {{ ref('finance_monthh') }}"})


def test_a_ref_to_a_python_model_table_is_known() -> None:
    check_references(all_models(), {"x.sql": "SELECT * FROM {{ ref('public_autoscaling_summary') }}"})


def test_one_var_dictionary_holds_exactly_the_declared_names() -> None:
    validated = validate_inputs(BUNDLES["minimal_001"])
    values = model_variables(validated)
    assert list(values) == list(VARIABLE_NAMES)
    assert model_variables(validated, replicates=1, mc=1)["mc"] == 1


TYPO_RUN = """
import dataclasses, sys
import d3_engine.pipeline.run as run_module
from d3_engine.models.python import registry
models = registry.all_models()
model = models["public_model_month"]
models["public_model_month"] = dataclasses.replace(
    model, source=model.source.replace("ref('public_price')", "ref('public_pricee')", 1)
)
run_module.all_models = lambda: models
from d3_engine.cli.app import main
main(sys.argv[1:])
"""


def test_a_run_with_a_mistyped_ref_exits_3_before_writing_anything(tmp_path: Path) -> None:
    """End to end: the typo stops `d3 run` with exit 3 and the suggestion; no run folder is created.

    The typo lives only in a separate process (a wrapper that edits the model in memory), so that no other
    test, nor the session's cached standard runs, can ever see it.
    """
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-c", TYPO_RUN, "run", "--inputs", str(BUNDLES["minimal_001"]), "--out", str(out), "--quiet"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 3, done.stderr
    assert "unknown ref('public_pricee') (did you mean 'public_price'?)" in done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists() or not any(out.iterdir())
