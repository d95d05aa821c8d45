"""GEN-5 percentiles of per-path columns by exact order-statistic selection in numpy ([GEN-5], [FIN-11]).

The twin of the `pctl` macro (sql/macros/pctl.sql), bit for bit: i = ⌊(n−1)·p/100⌋, r = (n−1)·p − 100·i,
value = x_i + (x_{i+1} − x_i)·r/100 with x_{i+1} := x_i at the top; NULLs dropped; an all-NULL group
gives NULL. DECIMAL(w ≤ 18, s) and integer values are fetched as scaled int64 (through Arrow, `core.columns`)
and combined in Python integers (exact; the result has scale s + 2); DOUBLE values in float64 with f the
float nearest r/100, the very operations DuckDB performs. Selection per group (`_select`: NumPy's vectorised
single-index selections or sort) replaces the SQL window sort.

Memory stays bounded: rows are fetched per chunk of whole groups (at most ROW_BUDGET rows) and, within
a chunk, a few columns per query (at most CELL_BUDGET cells); never every column of every path at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from d3_engine.core.columns import fetch_columns
from d3_engine.core.db import sql_literal

if TYPE_CHECKING:
    import duckdb

ROW_BUDGET = 8_000_000
"""Most rows fetched per group chunk (a larger single group is still fetched whole). With the DuckDB buffer pool
(2 GB) this bounds a run's peak: at 1 000 000 paths the P&L series peaked at 3.24 GiB with 32 M rows per chunk,
2.63 GiB with 16 M, in the same time (issue 13). 8 M since two series models may select at once
(pipeline/batches.run_concurrently)."""
CELL_BUDGET = 20_000_000
"""Most value cells (rows × columns) fetched per query."""
MAX_KEY_VALUES = 4096
"""Most distinct values of a text group key (it is turned into an ordinal by `list_position`)."""

_INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER"}
_DECIMAL = re.compile(r"DECIMAL\((\d+),(\d+)\)")


GROUPS_TABLE = "_d3_series_groups"
"""Temporary table of the current source's groups: its key columns and `_n`, the group's row count."""


@dataclass(frozen=True)
class Groups:
    """The groups of a source, ascending by ordinal code, and how a row finds its group."""

    ordinal_sql: str
    """SQL giving a row (of the source or of GROUPS_TABLE) its group's ordinal code (INTEGER); '0' without keys."""
    codes: np.ndarray
    """The ordinal code of each group, ascending and distinct."""
    counts: list[int]
    """The row count of each group."""
    lead: tuple[str, int, int] | None = None
    """(name, lowest value, stride) of the first key when it is an integer: its value is low + code // stride."""

    def lead_filter(self, first: int, stop: int) -> str:
        """A cheap integer range on the first key holding the groups first..stop-1 ('' without one): evaluated
        before the ordinal, it spares the ordinal (a list lookup for a text key) on every row of other chunks."""
        if self.lead is None:
            return ""
        name, low, stride = self.lead
        lowest, highest = int(self.codes[first]) // stride + low, int(self.codes[stop - 1]) // stride + low
        return f'"{name}" BETWEEN {lowest} AND {highest} AND '

    def index_of(self, codes: np.ndarray, first: int) -> np.ndarray:
        """Group index minus `first` of each fetched row code (int16 when small, for numpy's radix sort)."""
        dtype = np.int16 if len(self.codes) < 2**15 else np.int32
        low, span = int(self.codes[0]), int(self.codes[-1]) - int(self.codes[0]) + 1
        if span <= 2**24:
            table = np.zeros(span, dtype=dtype)
            table[self.codes - low] = np.arange(len(self.codes), dtype=dtype)
            index = table[codes - low]
        else:
            index = np.searchsorted(self.codes, codes).astype(dtype)
        return index - first if first else index


def value_scale(sql_type: str) -> int | None:
    """Decimal scale of an exactly handled column type (0 for integers); None for DOUBLE; -1 if unsupported."""
    if sql_type in _INTEGER_TYPES:
        return 0
    match = _DECIMAL.fullmatch(sql_type.replace(" ", ""))
    if match and int(match.group(1)) <= 18:
        return int(match.group(2))
    return None if sql_type == "DOUBLE" else -1


def fetch_expr(column: str, scale: int | None) -> str:
    """SQL fetching `column` for `core.columns.fetch_columns`: a DOUBLE as float64 (scale None), an integer as
    BIGINT, a DECIMAL(≤ 18, scale) as itself (it arrives as the int64 of its value times 10^scale)."""
    if scale is None:
        return f'CAST("{column}" AS DOUBLE)'
    return f'CAST("{column}" AS BIGINT)' if scale == 0 else f'"{column}"'


def _ordinal_term(
    con: duckdb.DuckDBPyConnection, key: str, sql_type: str, stride: int
) -> tuple[str, int, int | None] | None:
    """SQL of `key`'s 0-based ordinal among its values times `stride`, the number of ordinals, and the lowest
    value of an integer key (None for text)."""
    stats = f'SELECT count(DISTINCT "{key}"), count(*) - count("{key}"), min("{key}"), max("{key}") FROM {GROUPS_TABLE}'
    distinct, nulls, low, high = con.execute(stats).fetchall()[0]
    if nulls:
        return None  # the SQL joins drop NULL-keyed groups; that rare case stays with the SQL version
    if sql_type in _INTEGER_TYPES | {"UBIGINT", "HUGEINT"}:
        return f'("{key}" - {int(low)}) * {stride}', int(high) - int(low) + 1, int(low)
    if sql_type == "VARCHAR" and distinct <= MAX_KEY_VALUES:
        values = con.execute(f'SELECT DISTINCT "{key}" FROM {GROUPS_TABLE} ORDER BY 1').fetchall()
        listed = ", ".join(sql_literal(v[0]) for v in values)
        return f'(list_position([{listed}], "{key}") - 1) * {stride}', max(1, int(distinct)), None
    return None


def read_groups(con: duckdb.DuckDBPyConnection, source: str, keys: list[str]) -> Groups | None:
    """Fill GROUPS_TABLE with the groups of `source` by `keys`; None when a key is NULL, neither integer
    nor text, or the keys have too many combinations for an INTEGER code."""
    key_list = ", ".join(f'"{k}"' for k in keys)
    group_by = f"{key_list}, count(*) AS _n FROM {source} GROUP BY ALL" if keys else f"count(*) AS _n FROM {source}"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {GROUPS_TABLE} AS SELECT {group_by}")
    types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {GROUPS_TABLE})").fetchall())
    if not con.execute(f"SELECT count(*) FROM {GROUPS_TABLE}").fetchall()[0][0]:
        return Groups("0", np.zeros(0, dtype=np.int64), [])  # keys but no rows: no series rows (as in SQL)
    terms, stride, lead = [], 1, None
    for key in reversed(keys):  # mixed radix: the first key is the most significant digit
        term = _ordinal_term(con, key, types[key], stride)
        if term is None:
            return None
        terms.append(term[0])
        if key == keys[0] and term[2] is not None:
            lead = (key, term[2], stride)
        stride *= term[1]
    if stride >= 2**31:
        return None
    ordinal = "CAST(" + " + ".join(terms) + " AS INTEGER)" if terms else "0"
    got = con.execute(f"SELECT {ordinal} AS code, _n FROM {GROUPS_TABLE} ORDER BY code").fetchnumpy()
    codes = np.asarray(got["code"], dtype=np.int64)
    return Groups(ordinal, codes, [int(n) for n in got["_n"]], lead)


def group_chunks(groups: Groups) -> Iterator[tuple[int, int]]:
    """Half-open ranges of group indexes holding at most ROW_BUDGET rows each (or one larger group)."""
    if not groups.counts:
        return
    start, rows = 0, 0
    for index, count in enumerate(groups.counts):
        if rows and rows + count > ROW_BUDGET:
            yield start, index
            start, rows = index, 0
        rows += count
    yield start, len(groups.counts)


Cells = list[list[float | int | None]]
"""One column's percentiles: `cells[g][j]` for group g and percentile j, None when NULL; floats for DOUBLE,
else Python ints equal to the exact value times 10^(scale + 2)."""


def _order_statistics(
    sorted_values: np.ndarray, bounds: np.ndarray, percentiles: list[int], weights: np.ndarray | None = None
) -> list[tuple[list[object], list[object], list[int]] | None]:
    """Per group: x_i, x_{i+1} and r of each percentile (None for a group without values).

    `sorted_values` is grouped by `bounds` (CSR offsets) and is a scratch array: each group's values are
    reordered in place. `weights` (aligned with `sorted_values`): a row stands for that many equal values
    (the rows of a parameter set that are the same on every path); order statistic k is then the value whose
    cumulative weight first exceeds k, exactly as in the expanded list (equal values being interchangeable,
    their order in the sort does not matter).
    """
    out: list[tuple[list[object], list[object], list[int]] | None] = []
    for group in range(len(bounds) - 1):
        segment = sorted_values[bounds[group] : bounds[group + 1]]
        counts = None if weights is None else weights[bounds[group] : bounds[group + 1]]
        if counts is not None and bool((counts == 1).all()):
            counts = None
        n = len(segment) if counts is None else int(counts.sum())
        if n == 0:
            out.append(None)
            continue
        ranks = [(n - 1) * p // 100 for p in percentiles]
        nexts = [min(i + 1, n - 1) for i in ranks]
        if counts is None:
            picked = _select(segment, sorted({k for i in ranks for k in (i, min(i + 1, n - 1))}))
            lows, highs = picked[ranks].tolist(), picked[nexts].tolist()
        else:
            order = np.argsort(segment)
            values, cumulative = segment[order], np.cumsum(counts[order])
            lows = values[np.searchsorted(cumulative, ranks, side="right")].tolist()
            highs = values[np.searchsorted(cumulative, nexts, side="right")].tolist()
        out.append((lows, highs, [(n - 1) * p - 100 * i for p, i in zip(percentiles, ranks, strict=True)]))
    return out


CHAINED_SELECTIONS = 8
"""Most order statistics an integer group gets by chained single selections rather than one sort."""


def _select(segment: np.ndarray, wanted: list[int]) -> np.ndarray:
    """`segment` with, at each index of `wanted` (ascending), the value a full sort puts there (issue 13).

    The same values as `np.partition(segment, wanted)`, found faster: NumPy's selection of one index uses the
    CPU's vector units, of several indexes it does not. So an integer group with few indexes is selected one
    index after the other in place, each on the part right of the previous one (everything left of it is no
    larger); any other group is sorted (vectorised too): at 1 000 000 values and six indexes 3.0 ms (int64) and
    7 ms (sort) against 15 ms for one partition over the six (BENCH.md, tenth session)."""
    if segment.dtype.kind not in "iu" or len(wanted) > CHAINED_SELECTIONS:
        segment.sort()
        return segment
    start = 0
    for index in wanted:  # strictly ascending, so index >= start
        segment[start:].partition(index - start)
        start = index + 1
    return segment


def percentiles_of(
    values: np.ndarray,
    nulls: np.ndarray | None,
    order: np.ndarray,
    bounds: np.ndarray,
    scale: int | None,
    percentiles: list[int],
    weights: np.ndarray | None = None,
) -> Cells:
    """GEN-5 percentiles of one fetched column, its rows grouped by `order` into `bounds` (CSR offsets);
    `weights`: how many equal values each row stands for (None: one each)."""
    sorted_values = values[order]
    sorted_weights = None if weights is None else weights[order]
    if nulls is not None and nulls.any():
        keep = ~nulls[order]
        sorted_values = sorted_values[keep]
        sorted_weights = None if sorted_weights is None else sorted_weights[keep]
        bounds = np.concatenate(([0], np.cumsum(keep, dtype=np.int64)))[bounds]
    stats = _order_statistics(sorted_values, bounds, percentiles, sorted_weights)
    result: Cells = []
    for group in stats:
        if group is None:
            result.append([None] * len(percentiles))
        elif scale is None:  # float64, the operations DuckDB performs: x_i + (x_{i+1} − x_i) · (r/100)
            lows, highs, rests = (np.asarray(v, dtype=np.float64) for v in group)
            result.append((lows + (highs - lows) * (rests / 100.0)).tolist())
        else:  # exact: 100·X_i + (X_{i+1} − X_i)·r in Python integers, at scale s + 2
            result.append([100 * lo + (hi - lo) * r for lo, hi, r in zip(*group, strict=True)])  # type: ignore[operator]
    return result


def _column_batches(columns: list[str], rows: int) -> Iterator[list[str]]:
    per_query = max(1, CELL_BUDGET // max(1, rows))
    for start in range(0, len(columns), per_query):
        yield columns[start : start + per_query]


def _grouping(groups: Groups, codes: np.ndarray, first: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Row order that gathers each group, and the groups' CSR offsets in that order."""
    index = groups.index_of(codes, first)
    order = np.argsort(index, kind="stable")  # radix sort on int16 group indexes
    bounds = np.concatenate(([0], np.cumsum(np.bincount(index, minlength=count), dtype=np.int64)))
    return order, bounds


def select_percentiles(
    con: duckdb.DuckDBPyConnection,
    source: str,
    groups: Groups,
    scales: dict[str, int | None],
    percentiles: list[int],
    weight: str | None = None,
) -> dict[str, Cells]:
    """GEN-5 percentiles of every column of `scales` per group (in `groups` order) of `source`.

    Rows are fetched per chunk of whole groups and per batch of columns; a fetched row's group comes
    with it in the same query, so no row order is assumed. `weight`: a column of how many equal values
    a row stands for (≥ 1).
    """
    weight_expr = f', CAST("{weight}" AS BIGINT) AS _d3_weight' if weight else ""
    out: dict[str, Cells] = {c: [] for c in scales}
    for first, stop in group_chunks(groups):
        where = ""
        if (first, stop) != (0, len(groups.counts)):
            where = (
                f" WHERE {groups.lead_filter(first, stop)}"
                f"{groups.ordinal_sql} BETWEEN {groups.codes[first]} AND {groups.codes[stop - 1]}"
            )
        last_codes, order, bounds = None, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        rows = sum(groups.counts[first:stop])
        for batch in _column_batches(list(scales), rows):
            exprs = ", ".join(f'{fetch_expr(c, scales[c])} AS "{c}"' for c in batch)
            query = f"SELECT {groups.ordinal_sql} AS _d3_code{weight_expr}, {exprs} FROM {source}{where}"
            got = fetch_columns(con, query, rows)
            codes = got.pop("_d3_code").values
            weights = got.pop("_d3_weight").values if weight else None
            if last_codes is None or not np.array_equal(codes, last_codes):
                order, bounds = _grouping(groups, codes, first, stop - first)
                last_codes = codes
            for column in batch:
                fetched = got.pop(column)
                scale = scales[column]
                cells = percentiles_of(fetched.values, fetched.nulls, order, bounds, scale, percentiles, weights)
                out[column].extend(cells)
    return out
