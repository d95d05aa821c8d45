"""`core.db.transaction`: one commit for a block of statements (a file database syncs its log at every commit),
nested blocks join the outer one, a failing block leaves nothing, and `comment_on` works inside a block."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from d3_engine.core.db import comment_on, create_table, transaction


def _tables(cursor: duckdb.DuckDBPyConnection) -> list[str]:
    return [str(r[0]) for r in cursor.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]


def test_a_block_commits_once_at_its_end_and_a_nested_block_joins_it(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "run.duckdb"))
    other = con.cursor()  # its own transactions: it sees only what was committed
    try:
        with transaction(con):
            create_table(con, "a", {"x": "BIGINT"}, {"x": [1, 2]})
            with transaction(con):
                create_table(con, "b", {"x": "BIGINT"}, {"x": [3]})
                comment_on(con, "b", "table b", {"x": "a number [unit: count]"})
            assert _tables(other) == []  # the nested block committed nothing
        assert _tables(other) == ["a", "b"]
        assert other.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 'b'").fetchall() == [("table b",)]
    finally:
        other.close()
        con.close()


def test_a_failing_block_leaves_nothing(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "run.duckdb"))
    try:
        with pytest.raises(duckdb.CatalogException), transaction(con):
            create_table(con, "a", {"x": "BIGINT"}, {"x": [1]})
            con.execute("SELECT * FROM missing_table")
        assert _tables(con) == []
        with transaction(con):  # the connection is usable again
            create_table(con, "c", {"x": "BIGINT"}, {"x": [1]})
        assert _tables(con) == ["c"]
    finally:
        con.close()


def test_comment_on_alone_is_one_transaction(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "run.duckdb"))
    try:
        create_table(con, "a", {"x": "BIGINT", "y": "DOUBLE"}, {"x": [1], "y": [0.5]})
        comment_on(con, "a", "table a", {"x": "x [unit: count]", "y": "y [unit: EUR]"})
        comments = con.execute("SELECT column_name, comment FROM duckdb_columns() WHERE table_name = 'a'").fetchall()
        assert comments == [("x", "x [unit: count]"), ("y", "y [unit: EUR]")]
    finally:
        con.close()
