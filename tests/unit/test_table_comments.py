"""Every table and every column of run.duckdb explains itself: `DESCRIBE`, `duckdb_tables()` and
`duckdb_columns()` show what it holds, its unit and where it comes from (issue 10, deliverable 7)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

RUNS = ["minimal_run", "shipped_run", "shipped_small_run"]  # the small one has the stress tests


def _open(request: pytest.FixtureRequest, run_name: str) -> duckdb.DuckDBPyConnection:
    run_dir: Path = request.getfixturevalue(run_name)
    return duckdb.connect(str(run_dir / "run.duckdb"), read_only=True)


@pytest.mark.parametrize("run_name", RUNS)
def test_every_table_has_a_comment(run_name: str, request: pytest.FixtureRequest) -> None:
    con = _open(request, run_name)
    tables = con.execute(
        "SELECT table_name, comment FROM duckdb_tables() WHERE NOT internal "
        "UNION ALL SELECT view_name, comment FROM duckdb_views() WHERE NOT internal ORDER BY 1"
    ).fetchall()  # views too: finance_month is one (pipeline/appends.py)
    assert len(tables) > 40, "the run should hold the input, plan, model and export tables"
    assert "finance_month" in dict(tables)
    missing = [name for name, comment in tables if not (comment or "").strip()]
    assert missing == [], f"{run_name}: tables without a COMMENT: {missing}"
    echoes = [name for name, comment in tables if comment.strip().lower() == name.lower()]
    assert echoes == [], f"{run_name}: table comments that only repeat the name: {echoes}"


@pytest.mark.parametrize("run_name", RUNS)
def test_every_column_has_a_comment(run_name: str, request: pytest.FixtureRequest) -> None:
    con = _open(request, run_name)
    columns = con.execute(
        "SELECT table_name, column_name, comment FROM duckdb_columns() WHERE NOT internal ORDER BY table_name, "
        "column_index"
    ).fetchall()
    missing = [f"{t}.{c}" for t, c, comment in columns if not (comment or "").strip()]
    assert missing == [], f"{run_name}: {len(missing)} columns without a COMMENT: {missing}"
    echoes = [f"{t}.{c}" for t, c, comment in columns if comment.strip().lower() in (c.lower(), c.replace("_", " "))]
    assert echoes == [], f"{run_name}: column comments that only repeat the name: {echoes}"


def test_every_column_comment_says_more_than_its_references_and_unit() -> None:
    """A new user (2026-12-04) found 25 columns whose COMMENT was only `[FIN-1] [unit: EUR]`: DESCRIBE must
    explain a column in words, the DOMAIN ids and the unit come on top."""
    import re

    from d3_engine.models.python.registry import table_headers

    bare = [
        f"{name}.{column.name}"
        for name, header in table_headers().items()
        for column in header.columns
        if len(re.sub(r"\[[^\]]*\]", "", column.description).strip(" .;,")) < 3
    ]
    assert bare == []


def test_without_comments_skips_them_only_inside_the_block() -> None:
    """The validation preflight's throwaway database goes without COMMENTs; everything after it keeps them."""
    from d3_engine.core.db import comment_on, connect, without_comments

    con = connect(None)
    con.execute("CREATE TABLE a (x INTEGER)")
    con.execute("CREATE TABLE b (x INTEGER)")
    with without_comments():
        comment_on(con, "a", "table a", {"x": "column x [unit: count]"})
    comment_on(con, "b", "table b", {"x": "column x [unit: count]"})
    comments = con.execute("SELECT table_name, comment FROM duckdb_tables() WHERE NOT internal ORDER BY 1").fetchall()
    assert comments == [("a", None), ("b", "table b")]
    columns = con.execute("SELECT table_name, comment FROM duckdb_columns() WHERE NOT internal ORDER BY 1").fetchall()
    assert columns == [("a", None), ("b", "column x [unit: count]")]
