"""build_series (numpy order-statistic selection) gives the very table of series_sql (the `pctl` macro).

[GEN-5] [FIN-11]: same column names, same DuckDB types, same rows, same values bit for bit (floats
compared with their sign of zero), including chunked fetches, NULLs, ties, all-NULL and one-row groups.
"""

from __future__ import annotations

import math
from decimal import Decimal

import duckdb
import numpy as np
import pytest

from d3_engine.core.columns import fetch_columns
from d3_engine.core.db import connect
from d3_engine.models import series, series_select
from d3_engine.models.render import render_text

PERCENTILES = [0, 1, 5, 10, 25, 33, 50, 67, 75, 90, 95, 99, 100]
COLUMNS = ["d", "b", "x", "i"]
FLOATS = [1e15, -1e15, 5e-07, -5e-07, 0.0, -0.0, 0.1, 0.7, 1234.5678, 3.0e-12, 7.25e14]


def make_source(con: duckdb.DuckDBPyConnection, seed: int, paths: int) -> None:
    """Random per-path table: keys (month, model), DECIMAL(18,6), BIGINT, DOUBLE, INTEGER and a text column."""
    rng = np.random.default_rng(seed)
    rows = []
    for month in range(1, 5):
        for model in ["a'b", "m1", "zz"]:
            for path in range(1, paths + 1):
                d = Decimal(int(rng.integers(-(10**17), 10**17))).scaleb(-6) if rng.random() < 0.5 else None
                if d is not None and rng.random() < 0.4:
                    d = Decimal(int(rng.integers(-3, 3))).scaleb(-6)  # ties around zero
                b = int(rng.integers(-(10**15), 10**15)) if rng.random() < 0.8 else None
                x = float(rng.choice(FLOATS)) * float(rng.integers(1, 4)) if rng.random() < 0.7 else None
                if x is not None and rng.random() < 0.5:
                    x = float(rng.normal() * 10.0 ** int(rng.integers(-7, 16)))
                i = int(rng.integers(-5, 5)) if rng.random() < 0.9 else None
                if month == 3:
                    d = None  # an all-NULL group for the DECIMAL column
                rows.append((path, month, model, d, b, x, i, f"L{month}{model}"))
    rows.append((1, 9, "m1", Decimal("-1.000001"), -7, 5e-07, 3, "single"))  # a one-row group
    con.execute(
        "CREATE OR REPLACE TABLE src (path_id BIGINT, month INTEGER, model VARCHAR, d DECIMAL(18,6), "
        "b BIGINT, x DOUBLE, i INTEGER, label VARCHAR)"
    )
    con.executemany("INSERT INTO src VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)


def exact(value: object) -> object:
    """A float with its sign of zero, so -0.0 and 0.0 differ; other values unchanged."""
    return (value, math.copysign(1.0, value)) if isinstance(value, float) else value


def table(con: duckdb.DuckDBPyConnection, name: str) -> tuple[list[tuple[str, str]], list[tuple[object, ...]]]:
    types = [(str(r[0]), str(r[1])) for r in con.execute(f'DESCRIBE "{name}"').fetchall()]
    rows = [tuple(exact(v) for v in row) for row in con.execute(f'SELECT * FROM "{name}"').fetchall()]
    return types, sorted(rows, key=repr)


def build_both(con: duckdb.DuckDBPyConnection, keys: list[str], passthrough: list[str] | None) -> tuple[object, object]:
    sql = render_text(series.series_sql("src", keys, COLUMNS, PERCENTILES, 2, passthrough), {}, "want")
    con.execute(f"CREATE OR REPLACE TABLE want AS {sql}")
    assert series._build_by_selection(con, "got", "src", keys, COLUMNS, PERCENTILES, 2, passthrough or [])
    assert series.build_series(con, "got2", "src", keys, COLUMNS, PERCENTILES, 2, passthrough) == len(
        table(con, "got")[1]
    )
    assert table(con, "got") == table(con, "got2")
    return table(con, "got"), table(con, "want")


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize(
    ("keys", "passthrough"), [(["month", "model"], ["label"]), (["month"], None), (["model"], None), ([], None)]
)
def test_selection_equals_sql(seed: int, keys: list[str], passthrough: list[str] | None) -> None:
    con = connect(None, threads=2)
    make_source(con, seed, paths=23)
    got, want = build_both(con, keys, passthrough)
    assert got == want


@pytest.mark.parametrize(("rows", "cells"), [(1, 1), (40, 70), (100, 1000)])
def test_chunked_fetches_give_the_same_table(monkeypatch: pytest.MonkeyPatch, rows: int, cells: int) -> None:
    """Groups fetched a chunk at a time and columns a few at a time change nothing."""
    monkeypatch.setattr(series_select, "ROW_BUDGET", rows)
    monkeypatch.setattr(series_select, "CELL_BUDGET", cells)
    con = connect(None, threads=2)
    make_source(con, 7, paths=17)
    got, want = build_both(con, ["month", "model"], ["label"])
    assert got == want


def test_empty_source_and_null_keys_match_sql() -> None:
    """No rows: no percentile rows with keys, NULL rows without; a NULL key falls back to the SQL version."""
    con = connect(None)
    make_source(con, 4, paths=3)
    con.execute("DELETE FROM src")
    for keys in (["month"], []):
        got, want = build_both(con, keys, None)
        assert got == want
        assert len(got[1]) == (0 if keys else len(PERCENTILES))  # type: ignore[index]
    make_source(con, 4, paths=3)
    con.execute("UPDATE src SET month = NULL WHERE month = 2")
    assert not series._build_by_selection(con, "got", "src", ["month"], COLUMNS, PERCENTILES, 2, [])
    series.build_series(con, "got", "src", ["month"], COLUMNS, PERCENTILES, 2)
    sql = render_text(series.series_sql("src", ["month"], COLUMNS, PERCENTILES, 2), {}, "want")
    con.execute(f"CREATE OR REPLACE TABLE want AS {sql}")
    assert table(con, "got") == table(con, "want")


@pytest.mark.parametrize(
    ("sql_type", "scale", "texts"),
    [
        ("DECIMAL(18,6)", 6, ["999999999999.999999", "-999999999999.999999", "-0.000001", "0.5", "-1.5", "1.000001"]),
        ("DECIMAL(18,12)", 12, ["999999.999999999999", "-999999.999999999999", "-0.000000000001", "2.5"]),
        ("DECIMAL(4,1)", 1, ["999.9", "-999.9", "-0.1", "0"]),
    ],
)
def test_decimal_fetch_is_exact_at_the_type_limits(sql_type: str, scale: int, texts: list[str]) -> None:
    """DECIMAL(w ≤ 18, s) values up to the type's limits come back as their exact int64 of value × 10^s."""
    con = connect(None)
    con.execute(f"CREATE TABLE t (v {sql_type})")
    con.executemany(f"INSERT INTO t VALUES (CAST(? AS {sql_type}))", [(t,) for t in texts])
    got = fetch_columns(con, f"SELECT {series_select.fetch_expr('v', scale)} AS v FROM t")["v"]
    assert got.values.tolist() == [int(Decimal(t).scaleb(scale)) for t in texts]


@pytest.mark.parametrize("seed", [5, 6])
@pytest.mark.parametrize(("keys", "passthrough"), [(["month", "model"], ["label"]), ([], None)])
def test_weighted_rows_equal_their_expansion(seed: int, keys: list[str], passthrough: list[str] | None) -> None:
    """A row of weight w stands for w equal rows (issue 13: a model without traffic holds one row per parameter
    set for its M paths): both the numpy selection and the SQL version give the table of the expanded rows,
    on groups with weights all 1 (the partition path) and on mixed weights (the cumulative-weight path)."""
    con = connect(None, threads=2)
    make_source(con, seed, paths=19)
    rng = np.random.default_rng(seed)
    con.execute("CREATE TABLE wsrc AS SELECT *, CAST(1 AS BIGINT) AS w FROM src")
    weights = [int(v) for v in rng.integers(1, 6, size=int(con.execute("SELECT count(*) FROM wsrc").fetchone()[0]))]
    con.execute("CREATE TABLE ws AS SELECT unnest(?::BIGINT[]) AS w, unnest(range(?)) AS k", [weights, len(weights)])
    con.execute(
        "CREATE OR REPLACE TABLE wsrc AS SELECT s.* EXCLUDE (w), "
        "CASE WHEN s.model = 'zz' THEN 1 ELSE ws.w END AS w "  # 'zz' keeps weights of 1: the partition path
        "FROM (SELECT *, row_number() OVER (ORDER BY path_id, month, model) - 1 AS k FROM wsrc) AS s JOIN ws USING (k)"
    )
    con.execute("ALTER TABLE wsrc DROP COLUMN k")
    con.execute(
        "CREATE TABLE xsrc AS SELECT * EXCLUDE (w, copy), path_id + 1000000 * copy AS path_id "
        "FROM (SELECT * EXCLUDE (path_id), path_id, unnest(range(w)) AS copy FROM wsrc)"
    )
    assert int(con.execute("SELECT count(*) FROM xsrc").fetchone()[0]) > int(
        con.execute("SELECT count(*) FROM wsrc").fetchone()[0]
    )
    want_sql = render_text(series.series_sql("xsrc", keys, COLUMNS, PERCENTILES, 2, passthrough), {}, "want")
    con.execute(f"CREATE OR REPLACE TABLE want AS {want_sql}")
    assert series._build_by_selection(
        con, "got", "wsrc", keys, COLUMNS, PERCENTILES, 2, passthrough or [], weight="w", rep_source="xsrc"
    )
    assert table(con, "got") == table(con, "want")
    fallback = series.series_sql("wsrc", keys, COLUMNS, PERCENTILES, 2, passthrough, weight="w", rep_source="xsrc")
    con.execute(f"CREATE OR REPLACE TABLE got_sql AS {render_text(fallback, {}, 'got_sql')}")
    assert table(con, "got_sql") == table(con, "want")


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.float64])
@pytest.mark.parametrize("size", [1, 2, 3, 17, 1000, 40_000])
def test_selection_puts_at_each_wanted_index_the_value_a_sort_puts_there(dtype: type, size: int) -> None:
    """Chained single selections (integers, few indexes) or a sort (floats, many indexes): the values at the
    wanted indexes are the full sort's, with ties, NaN among floats, neighbouring and repeated percentile ranks."""
    rng = np.random.default_rng(size)
    values = (rng.standard_normal(size) * 1e6).astype(dtype)
    values[:: max(1, size // 7)] = values[0]  # ties
    if dtype is np.float64 and size > 3:
        values[1] = np.nan
    expected = np.sort(values)
    for percentiles in ([50], [10, 50, 90], [0, 1, 5, 10, 25, 50, 75, 90, 95, 99, 100]):
        ranks = [(size - 1) * p // 100 for p in percentiles]
        wanted = sorted({k for i in ranks for k in (i, min(i + 1, size - 1))})
        picked = series_select._select(values.copy(), wanted)
        assert np.array_equal(picked[wanted], expected[wanted], equal_nan=True)
