"""Running the model DAG: build each table, check its contract, comment it, fingerprint it.

A SQL model's rendered text and a Python model's source are kept in the run (`engine_models`)
with their sha256 (the model fingerprints of run_summary [OUT-7]).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from d3_engine.core.db import comment_on, create_table
from d3_engine.core.errors import RuntimeFailure
from d3_engine.models.contract import check_contract, comment_tables
from d3_engine.models.graph import Model
from d3_engine.models.render import render_text

if TYPE_CHECKING:
    import duckdb

ENGINE_MODELS_COLUMNS = {
    "name": ("VARCHAR", "model name [unit: id]"),
    "version": ("BIGINT", "model version [unit: id]"),
    "sha256": ("VARCHAR", "sha256 of the rendered SQL or of the Python model's source: the fingerprint [unit: id]"),
    "rows": ("BIGINT", "rows the model wrote (all its tables) [unit: count]"),
    "rendered_sql": ("VARCHAR", "the SQL as run, or the Python model's source [unit: text]"),
}


@dataclass
class ModelRun:
    """What running one model produced (for events and run_summary)."""

    name: str
    version: int
    rows: int
    ms: int
    sha256: str
    rendered: str
    contract_ms: int = 0  # of `ms`: checking the table against its header


def render(model: Model, variables: dict[str, Any]) -> str:
    """The model's SQL with ref() and var() resolved."""
    return render_text(model.source, variables, f"model {model.name}")


#: A statement's last clause when it is a plain ORDER BY of columns (nothing after it: not inside a window or a
#: subquery, whose ORDER BY is followed by a parenthesis).
_FINAL_ORDER = re.compile(r"\s+ORDER\s+BY\s+[A-Za-z_][A-Za-z0-9_.]*(\s*,\s*[A-Za-z_][A-Za-z0-9_.]*)*\s*$")


def without_final_order(sql: str) -> str:
    """`sql` without its final `ORDER BY <columns>` (unchanged when it has none, or when a `DISTINCT ON` may use it
    to pick its rows)."""
    return sql if re.search(r"\bDISTINCT\s+ON\b", sql, re.IGNORECASE) else _FINAL_ORDER.sub("", sql)


def _build(
    con: duckdb.DuckDBPyConnection, model: Model, variables: dict[str, Any], unordered: bool = False
) -> tuple[int, str]:
    """Create the model's table(s); returns (rows written, text fingerprinted). `unordered`: the table's row
    order is never observed, so its final ORDER BY is skipped (the text fingerprinted and recorded keeps it)."""
    if model.python is not None:
        return model.python(con), model.fingerprint_source
    rendered = render(model, variables)
    statement = rendered.strip().rstrip(";")
    body = without_final_order(statement) if unordered else statement
    try:  # DuckDB answers CREATE TABLE … AS with the count of rows it wrote
        created = con.execute(f'CREATE OR REPLACE TABLE "{model.name}" AS {body}').fetchall()
    except Exception as exc:  # a broken model is an engine bug: name it
        raise RuntimeFailure(f"SQL model {model.name} v{model.version} failed: {exc}") from exc
    return int(created[0][0]), rendered


def build_model(
    con: duckdb.DuckDBPyConnection, model: Model, variables: dict[str, Any], unordered: bool = False
) -> ModelRun:
    """Create one model's table(s) and check them against the header; returns what it produced. `unordered`:
    see `_build` (a batch's table that no one appends and whose readers never depend on row order).

    Raises:
        RuntimeFailure: the model fails, or its table breaks its header (exit 3, with a table of differences).
    """
    start = time.monotonic()
    rows, rendered = _build(con, model, variables, unordered)
    built = time.monotonic()
    for header in model.tables:
        check_contract(con, header, rows if len(model.tables) == 1 else None)
    digest = hashlib.sha256(rendered.encode("utf-8")).hexdigest()
    contract_ms = int((time.monotonic() - built) * 1000)
    return ModelRun(
        model.name, model.version, rows, int((time.monotonic() - start) * 1000), digest, rendered, contract_ms
    )


def run_models(
    con: duckdb.DuckDBPyConnection,
    models: list[Model],
    variables: dict[str, Any],
    on_done: Callable[[ModelRun], None] | None = None,
) -> list[ModelRun]:
    """Create every model's table in order, check it against its header, comment it; keep `engine_models`.

    Raises:
        RuntimeFailure: a model fails, or its table breaks its header (exit 3, with a table of differences).
    """
    runs: list[ModelRun] = []
    for model in models:
        run = build_model(con, model, variables)
        runs.append(run)
        if on_done is not None:
            on_done(run)
    record_runs(con, models, runs)
    return runs


def record_runs(con: duckdb.DuckDBPyConnection, models: list[Model], runs: list[ModelRun]) -> None:
    """COMMENT every model table from its header and write `engine_models` (the runs in DAG order)."""
    comment_tables(con, [header for model in models for header in model.tables])
    _record(con, runs)


def _record(con: duckdb.DuckDBPyConnection, runs: list[ModelRun]) -> None:
    create_table(
        con,
        "engine_models",
        {name: sql_type for name, (sql_type, _) in ENGINE_MODELS_COLUMNS.items()},
        {
            "name": [r.name for r in runs],
            "version": [r.version for r in runs],
            "sha256": [r.sha256 for r in runs],
            "rows": [r.rows for r in runs],
            "rendered_sql": [r.rendered for r in runs],
        },
    )
    comment_on(
        con,
        "engine_models",
        "every model of the run in DAG order with its fingerprint [OUT-7]",
        {name: text for name, (_, text) in ENGINE_MODELS_COLUMNS.items()},
    )
