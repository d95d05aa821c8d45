"""Every exported column is declared once: an artefact that copies a model's table has the model header's
columns, in its order (issue 10, deliverable 4; `export/artefacts.py`).

The files are read from the cached minimal and shipped runs, so an exporter that writes its own column list
fails here as soon as the list and the model header disagree.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from harness import StandardRun

from d3_engine.export.artefacts import GRID_KPIS, MODEL_ARTEFACTS, ModelArtefact, SeriesArtefact
from d3_engine.models.python.registry import table_headers

RUNS = ["minimal_run", "shipped_run", "shipped_small_run"]


def _expected(artefact: ModelArtefact | SeriesArtefact, run_dir: Path) -> list[str]:
    if isinstance(artefact, SeriesArtefact):
        return artefact.columns()
    with duckdb.connect(str(run_dir / "run.duckdb"), read_only=True) as con:
        grid_points = con.execute("SELECT count(DISTINCT grid_index) FROM params_general").fetchall()[0][0]
    return artefact.columns(with_optional=grid_points > 1)


@pytest.mark.parametrize("run_name", RUNS)
def test_artefact_header_is_its_model_header(run_name: str, request: pytest.FixtureRequest) -> None:
    run_dir: Path = request.getfixturevalue(run_name)
    checked = []
    for artefact in MODEL_ARTEFACTS:
        path = run_dir / artefact.file
        if not path.exists():
            continue
        header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
        assert header == _expected(artefact, run_dir), f"{artefact.file} disagrees with its model's header"
        checked.append(artefact.file)
    if run_name == "shipped_small_run":  # both pipelines and the stress tests run: every listed artefact exists
        assert checked == [a.file for a in MODEL_ARTEFACTS]
    if run_name == "shipped_run":  # the full-size run has its stress tests off (harness.NO_STRESS)
        assert checked == [a.file for a in MODEL_ARTEFACTS if a.file != "stress_tests.csv"]


def test_grid_kpis_header_is_its_model_header_with_one_column_per_axis(grid_std: StandardRun) -> None:
    """grid_kpis.csv: the `grid_kpis` model's artefact list, its `grid_values` list spread over one column per
    swept variable named by the `grid_axes` model ([OUT-12]); the grid fixture sweeps two variables."""
    assert grid_std.exit_code == 0
    run_dir = grid_std.run_dir
    header = (run_dir / "grid_kpis.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    with duckdb.connect(str(run_dir / "run.duckdb"), read_only=True) as con:
        names = [r[1] for r in con.execute("SELECT DISTINCT axis, column_name FROM grid_axes ORDER BY axis").fetchall()]
        assert header == GRID_KPIS.columns(con)
    listed = table_headers()["grid_kpis"].artefacts["grid_kpis.csv"]
    assert names == ["public_tap.target_margin_pct", "private_tap.vendor_weight_cost"]
    assert header == ["grid_index", *names, *listed[2:]]
    assert listed[:2] == ["grid_index", "grid_values"]


def test_every_listed_artefact_copies_a_model_table() -> None:
    """The table behind each listed artefact is built by a model (SQL or Python) of the DAG; a series file's columns
    are its model header's artefact list."""
    headers = table_headers()
    tables = [a.table for a in (*MODEL_ARTEFACTS, GRID_KPIS)]
    assert [t for t in tables if t not in headers] == []
    assert {"sensitivity", "variable_draws", "pnl_by_month", "public_tap_capacity_plan", "grid_kpis"} <= set(tables)
    for artefact in MODEL_ARTEFACTS:
        if isinstance(artefact, SeriesArtefact):
            assert artefact.columns() == headers[artefact.table].artefacts[artefact.file]


def test_a_dropped_column_must_be_declared() -> None:
    """Leaving out a column the model does not declare is an engine bug, not a silent no-op."""
    from d3_engine.core.errors import RuntimeFailure

    with pytest.raises(RuntimeFailure, match="declares no column"):
        ModelArtefact("x.csv", "sensitivity", ("no_such_column",)).columns()
    with pytest.raises(RuntimeFailure, match="no model builds table"):
        ModelArtefact("x.csv", "not_a_model").columns()
