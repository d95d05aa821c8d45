"""The contract check run after every model, and the COMMENTs a header gives its table.

After a model is built its table is compared with its header: column names, types and order, and
a unique grain (one pass over a hash of the grain; the exact `GROUP BY grain HAVING count(*) > 1` only
when a hash repeats). A difference stops the run (exit 3) with a table of expected against actual per
column, or the duplicated grain key.
"""

from __future__ import annotations

from itertools import zip_longest
from typing import TYPE_CHECKING

from d3_engine.core.db import comment_statements, sql_identifier, transaction
from d3_engine.core.errors import RuntimeFailure
from d3_engine.models.header import ModelHeader, column_comment

if TYPE_CHECKING:
    import duckdb


def actual_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    """(name, type) of every column of a table, in table order."""
    # pragma_table_info reads one table; duckdb_columns() would scan the whole catalog after every model
    rows = con.execute("SELECT name, type FROM pragma_table_info(?) ORDER BY cid", [table]).fetchall()
    return [(str(n), str(t)) for n, t in rows]


def column_differences(header: ModelHeader, actual: list[tuple[str, str]]) -> list[tuple[int, str, str, str]]:
    """(position, expected, actual, what differs) for every column that breaks the header; [] when equal."""
    expected = [(c.name, c.type) for c in header.columns]
    differences = []
    for position, (want, got) in enumerate(zip_longest(expected, actual), start=1):
        if want == got:
            continue
        if want is None or got is None:
            what = "missing" if got is None else "not declared"
        elif want[0] != got[0]:
            what = "name"
        else:
            what = "type"
        shown_want = f"{want[0]} {want[1]}" if want else "-"
        shown_got = f"{got[0]} {got[1]}" if got else "-"
        differences.append((position, shown_want, shown_got, what))
    return differences


def duplicated_grain(
    con: duckdb.DuckDBPyConnection, header: ModelHeader, rows: int | None = None
) -> dict[str, object] | None:
    """One grain key that occurs more than once (with its count), or None when the grain is unique.

    First one pass that counts the distinct keys: for a grain of integer columns in a small box (the per-path
    tables: path_id, month, year, …) their numbers in a bitstring (`_repeated_integer_keys`, exact); for any other
    grain a single 64-bit hash of the key columns: equal keys have equal hashes, so no repeated hash proves the
    grain unique (grouping one UBIGINT is cheaper than grouping the key columns, issue 13). Only a repeat (a
    duplicate, or a rare hash collision) runs the exact GROUP BY that names the key. `rows`, when known: a table
    of fewer than BITSTRING_FROM_ROWS rows takes the hash count (one query; the bitstring needs two).
    """
    keys = ", ".join(sql_identifier(g) for g in header.grain)
    table = sql_identifier(header.name)
    repeated = _repeated_integer_keys(con, header) if rows is None or rows >= BITSTRING_FROM_ROWS else None
    if repeated is None:
        # count(DISTINCT) of the hashes: 15-20 % cheaper than GROUP BY … HAVING count(*) > 1 (5 000-path batches)
        (repeated,) = con.execute(f"SELECT count(*) - count(DISTINCT hash({keys})) FROM {table}").fetchall()[0]
    if not repeated:
        return None
    row = con.execute(f"SELECT {keys}, count(*) FROM {table} GROUP BY {keys} HAVING count(*) > 1 LIMIT 1").fetchall()
    if not row:
        return None
    return {**dict(zip(header.grain, row[0][:-1], strict=True)), "rows": row[0][-1]}


#: Integer types a grain key can be numbered by (`_repeated_integer_keys`).
INTEGER_TYPES = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER"})
#: Below this many rows the hash count of a grain is as cheap as the bitstring's first query alone.
BITSTRING_FROM_ROWS = 20_000
#: The largest key space numbered in a bitstring: 2^27 bits, 16 MiB (a 5 000-path batch × 60 months: 300 000).
MAX_KEY_SPACE = 1 << 27


def _repeated_integer_keys(con: duckdb.DuckDBPyConnection, header: ModelHeader) -> int | None:
    """Rows minus distinct keys, exactly, for a grain of integer columns whose key space is small (a batch's
    path ids × months, say): each key is numbered within the box of its columns' min … max and set in a bitstring
    (`bitstring_agg`); its count of set bits is the count of distinct keys. Half the time of hashing the keys into
    a distinct set (issue 13). None when the grain has a non-integer column or the box is too large."""
    types = {c.name: c.type for c in header.columns}
    if not all(types.get(g) in INTEGER_TYPES for g in header.grain):
        return None
    table = sql_identifier(header.name)
    columns = [sql_identifier(g) for g in header.grain]
    bounds = ", ".join(f"min({c}), max({c})" for c in columns)
    any_null = " OR ".join(f"{c} IS NULL" for c in columns)
    rows, nulls, *found = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE {any_null}), {bounds} FROM {table}"
    ).fetchall()[0]
    if not rows:
        return 0
    if nulls:  # a NULL key is a key of its own for the hash check; bitstring_agg would skip it
        return None
    terms, space = [], 1
    for column, low, high in reversed(list(zip(columns, found[0::2], found[1::2], strict=True))):
        terms.append(f"(CAST({column} AS BIGINT) - {int(low)}) * {space}")  # a SMALLINT's difference can overflow
        space *= int(high) - int(low) + 1
        if space > MAX_KEY_SPACE:
            return None
    number = " + ".join(reversed(terms))
    (repeated,) = con.execute(
        f"SELECT count(*) - bit_count(bitstring_agg({number}, 0, {space - 1})) FROM {table}"
    ).fetchall()[0]
    return int(repeated)


def check_contract(con: duckdb.DuckDBPyConnection, header: ModelHeader, rows: int | None = None) -> None:
    """Compare a built table with its header; raise a readable table of differences (exit 3). `rows`: the
    table's row count when known (it picks the cheaper grain check, `duplicated_grain`).

    Raises:
        RuntimeFailure: on a column whose name, type or position differs, or a duplicated grain key.
    """
    differences = column_differences(header, actual_columns(con, header.name))
    if differences:
        raise RuntimeFailure(_differences_message(header, differences))
    if header.virtual:
        _check_identities(con, header)
    if header.grain and (dupe := duplicated_grain(con, header, rows)) is not None:
        key = ", ".join(f"{k}={v!r}" for k, v in dupe.items())
        raise RuntimeFailure(
            f"model {header.name} v{header.version} breaks its contract ({header.owner}): the grain "
            f"({', '.join(header.grain)}) is not unique; duplicated key: {key}. "
            "To fix this, make the model's SELECT return one row per grain key, or correct the header's grain."
        )


def broken_identities(con: duckdb.DuckDBPyConnection, header: ModelHeader) -> dict[str, int]:
    """Rows of the built table where a `-- virtual:` column differs from its expression, per such column."""
    types = {c.name: c.type for c in header.columns}
    counts = ", ".join(
        f"count(*) FILTER (WHERE {sql_identifier(c)} IS DISTINCT FROM CAST(({expr}) AS {types[c]}))"
        for c, expr in header.virtual.items()
    )
    try:
        found = con.execute(f"SELECT {counts} FROM {sql_identifier(header.name)}").fetchall()[0]
    except Exception as exc:  # an expression that does not bind is a header bug: name it
        raise RuntimeFailure(
            f"model {header.name} v{header.version} breaks its contract ({header.owner}): a `-- virtual:` "
            f"expression fails: {exc}. To fix this, write each as an expression over the table's columns."
        ) from exc
    return {c: int(n) for c, n in zip(header.virtual, found, strict=True) if n}


def _check_identities(con: duckdb.DuckDBPyConnection, header: ModelHeader) -> None:
    broken = broken_identities(con, header)
    if broken:
        listed = "; ".join(f"{c} = {header.virtual[c]} fails on {n} row(s)" for c, n in broken.items())
        raise RuntimeFailure(
            f"model {header.name} v{header.version} breaks its contract ({header.owner}): {listed}. run.duckdb "
            "computes a virtual column from its expression, so it must equal what the model computes. "
            "To fix this, correct the model or the header's `-- virtual:` line."
        )


def _differences_message(header: ModelHeader, differences: list[tuple[int, str, str, str]]) -> str:
    rows = [
        ("#", "expected (header)", "actual (table)", "differs in"),
        *[(str(p), w, g, d) for p, w, g, d in differences],
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    table = "\n".join("  " + "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows)
    return (
        f"model {header.name} v{header.version} breaks its contract ({header.owner}):\n{table}\n"
        "To fix this, make the model's SELECT cast and order its columns as the header declares, "
        "or correct the header."
    )


def comment_tables(con: duckdb.DuckDBPyConnection, headers: list[ModelHeader]) -> None:
    """COMMENT ON every table and column from its header (purpose; description and unit), in one transaction.

    One transaction: each COMMENT is a catalog change, and committing each alone costs a write to disk.
    """
    with transaction(con):
        for header in headers:
            described = {c.name: column_comment(c) for c in header.columns}
            con.execute(";\n".join(comment_statements(header.name, header.comment(), described)))
