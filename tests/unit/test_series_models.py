"""The series tables are models of the DAG (issue 10, deliverables 1 and 4): pnl/cashflow/balance-sheet by month,
the public scenarios and customers, the private customers and the capacity plan are Python models whose headers
are generated from the per-path models they aggregate, run across paths and are checked like any model; the
exporters only copy their rows ([GEN-5] [FIN-11] [OUT-4])."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from d3_engine.core.errors import RuntimeFailure
from d3_engine.models.graph import discover_models
from d3_engine.models.header import Column, ModelHeader, header_problems, parse_header
from d3_engine.models.python import capacity_plan, series
from d3_engine.models.python.registry import all_models, table_headers
from d3_engine.models.scope import split_by_scope
from d3_engine.models.series_header import header_text, series_columns, series_type
from d3_engine.pipeline.run import engine_models

SERIES_TABLES = {
    "pnl_by_month": "finance_month",
    "cashflow_by_month": "finance_month",
    "balance_sheet_by_month": "finance_month",
    "public_tap_scenarios": "public_horizon",
    "public_tap_customers_by_month": "public_customers_path",
    "private_tap_customers_by_month": "private_customers_by_month",
    "public_tap_capacity_series": "public_capacity_path",
}
EXPORT = Path(__file__).resolve().parents[2] / "d3_engine" / "export"


def _duckdb_series_type(sql_type: str) -> str:
    """The type DuckDB gives the `pctl` arithmetic on a column of `sql_type` united with the `rep` value."""
    con = duckdb.connect()
    con.execute(f"CREATE TABLE s (c {sql_type})")
    union = "SELECT c + (c - c) * CAST(0 AS DECIMAL(38,2)) AS c FROM s UNION ALL BY NAME SELECT c FROM s"
    return str(con.execute(f"DESCRIBE ({union})").fetchall()[0][1])


@pytest.mark.parametrize("sql_type", ["DOUBLE", "BIGINT", "INTEGER", "DECIMAL(18,0)", "DECIMAL(18,6)", "DECIMAL(9,4)"])
def test_the_series_type_rule_is_duckdbs(sql_type: str) -> None:
    assert series_type(sql_type) == _duckdb_series_type(sql_type)


def test_every_series_value_column_has_duckdbs_type() -> None:
    headers, sql = table_headers(), discover_models()
    for table, source in SERIES_TABLES.items():
        per_path = {c.name: c for c in sql[source].tables[0].columns}
        for column in headers[table].columns:
            if column.description.startswith(f"{source}.{column.name}, its p<q>"):
                assert column.type == _duckdb_series_type(per_path[column.name].type), (table, column.name)


def test_a_type_the_rule_does_not_cover_is_an_engine_error() -> None:
    with pytest.raises(RuntimeFailure, match="VARCHAR"):
        series_type("VARCHAR")
    source = ModelHeader(
        "src", 1, columns=[Column("path_id", "BIGINT", "id", "path"), Column("x", "DECIMAL(38,6)", "EUR", "")]
    )
    with pytest.raises(RuntimeFailure, match=re.escape("DECIMAL(38,6)")):
        series_columns(source, [], ["x"])
    with pytest.raises(RuntimeFailure, match="declares no column y"):
        series_columns(source, [], ["y"])


def test_series_headers_are_the_per_path_headers() -> None:
    """Keys and passthrough columns keep the per-path column; values keep its unit and say what they aggregate;
    every generated header is a valid header that reads back from its text."""
    headers, sql = table_headers(), discover_models()
    for table, source in SERIES_TABLES.items():
        header, per_path = headers[table], {c.name: c for c in sql[source].tables[0].columns}
        assert header.scope == "across paths" and header.grain[0] == "series"
        assert [c.name for c in header.columns[:2]] == ["series", "series_order"]
        for column in header.columns[2:]:
            assert column.unit == per_path[column.name].unit
            assert per_path[column.name].description in column.description
        assert header_problems(header) == []
        text = header_text(header)
        assert parse_header(text, header.owner) == header
    plan = headers["public_tap_capacity_plan"]
    assert (
        plan.columns[: len(headers["public_tap_capacity_series"].columns)]
        == headers["public_tap_capacity_series"].columns
    )
    assert [c.name for c in plan.columns[-2:]] == ["capacity_violation", "violating_paths_pct"]


def test_the_finance_files_take_finance_months_artefact_lists() -> None:
    finance = discover_models()["finance_month"].tables[0]
    headers = table_headers()
    for name in series.FINANCE_FILES:
        listed = headers[name].artefacts[f"{name}.csv"]
        assert listed == ["series", "month", "period", *finance.artefacts[f"{name}.csv"]]


def test_series_models_run_across_paths_after_the_representative_path() -> None:
    """They read every path (scratch tables included) and the representative path: the across stage."""
    models = engine_models(["public", "private"])
    scoped = split_by_scope(models)
    across = [m.name for m in scoped.across]
    wanted = [*series.FINANCE_FILES, "public_tap_scenarios", "public_tap_customers_by_month",
              "private_tap_customers_by_month", capacity_plan.PLAN]  # fmt: skip
    assert set(wanted) <= set(across)
    assert all(across.index(n) > across.index("representative_path") for n in wanted)
    assert "private_tap_customers_by_month" not in {m.name for m in engine_models(["public"])}


def test_the_fingerprint_follows_the_generated_header() -> None:
    """A change in a per-path model's header changes the series model's fingerprint (the run is not reused)."""
    model = all_models()["pnl_by_month"]
    assert header_text(model.tables[0]) in model.fingerprint_source


def test_no_exporter_builds_a_table() -> None:
    """Every table that reaches an artefact of `d3 run` is a model's: its exporters (export/*.py) create, register
    and alter nothing. (`d3 backtest`, export/backtest/, compares a published run with actuals in a database of
    its own.)"""
    found = {
        f"{path.name}: {line.strip()}"
        for path in sorted(EXPORT.glob("*.py"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if re.search(r"CREATE |create_table|create_described_table|\.register\(|ALTER |INSERT ", line)
    }
    assert found == set()
