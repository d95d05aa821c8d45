"""The `dec` macro's float fast path gives the text route's decimal for every double ([GEN-4], issue 13).

`sql/macros/dec.sql` takes k = round(x·10^scale) in float64 when |x·10^scale| < 10^13 and x·10^scale is
less than 0.49 from k, and the text route (`CAST(CAST(x AS VARCHAR) AS DECIMAL(w, s))`: shortest round-trip
text, half away from zero) otherwise. These tests hold the macro equal to that text route, the binding
definition, over millions of doubles aimed at the weak spots: ties (x.xxxxxx5) and their neighbouring
floats, exponents (5e-07, 1e+16), negative values, values near 10^12, values on both sides of the fast
path's bounds, random bit patterns; and they keep its NULLs and its errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from functools import cache
from pathlib import Path

import duckdb
import jinja2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

MACROS = Path(__file__).resolve().parents[2] / "sql" / "macros"
FORMS = [(18, 6), (28, 10), (38, 10), (38, 12), (38, 20)]  # every (width, scale) the models use


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect()
    c.execute("SET threads TO 2")
    yield c
    c.close()


@cache  # the property test asks for the same expansion at each of its examples
def _macro(expr: str, width: int, scale: int) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(MACROS), undefined=jinja2.StrictUndefined)
    return env.from_string(f"{{% from 'dec.sql' import dec %}}{{{{ dec('{expr}', {width}, {scale}) }}}}").render()


def _text_route(expr: str, width: int, scale: int) -> str:
    return f"CAST(CAST(CAST(({expr}) AS DOUBLE) AS VARCHAR) AS DECIMAL({width},{scale}))"


def _ties(rng: np.random.Generator, scale: int, n: int) -> np.ndarray:
    """Decimal ties at the scale's last place (…5 one place further) as the nearest doubles, both signs."""
    mantissa = rng.integers(0, 10**9, n)
    shift = rng.integers(0, 7, n)
    sign = rng.choice([-1, 1], n)
    texts = zip(mantissa, shift, sign, strict=True)
    return np.array([float(Decimal(int(m) * 10 + 5).scaleb(-scale - 1 - int(k)) * int(s)) for m, k, s in texts])


def _neighbours(xs: np.ndarray, steps: int = 3) -> np.ndarray:
    """Each value and its `steps` nearest doubles on either side."""
    out = [xs]
    up, down = xs.copy(), xs.copy()
    for _ in range(steps):
        up, down = np.nextafter(up, np.inf), np.nextafter(down, -np.inf)
        out += [up, down]
    return np.concatenate(out)


def _doubles(scale: int, limit: float, seed: int) -> np.ndarray:
    """About a million finite doubles with |x| < limit, weighted to where the fast path could go wrong."""
    rng = np.random.default_rng(seed)
    unit = 10.0**-scale
    magnitudes = 10.0 ** rng.uniform(-12, np.log10(limit), 200_000) * rng.choice([-1.0, 1.0], 200_000)
    bits = rng.integers(np.iinfo(np.int64).min, np.iinfo(np.int64).max, 200_000, dtype=np.int64).view(np.float64)
    # k + f units of the last place with f near the fast path's 0.49 cut, near ½ and near 0
    k = np.floor(10.0 ** rng.uniform(0, 13.5, 200_000))
    f = rng.choice([0.0, 0.49, 0.5, 0.51, -0.49], 200_000) + rng.normal(0, 1e-3, 200_000)
    near_cuts = (k + f) * unit * rng.choice([-1.0, 1.0], 200_000)
    # the 10^13 bound of the fast path: x·10^scale just below and above it
    bound = _neighbours(np.array([1e13 * unit, -1e13 * unit, np.nextafter(1e13, 0) * unit]), 50)
    exponents = np.array([5e-07, 1.4999999999999998e-06, 2.5e-06, -5e-07, 1e16, 1e-300, 5e-324, 123456789.12345679])
    near_limit = _neighbours(np.array([limit * (1 - 1e-15), 999_999_999_999.9994, -999_999_999_999.9994]), 20)
    integers = rng.integers(-(10**12), 10**12, 100_000).astype(np.float64)
    candidates = np.concatenate(
        [
            magnitudes,
            bits,
            near_cuts,
            _neighbours(_ties(rng, scale, 30_000)),
            bound,
            _neighbours(exponents, 5),
            near_limit,
            integers,
            np.array([0.0, -0.0, 0.1, 0.2, 0.3, 2.675, 1.005, 509397150950.236]),
        ]
    )
    return candidates[np.isfinite(candidates) & (np.abs(candidates) < limit)]


@pytest.mark.parametrize(("width", "scale"), FORMS)
def test_dec_fast_path_equals_the_text_route(con: duckdb.DuckDBPyConnection, width: int, scale: int) -> None:
    # the text route accepts |x| below 10^(width − scale) minus half a last place; stay inside it
    limit = min(10.0 ** (width - scale) * (1 - 1e-9), 1e300)
    xs = _doubles(scale, limit, seed=width * 100 + scale)
    assert len(xs) > 500_000
    con.register("xs", {"x": xs})
    fast, text = _macro("x", width, scale), _text_route("x", width, scale)
    differing = con.execute(f"SELECT x, {fast}, {text} FROM xs WHERE {fast} IS DISTINCT FROM {text} LIMIT 5").fetchall()
    assert differing == []
    kinds = con.execute(f"SELECT DISTINCT typeof({fast}) FROM xs").fetchall()
    assert kinds == [(f"DECIMAL({width},{scale})",)]
    [(taken,)] = con.execute(f"SELECT count(*) FILTER (WHERE abs(x * 1e{scale}) < 1e13) / count(*) FROM xs").fetchall()
    assert taken > 0.3, "the sample must exercise the fast path, not only the text route"
    con.unregister("xs")


@pytest.mark.parametrize(("width", "scale"), FORMS)
def test_dec_fast_path_keeps_nulls_and_errors(con: duckdb.DuckDBPyConnection, width: int, scale: int) -> None:
    one = "FROM (SELECT CAST(? AS DOUBLE) AS x)"
    assert con.execute(f"SELECT {_macro('x', width, scale)} {one}", [None]).fetchall() == [(None,)]
    for bad in ["nan", "inf", "-inf", f"1e{width - scale}", f"-1e{width - scale}"]:
        with pytest.raises(duckdb.ConversionException):
            con.execute(f"SELECT {_macro('x', width, scale)} {one}", [bad]).fetchall()
        with pytest.raises(duckdb.ConversionException):
            con.execute(f"SELECT {_text_route('x', width, scale)} {one}", [bad]).fetchall()


half_way = st.builds(
    lambda n, k, s: float(Decimal(n * 10 + 5).scaleb(-7 - k) * s),
    st.integers(0, 10**12),
    st.integers(0, 8),
    st.sampled_from([1, -1]),
)


@given(st.lists(st.one_of(st.floats(allow_nan=False, allow_infinity=False, width=64), half_way), max_size=60))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_dec_fast_path_equals_the_text_route_for_any_double(con: duckdb.DuckDBPyConnection, xs: list[float]) -> None:
    xs = [x for x in xs if abs(x) < 999_999_999_999.0]
    query = f"SELECT x, {_macro('x', 18, 6)}, {_text_route('x', 18, 6)} FROM unnest($xs::DOUBLE[]) AS u(x)"
    for x, fast, text in con.execute(query, {"xs": xs}).fetchall():
        assert fast == text, x
