"""core.columns: query results through Arrow as NumPy columns, DECIMALs as their exact scaled integers (issue 13)."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import numpy as np
import pytest

from d3_engine.core import columns
from d3_engine.core.columns import decimal_array, fetch_columns, register_arrays
from d3_engine.models.python.finance_cash import _INT64_SAFE, exact_sum


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


EDGES = ["0", "-0.000001", "0.000001", "999999999999.999999", "-999999999999.999999", "-1.5", "2.5", "-0.5"]


def test_a_decimal_arrives_as_the_integer_of_its_value_times_ten_to_the_scale(con: duckdb.DuckDBPyConnection) -> None:
    rng = np.random.default_rng(3)
    values = [Decimal(v) for v in EDGES] + [
        Decimal(int(x)).scaleb(-6) for x in rng.integers(-(10**18) + 1, 10**18, size=300_000)
    ]
    con.execute("CREATE TABLE t (i BIGINT, d DECIMAL(18,6), d2 DECIMAL(9,2), n DECIMAL(18,6))")
    con.executemany(
        "INSERT INTO t VALUES (?, ?, ?, ?)",
        [(i, v, Decimal(i % 2000 - 1000).scaleb(-2), None if i % 7 == 0 else v) for i, v in enumerate(values[:2000])],
    )
    con.execute("CREATE TABLE big (d DECIMAL(18,6))")
    con.register("src", {"d": np.array([str(v) for v in values], dtype=object)})
    con.execute("INSERT INTO big SELECT CAST(d AS DECIMAL(18,6)) FROM src")

    got = fetch_columns(con, "SELECT d FROM big")["d"]  # ~300 000 rows: several Arrow chunks
    assert got.nulls is None
    assert got.values.dtype == np.int64
    assert got.values.tolist() == [int(v.scaleb(6)) for v in values]

    small = fetch_columns(con, "SELECT i, d, d2, n FROM t ORDER BY i")
    assert small["i"].values.tolist() == list(range(2000))
    assert small["d2"].values.tolist() == [i % 2000 - 1000 for i in range(2000)]
    nulls = small["n"].nulls
    assert nulls is not None
    assert nulls.tolist() == [i % 7 == 0 for i in range(2000)]
    kept = ~nulls
    assert small["n"].values[kept].tolist() == [int(v.scaleb(6)) for i, v in enumerate(values[:2000]) if i % 7]


def test_doubles_integers_booleans_and_an_empty_result_keep_their_types(con: duckdb.DuckDBPyConnection) -> None:
    got = fetch_columns(
        con,
        "SELECT CAST(range AS INTEGER) AS i, range * 0.5::DOUBLE AS x, range % 2 = 0 AS b, "
        "CASE WHEN range = 3 THEN NULL ELSE range END AS n FROM range(5)",
    )
    assert got["i"].values.dtype == np.int32 and got["i"].values.tolist() == [0, 1, 2, 3, 4]
    assert got["x"].values.tolist() == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert got["b"].values.tolist() == [True, False, True, False, True]
    assert got["n"].nulls is not None and got["n"].nulls.tolist() == [False, False, False, True, False]
    empty = fetch_columns(con, "SELECT CAST(1 AS DECIMAL(18,6)) AS d, 1.0::DOUBLE AS x WHERE false")
    assert len(empty["d"].values) == 0 and empty["d"].values.dtype == np.int64
    assert len(empty["x"].values) == 0
    everything_null = fetch_columns(con, "SELECT CAST(NULL AS DECIMAL(18,6)) AS d FROM range(3)")["d"]
    assert everything_null.nulls is not None and everything_null.nulls.all()


@pytest.mark.parametrize(
    "sql",
    ["SELECT 'text' AS v", "SELECT CAST(1 AS DECIMAL(38,6)) AS v", "SELECT DATE '2026-01-01' AS v"],
)
def test_a_type_without_an_exact_numpy_form_is_refused(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    with pytest.raises(ValueError, match="column v"):
        fetch_columns(con, sql)


def test_decimal_array_is_read_by_duckdb_as_the_same_decimal(con: duckdb.DuckDBPyConnection) -> None:
    scaled = np.array([int(Decimal(v).scaleb(6)) for v in EDGES] + list(range(-50, 50)), dtype=np.int64)
    register_arrays(con, "frame", {"k": np.arange(len(scaled)), "d": decimal_array(scaled, 18, 6)})
    rows = con.execute("SELECT typeof(d), CAST(d AS VARCHAR) FROM frame ORDER BY k").fetchall()
    assert {kind for kind, _ in rows} == {"DECIMAL(18,6)"}
    assert [Decimal(text) for _, text in rows] == [Decimal(int(v)).scaleb(-6) for v in scaled]


@pytest.mark.parametrize("value", [10**18, -(10**18), 2**62])
def test_decimal_array_refuses_a_value_with_more_digits_than_the_precision(value: int) -> None:
    with pytest.raises(ValueError, match=r"DECIMAL\(18,6\)"):
        decimal_array(np.array([0, value], dtype=np.int64), 18, 6)


def test_exact_sum_leaves_int64_only_when_a_sum_could_overflow() -> None:
    small = [np.array([1, -2, 3], dtype=np.int64), np.array([10, 20, -30], dtype=np.int64)]
    assert exact_sum(small).dtype == np.int64
    assert exact_sum(small).tolist() == [11, 18, -27]
    big = [np.array([_INT64_SAFE - 1, 1], dtype=np.int64), np.array([_INT64_SAFE - 1, 2], dtype=np.int64)]
    total = exact_sum(big)
    assert total.dtype == object
    assert total.tolist() == [2 * (_INT64_SAFE - 1), 3]
    mixed = [np.array([2**70], dtype=object), np.array([1], dtype=np.int64)]
    assert exact_sum(mixed).tolist() == [2**70 + 1]


@pytest.mark.parametrize("rows", [None, 50])
def test_record_batches_are_joined_with_nulls_that_appear_only_in_a_later_batch(
    con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch, rows: int | None
) -> None:
    """Gathered batch by batch (rows unknown) or filled in place (rows known): the same columns."""
    monkeypatch.setattr(columns, "BATCH_ROWS", 7)
    sql = (
        "SELECT range AS i, CASE WHEN range >= 30 AND range % 4 = 0 THEN NULL "
        "ELSE CAST(range / 8 AS DECIMAL(18,6)) END AS d FROM range(50) ORDER BY range"
    )
    got = fetch_columns(con, sql, rows)
    assert got["i"].values.tolist() == list(range(50))
    nulls = got["d"].nulls
    assert nulls is not None
    assert nulls.tolist() == [i >= 30 and i % 4 == 0 for i in range(50)]
    assert got["d"].values[~nulls].tolist() == [i * 125_000 for i in range(50) if not (i >= 30 and i % 4 == 0)]


@pytest.mark.parametrize("rows", [49, 51])
def test_a_row_count_other_than_the_one_announced_is_refused(
    con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch, rows: int
) -> None:
    monkeypatch.setattr(columns, "BATCH_ROWS", 7)
    with pytest.raises(ValueError, match="rows"):
        fetch_columns(con, "SELECT range AS i FROM range(50)", rows)
