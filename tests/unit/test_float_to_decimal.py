"""One exact float → decimal conversion ([GEN-4], issue 10 item 4).

Python: `core.formats.float_to_decimal` (and `to_decimal`, `dec` built on it). SQL: the `dec` macro of
`sql/macros/dec.sql`, also in its `dec(expr, width, scale)` form that replaced the inline
`CAST(CAST(x AS VARCHAR) AS DECIMAL(p, s))` copies. Both must give the same decimal for every float,
ties and extreme exponents included; and no other copy may creep back into the engine.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import jinja2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from d3_engine.core.formats import dec, float_to_decimal, round_half_away, to_decimal
from d3_engine.models.python.loan import exact

ROOT = Path(__file__).resolve().parents[2]
MACROS = ROOT / "sql" / "macros"

# Ties at the 6th and 10th decimal (…5 in the next place), in both signs, and powers of ten far apart.
ties = st.builds(
    lambda n, k, sign: float(Decimal(n * 10 + 5).scaleb(-k) * sign),
    st.integers(0, 10**9),
    st.integers(1, 16),
    st.sampled_from([1, -1]),
)
extremes = st.builds(
    lambda m, e: m * 10.0**e, st.floats(1.0, 9.999999, allow_nan=False), st.integers(-300, 300)
).filter(lambda x: x != float("inf"))
any_float = st.one_of(st.floats(allow_nan=False, allow_infinity=False), ties, extremes)
in_decimal_38_10 = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, min_value=-9.99e26, max_value=9.99e26), ties, extremes
).filter(lambda x: abs(x) < 9.99e26)


@given(any_float)
@settings(max_examples=1000)
def test_float_to_decimal_is_the_shortest_round_trip_text(x: float) -> None:
    d = float_to_decimal(x)
    assert float(d) == x, "the decimal reads back as the very same float"
    assert d == Decimal(repr(x))
    digits = len(d.as_tuple().digits)
    assert digits <= 17
    # every other entry point is this conversion
    assert to_decimal(x) == d
    assert exact(x) == d
    assert dec(x) == round_half_away(d, 6)


def test_non_numbers_and_non_finite_values() -> None:
    assert to_decimal(None) is None and to_decimal(float("nan")) is None
    assert to_decimal(float("inf")) == Decimal("Infinity")
    assert to_decimal(3) == Decimal(3) and to_decimal(True) == Decimal(1)
    with pytest.raises(ValueError):
        float_to_decimal(float("inf"))
    with pytest.raises(TypeError):
        to_decimal("1.5")


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect()
    yield c
    c.close()


def _sql(text: str) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(MACROS), undefined=jinja2.StrictUndefined)
    return env.from_string("{% from 'dec.sql' import dec %}" + text).render()


@given(st.lists(in_decimal_38_10, min_size=1, max_size=50))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_dec_macro_wide_form_equals_python_and_the_inline_cast_it_replaced(
    con: duckdb.DuckDBPyConnection, xs: list[float]
) -> None:
    query = _sql(
        "SELECT {{ dec('x', 38, 10) }}, CAST(CAST(x AS VARCHAR) AS DECIMAL(38,10)), typeof({{ dec('x', 38, 10) }})"
        " FROM unnest($xs::DOUBLE[]) WITH ORDINALITY AS u(x, k) ORDER BY k"
    )
    rows = con.execute(query, {"xs": xs}).fetchall()
    for x, (macro, inline, kind) in zip(xs, rows, strict=True):
        assert macro == inline == round_half_away(float_to_decimal(x), 10), x
        assert kind == "DECIMAL(38,10)"


def test_no_other_float_to_decimal_copy_in_the_engine() -> None:
    python = re.compile(r"Decimal\((repr|str)\(|format\([^)]*\.17g")
    sql = re.compile(r"AS VARCHAR\)\s*AS DECIMAL", re.IGNORECASE)
    copies = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / "d3_engine").rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if python.search(line) and path.name != "formats.py"
    ]
    copies += [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / "sql").rglob("*.sql"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if sql.search(line) and not line.lstrip().startswith("--") and path.name != "dec.sql"
    ]
    assert copies == []
    formats = (ROOT / "d3_engine" / "core" / "formats.py").read_text(encoding="utf-8")
    assert len(python.findall(formats)) == 1, "formats.py holds the one conversion"
