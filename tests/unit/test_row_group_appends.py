"""Batches appended in whole row groups leave run.duckdb without free blocks and keep every row in order
(pipeline/appends.py, specs/engine.md "Paths in batches")."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from d3_engine.models.header import Column, ModelHeader
from d3_engine.pipeline.appends import CARRY_DB, ROW_GROUP_ROWS, RowGroupAppender

#: Batch sizes around the row group size: a batch smaller than what the carry needs, one that completes it
#: exactly, one spanning several row groups, an empty one.
BATCHES = [50_001, 72_879, 130_000, 7, 0, 2 * ROW_GROUP_ROWS + 3, 99_999]


def _batch(con: duckdb.DuckDBPyConnection, start: int, rows: int) -> None:
    """`mem.main.t`: rows start..start+rows-1 with columns of the kinds run.duckdb keeps."""
    con.execute(
        "CREATE OR REPLACE TABLE mem.main.t AS SELECT "
        "i AS path_id, (i % 36)::BIGINT AS month, "
        "(hash(i) % 100000000000)::DECIMAL(18,6) / 1000 AS cash_eur, "
        "(hash(i + 1) % 1000000) / 7.0 AS customers, "
        "'2026-' || (i % 12)::VARCHAR AS period "
        f"FROM range({start}, {start + rows}) r(i)"
    )


def _run_database(path: Path) -> tuple[duckdb.DuckDBPyConnection, RowGroupAppender]:
    """A run-like database (insertion order kept, two threads) with an in-memory `mem` for the batches."""
    con = duckdb.connect(str(path))
    con.execute("SET threads TO 2")
    con.execute("SET preserve_insertion_order = true")
    con.execute("ATTACH ':memory:' AS mem")
    return con, RowGroupAppender(con)


def _append_all(path: Path, aligned: bool) -> duckdb.DuckDBPyConnection:
    con, appender = _run_database(path)
    start = 0
    for rows in BATCHES:
        _batch(con, start, rows)
        if aligned:
            appender.append("mem.main.t", "main.t", "t")
        elif start == 0:
            con.execute("CREATE TABLE main.t AS SELECT * FROM mem.main.t")
        else:
            con.execute("INSERT INTO main.t SELECT * FROM mem.main.t")
        con.execute("CHECKPOINT")  # a run checkpoints between batches whenever its WAL grows past 16 MiB
        start += rows
    appender.flush()
    con.execute("CHECKPOINT")
    return con


def _free_blocks(con: duckdb.DuckDBPyConnection) -> int:
    return int(
        con.execute("SELECT free_blocks FROM pragma_database_size() WHERE database_name = 'db'").fetchall()[0][0]
    )


def test_whole_row_groups_leave_no_free_block_and_keep_the_rows_in_order(tmp_path: Path) -> None:
    con = _append_all(tmp_path / "db.duckdb", aligned=True)
    total = sum(BATCHES)
    assert con.execute("SELECT count(*), min(path_id), max(path_id) FROM t").fetchall() == [(total, 0, total - 1)]
    out_of_order = "SELECT count(*) FROM (SELECT path_id - lag(path_id) OVER () AS step FROM t) WHERE step <> 1"
    assert con.execute(out_of_order).fetchall() == [(0,)]
    _batch(con, 0, total)
    assert con.execute("SELECT count(*) FROM (SELECT * FROM t EXCEPT ALL SELECT * FROM mem.main.t)").fetchall() == [
        (0,)
    ]
    groups = con.execute(
        "SELECT row_group_id, max(start + count) - min(start) FROM pragma_storage_info('t') "
        "WHERE column_id = 0 GROUP BY ALL ORDER BY 1"
    ).fetchall()
    assert [rows for _, rows in groups[:-1]] == [ROW_GROUP_ROWS] * (len(groups) - 1)
    assert _free_blocks(con) == 0
    assert CARRY_DB not in {r[0] for r in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()}


def test_appending_each_batch_as_it_comes_leaves_free_blocks(tmp_path: Path) -> None:
    """The reason for the appender: the same batches appended as they come rewrite each partly filled row group."""
    con = _append_all(tmp_path / "db.duckdb", aligned=False)
    assert _free_blocks(con) > 0


@pytest.mark.parametrize("deleted", [0, 1])
def test_a_batch_with_deleted_rows_keeps_its_remaining_rows_in_order(tmp_path: Path, deleted: int) -> None:
    con = duckdb.connect(str(tmp_path / "db.duckdb"))
    con.execute("ATTACH ':memory:' AS mem")
    appender = RowGroupAppender(con)
    _batch(con, 0, 200_000)
    con.execute(f"DELETE FROM mem.main.t WHERE path_id % 3 = 0 AND {deleted} = 1")
    appender.append("mem.main.t", "main.t", "t")
    _batch(con, 200_000, 60_000)
    appender.append("mem.main.t", "main.t", "t")
    appender.flush()
    expected = [i for i in range(260_000) if not (deleted and i < 200_000 and i % 3 == 0)]
    assert [r[0] for r in con.execute("SELECT path_id FROM t").fetchall()] == expected


GRID_HEADER = ModelHeader(
    "g",
    1,
    grain=["path_id", "month"],
    columns=[
        Column("path_id", "BIGINT", "id", "path"),
        Column("month", "BIGINT", "month", "month"),
        Column("cash_eur", "DECIMAL(18,6)", "EUR", "cash"),
    ],
)


def _grid_batch(
    con: duckdb.DuckDBPyConnection, first_path: int, paths: int, order: str = "p, m", gap: str = ""
) -> None:
    """`mem.main.g`: paths × 36 months in the row order `order` (grain order by default), a value that grows with
    the month; `gap` is a condition on p and m of rows left out."""
    con.execute(
        "CREATE OR REPLACE TABLE mem.main.g AS SELECT p AS path_id, m AS month, "
        "CAST(m * 1000 + p % 97 AS DECIMAL(18,6)) AS cash_eur "
        f"FROM range({first_path}, {first_path + paths}) a(p), range(1, 37) b(m) "
        f"{'WHERE NOT (' + gap + ')' if gap else ''} ORDER BY {order}"
    )


def _month_major_file(
    path: Path, batch_paths: list[int], order: str = "p, m", gap: str = ""
) -> list[tuple[int, int, int]]:
    """(row group, path_id, month) of every stored row after appending the batches in month-major order."""
    con, appender = _run_database(path)
    first = 0
    for paths in batch_paths:
        _grid_batch(con, first, paths, order, gap)
        appender.append("mem.main.g", "main.g", "g", GRID_HEADER)
        first += paths
    appender.flush()
    rows = con.execute("SELECT rowid, path_id, month FROM g").fetchall()
    return [(int(rowid) // ROW_GROUP_ROWS, int(p), int(m)) for rowid, p, m in rows]


def test_rows_inside_a_row_group_follow_the_given_order_whatever_the_batches(tmp_path: Path) -> None:
    """Each row group holds the next ROW_GROUP_ROWS rows in grain order, stored month by month; batch sizes that
    do not divide the row group (nor each other) give the very same file order [RNG-7]."""
    paths = 10_000  # 360 000 rows: two whole row groups and a partly filled third
    stored = _month_major_file(tmp_path / "a.duckdb", [1, 2_999, 4_096, 2_904])
    assert stored == _month_major_file(tmp_path / "b.duckdb", [7_001, 2_999])
    assert len(stored) == paths * 36
    for group in range(3):
        rows = [(m, p) for g, p, m in stored if g == group]
        positions = sorted((p * 36 + m - 1) for m, p in rows)
        first = group * ROW_GROUP_ROWS
        assert positions == list(range(first, min(first + ROW_GROUP_ROWS, paths * 36)))  # grain order chunks
        assert rows == sorted(rows)  # month, then path_id, inside the group
    assert stored[0][1:] == (0, 1) and stored[1][1:] == (1, 1)  # the first rows: month 1 of paths 0, 1, ...


def test_path_month_rows_in_any_order_are_placed_by_their_keys(tmp_path: Path) -> None:
    """A path × month table that holds every month of its paths needs no sorted source (its model skips the final
    ORDER BY, pipeline/batches.py): each row's place comes from (path_id, month), so shuffled batches give the
    very file order of sorted ones."""
    batches = [1, 2_999, 4_096, 2_904]
    sorted_file = _month_major_file(tmp_path / "a.duckdb", batches)
    assert _month_major_file(tmp_path / "b.duckdb", batches, order="hash(p * 37 + m)") == sorted_file


def test_path_month_rows_missing_a_month_are_sorted_before_they_are_placed(tmp_path: Path) -> None:
    """Rows that lack some month of some path cannot be placed by their keys: the appender sorts them itself."""
    gap = "p % 7 = 3 AND m = 5"
    batches = [5_000, 5_000]
    expected = _month_major_file(tmp_path / "a.duckdb", batches, gap=gap)
    assert _month_major_file(tmp_path / "b.duckdb", batches, order="hash(p * 37 + m)", gap=gap) == expected
    assert len(expected) == 10_000 * 36 - sum(1 for p in range(10_000) if p % 7 == 3)
    in_grain_order = sorted((p, m) for _, p, m in expected)
    for group in range(3):
        rows = [(m, p) for g, p, m in expected if g == group]
        first = group * ROW_GROUP_ROWS
        assert sorted((p, m) for m, p in rows) == in_grain_order[first : first + ROW_GROUP_ROWS]
        assert rows == sorted(rows)


SERVED_HEADER = ModelHeader(
    "s",
    1,
    grain=["path_id", "month", "model"],
    columns=[
        Column("path_id", "BIGINT", "id", "path"),
        Column("month", "BIGINT", "month", "month"),
        Column("model", "VARCHAR", "id", "model"),
        Column("tokens", "DOUBLE", "tokens", "tokens"),
    ],
)


def _served_file(path: Path, batch_paths: list[int], order: str, in_grain_order: bool) -> list[tuple[int, ...]]:
    """(rowid, path_id, month, model) of every stored row of a path × month × model table."""
    con, appender = _run_database(path)
    first = 0
    for paths in batch_paths:
        con.execute(
            "CREATE OR REPLACE TABLE mem.main.s AS SELECT p AS path_id, m AS month, x AS model, p * 1.5 AS tokens "
            f"FROM range({first}, {first + paths}) a(p), range(1, 37) b(m), (VALUES ('a'), ('b'), ('c')) c(x) "
            f"ORDER BY {order}"
        )
        appender.append("mem.main.s", "main.s", "s", SERVED_HEADER, in_grain_order)
        first += paths
    appender.flush()
    return con.execute("SELECT rowid, path_id, month, model FROM s ORDER BY rowid").fetchall()


def test_a_table_its_model_left_unsorted_is_sorted_before_it_is_appended(tmp_path: Path) -> None:
    """A model that does not end with its ORDER BY (`public_served_month` with --keep-path-tables) hands its rows
    in no set order: the appender sorts them by the grain first, so the file is the one sorted batches give,
    whatever the batch sizes."""
    expected = _served_file(tmp_path / "a.duckdb", [500, 1_000], "p, m, x", in_grain_order=True)
    assert _served_file(tmp_path / "b.duckdb", [1_300, 200], "hash(p * 37 + m) , x DESC", False) == expected
    assert len(expected) == 1_500 * 36 * 3  # 162 000 rows: one whole row group and a partly filled one
