"""Artefacts leave run.duckdb through ordered queries and one deterministic writer (OUT-3, OUT-4).

Every export names its total order; numbers are formatted by `formats` (never by DuckDB's text
cast), so a file's bytes depend only on the values. An artefact that copies a model's table takes its
column list from the model's header (`model_columns`): each exported column is declared once.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from d3_engine.core.errors import RuntimeFailure
from d3_engine.core.formats import write_csv
from d3_engine.models.python.registry import table_headers

if TYPE_CHECKING:
    import duckdb

SCOPE_ORDER = "CASE scope WHEN 'general' THEN 0 WHEN 'public_tap' THEN 1 ELSE 2 END"


def model_columns(table: str, drop: Iterable[str] = ()) -> list[str]:
    """The columns a model's header declares for `table`, in table order, without `drop`.

    Raises:
        RuntimeFailure: no model builds `table`, or `drop` names a column it does not declare (an engine bug).
    """
    header = table_headers().get(table)
    if header is None:
        raise RuntimeFailure(f"no model builds table {table}; an artefact can only copy a model's table")
    names = [c.name for c in header.columns]
    unknown = sorted(set(drop) - set(names))
    if unknown:
        raise RuntimeFailure(f"table {table} declares no column {', '.join(unknown)}")
    return [n for n in names if n not in set(drop)]


def export_query(con: duckdb.DuckDBPyConnection, sql: str, path: Path, header: list[str]) -> int:
    """Write the rows of an ordered query as a CSV artefact; returns the row count."""
    rows = con.execute(sql).fetchall()
    write_csv(path, header, rows)
    return len(rows)


def export_model(
    con: duckdb.DuckDBPyConnection,
    table: str,
    path: Path,
    order_by: str,
    drop: Iterable[str] = (),
    where: str = "TRUE",
    **csv: Any,
) -> int:
    """Copy a model's table into a CSV artefact, ordered; the header is the model header's columns minus `drop`.

    `csv` goes to `formats.write_csv` (int_columns, column_places). Returns the row count.
    """
    header = model_columns(table, drop)
    cells = ", ".join(f'"{c}"' for c in header)
    rows = con.execute(f'SELECT {cells} FROM "{table}" WHERE {where} ORDER BY {order_by}').fetchall()
    write_csv(path, header, rows, **csv)
    return len(rows)
