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
"""Rows per Arrow record batch: a fetch holds one batch in Arrow form beside the NumPy columns it fills, so its
peak is about what `fetchnumpy` took (its whole result in DuckDB's form, then the arrays)."""


def fetch_columns(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, Column]:
    """Run `sql` and return its columns by name, in query order (see the module docstring for the types).

    Raises:
        ValueError: a column type that has no exact NumPy form here (text, dates, DECIMAL wider than 18).
    """
    reader = con.sql(sql).to_arrow_reader(BATCH_ROWS)
    names = list(reader.schema.names)
    values: dict[str, list[np.ndarray]] = {name: [] for name in names}
    nulls: dict[str, list[np.ndarray] | None] = dict.fromkeys(names)
    for batch in reader:
        for name, array in zip(names, batch.columns, strict=True):
            values[name].append(_values(name, array))
            if array.null_count and nulls[name] is None:
                nulls[name] = [np.zeros(n, dtype=np.bool_) for n in (len(v) for v in values[name][:-1])]
            found = nulls[name]
            if found is not None:
                found.append(array.is_null().to_numpy(zero_copy_only=False))
    return {name: _column(name, reader.schema.field(name).type, values[name], nulls[name]) for name in names}


def _column(name: str, kind: pa.DataType, parts: list[np.ndarray], nulls: list[np.ndarray] | None) -> Column:
    if not parts:
        _values(name, _empty(kind))  # refuses a type without an exact form even for an empty result
    dtype = _dtype(name, kind)
    return Column(_concat(parts, dtype), None if nulls is None else _concat(nulls, np.bool_))


def _empty(kind: pa.DataType) -> pa.Array:
    import pyarrow as pa

    return pa.array([], type=kind)


def _dtype(name: str, kind: pa.DataType) -> np.dtype:
    import pyarrow as pa

    if pa.types.is_decimal(kind):
        return np.dtype(np.int64)
    if pa.types.is_boolean(kind):
        return np.dtype(np.bool_)
    if str(kind) in _PRIMITIVE:
        return np.dtype(kind.to_pandas_dtype())
    raise ValueError(f"column {name}: {kind} has no exact NumPy form here")


def _values(name: str, array: pa.Array) -> np.ndarray:
    """One record batch's values of a column, copied out of the batch so that it can be freed (NULL slots hold
    whatever the buffer holds)."""
    import pyarrow as pa

    kind = array.type
    if pa.types.is_decimal(kind):
        if kind.precision > 18 or kind.bit_width != 128 or not _LITTLE_ENDIAN:
            raise ValueError(f"column {name}: {kind} has no exact int64 form")
        return _decimal_words(array).copy()
    if pa.types.is_boolean(kind):
        return np.asarray(array.to_numpy(zero_copy_only=False), dtype=np.bool_)
    return _primitive(array, _dtype(name, kind)).copy()


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
