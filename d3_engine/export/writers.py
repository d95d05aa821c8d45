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


def file_column(name: str) -> str:
    """A column's name in a CSV artefact: the model's, except that a per-million rate is spelled `_per_1M` (DOMAIN
    §1: costs per 1 000 000 tokens are `_per_1M`; a model header declares lower-case names, so run.duckdb says
    `_per_1m`)."""
    return name[: -len("1m")] + "1M" if name.endswith("_per_1m") else name


def artefact_columns(table: str, file: str) -> list[str]:
    """The columns the model header of `table` lists for the artefact `file` (`-- artefact: <file>: …`), in file order.

    Raises:
        RuntimeFailure: no model builds `table`, or its header lists no columns for `file` (an engine bug).
    """
    header = table_headers().get(table)
    if header is None:
        raise RuntimeFailure(f"no model builds table {table}; an artefact can only copy a model's table")
    if file not in header.artefacts:
        raise RuntimeFailure(f"model {header.name} lists no columns for the artefact {file}")
    return list(header.artefacts[file])


def export_query(con: duckdb.DuckDBPyConnection, sql: str, path: Path, header: list[str]) -> int:
    """Write the rows of an ordered query as a CSV artefact; returns the row count."""
    rows = con.execute(sql).fetchall()
    write_csv(path, header, rows)
    return len(rows)


def export_columns(
    con: duckdb.DuckDBPyConnection,
    table: str,
    path: Path,
    columns: list[str],
    order_by: str,
    where: str = "TRUE",
    **csv: Any,
) -> int:
    """Copy `columns` of a model's table into a CSV artefact, ordered, with a header in the file's spelling
    (`file_column`); returns the row count.

    `csv` goes to `formats.write_csv` (int_columns, column_places).
    """
    cells = ", ".join(f'"{c}"' for c in columns)
    rows = con.execute(f'SELECT {cells} FROM "{table}" WHERE {where} ORDER BY {order_by}').fetchall()
    write_csv(path, [file_column(c) for c in columns], rows, **csv)
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
    return export_columns(con, table, path, model_columns(table, drop), order_by, where, **csv)
