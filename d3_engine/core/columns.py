"""Query results as NumPy columns through Arrow, DECIMALs as their exact scaled integers (issue 13).

DuckDB stores a DECIMAL(w ≤ 18, s) as the int64 of its value × 10^s, and hands it to Arrow as a decimal128:
the same integer, sign-extended to 16 bytes. Reading the low 8 bytes of each value gives that integer with no
arithmetic at all, where SQL would compute it per value (trunc, modulo and two casts, as d3 did before)
and `fetchnumpy` would convert it again: at 100 000 paths, five DECIMAL columns of finance_month (3.6 M rows)
came out in 0.08 s instead of 0.27 s (BENCH.md, tenth session). Integer, DOUBLE and BOOLEAN columns come out
as their own NumPy types. Every column also gets its NULL mask (None when it holds no NULL); the value at a
NULL position is unspecified.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

_LITTLE_ENDIAN = sys.byteorder == "little"
_PRIMITIVE = {"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "double", "float"}


@dataclass(frozen=True)
class Column:
    """One fetched column: its values and, when it holds a NULL, where."""

    values: np.ndarray
    nulls: np.ndarray | None


BATCH_ROWS = 1_000_000
"""Most rows per Arrow record batch asked of DuckDB (DuckDB 2.0 hands over 122 880 at most): a fetch holds one
batch in Arrow form beside the NumPy columns it fills, so its peak is no more than `fetchnumpy` took (its whole
result in DuckDB's form, then the arrays)."""


def fetch_columns(con: duckdb.DuckDBPyConnection, sql: str, rows: int | None = None) -> dict[str, Column]:
    """Run `sql` and return its columns by name, in query order (see the module docstring for the types).

    `rows`: how many rows the query returns, when the caller knows: each column is then filled in place,
    batch by batch, instead of gathered and joined (half the peak memory of a large fetch).

    Raises:
        ValueError: a column type that has no exact NumPy form here (text, dates, DECIMAL wider than 18), or
            a row count other than `rows`.
    """
    reader = con.sql(sql).to_arrow_reader(BATCH_ROWS)
    names = list(reader.schema.names)
    dtypes = {name: _dtype(name, reader.schema.field(name).type) for name in names}
    filling = _Filling(dtypes, rows)
    for batch in reader:
        filling.add(batch)
    return filling.columns()


class _Filling:
    """The columns of a fetch, batch after batch: in place when the row count is known, else as parts."""

    def __init__(self, dtypes: dict[str, np.dtype], rows: int | None) -> None:
        self.dtypes, self.rows, self.at = dtypes, rows, 0
        self.full = {} if rows is None else {name: np.empty(rows, dtype) for name, dtype in dtypes.items()}
        self.parts: dict[str, list[np.ndarray]] = {name: [] for name in dtypes}
        self.nulls: dict[str, np.ndarray] = {}  # in place (rows known)
        self.null_parts: dict[str, list[np.ndarray]] = {}  # as parts, from the first NULL on

    def add(self, batch: pa.RecordBatch) -> None:
        size = batch.num_rows
        if self.rows is not None and self.at + size > self.rows:
            raise ValueError(f"the query returned more than the {self.rows} rows expected")
        for (name, dtype), array in zip(self.dtypes.items(), batch.columns, strict=True):
            values = _values(array, dtype)
            null = array.is_null().to_numpy(zero_copy_only=False) if array.null_count else None
            if self.rows is not None:
                self.full[name][self.at : self.at + size] = values
                if null is not None:
                    self.nulls.setdefault(name, np.zeros(self.rows, dtype=np.bool_))[self.at : self.at + size] = null
                continue
            self.parts[name].append(values.copy())  # the batch's buffers can then be freed
            if null is not None and name not in self.null_parts:
                self.null_parts[name] = [np.zeros(len(part), dtype=np.bool_) for part in self.parts[name][:-1]]
            if name in self.null_parts:
                self.null_parts[name].append(np.zeros(size, dtype=np.bool_) if null is None else null)
        self.at += size

    def columns(self) -> dict[str, Column]:
        if self.rows is not None:
            if self.at != self.rows:
                raise ValueError(f"the query returned {self.at} rows, not the {self.rows} expected")
            return {name: Column(self.full[name], self.nulls.get(name)) for name in self.dtypes}
        return {
            name: Column(
                _concat(self.parts[name], dtype),
                _concat(self.null_parts[name], np.bool_) if name in self.null_parts else None,
            )
            for name, dtype in self.dtypes.items()
        }


def _dtype(name: str, kind: pa.DataType) -> np.dtype:
    """The NumPy type of a column of Arrow type `kind`; refuses a type without an exact NumPy form."""
    import pyarrow as pa

    if pa.types.is_decimal(kind):
        if kind.precision > 18 or kind.bit_width != 128 or not _LITTLE_ENDIAN:
            raise ValueError(f"column {name}: {kind} has no exact int64 form")
        return np.dtype(np.int64)
    if pa.types.is_boolean(kind):
        return np.dtype(np.bool_)
    if str(kind) in _PRIMITIVE:
        return np.dtype(kind.to_pandas_dtype())
    raise ValueError(f"column {name}: {kind} has no exact NumPy form here")


def _values(array: pa.Array, dtype: np.dtype) -> np.ndarray:
    """One record batch's values of a column, a view of its buffer where it can be (NULL slots hold whatever
    the buffer holds)."""
    import pyarrow as pa

    if pa.types.is_decimal(array.type):
        return _decimal_words(array)
    if pa.types.is_boolean(array.type):
        return np.asarray(array.to_numpy(zero_copy_only=False), dtype=np.bool_)
    return _primitive(array, dtype)


def _concat(parts: list[np.ndarray], dtype: np.dtype | type) -> np.ndarray:
    if not parts:
        return np.zeros(0, dtype=dtype)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _primitive(chunk: pa.Array, dtype: np.dtype) -> np.ndarray:
    """The value buffer of a fixed-width chunk (NULL slots hold whatever the buffer holds)."""
    data = chunk.buffers()[1]
    if data is None:  # every value NULL
        return np.zeros(len(chunk), dtype=dtype)
    return np.frombuffer(data, dtype=dtype, count=chunk.offset + len(chunk))[chunk.offset :]


def _decimal_words(chunk: pa.Array) -> np.ndarray:
    """The int64 of each decimal128 value of `chunk`: its low word (for a precision ≤ 18 the high word is only the
    sign extension of a value DuckDB stored in 64 bits)."""
    data = chunk.buffers()[1]
    if data is None:
        return np.zeros(len(chunk), dtype=np.int64)
    words = np.frombuffer(data, dtype=np.int64, count=2 * (chunk.offset + len(chunk)))[2 * chunk.offset :]
    return words[0::2]


def decimal_array(values: np.ndarray, precision: int, scale: int) -> pa.Array:
    """The Arrow decimal128(precision ≤ 18, scale) array of the exact values `values` × 10^-scale (int64): what
    DuckDB reads as DECIMAL(precision, scale) with no arithmetic.

    Raises:
        ValueError: a value has more than `precision` digits (a CAST to the DECIMAL would refuse it too).
    """
    import pyarrow as pa

    values = np.ascontiguousarray(values, dtype=np.int64)
    if precision > 18 or not _LITTLE_ENDIAN:
        raise ValueError(f"DECIMAL({precision},{scale}) has no exact int64 form")
    limit = 10**precision
    if len(values) and (int(values.max()) >= limit or int(values.min()) <= -limit):
        raise ValueError(f"a value does not fit DECIMAL({precision},{scale})")
    words = np.empty(2 * len(values), dtype=np.int64)
    words[0::2] = values
    words[1::2] = values >> 63  # the sign extension to 128 bits
    return pa.Array.from_buffers(pa.decimal128(precision, scale), len(values), [None, pa.py_buffer(words)])


def register_arrays(con: duckdb.DuckDBPyConnection, view: str, columns: dict[str, np.ndarray | pa.Array]) -> None:
    """Register `columns` (NumPy arrays or Arrow arrays, equal lengths, no NULLs) as the view `view`."""
    import pyarrow as pa

    con.register(view, pa.table(columns))
