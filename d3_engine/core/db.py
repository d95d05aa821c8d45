"""The per-run DuckDB file: connection and column-wise inserts (ARCHITECTURE §1).

Tables are created with explicit types and filled from NumPy columns in one statement, never
row by row. DuckDB is imported lazily so that `d3 --help` stays instant.
"""

from __future__ import annotations

import atexit
import itertools
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import duckdb


def connect(path: Path | None, threads: int = 1, block_size: int | None = None) -> duckdb.DuckDBPyConnection:
    """Open (or create) a DuckDB database; None gives an in-memory one.

    `block_size`: the block size of every database file this connection creates (the file at `path` when new,
    and those it attaches later); None keeps DuckDB's 256 KiB. A small plan's run takes 16 KiB blocks
    (pipeline/databases.database_block_size).

    `threads`: DuckDB's threads per query; a run gives its workers. One thread beside d3's own workers would cost
    ~12 % less CPU on a small run, but with 2 workers DuckDB 2.0.0 then fails finance_month's hash join in a batch
    of a 1 000 000-path plan ("INTERNAL Error: dict-surviving join: narrowed column 24 received a non-dictionary chunk
    with values; build pipeline is not single-source", BENCH.md eighteenth session).
    """
    import duckdb

    config: dict[str, str | bool | int | float | list[str]] = {}
    if block_size is not None:
        config["default_block_size"] = str(int(block_size))
    con = duckdb.connect(str(path) if path is not None else ":memory:", config=config)
    con.execute(f"SET threads TO {max(1, int(threads))}")
    # Insertion order is part of what we hand to ordered exports; keep it.
    con.execute("SET preserve_insertion_order = true")
    return con


_SHARED: dict[int, duckdb.DuckDBPyConnection] = {}  # by process id: an instance is never used across a fork
_SHARED_LOCK = threading.Lock()
_SCRATCH_NUMBERS = itertools.count()
_SCRATCH_OPEN = [0]  # scratch catalogs of this process not yet dropped


def _close_shared() -> None:
    """Close this process's instance (an instance inherited over a fork belongs to the parent: left alone)."""
    with _SHARED_LOCK:
        con = _SHARED.pop(os.getpid(), None)
    if con is not None:
        con.close()


def _close_shared_before_fork() -> None:
    """A DuckDB instance alive across a fork makes a child that uses DuckDB abort at its exit: close the idle
    instance first (the next scratch database opens another, ~25 ms). One in use by another thread stays."""
    with _SHARED_LOCK:  # checked and taken at once: no scratch database can open in between
        con = None if _SCRATCH_OPEN[0] else _SHARED.pop(os.getpid(), None)
    if con is not None:
        con.close()


def _reset_after_fork() -> None:
    global _SHARED_LOCK
    _SHARED_LOCK = threading.Lock()  # another thread may have held it at the fork: the child's copy is never freed
    _SCRATCH_OPEN[0] = 0


atexit.register(_close_shared)  # closed before the interpreter tears down, not by whatever order it frees objects
os.register_at_fork(before=_close_shared_before_fork, after_in_child=_reset_after_fork)


@contextmanager
def scratch_database() -> Iterator[duckdb.DuckDBPyConnection]:
    """A throwaway in-memory database, dropped on exit: a fresh catalog (`ATTACH ':memory:'`, ~1 ms) on a cursor of
    one DuckDB instance kept for the process, rather than a new instance (`connect(None)`, ~20–25 ms: DuckDB
    registers every built-in function in each; the process's first scratch database still pays it once). The
    cursor's default catalog is the fresh one, so names resolve there; each caller has its own cursor and catalog
    (threads may overlap), and only catalog functions such as `duckdb_tables()` see the others'. The catalog is
    detached through the instance's own connection, so it is dropped even when the block closed the cursor."""
    with _SHARED_LOCK:
        base = _SHARED.get(os.getpid())
        if base is None:
            base = _SHARED[os.getpid()] = connect(None)
        name = f"scratch_{next(_SCRATCH_NUMBERS)}"
        cursor = base.cursor()
        _SCRATCH_OPEN[0] += 1
    try:
        cursor.execute(f"ATTACH ':memory:' AS {name}")
        cursor.execute(f"USE {name}")
        yield cursor
    except BaseException:
        with suppress(Exception):  # the error (or interrupt) that ended the block is the one to report
            _drop_scratch(base, cursor, name)
        raise
    _drop_scratch(base, cursor, name)


def _drop_scratch(base: duckdb.DuckDBPyConnection, cursor: duckdb.DuckDBPyConnection, name: str) -> None:
    try:
        cursor.close()
    finally:
        with _SHARED_LOCK:
            _SCRATCH_OPEN[0] -= 1
            base.execute(f"DETACH DATABASE IF EXISTS {name}")


#: DuckDB's share of a run's memory: beyond it, tables spill to the run's temporary folder. The rest of the
#: 4 GiB a run may take is NumPy's (noise, the funding recurrence, percentile selection) and Python's.
MEMORY_LIMIT = "2GB"
SPILL_DIR = ".duckdb-tmp"


def sql_literal(value: object) -> str:
    """A SQL string literal of `value`'s text (a folder name may hold a quote)."""
    return "'" + str(value).replace("'", "''") + "'"


def sql_identifier(name: str) -> str:
    """A quoted SQL identifier (a table, column or database name may hold a quote)."""
    return '"' + name.replace('"', '""') + '"'


def bound_memory(con: duckdb.DuckDBPyConnection, spill: Path) -> None:
    """Cap DuckDB's memory; beyond it tables spill to the folder `spill` (inside staging: removed with it)."""
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    con.execute(f"SET temp_directory = {sql_literal(spill)}")


def _column_array(values: Sequence[Any] | np.ndarray, sql_type: str) -> np.ndarray:
    if isinstance(values, np.ndarray) and values.dtype != object:
        return values
    if sql_type in ("DOUBLE",) and all(v is not None for v in values):
        return np.asarray(values, dtype=np.float64)
    if sql_type in ("BIGINT", "INTEGER") and all(v is not None for v in values):
        return np.asarray(values, dtype=np.int64)
    if sql_type == "BOOLEAN" and all(v is not None for v in values):
        return np.asarray(values, dtype=bool)
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def create_table(
    con: duckdb.DuckDBPyConnection,
    name: str,
    schema: Mapping[str, str],
    columns: Mapping[str, Sequence[Any] | np.ndarray],
) -> int:
    """Create `name` with the given column types and insert the columns in one statement.

    Args:
        schema: column name → DuckDB type, in table order.
        columns: column name → values (same length for every column).

    Returns:
        The number of rows inserted.
    """
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"table {name}: columns differ in length {sorted(lengths)}")
    cols_sql = ", ".join(f'"{c}" {t}' for c, t in schema.items())
    with transaction(con):  # the table and its rows: one commit
        con.execute(f'CREATE OR REPLACE TABLE "{name}" ({cols_sql})')
        if not lengths or lengths == {0}:
            return 0
        append_rows(con, name, schema, columns)
    return lengths.pop()


def append_rows(
    con: duckdb.DuckDBPyConnection,
    name: str,
    schema: Mapping[str, str],
    columns: Mapping[str, Sequence[Any] | np.ndarray],
) -> None:
    """Append columns to an existing table (one vectorised INSERT … SELECT)."""
    frame = {c: _column_array(columns[c], t) for c, t in schema.items()}
    select = ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, t in schema.items())
    view = f"_d3_insert_{name}"
    con.register(view, frame)
    try:
        con.execute(f'INSERT INTO "{name}" SELECT {select} FROM "{view}"')
    finally:
        con.unregister(view)


def comment_statements(table: str, comment: str, columns: Mapping[str, str] | None = None) -> list[str]:
    """The COMMENT ON statements of a table and some of its columns (see `comment_on`)."""
    quote = sql_identifier
    statements = [f"COMMENT ON TABLE {quote(table)} IS {sql_literal(comment)}"]
    statements += [
        f"COMMENT ON COLUMN {quote(table)}.{quote(c)} IS {sql_literal(text)}" for c, text in (columns or {}).items()
    ]
    return statements


_COMMENTS: ContextVar[bool] = ContextVar("d3_comments", default=True)


@contextmanager
def without_comments() -> Iterator[None]:
    """Inside the block `comment_on` does nothing: for a throwaway in-memory database nobody reads by name (the
    validation's pricing preflight, whose ~1 000 COMMENT statements cost a quarter of `d3 validate`)."""
    token = _COMMENTS.set(False)
    try:
        yield
    finally:
        _COMMENTS.reset(token)


_OPEN: ContextVar[int | None] = ContextVar("d3_transaction", default=None)


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Every statement of the block in one transaction of `con`, committed at its end, rolled back if it raises.

    A file database syncs its write-ahead log to disk at every commit (1–3 ms here): a run's start, ~100 small
    tables and their COMMENTs, was 100 syncs one by one. Inside an open block on the same connection, a nested
    block adds its statements to the outer transaction.
    """
    if _OPEN.get() == id(con):
        yield
        return
    con.execute("BEGIN TRANSACTION")
    token = _OPEN.set(id(con))
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        _OPEN.reset(token)
    con.execute("COMMIT")


def comment_on(
    con: duckdb.DuckDBPyConnection, table: str, comment: str, columns: Mapping[str, str] | None = None
) -> None:
    """COMMENT ON a table and some of its columns, so `duckdb_tables()`/`duckdb_columns()` explain them.

    One transaction (`transaction`, or the caller's): each COMMENT is a catalog change, and committing each alone
    costs a write to disk (a tenth of a second for a wide table). Nothing happens inside `without_comments()`.

    Args:
        comment: what the table holds (one line).
        columns: column name → what it holds and its unit.
    """
    if not _COMMENTS.get():
        return
    with transaction(con):
        con.execute(";\n".join(comment_statements(table, comment, columns)))


Described = Mapping[str, tuple[str, str]]
"""Column name → (DuckDB type, description with its `[unit: …]`): a table declared and explained in one place."""


def create_described_table(
    con: duckdb.DuckDBPyConnection,
    name: str,
    comment: str,
    described: Described,
    columns: Mapping[str, Sequence[Any] | np.ndarray],
) -> int:
    """`create_table` with the types of `described`, then `comment_on` with its descriptions; returns the rows."""
    with transaction(con):  # the table, its rows and its COMMENTs: one commit
        rows = create_table(con, name, {c: sql_type for c, (sql_type, _) in described.items()}, columns)
        comment_on(con, name, comment, {c: text for c, (_, text) in described.items()})
    return rows
