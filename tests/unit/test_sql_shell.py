"""`d3 sql`: the read-only query shell on a real run folder; every table and column carries a COMMENT."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import duckdb
from harness import D3

from d3_engine.core.shell import format_table, repl, split_statements


def _sql(run: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(D3), "sql", "--run", str(run), *args], input=stdin, capture_output=True, text=True, check=False
    )


def test_one_query_prints_an_aligned_table(minimal_run: Path) -> None:
    done = _sql(
        minimal_run,
        "-c",
        "SELECT month, revenue_total_eur FROM finance_month ORDER BY path_id, month LIMIT 2;",
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "month | revenue_total_eur"
    assert lines[1] == "------+------------------"
    assert lines[2] == "    1 |       1910.600000"
    assert lines[-1] == "(2 rows)"


def test_statements_from_stdin_with_helpers(minimal_run: Path) -> None:
    done = _sql(minimal_run, stdin="SELECT 1 AS a,\n  2 AS b;\n.schema loan_schedule\n.tables\n.quit\n")
    assert done.returncode == 0, done.stderr
    assert "a | b" in done.stdout
    listed = [line.split("|")[0].strip() for line in done.stdout.splitlines()]
    assert {"finance_month", "finance_month_stored", "loan_schedule"} <= set(listed)  # views too
    assert "principal_eur       | DECIMAL(18,6) | principal repaid in month s [FIN-3] [unit: EUR]" in done.stdout


def test_a_bad_query_exits_2_and_the_file_is_opened_read_only(minimal_run: Path) -> None:
    done = _sql(minimal_run, "-c", "DROP TABLE finance_month;")
    assert done.returncode == 2
    assert "read-only" in done.stderr.lower()


def test_a_missing_run_says_how_to_fix_it(tmp_path: Path) -> None:
    done = _sql(tmp_path / "nothing")
    assert done.returncode == 2
    assert "no run database" in done.stderr and "To fix this" in done.stderr


def test_help_shows_an_example() -> None:
    done = subprocess.run([str(D3), "sql", "--help"], capture_output=True, text=True, check=False)
    assert "Example: d3 sql --run outputs/latest" in done.stdout


def test_split_and_repl_keep_quoted_semicolons(minimal_run: Path) -> None:
    assert split_statements("SELECT ';' AS x; SELECT 2") == ["SELECT ';' AS x;", "SELECT 2"]
    out, err = io.StringIO(), io.StringIO()
    stdin = io.StringIO("SELECT ';' AS x;\nSELECT\n 3 AS y\n;\n")
    assert repl(minimal_run / "run.duckdb", stdin, out, err) == 0
    assert "x\n-\n;\n(1 row)" in out.getvalue() and "y\n-\n3\n(1 row)" in out.getvalue()


def test_format_table_caps_rows() -> None:
    text = format_table(["n"], [(i,) for i in range(5)], max_rows=2)
    assert text.splitlines()[-1] == "(5 rows), 3 not shown: use LIMIT/OFFSET or --max-rows"


def test_every_model_table_and_column_of_a_minimal_run_has_a_comment(minimal_run: Path) -> None:
    """Every table built by a model (and engine_models) and each of its columns explains itself."""
    con = duckdb.connect(str(minimal_run / "run.duckdb"), read_only=True)
    models = [name for (name,) in con.execute("SELECT name FROM engine_models").fetchall()]
    from d3_engine.models.python.registry import all_models

    tables = {t.name for n in models for t in all_models()[n].tables} | {"engine_models"}
    missing = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE comment IS NULL AND list_contains(?, table_name) "
        "UNION ALL SELECT view_name FROM duckdb_views() WHERE comment IS NULL AND list_contains(?, view_name)",
        [sorted(tables), sorted(tables)],
    ).fetchall()
    assert missing == []
    columns = con.execute(
        "SELECT table_name || '.' || column_name FROM duckdb_columns() "
        "WHERE comment IS NULL AND list_contains(?, table_name)",
        [sorted(tables)],
    ).fetchall()
    assert columns == []
    assert len(tables) >= 40
    assert sys.executable
