"""Fill a test table with many rows of exact decimal texts in one statement (executemany inserts row by row:
~0.4 ms a row, most of a property test's time)."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import numpy as np


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[Sequence[object]]) -> None:
    """INSERT `rows` into the existing `table`, every cell read from its text and cast to the column's type."""
    columns = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index", [table]
    ).fetchall()
    frame = {f"c{k}": np.array([str(row[k]) for row in rows], dtype=object) for k in range(len(columns))}
    con.register("_decimal_rows", frame)
    try:
        casts = ", ".join(f"CAST(c{k} AS {sql_type})" for k, (_, sql_type) in enumerate(columns))
        con.execute(f"INSERT INTO {table} SELECT {casts} FROM _decimal_rows")
    finally:
        con.unregister("_decimal_rows")
