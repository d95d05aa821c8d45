"""Monthly series across paths: `p<q>` rows per GEN-5 and the representative path's `rep` rows (FIN-11).

Columns are aggregated independently (accounting identities hold on `rep` rows and on every path,
not on percentile rows). `build_series` selects the order statistics in numpy (`series_select`), one
chunk of groups and a few columns at a time; `series_sql` is the same table in SQL (the `pctl` macro,
a window sort per column), the reference the numpy version matches bit for bit and the fallback for
the cases it does not handle (NULL or exotic group keys, column types other than integer, DECIMAL(≤18)
and DOUBLE). Never `quantile_cont`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from d3_engine.models.render import render_text
from d3_engine.models.series_select import GROUPS_TABLE, Cells, read_groups, select_percentiles, value_scale

if TYPE_CHECKING:
    import duckdb


def series_sql(
    source: str,
    keys: list[str],
    columns: list[str],
    percentiles: list[int],
    rep_path_id: int,
    passthrough: list[str] | None = None,
    weight: str | None = None,
    rep_source: str | None = None,
) -> str:
    """SQL of the series rows of `source` (a per-path table with `path_id`).

    `passthrough` columns are not per-path quantities (text, parameter-level values): percentile rows
    take them from the representative path (OUT-3). `weight`: a column saying how many equal values a
    row stands for (expanded here). `rep_source`: where the representative path's rows are read (default
    `source`).
    """
    passthrough = passthrough or []
    rep_source = rep_source or source
    if weight:
        source = f'(SELECT * FROM (SELECT *, unnest(range("{weight}")) AS _d3_copy FROM {source}))'
    ctes = [
        f"c{i} AS ({{{{ pctl('{source}', {keys!r}, '{col}', {percentiles!r}, value_out='v') }}}})"
        for i, col in enumerate(columns)
    ]
    key_list = ", ".join(keys)
    joins = " ".join(f"JOIN c{i} USING ({key_list + ', ' if keys else ''}p)" for i in range(1, len(columns)))
    picked = ", ".join(f"c{i}.v AS {col}" for i, col in enumerate(columns))
    rep_cols = ", ".join(f"r.{c}" for c in passthrough)
    pct_select = f"""
        SELECT 'p' || c0.p AS series, c0.p AS series_order{", " + ", ".join(f"c0.{k}" for k in keys) if keys else ""},
               {picked}{", " + rep_cols if passthrough else ""}
        FROM c0 {joins}
        {
        f"LEFT JOIN (SELECT * FROM {rep_source} WHERE path_id = {rep_path_id}) AS r USING ({key_list})"
        if passthrough
        else ""
    }"""
    return (
        "WITH "
        + ",\n".join(ctes)
        + f"\n{pct_select}\nUNION ALL BY NAME\n{_rep_select(rep_source, keys, columns, passthrough, rep_path_id)}"
    )


def _rep_select(source: str, keys: list[str], columns: list[str], passthrough: list[str], rep_path_id: int) -> str:
    return f"""
        SELECT 'rep' AS series, 1000 AS series_order{", " + ", ".join(keys) if keys else ""},
               {", ".join(columns)}{", " + ", ".join(passthrough) if passthrough else ""}
        FROM {source} WHERE path_id = {rep_path_id}"""


def _result_types(con: duckdb.DuckDBPyConnection, source: str, columns: list[str]) -> dict[str, str]:
    """The column types the SQL version gives: the `pctl` expression's type united with the `rep` value's."""
    pctl = ", ".join(f'"{c}" + ("{c}" - "{c}") * CAST(0 AS DECIMAL(38,2)) AS "{c}"' for c in columns)
    rep = ", ".join(f'"{c}"' for c in columns)
    union = f"SELECT {pctl} FROM {source} UNION ALL BY NAME SELECT {rep} FROM {source}"
    return {str(name): str(kind) for name, kind, *_ in con.execute(f"DESCRIBE ({union})").fetchall()}


def _decimal_text(scaled: int, scale: int) -> str:
    """The exact decimal text of `scaled` · 10^-scale (scale ≥ 1)."""
    digits = str(abs(scaled)).rjust(scale + 1, "0")
    return f"{'-' if scaled < 0 else ''}{digits[:-scale]}.{digits[-scale:]}"


def _register_cells(
    con: duckdb.DuckDBPyConnection,
    view: str,
    codes: np.ndarray,
    percentiles: list[int],
    found: dict[str, Cells],
    scales: dict[str, int | None],
) -> None:
    """Register the percentile cells as a view: `_code`, `_p`, per column its value and `<column>__null`."""
    frame: dict[str, np.ndarray] = {
        "_code": np.repeat(codes, len(percentiles)),
        "_p": np.tile(np.asarray(percentiles, dtype=np.int32), len(codes)),
    }
    for column, cells in found.items():
        flat = [v for row in cells for v in row]
        frame[f"{column}__null"] = np.asarray([v is None for v in flat], dtype=bool)
        if scales[column] is None:
            frame[column] = np.asarray([0.0 if v is None else v for v in flat], dtype=np.float64)
        else:
            text = ["0" if v is None else _decimal_text(int(v), int(scales[column] or 0) + 2) for v in flat]
            frame[column] = np.asarray(text, dtype=object)
    con.register(view, frame)


def _build_by_selection(
    con: duckdb.DuckDBPyConnection,
    target: str,
    source: str,
    keys: list[str],
    columns: list[str],
    percentiles: list[int],
    rep_path_id: int,
    passthrough: list[str],
    weight: str | None = None,
    rep_source: str | None = None,
) -> bool:
    """Create `target` with percentiles selected in numpy; False (nothing done) when a case is not handled."""
    rep_source = rep_source or source
    types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {source})").fetchall())
    scales = {c: value_scale(types[c]) for c in columns}
    if -1 in scales.values() or (passthrough and not keys):
        return False
    groups = read_groups(con, source, keys)
    if groups is None:
        return False
    found = select_percentiles(con, source, groups, scales, percentiles, weight)
    out_types = _result_types(con, source, columns)
    view = f"_d3_series_cells_{target}"
    _register_cells(con, view, groups.codes, percentiles, found, scales)
    values = ", ".join(
        f'CASE WHEN q."{c}__null" THEN NULL ELSE CAST(q."{c}" AS {out_types[c]}) END AS "{c}"' for c in columns
    )
    key_cols = "".join(f', g."{k}"' for k in keys)
    rep_cols = "".join(f', r."{c}"' for c in passthrough)
    rep_join = (
        f"LEFT JOIN (SELECT * FROM {rep_source} WHERE path_id = {rep_path_id}) AS r USING ({', '.join(keys)})"
        if passthrough
        else ""
    )
    try:
        con.execute(f"""CREATE OR REPLACE TABLE "{target}" AS
            SELECT 'p' || CAST(q._p AS INTEGER) AS series, CAST(q._p AS INTEGER) AS series_order{key_cols},
                   {values}{rep_cols}
            FROM "{view}" AS q JOIN (SELECT *, {groups.ordinal_sql} AS _code FROM {GROUPS_TABLE}) AS g USING (_code)
            {rep_join}
            UNION ALL BY NAME
            {_rep_select(rep_source, keys, columns, passthrough, rep_path_id)}""")
    finally:
        con.unregister(view)
        con.execute(f"DROP TABLE IF EXISTS {GROUPS_TABLE}")
    return True


def build_series(
    con: duckdb.DuckDBPyConnection,
    target: str,
    source: str,
    keys: list[str],
    columns: list[str],
    percentiles: list[int],
    rep_path_id: int,
    passthrough: list[str] | None = None,
    weight: str | None = None,
    rep_source: str | None = None,
) -> int:
    """Create table `target` with the series rows (the table `series_sql` gives); returns its row count.

    `weight` and `rep_source`: see `series_sql`.
    """
    built = _build_by_selection(
        con, target, source, keys, columns, percentiles, rep_path_id, passthrough or [], weight, rep_source
    )
    if not built:
        sql = series_sql(source, keys, columns, percentiles, rep_path_id, passthrough, weight, rep_source)
        sql = render_text(sql, {}, target)
        con.execute(f'CREATE OR REPLACE TABLE "{target}" AS {sql}')
    return int(con.execute(f'SELECT count(*) FROM "{target}"').fetchall()[0][0])
