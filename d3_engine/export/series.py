"""Monthly series across paths: `p<q>` rows per GEN-5 and the representative path's `rep` rows (FIN-11).

Columns are aggregated independently (accounting identities hold on `rep` rows and on every path,
not on percentile rows). Percentiles are computed in SQL by order statistics (the `pctl` macro),
never with `quantile_cont`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from d3_engine.models.render import render_text

if TYPE_CHECKING:
    import duckdb


def series_sql(
    source: str,
    keys: list[str],
    columns: list[str],
    percentiles: list[int],
    rep_path_id: int,
    passthrough: list[str] | None = None,
) -> str:
    """SQL of the series rows of `source` (a per-path table with `path_id`).

    `passthrough` columns are not per-path quantities (text, parameter-level values): percentile rows
    take them from the representative path (OUT-3).
    """
    passthrough = passthrough or []
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
        f"LEFT JOIN (SELECT * FROM {source} WHERE path_id = {rep_path_id}) AS r USING ({key_list})"
        if passthrough
        else ""
    }"""
    rep_select = f"""
        SELECT 'rep' AS series, 1000 AS series_order{", " + key_list if keys else ""},
               {", ".join(columns)}{", " + ", ".join(passthrough) if passthrough else ""}
        FROM {source} WHERE path_id = {rep_path_id}"""
    return "WITH " + ",\n".join(ctes) + f"\n{pct_select}\nUNION ALL BY NAME\n{rep_select}"


def build_series(
    con: duckdb.DuckDBPyConnection,
    target: str,
    source: str,
    keys: list[str],
    columns: list[str],
    percentiles: list[int],
    rep_path_id: int,
    passthrough: list[str] | None = None,
) -> int:
    """Create table `target` with the series rows; returns its row count."""
    sql = render_text(series_sql(source, keys, columns, percentiles, rep_path_id, passthrough), {}, target)
    con.execute(f'CREATE OR REPLACE TABLE "{target}" AS {sql}')
    return int(con.execute(f'SELECT count(*) FROM "{target}"').fetchall()[0][0])
