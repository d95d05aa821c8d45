"""Number and file formats of every artefact (DOMAIN GEN-4, GEN-5, OUT-3, OUT-4, OUT-8).

One place decides how a value becomes text: `DEC()` for float-to-decimal conversion, fixed-point
rounding half away from zero, CSV quoting, the JSON encoder whose number precision follows the
nearest enclosing key with a suffix, SHA256SUMS, and the [GEN-5] percentile in exact decimal and in
float64. Floats are always read through their shortest round-trip text (`repr`), never through
their binary value, so `2.675` rounds to `2.68` like the DuckDB side does.
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, Inexact, localcontext
from pathlib import Path

import numpy as np

INT_COLUMNS: frozenset[str] = frozenset(
    {
        "month",
        "grid_index",
        "replicate_index",
        "timestamp_s",
        "replicas_prev",
        "replicas_new",
        "instances_needed",
        "instances",
        "months_simulated",
        "steps",
        "sla_violations",
        "scale_events",
        "max_replicas",
        "providers",
        "rank",
        "violations",
        "paths_evaluated",
        "paths_failing",
        "n_paths",
    }
)
"""The *int* columns of [OUT-4] common to all CSV files."""

PACKS_INT_COLUMNS: frozenset[str] = INT_COLUMNS | {"tokens"}
"""*int* columns of public_tap_credit_packs.csv, where `tokens` is an integer too ([OUT-4])."""

SUMS_NAME = "SHA256SUMS"
SUMS_ALWAYS_EXCLUDED: frozenset[str] = frozenset({SUMS_NAME, "run.duckdb", "run.duckdb.wal", ".d3-run"})
"""Run-folder files never listed in SHA256SUMS ([OUT-8])."""

Places = int | None
"""Decimals of a number: an int, or None for an integer."""

ColumnPlaces = Places | Callable[[Sequence[object]], Places]
"""A per-column precision override for `write_csv`: fixed, or decided from the whole row."""

_SIX = 6
_CHUNK = 1 << 20


def _context_prec(d: Decimal, places: int) -> int:
    """Context precision large enough to quantize `d` to `places` decimals without rounding."""
    return max(28, d.adjusted() + places + 3)


def round_half_away(d: Decimal, places: int) -> Decimal:
    """Round a finite decimal half away from zero to `places` decimals (exponent exactly -places).

    Negative zero comes back as positive zero, so the result never prints as `-0.00`.
    """
    if not d.is_finite():
        raise ValueError(f"cannot round non-finite decimal {d!r}")
    with localcontext(prec=_context_prec(d, places)):
        out = d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return out.copy_abs() if out.is_zero() else out


def float_to_decimal(v: float) -> Decimal:
    """The exact decimal of the shortest round-trip text of a float64 (`repr`), unrounded ([GEN-4]).

    The one float → decimal conversion of the engine: every other one (`dec`, `to_decimal`, the loan's
    exact inputs, the report) goes through it; its SQL twin is the `dec` macro of `sql/macros/dec.sql`.
    """
    x = float(v)
    if not math.isfinite(x):
        raise ValueError(f"cannot convert non-finite float {x!r} to DECIMAL")
    return Decimal(repr(x))


def dec(v: float) -> Decimal:
    """GEN-4 `DEC(v)`: the decimal of `repr(v)` rounded half away from zero to 6 decimals.

    Raises:
        ValueError: for NaN or ±∞.
    """
    return round_half_away(float_to_decimal(v), _SIX)


def decimals_for_column(name: str, int_columns: frozenset[str] = INT_COLUMNS) -> Places:
    """Export precision of a CSV column ([OUT-3]): None for *int*, 2 for `_eur`, 4 for `_pct`, else 6."""
    if name in int_columns:
        return None
    if name.endswith("_eur"):
        return 2
    if name.endswith("_pct"):
        return 4
    return _SIX


def places_for_unit(unit: str) -> int:
    """Precision of a consolidated_kpis.csv row from its `unit` ([OUT-3]): EUR 2, percent 4, else 6."""
    return {"EUR": 2, "percent": 4}.get(unit, _SIX)


def to_decimal(value: object) -> Decimal | None:
    """The exact decimal of any number: Decimal as is, an int exactly, a float by `float_to_decimal`.

    None and NaN give None; ±∞ gives the infinite Decimal (callers that write text refuse it).

    Raises:
        TypeError: for a value that is not a number.
    """
    if value is None:
        return None
    if isinstance(value, Decimal):
        return None if value.is_nan() else value
    if isinstance(value, numbers.Integral):
        return Decimal(int(value))
    if isinstance(value, numbers.Real):
        x = float(value)
        if math.isnan(x):
            return None
        return float_to_decimal(x) if math.isfinite(x) else Decimal(x)
    raise TypeError(f"not a number: {value!r} ({type(value).__name__})")


def _fixed(d: Decimal, places: int) -> str:
    """Fixed-point text of a finite decimal with exactly `places` decimals."""
    return format(round_half_away(d, places), "f")


def format_number(value: object, places: Places) -> str:
    """Format one CSV number per [OUT-3].

    Args:
        value: int, float, Decimal, bool or None (numpy scalars work as well).
        places: decimals to write; None writes an integer (floats and decimals rounded half away
            from zero).

    Returns:
        Fixed-point text without exponent or thousands separator; `''` for None and NaN, `inf` /
        `-inf` for infinities, `true` / `false` for booleans, never a signed zero.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral) and places is None:
        return str(int(value))
    d = to_decimal(value)
    if d is None:
        return ""
    if d.is_infinite():
        return "-inf" if d.is_signed() else "inf"
    return _fixed(d, 0 if places is None else places)


def format_cell(column: str, value: object, int_columns: frozenset[str] = INT_COLUMNS) -> str:
    """Text of one CSV cell: strings pass through unquoted, numbers use the column's precision."""
    if isinstance(value, str):
        return value
    return format_number(value, decimals_for_column(column, int_columns))


def csv_field(text: str) -> str:
    """Quote a field only when it holds a comma, quote, CR or LF; inner quotes are doubled."""
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def write_csv(
    path: Path,
    header: list[str],
    rows: Iterable[Sequence[object]],
    int_columns: frozenset[str] = INT_COLUMNS,
    column_places: Mapping[str, ColumnPlaces] | None = None,
) -> None:
    """Write a CSV artefact: UTF-8, LF, one header row, [OUT-3] numbers and quoting.

    Args:
        path: file to write (replaced).
        header: column names, in order.
        rows: row values in header order; strings are written as text, numbers per column.
        int_columns: the *int* columns (pass `PACKS_INT_COLUMNS` for the packs file).
        column_places: per-column precision overriding the name rule: an int, None (integer), or a
            callable that receives the whole row and returns either, e.g. for consolidated_kpis.csv
            `lambda row: places_for_unit(row[1])` on each `p<q>`/`rep` column.

    Raises:
        ValueError: when a row's length differs from the header's.
    """
    overrides = column_places or {}
    plan: list[ColumnPlaces] = [overrides.get(c, decimals_for_column(c, int_columns)) for c in header]
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(csv_field(c) for c in header) + "\n")
        for n, row in enumerate(rows, start=1):
            if len(row) != len(header):
                raise ValueError(f"{path.name}: row {n} has {len(row)} fields, header has {len(header)}")
            cells = []
            for value, spec in zip(row, plan, strict=True):
                if isinstance(value, str):
                    cells.append(csv_field(value))
                    continue
                places = spec(row) if callable(spec) else spec
                cells.append(csv_field(format_number(value, places)))
            fh.write(",".join(cells) + "\n")


def draw_value_text(v: Decimal | int | str) -> str:
    """`draw_value` text ([OUT-3]): the exact decimal without exponent or trailing zeros; text as is.

    Equals `format(d.normalize(), 'f')` for values within the context precision, but never rounds:
    `Decimal('100')` → `100`, `Decimal('0.50')` → `0.5`, `Decimal('-0.0')` → `0`.
    """
    if isinstance(v, str):
        return v
    if isinstance(v, bool) or not isinstance(v, (Decimal, int)):
        raise TypeError(f"draw value must be Decimal, int or str, not {type(v).__name__}")
    d = Decimal(v)
    if not d.is_finite():
        raise ValueError(f"draw value is not finite: {d!r}")
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _places_for_key(key: str, inherited: int) -> int:
    """Precision a JSON key gives its value: `_eur` 2, `_pct` 4, otherwise the inherited one."""
    if key.endswith("_eur"):
        return 2
    if key.endswith("_pct"):
        return 4
    return inherited


def _json_scalar(value: object, places: int) -> str:
    """JSON text of a non-container value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    d = to_decimal(value)
    if d is None or not d.is_finite():
        return "null"
    return _fixed(d, places)


def _json_lines(value: object, places: int, indent: str, out: list[str]) -> None:
    """Append the JSON text of `value` to `out` (first line without its indent)."""
    inner = indent + "  "
    if isinstance(value, Mapping):
        if not value:
            out.append("{}")
            return
        keys = list(value)
        for k in keys:
            if not isinstance(k, str):
                raise TypeError(f"JSON object keys must be str, not {type(k).__name__}: {k!r}")
        out.append("{\n")
        for n, k in enumerate(sorted(keys)):
            out.append(f"{inner}{json.dumps(k, ensure_ascii=False)}: ")
            _json_lines(value[k], _places_for_key(k, places), inner, out)
            out.append(",\n" if n < len(keys) - 1 else "\n")
        out.append(indent + "}")
    elif isinstance(value, (list, tuple)):
        if not value:
            out.append("[]")
            return
        out.append("[\n")
        for n, item in enumerate(value):
            out.append(inner)
            _json_lines(item, places, inner, out)
            out.append(",\n" if n < len(value) - 1 else "\n")
        out.append(indent + "]")
    else:
        out.append(_json_scalar(value, places))


def dumps_json(obj: object) -> str:
    """Serialise to [OUT-3] JSON: sorted keys, 2-space indent, final LF, fixed-point numbers.

    A float or Decimal is written with the precision of the nearest enclosing key that ends in
    `_eur` (2 decimals) or `_pct` (4); with no such key above it, 6. Python ints (and numpy
    integers) are integers by definition and written as such. NaN and ±∞ become null; strings are
    written as UTF-8 (no `\\u` escapes for non-ASCII). Lists and tuples inherit their key.

    Raises:
        TypeError: for a non-str object key or an unsupported value type.
    """
    out: list[str] = []
    _json_lines(obj, _SIX, "", out)
    out.append("\n")
    return "".join(out)


def sha256_file(path: Path) -> str:
    """Lower-case hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def write_sha256sums(run_dir: Path, exclude: set[str] | frozenset[str] = frozenset()) -> None:
    """Write `run_dir/SHA256SUMS` ([OUT-8]): `<hex>  <relative path>` per file, byte-sorted paths.

    Every regular file under `run_dir` (recursively) is listed except SHA256SUMS, run.duckdb,
    run.duckdb.wal, .d3-run and the relative POSIX paths in `exclude`.
    """
    skipped = SUMS_ALWAYS_EXCLUDED | set(exclude)
    rels: list[str] = []
    for dirpath, _dirnames, filenames in os.walk(run_dir):
        for name in filenames:
            full = Path(dirpath) / name
            rel = full.relative_to(run_dir).as_posix()
            if rel not in skipped and full.is_file():
                rels.append(rel)
    rels.sort(key=lambda r: r.encode("utf-8"))
    text = "".join(f"{sha256_file(run_dir / rel)}  {rel}\n" for rel in rels)
    (run_dir / SUMS_NAME).write_bytes(text.encode("utf-8"))


def _rank(n: int, p: int) -> tuple[int, int]:
    """GEN-5 `(i, r)` for n ≥ 1 values and integer percentile p: (n−1)·p = 100·i + r."""
    return divmod((n - 1) * p, 100)


def _check_percentile(p: int) -> None:
    """Reject anything but an integer percentile in 0..100."""
    if isinstance(p, bool) or not isinstance(p, int) or not 0 <= p <= 100:
        raise ValueError(f"percentile must be an integer in 0..100, got {p!r}")


def _exact(v: Decimal | int) -> Decimal:
    """A DECIMAL or integer value as Decimal; floats are refused (their binary value is not exact)."""
    if isinstance(v, bool) or not isinstance(v, (Decimal, int)):
        raise TypeError(f"percentile_exact needs Decimal or int values, not {type(v).__name__}")
    d = Decimal(v)
    if not d.is_finite():
        raise ValueError(f"percentile_exact needs finite values, got {d!r}")
    return d


def percentile_exact(values: Sequence[Decimal | int | None], p: int) -> Decimal | None:
    """GEN-5 percentile in exact decimal arithmetic; None values dropped, None when none remain.

    The result carries at most two more decimals than the values and is not rounded.
    """
    _check_percentile(p)
    xs = sorted(_exact(v) for v in values if v is not None)
    if not xs:
        return None
    i, r = _rank(len(xs), p)
    return _between_exact(xs[i], xs[min(i + 1, len(xs) - 1)], r)


def percentile_exact_of_integers(values: np.ndarray, p: int) -> Decimal | None:
    """`percentile_exact` of an integer array (no NULLs), selected by NumPy: the same Decimal, without turning
    every value into a Python object (a report line over 1 000 000 paths, issue 13)."""
    _check_percentile(p)
    if values.dtype.kind not in "iu":
        raise TypeError(f"percentile_exact_of_integers needs integers, not {values.dtype}")
    if not len(values):
        return None
    i, r = _rank(len(values), p)
    picked = np.partition(values, sorted({i, min(i + 1, len(values) - 1)}))
    return _between_exact(Decimal(int(picked[i])), Decimal(int(picked[min(i + 1, len(values) - 1)])), r)


def _between_exact(lo: Decimal, hi: Decimal, r: int) -> Decimal:
    """lo + (r/100)·(hi − lo), exactly (GEN-5's interpolation)."""
    top = max(lo.adjusted(), hi.adjusted()) + 2
    bottom = min(int(lo.as_tuple().exponent), int(hi.as_tuple().exponent)) - 2
    with localcontext(prec=max(28, top - bottom + 2)) as ctx:
        ctx.traps[Inexact] = True  # the precision above makes every step exact; prove it
        return lo + Decimal(r).scaleb(-2) * (hi - lo)


def percentile_float(values: Sequence[float | None], p: int) -> float | None:
    """GEN-5 percentile in float64 exactly as written: `x_i + (r/100)·(x_{i+1} − x_i)`.

    `r/100` is a correctly rounded float64 division; the sort is Python's stable ascending sort.
    """
    _check_percentile(p)
    xs = sorted(float(v) for v in values if v is not None)
    if not xs:
        return None
    i, r = _rank(len(xs), p)
    lo = xs[i]
    hi = xs[min(i + 1, len(xs) - 1)]
    return lo + (r / 100) * (hi - lo)


def percentile_float_of_array(values: np.ndarray, p: int) -> float | None:
    """`percentile_float` of a float64 array (no NULLs), sorted by NumPy: the same float. NumPy's stable sort
    keeps equal values (−0.0 and 0.0) in input order as Python's does; an array holding a NaN, which Python's
    sort leaves where comparisons happen to put it, goes through `percentile_float` itself."""
    if values.dtype.kind != "f" or np.isnan(values).any():
        return percentile_float(values.tolist(), p)
    _check_percentile(p)
    if not len(values):
        return None
    xs = np.sort(values, kind="stable")
    i, r = _rank(len(xs), p)
    lo = float(xs[i])
    hi = float(xs[min(i + 1, len(xs) - 1)])
    return lo + (r / 100) * (hi - lo)
