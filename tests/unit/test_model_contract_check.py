"""After every model its table is checked against its header: names, types, order, unique grain (exit 3)."""

from __future__ import annotations

import random

import duckdb
import pytest

from d3_engine.core.errors import EXIT_RUNTIME, RuntimeFailure
from d3_engine.models.contract import _repeated_integer_keys
from d3_engine.models.graph import Model
from d3_engine.models.header import parse_header
from d3_engine.models.runner import run_models

HEADER = """-- model: demo
-- version: 1
-- purpose: a demo table [GEN-2]
-- grain: path_id, month
-- columns:
--   path_id BIGINT <id>  path
--   month BIGINT <month>  plan month
--   revenue_eur DECIMAL(18,6) <EUR>  revenue
"""


def _run(select: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    header = parse_header(HEADER, "demo_v1.sql", "demo", 1)
    model = Model("demo", 1, [], "30_public", header, HEADER + select, None)
    run_models(con, [model], {})
    return con


def test_a_table_that_matches_its_header_passes_and_is_commented() -> None:
    con = _run("SELECT 1::BIGINT AS path_id, 1::BIGINT AS month, 2.5::DECIMAL(18,6) AS revenue_eur")
    assert con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 'demo'").fetchall() == [
        ("a demo table [GEN-2] (grain: path_id, month; model demo v1)",)
    ]
    comments = con.execute("SELECT comment FROM duckdb_columns() WHERE table_name = 'demo' ORDER BY column_index")
    assert [c for (c,) in comments.fetchall()] == ["path [unit: id]", "plan month [unit: month]", "revenue [unit: EUR]"]


def test_a_wrong_type_order_and_extra_column_give_a_table_of_differences() -> None:
    with pytest.raises(RuntimeFailure) as caught:
        _run("SELECT 1::BIGINT AS path_id, 2.5::DOUBLE AS revenue_eur, 1::INTEGER AS month, 'x' AS note")
    assert caught.value.exit_code == EXIT_RUNTIME
    message = str(caught.value)
    assert "model demo v1 breaks its contract" in message
    lines = [line.split() for line in message.splitlines()[1:5]]
    assert lines[0] == ["#", "expected", "(header)", "actual", "(table)", "differs", "in"]
    assert lines[1] == ["2", "month", "BIGINT", "revenue_eur", "DOUBLE", "name"]
    assert lines[2] == ["3", "revenue_eur", "DECIMAL(18,6)", "month", "INTEGER", "name"]
    assert lines[3] == ["4", "-", "note", "VARCHAR", "not", "declared"]
    assert "To fix this" in message


def test_a_type_only_difference_is_named_as_type() -> None:
    with pytest.raises(RuntimeFailure, match=r"3\s+revenue_eur DECIMAL\(18,6\)\s+revenue_eur DOUBLE\s+type"):
        _run("SELECT 1::BIGINT AS path_id, 1::BIGINT AS month, 2.5::DOUBLE AS revenue_eur")


def test_a_missing_column_is_reported() -> None:
    with pytest.raises(RuntimeFailure, match=r"3\s+revenue_eur DECIMAL\(18,6\)\s+-\s+missing"):
        _run("SELECT 1::BIGINT AS path_id, 1::BIGINT AS month")


def test_a_duplicated_grain_key_is_shown() -> None:
    select = "SELECT 7::BIGINT AS path_id, 3::BIGINT AS month, 1::DECIMAL(18,6) AS revenue_eur FROM range(2)"
    with pytest.raises(RuntimeFailure) as caught:
        _run(select)
    assert "grain (path_id, month) is not unique; duplicated key: path_id=7, month=3, rows=2" in str(caught.value)


def test_one_duplicate_among_many_unique_keys_is_found_and_named() -> None:
    # the grain check first groups a hash of the keys: one repeated key in 100 000 must still stop the run
    select = (
        "SELECT CAST(CASE WHEN i = 99999 THEN 41 ELSE i // 36 END AS BIGINT) AS path_id,"
        " CAST(CASE WHEN i = 99999 THEN 5 ELSE i % 36 END AS BIGINT) AS month,"
        " 1::DECIMAL(18,6) AS revenue_eur FROM range(100000) AS t(i)"
    )
    with pytest.raises(RuntimeFailure) as caught:
        _run(select)
    assert "duplicated key: path_id=41, month=5, rows=2" in str(caught.value)


def test_a_null_grain_key_repeated_is_a_duplicate() -> None:
    select = "SELECT NULL::BIGINT AS path_id, 3::BIGINT AS month, 1::DECIMAL(18,6) AS revenue_eur FROM range(2)"
    with pytest.raises(RuntimeFailure, match="duplicated key: path_id=None, month=3, rows=2"):
        _run(select)


def test_many_unique_keys_pass() -> None:
    select = (
        "SELECT CAST(i // 36 AS BIGINT) AS path_id, CAST(i % 36 AS BIGINT) AS month,"
        " 1::DECIMAL(18,6) AS revenue_eur FROM range(100000) AS t(i)"
    )
    assert _run(select).execute("SELECT count(*) FROM demo").fetchall() == [(100000,)]


def test_a_python_model_is_checked_against_its_declared_tables() -> None:
    header = parse_header(HEADER, "python demo")

    def build(con: duckdb.DuckDBPyConnection) -> int:
        con.execute("CREATE TABLE demo AS SELECT 1::BIGINT AS path_id, 1::BIGINT AS month, 1.0::DOUBLE AS revenue_eur")
        return 1

    model = Model("demo_py", 1, [], "50_finance", python=build, fingerprint_source="src", python_tables=[header])
    with pytest.raises(RuntimeFailure, match=r"revenue_eur DOUBLE\s+type"):
        run_models(duckdb.connect(), [model], {})


@pytest.mark.parametrize("seed", range(6))
def test_the_bitstring_count_of_integer_keys_equals_the_exact_count(seed: int) -> None:
    """`_repeated_integer_keys` (rows − distinct keys, numbered in a bitstring) against Python's count, on random
    keys with repeats, negative values and a box of 3 columns."""
    rng = random.Random(seed)
    keys = [(rng.randint(-50, 50), rng.randint(1, 36), rng.randint(0, 3)) for _ in range(rng.randint(1, 3000))]
    header = parse_header(
        HEADER.replace("grain: path_id, month", "grain: path_id, month, k") + "--   k INTEGER <id>  k\n",
        "demo_v1.sql",
        "demo",
        1,
    )
    con = duckdb.connect()
    values = ", ".join(f"({p}, {m}, 0, {k})" for p, m, k in keys)  # one statement: executemany is slow
    con.execute(
        "CREATE TABLE demo AS SELECT CAST(p AS BIGINT) AS path_id, CAST(m AS BIGINT) AS month, "
        f"CAST(r AS DECIMAL(18,6)) AS revenue_eur, CAST(k AS INTEGER) AS k FROM (VALUES {values}) AS v(p, m, r, k)"
    )
    assert _repeated_integer_keys(con, header) == len(keys) - len(set(keys))


def test_keys_beyond_the_bitstring_box_are_checked_by_their_hash() -> None:
    """A box larger than MAX_KEY_SPACE (path ids 0 and 2^40) falls back to the hash check, which still names the
    duplicate."""
    select = (
        "SELECT CAST(CASE WHEN i < 2 THEN 0 ELSE 1099511627776 END AS BIGINT) AS path_id, 3::BIGINT AS month,"
        " 1::DECIMAL(18,6) AS revenue_eur FROM range(3) AS t(i)"
    )
    con = duckdb.connect()
    con.execute(f"CREATE TABLE demo AS {select}")
    assert _repeated_integer_keys(con, parse_header(HEADER, "demo_v1.sql", "demo", 1)) is None
    with pytest.raises(RuntimeFailure, match="duplicated key: path_id=0, month=3, rows=2"):
        _run(select)
