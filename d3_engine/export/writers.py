"""Artefacts leave run.duckdb through ordered queries and one deterministic writer (OUT-3, OUT-4).

Every export names its total order; numbers are formatted by `formats` (never by DuckDB's text
cast), so a file's bytes depend only on the values.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from d3_engine.core.db import comment_on
from d3_engine.core.formats import write_csv

if TYPE_CHECKING:
    import duckdb

SCOPE_ORDER = "CASE scope WHEN 'general' THEN 0 WHEN 'public_tap' THEN 1 ELSE 2 END"
VARIABLE_DRAWS_HEADER = ["scope", "variable_id", "path", "grid_index", "replicate_index", "draw_value"]
VARIABLE_DRAWS_COMMENTS = {
    "scope": "scope of the variable: general, public_tap or private_tap [IN-13] [unit: id]",
    "variable_id": "the variable, as in variables/<scope>.csv [IN-13] [unit: id]",
    "path": "key path the variable overlays [IN-15] [unit: id]",
    "grid_index": "grid point [IN-16] [unit: id]",
    "replicate_index": "replicate of the grid point [IN-16] [unit: id]",
    "draw_value": "the variable's value in this parameter set, as exact text (params.value_text) [RNG-6] [unit: text]",
}


def export_query(con: duckdb.DuckDBPyConnection, sql: str, path: Path, header: list[str]) -> int:
    """Write the rows of an ordered query as a CSV artefact; returns the row count."""
    rows = con.execute(sql).fetchall()
    write_csv(path, header, rows)
    return len(rows)


def export_variable_draws(con: duckdb.DuckDBPyConnection, run_dir: Path) -> int:
    """variable_draws.csv (RNG-6): one row per (grid_index, replicate_index, used variable)."""
    con.execute(f"""
        CREATE OR REPLACE TABLE variable_draws AS
        SELECT scope, variable_id, path, grid_index, replicate_index, value_text AS draw_value
        FROM params
        ORDER BY grid_index, replicate_index, {SCOPE_ORDER}, variable_id
    """)
    comment_on(
        con,
        "variable_draws",
        "rows of variable_draws.csv: every used variable's value per set [RNG-6]",
        VARIABLE_DRAWS_COMMENTS,
    )
    sql = f"""SELECT {", ".join(VARIABLE_DRAWS_HEADER)} FROM variable_draws
              ORDER BY grid_index, replicate_index, {SCOPE_ORDER}, variable_id"""
    return export_query(con, sql, run_dir / "variable_draws.csv", VARIABLE_DRAWS_HEADER)
