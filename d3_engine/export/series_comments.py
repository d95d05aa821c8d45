"""COMMENTs of the series tables (`series.build_series`): each column says what it aggregates.

A series table holds the `p<q>` rows ([GEN-5]) and the `rep` rows ([FIN-11]) of a per-path model; its value
columns carry the model header's description of the per-path column they aggregate, so each thing is said
once (in the model header) and read here from `duckdb_columns()`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from d3_engine.core.db import comment_on
from d3_engine.models.header import column_comment
from d3_engine.models.python.registry import table_headers

if TYPE_CHECKING:
    import duckdb

SERIES_COLUMNS = {
    "series": "p<q>: the q-th percentile over paths of each column on its own [GEN-5]; rep: the representative "
    "path [FIN-11] [unit: text]",
    "series_order": "sort key of the series: q for p<q>, 1000 for rep [unit: id]",
}


def column_comments(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """Column name → COMMENT of a table, in column order: a model's from its header (its per-path tables may
    sit in the run's scratch database, uncommented), any other table's from the run's own catalog."""
    header = table_headers().get(table)
    if header is not None:
        return {c.name: column_comment(c) for c in header.columns}
    rows = con.execute(
        "SELECT column_name, comment FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND table_name = ? ORDER BY column_index",
        [table],
    ).fetchall()
    return {name: comment for name, comment in rows if comment}


def comment_series(
    con: duckdb.DuckDBPyConnection,
    target: str,
    source: str,
    purpose: str,
    keys: Sequence[str],
    passthrough: Sequence[str] = (),
) -> None:
    """COMMENT the series table `target` built from the per-path model `source` by `build_series`.

    Keys keep the source's description; `passthrough` columns are the representative path's on every row
    ([OUT-3]); every other column is the per-row aggregate of the source column of the same name.
    """
    per_path = column_comments(con, source)
    described: dict[str, str] = {}
    for column in (d[0] for d in con.execute(f'SELECT * FROM "{target}" LIMIT 0').description):
        if column in SERIES_COLUMNS:
            described[column] = SERIES_COLUMNS[column]
        elif column in keys:
            described[column] = per_path[column]
        elif column in passthrough:
            described[column] = f"the representative path's value on every row [OUT-3]; {per_path[column]}"
        else:
            described[column] = f"{source}.{column}, its p<q> over paths or its rep value; per path: {per_path[column]}"
    comment_on(con, target, f"{purpose}: p<q> and rep rows of the per-path model {source} [GEN-5] [FIN-11]", described)


def comment_like(
    con: duckdb.DuckDBPyConnection, target: str, like: str, purpose: str, extra: Mapping[str, str]
) -> None:
    """COMMENT `target`, built as `like`'s columns plus `extra` ones, with `like`'s column COMMENTs."""
    comment_on(con, target, purpose, {**column_comments(con, like), **extra})
